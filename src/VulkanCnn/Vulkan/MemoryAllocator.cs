// Device memory in large blocks, each bound to one VkBuffer; tensors and weights are sub-ranges of a block.
using Silk.NET.Vulkan;
using VkBuffer = Silk.NET.Vulkan.Buffer;

namespace VulkanCnn.Vulkan;

/// <summary>What a block of memory is for.</summary>
internal enum MemoryUsage
{
    /// <summary>Weights and activations: device-local; on unified-memory and CPU devices it is also mapped.</summary>
    Device,
    /// <summary>Host-visible, persistently mapped memory for uploads and read-back.</summary>
    Staging,
}

/// <summary>A range of a block's buffer: what a descriptor binds.</summary>
internal readonly unsafe struct BufferSlice
{
    public readonly VkBuffer Buffer;
    public readonly ulong Offset;
    public readonly ulong Size;
    /// <summary>Host pointer to the first byte, or null when the memory is not host-visible.</summary>
    public readonly byte* Mapped;

    public BufferSlice(VkBuffer buffer, ulong offset, ulong size, byte* mapped)
    {
        Buffer = buffer; Offset = offset; Size = size; Mapped = mapped;
    }

    public bool IsNull => Buffer.Handle == 0;

    public BufferSlice Sub(ulong offset, ulong size)
    {
        if (offset + size > Size) throw new ArgumentOutOfRangeException(nameof(size), $"Sub-range {offset}+{size} exceeds slice of {Size} bytes.");
        return new BufferSlice(Buffer, Offset + offset, size, Mapped == null ? null : Mapped + offset);
    }

    public Span<float> AsFloats() => Mapped == null ? throw new InvalidOperationException("Buffer is not host-visible.") : new Span<float>(Mapped, checked((int)(Size / 4)));
}

internal sealed unsafe class MemoryBlock
{
    public DeviceMemory Memory;
    public VkBuffer Buffer;
    public ulong Size;
    public byte* Mapped;
    public MemoryUsage Usage;
}

/// <summary>Creates and frees blocks; keeps the list so that the context can free whatever an owner forgot.</summary>
internal sealed unsafe class MemoryAllocator : IDisposable
{
    public const ulong DefaultBlockSize = 64UL << 20;
    private readonly VulkanContext _ctx;
    private readonly HashSet<MemoryBlock> _live = new();
    private ulong _deviceBytes;

    public MemoryAllocator(VulkanContext ctx) { _ctx = ctx; }

    /// <summary>Bytes of device memory currently allocated by this context (all blocks).</summary>
    public ulong AllocatedBytes { get { lock (_live) return _live.Aggregate(0UL, (s, b) => s + b.Size); } }

    public int LiveBlocks { get { lock (_live) return _live.Count; } }

    public MemoryBlock CreateBlock(ulong size, MemoryUsage usage)
    {
        var vk = _ctx.Vk;
        var info = _ctx.DeviceInfo;
        if (size == 0) throw new ArgumentOutOfRangeException(nameof(size), "A memory block of 0 bytes was requested.");
        if (info.MaxMemoryAllocationSize > 0 && size > info.MaxMemoryAllocationSize)
            throw new VulkanException($"A single allocation of {size:N0} bytes exceeds the device's maxMemoryAllocationSize of {info.MaxMemoryAllocationSize:N0} bytes ({info.Name}).",
                Result.ErrorOutOfDeviceMemory, "vkAllocateMemory");
        if (usage == MemoryUsage.Device && info.DeviceLocalHeapBytes > 0 && _deviceBytes + size > info.DeviceLocalHeapBytes)
            throw new VulkanException($"Allocating {size:N0} more bytes would exceed the device-local heap of {info.DeviceLocalHeapBytes:N0} bytes on {info.Name} ({_deviceBytes:N0} in use).",
                Result.ErrorOutOfDeviceMemory, "vkAllocateMemory");

        var bci = new BufferCreateInfo
        {
            SType = StructureType.BufferCreateInfo,
            Size = size,
            Usage = BufferUsageFlags.StorageBufferBit | BufferUsageFlags.TransferSrcBit | BufferUsageFlags.TransferDstBit,
            SharingMode = SharingMode.Exclusive,
        };
        VkBuffer buffer;
        vk.CreateBuffer(_ctx.Device, &bci, null, &buffer).Check("vkCreateBuffer");
        try
        {
            vk.GetBufferMemoryRequirements(_ctx.Device, buffer, out var req);
            var (typeIndex, hostVisible) = ChooseMemoryType(req.MemoryTypeBits, usage);
            var ai = new MemoryAllocateInfo { SType = StructureType.MemoryAllocateInfo, AllocationSize = req.Size, MemoryTypeIndex = typeIndex };
            DeviceMemory memory;
            vk.AllocateMemory(_ctx.Device, &ai, null, &memory).Check("vkAllocateMemory");
            try
            {
                vk.BindBufferMemory(_ctx.Device, buffer, memory, 0).Check("vkBindBufferMemory");
                void* mapped = null;
                if (hostVisible) vk.MapMemory(_ctx.Device, memory, 0, Vk.WholeSize, 0, &mapped).Check("vkMapMemory");
                var block = new MemoryBlock { Memory = memory, Buffer = buffer, Size = size, Mapped = (byte*)mapped, Usage = usage };
                lock (_live)
                {
                    _live.Add(block);
                    if (usage == MemoryUsage.Device) _deviceBytes += size;
                }
                return block;
            }
            catch
            {
                vk.FreeMemory(_ctx.Device, memory, null);
                throw;
            }
        }
        catch
        {
            vk.DestroyBuffer(_ctx.Device, buffer, null);
            throw;
        }
    }

    public void Free(MemoryBlock block)
    {
        lock (_live)
        {
            if (!_live.Remove(block)) return;
            if (block.Usage == MemoryUsage.Device) _deviceBytes -= block.Size;
        }
        _ctx.Vk.DestroyBuffer(_ctx.Device, block.Buffer, null);
        _ctx.Vk.FreeMemory(_ctx.Device, block.Memory, null);
    }

    private (uint Index, bool HostVisible) ChooseMemoryType(uint typeBits, MemoryUsage usage)
    {
        var props = _ctx.MemoryProperties;
        const MemoryPropertyFlags local = MemoryPropertyFlags.DeviceLocalBit;
        const MemoryPropertyFlags host = MemoryPropertyFlags.HostVisibleBit | MemoryPropertyFlags.HostCoherentBit;
        // Preference lists: first match wins.
        var wanted = usage == MemoryUsage.Device
            ? new[] { local | host, local }
            : new[] { host | MemoryPropertyFlags.HostCachedBit, host };
        foreach (var w in wanted)
            for (uint i = 0; i < props.MemoryTypeCount; i++)
                if ((typeBits & (1u << (int)i)) != 0 && (props.MemoryTypes[(int)i].PropertyFlags & w) == w)
                {
                    // On a discrete GPU a small host-visible device-local heap (BAR) must not take the weights.
                    if (usage == MemoryUsage.Device && w == (local | host) && _ctx.DeviceInfo.Kind == DeviceKind.Discrete) continue;
                    return (i, (props.MemoryTypes[(int)i].PropertyFlags & MemoryPropertyFlags.HostVisibleBit) != 0);
                }
        throw new VulkanException($"No memory type fits {usage} buffers (type bits 0x{typeBits:x}).", Result.ErrorOutOfDeviceMemory, "vkGetBufferMemoryRequirements");
    }

    public void Dispose()
    {
        MemoryBlock[] blocks;
        lock (_live) blocks = _live.ToArray();
        foreach (var b in blocks) Free(b);
    }
}

/// <summary>
/// Bump allocator over blocks: the owner (a network's weights, a session's activations, a staging area) gets
/// aligned sub-ranges and frees all its blocks at once. No per-tensor VkBuffer or VkDeviceMemory.
/// </summary>
internal sealed class MemoryArena : IDisposable
{
    private readonly VulkanContext _ctx;
    private readonly MemoryUsage _usage;
    private readonly List<MemoryBlock> _blocks = new();
    private ulong _used, _requested;
    private bool _disposed;

    public MemoryArena(VulkanContext ctx, MemoryUsage usage) { _ctx = ctx; _usage = usage; }

    /// <summary>Bytes of device memory held in blocks.</summary>
    public ulong BytesReserved => _blocks.Aggregate(0UL, (s, b) => s + b.Size);

    /// <summary>Bytes handed out (before alignment).</summary>
    public ulong BytesRequested => _requested;

    /// <summary>Allocates <paramref name="size"/> bytes aligned for storage-buffer descriptors.</summary>
    public unsafe BufferSlice Allocate(ulong size, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (size == 0) size = 4;
        ulong align = Math.Max(16UL, _ctx.DeviceInfo.MinStorageBufferOffsetAlignment);
        size = (size + 15) & ~15UL;
        var block = _blocks.Count > 0 ? _blocks[^1] : null;
        ulong offset = (_used + align - 1) / align * align;
        _requested += size;
        if (block == null || offset + size > block.Size)
        {
            // Blocks grow with the arena (1 MiB, then twice what is held, up to 64 MiB): a small network does not
            // reserve 64 MiB, a large one does not make thousands of allocations.
            ulong grown = Math.Clamp(BytesReserved * 2, 1UL << 20, MemoryAllocator.DefaultBlockSize);
            ulong blockSize = Math.Max(grown, size);
            if (_ctx.DeviceInfo.MaxMemoryAllocationSize > 0) blockSize = Math.Min(blockSize, Math.Max(size, _ctx.DeviceInfo.MaxMemoryAllocationSize));
            try { block = _ctx.Allocator.CreateBlock(blockSize, _usage); }
            catch (VulkanException e) { throw new VulkanException($"Out of memory allocating {size:N0} bytes for {what}: {e.Message}", e.Result, e.Call); }
            _blocks.Add(block);
            offset = 0;
        }
        _used = offset + size;
        return new BufferSlice(block.Buffer, offset, size, block.Mapped == null ? null : block.Mapped + offset);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in _blocks) _ctx.Allocator.Free(b);
        _blocks.Clear();
    }
}
