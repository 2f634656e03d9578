// What a layer sees while it is being compiled for a device: weight upload, pipelines, and the dispatch list.
using System.Runtime.InteropServices;

namespace VulkanCnn.Vulkan;

/// <summary>The buffers and shapes of the node being compiled.</summary>
internal sealed class NodeIO
{
    public required string Name { get; init; }
    public required BufferSlice[] Inputs { get; init; }
    public required TensorShape[] InputShapes { get; init; }
    public required BufferSlice Output { get; init; }
    public required TensorShape OutputShape { get; init; }
    /// <summary>The session's scratch region (at least what the layer asked for; shared with other layers).</summary>
    public BufferSlice Scratch { get; init; }
}

/// <summary>One recorded compute dispatch: what the session turns into a descriptor set and vkCmdDispatch.</summary>
internal sealed class DispatchCommand
{
    public required Kernel Kernel { get; init; }
    public required BufferSlice[] Bindings { get; init; }
    /// <summary>Bit i set: binding i is written.</summary>
    public required uint WriteMask { get; init; }
    public required byte[] Push { get; init; }
    public required uint X { get; init; }
    public required uint Y { get; init; }
    public required uint Z { get; init; }
    public required int Node { get; init; }
}

internal sealed class LayerCompiler
{
    private readonly Uploader _uploader;
    private readonly List<DispatchCommand> _dispatches;

    public LayerCompiler(VulkanContext ctx, Uploader uploader, List<DispatchCommand> dispatches)
    {
        Ctx = ctx;
        _uploader = uploader;
        _dispatches = dispatches;
        // Convolution workgroups are one subgroup wide, so that the channel block is uniform per SIMD batch.
        Lanes = (int)Math.Clamp(ctx.DeviceInfo.SubgroupSize, 4u, 64u);
    }

    public VulkanContext Ctx { get; }

    /// <summary>Use Winograd F(2x2,3x3) for eligible 3x3 convolutions.</summary>
    public bool Winograd { get; init; } = true;

    /// <summary>Index of the node being compiled (for per-layer timing).</summary>
    public int NodeIndex { get; set; }

    /// <summary>
    /// Largest output-channel block of the convolution kernels: 32 channels x 4 pixels per lane keep 128 floats of
    /// accumulators, which pays on llvmpipe (AVX, 32 registers); SwiftShader (SSE, 16 registers) is fastest at 16.
    /// </summary>
    public int MaxChannelBlock => IsSwiftShader ? 16 : 32;

    /// <summary>
    /// Smallest output map that runs 4 pixels per lane. Measured on a 7x7 map with 512 channels: llvmpipe is 1.8x
    /// faster with 4 than with 2 (4 lanes' worth of pixels suffice); SwiftShader is 1.45x slower, so it keeps 4 for
    /// maps of at least 8 lanes' worth.
    /// </summary>
    public int FourPixelsPerLaneFrom => (IsSwiftShader ? 8 : 4) * Lanes;

    /// <summary>
    /// Depthwise kernel variant: SwiftShader is fastest with the whole row window in an array (fewest loads), llvmpipe
    /// with named variables over 4 taps at a time (it indexes arrays slowly): mean 21x21 on 512x512 measured 929 vs
    /// 2359 ms on SwiftShader and 60 vs 36 ms on llvmpipe.
    /// </summary>
    public string DepthwiseShader => IsSwiftShader ? "depthwise_conv2d_window" : "depthwise_conv2d";

    private bool IsSwiftShader => Ctx.DeviceInfo.Name.Contains("SwiftShader", StringComparison.OrdinalIgnoreCase);

    /// <summary>Invocations per convolution workgroup.</summary>
    public int Lanes { get; }

    /// <summary>Largest byte range one storage-buffer binding may cover on this device.</summary>
    public ulong MaxBindingBytes => Ctx.DeviceInfo.MaxStorageBufferRange;

    public BufferSlice Upload(ReadOnlySpan<float> data, string what) => _uploader.Upload(MemoryMarshal.AsBytes(data), what);

    public Kernel Kernel(string shader, int bindings, uint pushSize, params int[] spec) =>
        Ctx.Pipelines.Get(shader, bindings, pushSize, spec);

    /// <summary>Adds a dispatch. The last binding is the one written unless <paramref name="writeMask"/> says otherwise.</summary>
    public void Dispatch<T>(Kernel kernel, BufferSlice[] bindings, in T push, uint x, uint y = 1, uint z = 1, uint writeMask = 0) where T : unmanaged
    {
        if (bindings.Length != kernel.BindingCount)
            throw new InvalidOperationException($"{kernel.Name} takes {kernel.BindingCount} buffers, {bindings.Length} given.");
        if (PushConstantsAttribute.Of<T>() is not { } mirror || !mirror.Names(kernel.Name))
            throw new InvalidOperationException($"{kernel.Name}: {typeof(T).FullName} is not the mirror of its push-constant block (no [PushConstants(\"{kernel.Name}\")]).");
        var bytes = MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(in push, 1)).ToArray();
        if (bytes.Length != kernel.PushConstantSize)
            throw new InvalidOperationException($"{kernel.Name}: push-constant struct is {bytes.Length} bytes, the pipeline layout says {kernel.PushConstantSize}.");
        var max = Ctx.DeviceInfo.MaxComputeWorkGroupCountX;
        if (x == 0 || y == 0 || z == 0) return;
        if (x > max || y > 65535 || z > 65535)
            throw new InvalidOperationException($"{kernel.Name}: dispatch of {x}×{y}×{z} workgroups exceeds the device limits.");
        _dispatches.Add(new DispatchCommand
        {
            Kernel = kernel, Bindings = bindings, Push = bytes, X = x, Y = y, Z = z, Node = NodeIndex,
            WriteMask = writeMask != 0 ? writeMask : 1u << (bindings.Length - 1),
        });
    }

    /// <summary>Spreads <paramref name="groups"/> workgroups over x and y so that neither exceeds 65535.</summary>
    public static (uint X, uint Y) Grid(long groups)
    {
        if (groups <= 0) return (0, 0);
        if (groups <= 65535) return ((uint)groups, 1);
        uint y = (uint)((groups + 65534) / 65535);
        uint x = (uint)((groups + y - 1) / y);
        return (x, y);
    }

    /// <summary>Rejects a tensor that one binding cannot cover on this device.</summary>
    public void CheckBinding(string node, string what, ulong bytes)
    {
        if (bytes > MaxBindingBytes)
            throw new ArgumentException($"{node}: {what} needs {bytes:N0} bytes in one buffer binding; {Ctx.DeviceInfo.Name} allows {MaxBindingBytes:N0} (maxStorageBufferRange). Use a smaller input.");
    }
}

/// <summary>
/// Uploaded constants by content, so that the same bytes are uploaded once per session: a batch of images running
/// Winograd image by image, and the recordings of other batch sizes (which compile the layers again), find the weights
/// already there. Constants are read-only on the GPU, so sharing them is safe.
/// </summary>
internal sealed class WeightCache
{
    private readonly Dictionary<(int Length, ulong A, ulong B), BufferSlice> _slices = new();

    public bool TryGet(ReadOnlySpan<byte> data, out BufferSlice slice, out (int, ulong, ulong) key)
    {
        var (a, b) = Fingerprint(data);
        key = (data.Length, a, b);
        return _slices.TryGetValue(key, out slice);
    }

    public void Add((int, ulong, ulong) key, BufferSlice slice) => _slices[key] = slice;

    /// <summary>Two independent 64-bit mixes over the bytes (a 128-bit fingerprint; the length is part of the key).</summary>
    internal static (ulong A, ulong B) Fingerprint(ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        ulong a = 0x9E3779B97F4A7C15UL, b = 0xC2B2AE3D27D4EB4FUL;
        foreach (ulong w in words)
        {
            a = System.Numerics.BitOperations.RotateLeft((a ^ w) * 0xFF51AFD7ED558CCDUL, 31);
            b = System.Numerics.BitOperations.RotateLeft(b + w * 0xC4CEB9FE1A85EC53UL, 27) * 0x94D049BB133111EBUL;
        }
        for (int i = words.Length * 8; i < data.Length; i++)
        {
            a = (a ^ data[i]) * 0xFF51AFD7ED558CCDUL;
            b = (b + data[i]) * 0x94D049BB133111EBUL;
        }
        a ^= a >> 33; a *= 0xC4CEB9FE1A85EC53UL; a ^= a >> 29;
        b ^= b >> 32; b *= 0xFF51AFD7ED558CCDUL; b ^= b >> 31;
        return (a, b);
    }
}

/// <summary>Uploads weights into a device arena: directly when the memory is mapped, else through staging copies.</summary>
internal sealed unsafe class Uploader : IDisposable
{
    private readonly VulkanContext _ctx;
    private readonly MemoryArena _target;
    private readonly WeightCache? _cache;
    private MemoryArena? _staging;
    private readonly List<(BufferSlice Src, BufferSlice Dst)> _copies = new();

    public Uploader(VulkanContext ctx, MemoryArena target, WeightCache? cache = null) { _ctx = ctx; _target = target; _cache = cache; }

    public BufferSlice Upload(ReadOnlySpan<byte> data, string what)
    {
        if (_cache == null) return UploadNew(data, what);
        if (_cache.TryGet(data, out var known, out var key)) return known;
        var slice = UploadNew(data, what);
        _cache.Add(key, slice);
        return slice;
    }

    private BufferSlice UploadNew(ReadOnlySpan<byte> data, string what)
    {
        var dst = _target.Allocate((ulong)data.Length, what);
        if (dst.Mapped != null)
        {
            data.CopyTo(new Span<byte>(dst.Mapped, data.Length));
            return dst;
        }
        _staging ??= new MemoryArena(_ctx, MemoryUsage.Staging);
        var src = _staging.Allocate((ulong)data.Length, what + " (staging)");
        data.CopyTo(new Span<byte>(src.Mapped, data.Length));
        _copies.Add((src, new BufferSlice(dst.Buffer, dst.Offset, (ulong)((data.Length + 3) & ~3), null)));
        if (_staging.BytesReserved > (256UL << 20)) Flush();
        return dst;
    }

    public void Flush()
    {
        if (_copies.Count == 0) return;
        _ctx.RunOnce(cmd =>
        {
            foreach (var (src, dst) in _copies)
            {
                var region = new Silk.NET.Vulkan.BufferCopy(src.Offset, dst.Offset, dst.Size);
                _ctx.Vk.CmdCopyBuffer(cmd, src.Buffer, dst.Buffer, 1, &region);
            }
        });
        _copies.Clear();
        _staging?.Dispose();
        _staging = null;
    }

    public void Dispose()
    {
        _staging?.Dispose();
        _staging = null;
    }
}
