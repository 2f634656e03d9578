// A small fixed sequence of compute dispatches with its own command buffer and fence: what a pre- or post-processing
// step (region crops, decoders) records once and submits per frame. The descriptor sets, barriers and recording are
// the session's (Recording); this adds the dispatch list builder and the submission.
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;

namespace VulkanCnn.Vulkan;

internal sealed unsafe class ComputeProgram : IDisposable
{
    private readonly VulkanContext _ctx;
    private readonly Recording _recording;
    private readonly Fence _fence;
    private bool _disposed;

    private ComputeProgram(VulkanContext ctx, List<DispatchCommand> dispatches)
    {
        _ctx = ctx;
        _recording = new Recording(ctx, dispatches, Array.Empty<HostCopy>(), Array.Empty<HostCopy>(), hostMapped: true, profile: false);
        try { _fence = ctx.CreateFence(); }
        catch { _recording.Dispose(); throw; }
    }

    /// <summary>Collects the dispatches of a program, in order.</summary>
    public sealed class Builder
    {
        private readonly VulkanContext _ctx;
        private readonly List<DispatchCommand> _dispatches = new();
        public Builder(VulkanContext ctx) { _ctx = ctx; }

        /// <summary>Adds a dispatch; binding i is written where bit i of <paramref name="writeMask"/> is set (default: the last).</summary>
        public Builder Dispatch<T>(Kernel kernel, BufferSlice[] bindings, in T push, uint x, uint y = 1, uint z = 1, uint writeMask = 0) where T : unmanaged
        {
            var bytes = MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(in push, 1)).ToArray();
            if (bindings.Length != kernel.BindingCount || bytes.Length != kernel.PushConstantSize)
                throw new InvalidOperationException($"{kernel.Name}: {bindings.Length} buffers and {bytes.Length} push bytes given; the pipeline takes {kernel.BindingCount} and {kernel.PushConstantSize}.");
            if (x == 0 || y == 0 || z == 0 || x > _ctx.DeviceInfo.MaxComputeWorkGroupCountX || y > 65535 || z > 65535)
                throw new InvalidOperationException($"{kernel.Name}: dispatch of {x}×{y}×{z} workgroups is empty or exceeds the device limits.");
            _dispatches.Add(new DispatchCommand
            {
                Kernel = kernel, Bindings = bindings, Push = bytes, X = x, Y = y, Z = z, Node = _dispatches.Count,
                WriteMask = writeMask != 0 ? writeMask : 1u << (bindings.Length - 1),
            });
            return this;
        }

        public ComputeProgram Build() => new(_ctx, _dispatches);
    }

    /// <summary>The recorded dispatches (ending with a barrier that makes their writes visible to the host).</summary>
    public CommandBuffer Command => _recording.Command;

    /// <summary>Submits the program and waits for it (bounded, as every wait of the context).</summary>
    public void Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ctx.SubmitAndWait(_recording.Command, _fence);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_fence.Handle != 0)
        {
            var f = _fence;
            _ctx.Vk.WaitForFences(_ctx.Device, 1, &f, true, 10_000_000_000UL);
            _ctx.Vk.DestroyFence(_ctx.Device, _fence, null);
        }
        _recording.Dispose();
    }
}
