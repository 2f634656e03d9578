// The plumbing every task's GPU post-processing shares: a descriptor pool whose sets are bound once to fixed buffers,
// host-visible and device scratch arenas, dispatch and barrier recording, and a standalone runner (preprocess → model
// → post-processing, synchronously) for use without a frame pipeline.
using System.Runtime.CompilerServices;
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>
/// Kernels bound once to fixed buffers, recorded into a caller's command buffer. Owns the result (host-visible) and
/// scratch (device) memory of one task's post-processing.
/// </summary>
internal sealed unsafe class PostprocessProgram : IDisposable
{
    private readonly VulkanContext _ctx;
    private readonly DescriptorPool _pool;
    private readonly LinkedListNode<IDisposable> _tracked;
    private bool _disposed;

    /// <summary>Host-visible, persistently mapped memory for results the CPU reads.</summary>
    public MemoryArena Host { get; }
    /// <summary>Device memory for intermediate buffers (candidate lists, counters).</summary>
    public MemoryArena Scratch { get; }

    public PostprocessProgram(VulkanContext context, int maxSets, int maxBindings)
    {
        _ctx = context;
        Host = new MemoryArena(context, MemoryUsage.Staging);
        Scratch = new MemoryArena(context, MemoryUsage.Device);
        var size = new DescriptorPoolSize { Type = DescriptorType.StorageBuffer, DescriptorCount = (uint)(maxSets * maxBindings) };
        var ci = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = (uint)maxSets, PoolSizeCount = 1, PPoolSizes = &size };
        DescriptorPool pool;
        context.Vk.CreateDescriptorPool(context.Device, &ci, null, &pool).Check("vkCreateDescriptorPool");
        _pool = pool;
        _tracked = context.Track(this);
    }

    /// <summary>A descriptor set for <paramref name="kernel"/> with binding i = <paramref name="buffers"/>[i] (whole slices).</summary>
    public DescriptorSet Bind(Kernel kernel, params BufferSlice[] buffers)
    {
        if (buffers.Length != kernel.BindingCount)
            throw new ArgumentException($"Kernel {kernel.Name} has {kernel.BindingCount} bindings; {buffers.Length} buffers given.");
        var vk = _ctx.Vk;
        var layout = kernel.SetLayout;
        var ai = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = _pool, DescriptorSetCount = 1, PSetLayouts = &layout };
        DescriptorSet set;
        vk.AllocateDescriptorSets(_ctx.Device, &ai, &set).Check("vkAllocateDescriptorSets");
        var infos = stackalloc DescriptorBufferInfo[buffers.Length];
        var writes = stackalloc WriteDescriptorSet[buffers.Length];
        for (int i = 0; i < buffers.Length; i++)
        {
            infos[i] = new DescriptorBufferInfo(buffers[i].Buffer, buffers[i].Offset, buffers[i].Size);
            writes[i] = new WriteDescriptorSet
            {
                SType = StructureType.WriteDescriptorSet, DstSet = set, DstBinding = (uint)i, DescriptorCount = 1,
                DescriptorType = DescriptorType.StorageBuffer, PBufferInfo = &infos[i],
            };
        }
        vk.UpdateDescriptorSets(_ctx.Device, (uint)buffers.Length, writes, 0, null);
        return set;
    }

    /// <summary>Records one dispatch of <paramref name="kernel"/> with <paramref name="push"/> (its shader's push-constant mirror).</summary>
    public void Dispatch<T>(CommandBuffer cmd, Kernel kernel, DescriptorSet set, in T push, uint groupsX, uint groupsY = 1) where T : unmanaged
    {
        if ((uint)sizeof(T) != kernel.PushConstantSize)
            throw new InvalidOperationException($"Kernel {kernel.Name}: push constants of {sizeof(T)} bytes, pipeline layout has {kernel.PushConstantSize}.");
        var vk = _ctx.Vk;
        vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, kernel.Pipeline);
        vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, kernel.Layout, 0, 1, &set, 0, null);
        fixed (T* p = &push) vk.CmdPushConstants(cmd, kernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(T), p);
        vk.CmdDispatch(cmd, groupsX, groupsY, 1);
    }

    /// <summary>Records a dispatch of ceil(<paramref name="invocations"/> / <paramref name="groupSize"/>) groups spread over a 2-D grid (grid.glsl).</summary>
    public void DispatchFlat<T>(CommandBuffer cmd, Kernel kernel, DescriptorSet set, in T push, long invocations, int groupSize) where T : unmanaged
    {
        var (x, y) = LayerCompiler.Grid(Math.Max(1, (invocations + groupSize - 1) / groupSize));
        Dispatch(cmd, kernel, set, push, x, y);
    }

    /// <summary>Records vkCmdFillBuffer of <paramref name="slice"/> with <paramref name="value"/> (counters reset on the GPU).</summary>
    public void Fill(CommandBuffer cmd, BufferSlice slice, uint value) =>
        _ctx.Vk.CmdFillBuffer(cmd, slice.Buffer, slice.Offset, slice.Size, value);

    /// <summary>A global memory barrier.</summary>
    public void Barrier(CommandBuffer cmd, PipelineStageFlags src, AccessFlags srcAccess, PipelineStageFlags dst, AccessFlags dstAccess)
    {
        _ctx.CmdMemoryBarrier(cmd, src, srcAccess, dst, dstAccess);
    }

    /// <summary>
    /// The barrier every task's post-processing starts with: the network's compute writes (and, across submissions, the
    /// previous run's reads of our own buffers) before our fills and dispatches.
    /// </summary>
    public void BeginBarrier(CommandBuffer cmd) =>
        Barrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.ShaderReadBit | AccessFlags.TransferWriteBit,
                PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit | AccessFlags.TransferReadBit | AccessFlags.TransferWriteBit);

    /// <summary>Copies a buffer range (whole <paramref name="src"/>, at most <paramref name="dst"/>'s size).</summary>
    public void Copy(CommandBuffer cmd, BufferSlice src, BufferSlice dst, ulong bytes)
    {
        var region = new BufferCopy(src.Offset, dst.Offset, bytes);
        _ctx.Vk.CmdCopyBuffer(cmd, src.Buffer, dst.Buffer, 1, &region);
    }

    /// <summary>Fills (transfer) before the next dispatches.</summary>
    public void AfterFill(CommandBuffer cmd) =>
        Barrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit);

    /// <summary>One dispatch's writes before the next one's reads.</summary>
    public void ComputeToCompute(CommandBuffer cmd) =>
        Barrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit);

    /// <summary>The barrier post-processing ends with: results readable by the host after the fence.</summary>
    public void EndBarrier(CommandBuffer cmd) =>
        Barrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit, PipelineStageFlags.HostBit, AccessFlags.HostReadBit);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _ctx.Untrack(_tracked);
        // Descriptor sets die with their pool; callers have waited for their last submission.
        _ctx.Vk.DestroyDescriptorPool(_ctx.Device, _pool, null);
        Host.Dispose();
        Scratch.Dispose();
    }
}

/// <summary>
/// Runs a task without a frame pipeline: frame → <see cref="FramePreprocessor"/> (kept while the frame size and format stay
/// the same) → session → the task's post-processing (recorded once into an owned command buffer) → result. Synchronous.
/// </summary>
internal sealed unsafe class StandaloneRunner : IDisposable
{
    private readonly VisionTask _task;
    private readonly VulkanContext _ctx;
    private CommandPool _pool;
    private CommandBuffer _cmd;
    private Fence _fence;
    private QueryPool _queries;
    private FramePreprocessor? _pre;
    private readonly LinkedListNode<IDisposable> _tracked;
    private bool _disposed;

    public StandaloneRunner(VisionTask task)
    {
        _task = task;
        _ctx = task.Session.Context;
        _tracked = _ctx.Track(this);
    }

    /// <summary>
    /// Time of the last post-processing submission in ms: GPU timestamps around the recorded commands where the device
    /// has them, else host time from submit to fence.
    /// </summary>
    public double LastPostprocessMilliseconds { get; private set; }

    /// <summary>Preprocesses the frame into the session's input, runs the model and the post-processing.</summary>
    public VisionResult Run(ReadOnlySpan<byte> frame, int width, int height, PixelFormat format, long frameNumber)
    {
        _ctx.ThrowIfDisposed();
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pre == null || _pre.FrameWidth != width || _pre.FrameHeight != height || _pre.Format != format)
        {
            _pre?.Dispose();
            _pre = null;
            _pre = new FramePreprocessor(_task.Session, 0, width, height, format, _task.Input);
        }
        _pre.Process(frame);
        return RunSession(_pre.Transform, frameNumber);
    }

    /// <summary>Runs the model on the input already in the session, then the post-processing.</summary>
    public VisionResult RunSession(FrameTransform transform, long frameNumber)
    {
        _ctx.ThrowIfDisposed();
        ObjectDisposedException.ThrowIf(_disposed, this);
        _task.Session.Run();
        Postprocess();
        return _task.ReadResult(frameNumber, transform);
    }

    /// <summary>Submits the post-processing alone (the session's outputs as they are) and waits.</summary>
    public void Postprocess()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pool.Handle == 0)
        {
            _pool = _ctx.CreateCommandPool();
            _cmd = _ctx.AllocateCommandBuffer(_pool);
            _fence = _ctx.CreateFence();
            if (_ctx.DeviceInfo.TimestampsSupported)
            {
                var qi = new QueryPoolCreateInfo { SType = StructureType.QueryPoolCreateInfo, QueryType = QueryType.Timestamp, QueryCount = 2 };
                QueryPool q;
                _ctx.Vk.CreateQueryPool(_ctx.Device, &qi, null, &q).Check("vkCreateQueryPool");
                _queries = q;
            }
            var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
            _ctx.Vk.BeginCommandBuffer(_cmd, &bi).Check("vkBeginCommandBuffer");
            if (_queries.Handle != 0)
            {
                _ctx.Vk.CmdResetQueryPool(_cmd, _queries, 0, 2);
                _ctx.Vk.CmdWriteTimestamp(_cmd, PipelineStageFlags.TopOfPipeBit, _queries, 0);
            }
            _task.RecordPostprocess(_cmd);
            if (_queries.Handle != 0) _ctx.Vk.CmdWriteTimestamp(_cmd, PipelineStageFlags.BottomOfPipeBit, _queries, 1);
            _ctx.Vk.EndCommandBuffer(_cmd).Check("vkEndCommandBuffer");
        }
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        _ctx.SubmitAndWait(_cmd, _fence);
        LastPostprocessMilliseconds = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (_queries.Handle != 0)
        {
            var stamps = stackalloc ulong[2];
            _ctx.Vk.GetQueryPoolResults(_ctx.Device, _queries, 0, 2, 16, stamps, 8, QueryResultFlags.Result64Bit | QueryResultFlags.ResultWaitBit)
                .Check("vkGetQueryPoolResults");
            LastPostprocessMilliseconds = (stamps[1] - stamps[0]) * _ctx.DeviceInfo.TimestampPeriodNs / 1e6;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _ctx.Untrack(_tracked);
        _pre?.Dispose();
        if (_pool.Handle != 0)
        {
            _ctx.DrainFence(_fence);
            _ctx.Vk.DestroyFence(_ctx.Device, _fence, null);
            if (_queries.Handle != 0) _ctx.Vk.DestroyQueryPool(_ctx.Device, _queries, null);
            _ctx.Vk.DestroyCommandPool(_ctx.Device, _pool, null);
        }
    }
}
