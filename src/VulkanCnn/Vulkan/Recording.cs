// One recorded run of a compiled network: a descriptor set per dispatch, the command buffer that replays the dispatches
// with only the barriers they need, the host copies around them, and a timestamp after every layer.
using Silk.NET.Vulkan;

namespace VulkanCnn.Vulkan;

/// <summary>A host-to-device or device-to-host copy that a recording makes before or after its dispatches.</summary>
internal readonly record struct HostCopy(BufferSlice Source, BufferSlice Destination, ulong Bytes);

internal sealed unsafe class Recording : IDisposable
{
    private readonly VulkanContext _ctx;
    private readonly IReadOnlyList<DispatchCommand> _dispatches;
    private readonly HostCopy[] _copyIn, _copyOut;
    private readonly bool _hostMapped;
    private readonly CommandPool _pool;
    private readonly DescriptorPool _descriptorPool;
    private readonly DescriptorSet[] _sets;
    private readonly QueryPool _queries;
    private readonly ulong[] _stamps;
    private CommandBuffer[]? _layerCmds;
    private bool _disposed;

    /// <param name="ctx">The context whose queue runs it.</param>
    /// <param name="dispatches">The compiled dispatches, in order.</param>
    /// <param name="copyIn">Staging-to-activation copies before the first dispatch (none where inputs are host-mapped).</param>
    /// <param name="copyOut">Activation-to-staging copies after the last (none where outputs are host-mapped).</param>
    /// <param name="hostMapped">Inputs and outputs are read and written by the host in place.</param>
    /// <param name="profile">Write a timestamp around each dispatch (per-layer GPU times).</param>
    public Recording(VulkanContext ctx, IReadOnlyList<DispatchCommand> dispatches, HostCopy[] copyIn, HostCopy[] copyOut, bool hostMapped, bool profile)
    {
        _ctx = ctx;
        _dispatches = dispatches;
        _copyIn = copyIn;
        _copyOut = copyOut;
        _hostMapped = hostMapped;
        TimedNodes = dispatches.Select(d => d.Node).Distinct().ToArray();
        _stamps = new ulong[TimedNodes.Length + 1];
        try
        {
            if (profile)
            {
                var qi = new QueryPoolCreateInfo { SType = StructureType.QueryPoolCreateInfo, QueryType = QueryType.Timestamp, QueryCount = (uint)_stamps.Length };
                QueryPool q;
                ctx.Vk.CreateQueryPool(ctx.Device, &qi, null, &q).Check("vkCreateQueryPool");
                _queries = q;
            }
            _descriptorPool = CreateDescriptorPool();
            _sets = dispatches.Select(WriteSet).ToArray();
            _pool = ctx.CreateCommandPool();
            Command = ctx.AllocateCommandBuffer(_pool);
            RecordRange(Command, 0, dispatches.Count, _queries.Handle != 0);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The whole run as one command buffer.</summary>
    public CommandBuffer Command { get; }

    /// <summary>Node index per layer that records dispatches, in order (one timestamp after each).</summary>
    public int[] TimedNodes { get; }

    public int DispatchCount => _dispatches.Count;

    public bool Profiled => _queries.Handle != 0;

    /// <summary>
    /// Layer <paramref name="layer"/>'s dispatches as a command buffer of their own, recorded on first use: submitting
    /// layers 0..TimedNodes.Length-1 in order, in any number of submissions on the queue, is one run (without
    /// timestamps). Layer 0 copies the input in, the last layer makes the outputs host-readable.
    /// </summary>
    public CommandBuffer LayerCommand(int layer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_layerCmds == null)
        {
            var cmds = new CommandBuffer[TimedNodes.Length];
            int start = 0;
            for (int l = 0; l < cmds.Length; l++)
            {
                int end = start;
                while (end < _dispatches.Count && _dispatches[end].Node == TimedNodes[l]) end++;
                cmds[l] = _ctx.AllocateCommandBuffer(_pool);
                RecordRange(cmds[l], start, end, false);
                start = end;
            }
            _layerCmds = cmds;
        }
        return _layerCmds[layer];
    }

    /// <summary>After a profiled run has completed: the GPU time of each timed layer into <paramref name="layerMs"/>, and the total.</summary>
    public double ReadTimestamps(Span<double> layerMs)
    {
        fixed (ulong* p = _stamps)
        {
            _ctx.Vk.GetQueryPoolResults(_ctx.Device, _queries, 0, (uint)_stamps.Length, (nuint)(_stamps.Length * 8), p, 8,
                QueryResultFlags.Result64Bit | QueryResultFlags.ResultWaitBit).Check("vkGetQueryPoolResults");
        }
        double period = _ctx.DeviceInfo.TimestampPeriodNs / 1e6;
        for (int i = 0; i < TimedNodes.Length; i++) layerMs[i] = (_stamps[i + 1] - _stamps[i]) * period;
        return (_stamps[^1] - _stamps[0]) * period;
    }

    private DescriptorPool CreateDescriptorPool()
    {
        uint sets = (uint)Math.Max(1, _dispatches.Count);
        uint descriptors = (uint)Math.Max(1, _dispatches.Sum(d => d.Bindings.Length));
        var size = new DescriptorPoolSize { Type = DescriptorType.StorageBuffer, DescriptorCount = descriptors };
        var ci = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = sets, PoolSizeCount = 1, PPoolSizes = &size };
        DescriptorPool pool;
        _ctx.Vk.CreateDescriptorPool(_ctx.Device, &ci, null, &pool).Check("vkCreateDescriptorPool");
        return pool;
    }

    private DescriptorSet WriteSet(DispatchCommand d)
    {
        var layout = d.Kernel.SetLayout;
        var ai = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = _descriptorPool, DescriptorSetCount = 1, PSetLayouts = &layout };
        DescriptorSet set;
        _ctx.Vk.AllocateDescriptorSets(_ctx.Device, &ai, &set).Check("vkAllocateDescriptorSets");
        int n = d.Bindings.Length;
        var infos = stackalloc DescriptorBufferInfo[n];
        var writes = stackalloc WriteDescriptorSet[n];
        for (int i = 0; i < n; i++)
        {
            infos[i] = new DescriptorBufferInfo(d.Bindings[i].Buffer, d.Bindings[i].Offset, d.Bindings[i].Size);
            writes[i] = new WriteDescriptorSet
            {
                SType = StructureType.WriteDescriptorSet, DstSet = set, DstBinding = (uint)i, DescriptorCount = 1,
                DescriptorType = DescriptorType.StorageBuffer, PBufferInfo = &infos[i],
            };
        }
        _ctx.Vk.UpdateDescriptorSets(_ctx.Device, (uint)n, writes, 0, null);
        return set;
    }

    private void Copy(CommandBuffer cmd, HostCopy c)
    {
        var region = new BufferCopy(c.Source.Offset, c.Destination.Offset, c.Bytes);
        _ctx.Vk.CmdCopyBuffer(cmd, c.Source.Buffer, c.Destination.Buffer, 1, &region);
    }

    /// <summary>
    /// Records dispatches [<paramref name="from"/>, <paramref name="to"/>) into <paramref name="cmd"/>: the input copy when
    /// the range starts the run, the output copy and host barrier when it ends it. A range that starts later begins
    /// with a barrier against the previous range, which ran in an earlier submission on the same queue.
    /// </summary>
    private void RecordRange(CommandBuffer cmd, int from, int to, bool timed)
    {
        var vk = _ctx.Vk;
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
        vk.BeginCommandBuffer(cmd, &bi).Check("vkBeginCommandBuffer");
        if (timed) vk.CmdResetQueryPool(cmd, _queries, 0, (uint)_stamps.Length);
        if (from > 0)
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit);
        if (from == 0 && _copyIn.Length > 0)
        {
            foreach (var c in _copyIn) Copy(cmd, c);
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit);
        }
        if (timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.TopOfPipeBit, _queries, 0);

        // A barrier goes in only where a dispatch touches memory that a dispatch since the last barrier wrote,
        // or writes memory one of them read (activation buffers are reused, so write-after-read matters too).
        var pending = new List<(ulong Buffer, ulong Start, ulong End, bool Write)>();
        Pipeline bound = default;
        int slot = 0;
        for (int di = from; di < to; di++)
        {
            var d = _dispatches[di];
            bool conflict = false;
            for (int b = 0; b < d.Bindings.Length && !conflict; b++)
            {
                var s = d.Bindings[b];
                bool w = (d.WriteMask & (1u << b)) != 0;
                foreach (var p in pending)
                    if (p.Buffer == s.Buffer.Handle && p.Start < s.Offset + s.Size && s.Offset < p.End && (p.Write || w)) { conflict = true; break; }
            }
            if (conflict)
            {
                _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit);
                pending.Clear();
            }
            for (int b = 0; b < d.Bindings.Length; b++)
                pending.Add((d.Bindings[b].Buffer.Handle, d.Bindings[b].Offset, d.Bindings[b].Offset + d.Bindings[b].Size, (d.WriteMask & (1u << b)) != 0));

            var set = _sets[di];
            if (bound.Handle != d.Kernel.Pipeline.Handle)
            {
                vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, d.Kernel.Pipeline);
                bound = d.Kernel.Pipeline;
            }
            vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, d.Kernel.Layout, 0, 1, &set, 0, null);
            if (d.Push.Length > 0)
                fixed (byte* pc = d.Push) vk.CmdPushConstants(cmd, d.Kernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)d.Push.Length, pc);
            vk.CmdDispatch(cmd, d.X, d.Y, d.Z);
            bool lastOfNode = di + 1 == to || _dispatches[di + 1].Node != d.Node;
            if (timed && lastOfNode) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _queries, (uint)++slot);
        }

        // A range that ends before the last dispatch continues in a later submission, which starts with its own barrier.
        if (to == _dispatches.Count)
        {
            // The results go to the host, and to later submissions' dispatches and copies (a crop program feeding a
            // session, a session feeding post-processing).
            if (_hostMapped)
                _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit,
                    PipelineStageFlags.HostBit | PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit,
                    AccessFlags.HostReadBit | AccessFlags.ShaderReadBit | AccessFlags.TransferReadBit);
            else
            {
                _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.TransferBit | PipelineStageFlags.ComputeShaderBit,
                    AccessFlags.TransferReadBit | AccessFlags.ShaderReadBit);
                foreach (var c in _copyOut) Copy(cmd, c);
                _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.HostBit, AccessFlags.HostReadBit);
            }
        }
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
    }

    /// <summary>Frees the recording's Vulkan objects; the caller has waited for its last submission.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var vk = _ctx.Vk;
        if (_pool.Handle != 0) vk.DestroyCommandPool(_ctx.Device, _pool, null);
        if (_descriptorPool.Handle != 0) vk.DestroyDescriptorPool(_ctx.Device, _descriptorPool, null);
        if (_queries.Handle != 0) vk.DestroyQueryPool(_ctx.Device, _queries, null);
    }
}
