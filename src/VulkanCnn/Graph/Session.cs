// A network compiled for one device: weights uploaded, activation memory planned, one command buffer recorded
// once and replayed for every input.
using System.Diagnostics;
using Silk.NET.Vulkan;
using VulkanCnn.Layers;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Graph;

/// <summary>Options for compiling a network.</summary>
public sealed record SessionOptions
{
    /// <summary>Fold batch norms and fuse activations (default true).</summary>
    public bool Optimize { get; init; } = true;
    /// <summary>Record GPU timestamps around every layer (default true where the device supports them).</summary>
    public bool Profile { get; init; } = true;
    /// <summary>Run eligible 3x3 convolutions as Winograd F(2x2,3x3) (2.25x fewer multiplications; default true).</summary>
    public bool Winograd { get; init; } = true;
}

/// <summary>GPU time of one layer in the last run.</summary>
public sealed record LayerTime(string Name, string Type, double Milliseconds);

/// <summary>
/// Runs a <see cref="Network"/> on a <see cref="VulkanContext"/>. Creating a session uploads the weights, plans the
/// activation memory, builds the pipelines and records one command buffer; <see cref="Run()"/> only writes the
/// inputs, submits that command buffer and waits. Not thread-safe: use one session per thread.
/// </summary>
public sealed unsafe class Session : IDisposable
{
    private readonly VulkanContext _ctx;
    private readonly MemoryArena _weights, _activations;
    private readonly MemoryArena? _staging;
    private readonly BufferSlice[] _values;              // per node: where its output lives
    private readonly BufferSlice[] _inputHost, _outputHost;
    private readonly CommandPool _pool;
    private readonly CommandBuffer _cmd;
    private readonly Fence _fence;
    private readonly DescriptorPool _descriptorPool;
    private readonly QueryPool _queries;
    private readonly int[] _timedNodes;                   // node index per timestamp slot (after the first)
    private readonly ulong[] _stamps;
    private readonly LayerTime[] _times;
    private readonly List<DispatchCommand> _dispatches = new();
    private DescriptorSet[] _sets = Array.Empty<DescriptorSet>();
    private CommandBuffer[]? _layerCmds;                  // one per timed node, for frame-budgeted execution
    private readonly bool _direct;
    private readonly LinkedListNode<IDisposable> _tracked;
    private bool _disposed;

    /// <summary>One thread at a time: the public entry points enter it (a frame pipeline enters it around its own use).</summary>
    internal readonly ExclusiveUse Use;

    public Session(VulkanContext context, Network network, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(network);
        context.ThrowIfDisposed();
        options ??= new SessionOptions();
        _ctx = context;
        Use = new ExclusiveUse($"Session '{network.Name}'");
        Network = options.Optimize ? Optimizer.Optimize(network) : network;
        var nodes = Network.Nodes;
        _tracked = context.Track(this);
        _weights = new MemoryArena(context, MemoryUsage.Device);
        _activations = new MemoryArena(context, MemoryUsage.Device);
        try
        {
            var sw = Stopwatch.StartNew();
            _values = PlanActivations(out ulong activationBytes);
            ActivationBytes = activationBytes;

            // Host access to inputs and outputs: directly when activations are mapped (CPU and unified-memory
            // devices), else through staging buffers copied inside the command buffer.
            bool direct = _values.Length > 0 && _values[Network.InputIds[0]].Mapped != null;
            if (!direct) _staging = new MemoryArena(context, MemoryUsage.Staging);
            _inputHost = Network.InputIds.Select(i => direct ? _values[i] : _staging!.Allocate(_values[i].Size, $"input {nodes[i].Name} staging")).ToArray();
            _outputHost = Network.OutputIds.Select(i => direct ? _values[i] : _staging!.Allocate(_values[i].Size, $"output {nodes[i].Name} staging")).ToArray();

            var dispatches = _dispatches;
            using (var uploader = new Uploader(context, _weights))
            {
                var compiler = new LayerCompiler(context, uploader, dispatches) { Winograd = options.Winograd };
                // One scratch region serves every layer that needs temporary memory: layers run one after another,
                // and the barrier tracking orders their uses of it.
                ulong scratchBytes = 0;
                foreach (var n in nodes)
                    if (!n.Layer.IsAlias && n.Layer is not InputLayer)
                        scratchBytes = Math.Max(scratchBytes, n.Layer.ScratchBytes(compiler, n.Inputs.Select(x => nodes[x].OutputShape).ToArray(), n.OutputShape));
                var scratch = scratchBytes > 0 ? _activations.Allocate(scratchBytes, "scratch") : default;
                ScratchBytes = scratchBytes;
                for (int i = 0; i < nodes.Count; i++)
                {
                    var n = nodes[i];
                    if (n.Layer.IsAlias || n.Layer is InputLayer) continue;
                    compiler.NodeIndex = i;
                    n.Layer.Compile(compiler, new NodeIO
                    {
                        Name = n.Name,
                        Inputs = n.Inputs.Select(x => _values[x]).ToArray(),
                        InputShapes = n.Inputs.Select(x => nodes[x].OutputShape).ToArray(),
                        Output = _values[i],
                        OutputShape = n.OutputShape,
                        Scratch = scratch,
                    });
                }
                uploader.Flush();
            }
            WeightBytes = _weights.BytesRequested;
            DispatchCount = dispatches.Count;

            _timedNodes = dispatches.Select(d => d.Node).Distinct().ToArray();
            _times = new LayerTime[_timedNodes.Length];
            _stamps = new ulong[_timedNodes.Length + 1];
            bool profile = options.Profile && context.DeviceInfo.TimestampsSupported;
            if (profile)
            {
                var qi = new QueryPoolCreateInfo { SType = StructureType.QueryPoolCreateInfo, QueryType = QueryType.Timestamp, QueryCount = (uint)_stamps.Length };
                QueryPool q;
                context.Vk.CreateQueryPool(context.Device, &qi, null, &q).Check("vkCreateQueryPool");
                _queries = q;
            }

            _descriptorPool = CreateDescriptorPool(dispatches);
            _pool = context.CreateCommandPool();
            _cmd = context.AllocateCommandBuffer(_pool);
            _fence = context.CreateFence();
            _direct = direct;
            _sets = dispatches.Select(WriteSet).ToArray();
            Record(dispatches, direct);
            CompileTime = sw.Elapsed;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The network as compiled (after optimisation).</summary>
    public Network Network { get; }
    public ulong WeightBytes { get; }
    /// <summary>Bytes of the activation allocation after lifetime-based reuse.</summary>
    public ulong ActivationBytes { get; }
    public int DispatchCount { get; }
    /// <summary>Bytes of scratch memory (Winograd transforms), shared by all layers.</summary>
    public ulong ScratchBytes { get; }
    /// <summary>Time taken to compile (weights, pipelines, recording).</summary>
    public TimeSpan CompileTime { get; }
    /// <summary>GPU time of the last run in ms (0 when timestamps are off).</summary>
    public double LastGpuMilliseconds { get; private set; }
    /// <summary>Per-layer GPU times of the last run (empty when timestamps are off).</summary>
    public IReadOnlyList<LayerTime> LastLayerTimes => _queries.Handle == 0 ? Array.Empty<LayerTime>() : _times;

    /// <summary>The full shape of input <paramref name="index"/> ([1, D, H, W] for the notes' images).</summary>
    public TensorShape InputShape(int index = 0) => Network.Nodes[Network.InputIds[CheckIndex(index, Network.InputIds.Count, "input")]].OutputShape;
    /// <summary>The full shape of output <paramref name="index"/>.</summary>
    public TensorShape OutputShape(int index = 0) => Network.Nodes[Network.OutputIds[CheckIndex(index, Network.OutputIds.Count, "output")]].OutputShape;
    /// <summary>The inputs' names, in index order (an imported model's graph input names).</summary>
    public IReadOnlyList<string> InputNames => _inputNames ??= Network.InputIds.Select(i => Network.Nodes[i].Name).ToArray();
    /// <summary>The outputs' names, in index order (an imported model's graph output names).</summary>
    public IReadOnlyList<string> OutputNames => _outputNames ??= Network.OutputIds.Select(i => Network.Nodes[i].Name).ToArray();
    private string[]? _inputNames, _outputNames;

    /// <summary>The index of the input called <paramref name="name"/>; throws naming the inputs there are.</summary>
    public int InputIndex(string name) => IndexOf(Network.InputIds, name, "input");
    /// <summary>The index of the output called <paramref name="name"/>; throws naming the outputs there are.</summary>
    public int OutputIndex(string name) => IndexOf(Network.OutputIds, name, "output");

    /// <summary>Copies the input called <paramref name="name"/> (its values in row-major order) into the session.</summary>
    public void SetInput(string name, ReadOnlySpan<float> data) => SetInput(data, InputIndex(name));
    /// <summary>Copies the output called <paramref name="name"/> of the last run into <paramref name="destination"/>.</summary>
    public void GetOutput(string name, Span<float> destination) => GetOutput(destination, OutputIndex(name));

    private int IndexOf(IReadOnlyList<int> ids, string name, string what)
    {
        for (int k = 0; k < ids.Count; k++)
            if (Network.Nodes[ids[k]].Name == name) return k;
        throw new ArgumentException($"The network has no {what} called '{name}'; its {what}s are {string.Join(", ", ids.Select(i => $"'{Network.Nodes[i].Name}'"))}.", nameof(name));
    }

    private static int CheckIndex(int index, int count, string what) =>
        (uint)index < (uint)count ? index : throw new ArgumentOutOfRangeException(nameof(index), $"The network has {count} {what}(s); index {index} does not exist.");

    /// <summary>Copies input <paramref name="index"/> (D×H×W floats, channel-major) into the session.</summary>
    public void SetInput(ReadOnlySpan<float> data, int index = 0)
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        if ((uint)index >= (uint)_inputHost.Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"The network has {_inputHost.Length} input(s); index {index} does not exist.");
        var shape = InputShape(index);
        if (data.Length != shape.ElementCount)
            throw new ArgumentException($"Input '{Network.Nodes[Network.InputIds[index]].Name}' expects {shape.ElementCount} floats ({Network.ShapeText(shape)}), got {data.Length}.", nameof(data));
        data.CopyTo(_inputHost[index].AsFloats());
    }

    /// <summary>The context the session was compiled for.</summary>
    internal VulkanContext Context => _ctx;

    /// <summary>
    /// Where input <paramref name="index"/> must be when <see cref="Run()"/> is submitted: the activation buffer itself
    /// where activations are host-mapped, else the staging slice that the recorded command buffer copies in first. A GPU
    /// producer (<see cref="Vision.FramePreprocessor"/>) writes here, in an earlier submission on the same queue that
    /// ends with a barrier covering compute and transfer reads.
    /// </summary>
    internal BufferSlice InputTarget(int index)
    {
        ThrowIfDisposed();
        if ((uint)index >= (uint)_inputHost.Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"The network has {_inputHost.Length} input(s); index {index} does not exist.");
        return _inputHost[index];
    }

    /// <summary>
    /// Where output <paramref name="index"/> lives on the device after the network's dispatches: GPU post-processing
    /// (<see cref="Vision.VisionTask"/>) reads it in a later command buffer on the same queue, after a compute-to-compute
    /// barrier of its own. Planned memory is never reused across runs for outputs, so it stays valid until the next run.
    /// </summary>
    internal BufferSlice OutputBuffer(int index)
    {
        ThrowIfDisposed();
        if ((uint)index >= (uint)_outputHost.Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"The network has {_outputHost.Length} output(s); index {index} does not exist.");
        return _values[Network.OutputIds[index]];
    }

    /// <summary>
    /// The recorded command buffer of a whole run, for composing into a larger submission (<see cref="Vision.FramePipeline"/>).
    /// Its input must be in place (see <see cref="InputTarget"/>) and its previous run complete; after the submission has
    /// completed, call <see cref="CompleteRun"/>.
    /// </summary>
    internal CommandBuffer Command { get { ThrowIfDisposed(); return _cmd; } }

    /// <summary>After a run submitted through <see cref="Command"/> has completed: reads its layer timestamps.</summary>
    internal void CompleteRun()
    {
        ThrowIfDisposed();
        if (_queries.Handle != 0) ReadTimestamps();
    }

    /// <summary>Number of layer command buffers (<see cref="LayerCommand"/>): one per layer that records dispatches.</summary>
    internal int LayerCount => _timedNodes.Length;

    /// <summary>
    /// Layer <paramref name="layer"/>'s dispatches as a command buffer of their own, recorded on first use: submitting
    /// layers 0..LayerCount-1 in order, in any number of submissions on the queue, is one run (without timestamps). Layer
    /// 0 copies the input in, the last layer makes the outputs host-readable. Used to split a network across frames.
    /// </summary>
    internal CommandBuffer LayerCommand(int layer)
    {
        ThrowIfDisposed();
        if (_layerCmds == null)
        {
            var cmds = new CommandBuffer[_timedNodes.Length];
            int start = 0;
            for (int l = 0; l < cmds.Length; l++)
            {
                int end = start;
                while (end < _dispatches.Count && _dispatches[end].Node == _timedNodes[l]) end++;
                cmds[l] = _ctx.AllocateCommandBuffer(_pool);
                RecordRange(cmds[l], _dispatches, start, end, _direct, false);
                start = end;
            }
            _layerCmds = cmds;
        }
        return _layerCmds[layer];
    }

    /// <summary>Copies output <paramref name="index"/> of the last run into <paramref name="destination"/>.</summary>
    public void GetOutput(Span<float> destination, int index = 0)
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        if ((uint)index >= (uint)_outputHost.Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"The network has {_outputHost.Length} output(s); index {index} does not exist.");
        var shape = OutputShape(index);
        if (destination.Length != shape.ElementCount)
            throw new ArgumentException($"Output '{Network.Nodes[Network.OutputIds[index]].Name}' has {shape.ElementCount} floats ({Network.ShapeText(shape)}); the destination holds {destination.Length}.", nameof(destination));
        _outputHost[index].AsFloats()[..destination.Length].CopyTo(destination);
    }

    /// <summary>Runs the recorded command buffer once and waits for it. No allocation.</summary>
    public void Run()
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        _ctx.SubmitAndWait(_cmd, _fence);
        if (_queries.Handle != 0) ReadTimestamps();
    }

    /// <summary>Convenience: sets the single input, runs, and returns the first output as a new array.</summary>
    public float[] Run(ReadOnlySpan<float> input)
    {
        using var use = Use.Enter();
        SetInput(input);
        Run();
        var r = new float[OutputShape().ElementCount];
        GetOutput(r);
        return r;
    }

    private void ReadTimestamps()
    {
        fixed (ulong* p = _stamps)
        {
            var r = _ctx.Vk.GetQueryPoolResults(_ctx.Device, _queries, 0, (uint)_stamps.Length, (nuint)(_stamps.Length * 8), p, 8,
                QueryResultFlags.Result64Bit | QueryResultFlags.ResultWaitBit);
            r.Check("vkGetQueryPoolResults");
        }
        double period = _ctx.DeviceInfo.TimestampPeriodNs / 1e6;
        for (int i = 0; i < _timedNodes.Length; i++)
        {
            var n = Network.Nodes[_timedNodes[i]];
            _times[i] = new LayerTime(n.Name, n.Layer.TypeName, (_stamps[i + 1] - _stamps[i]) * period);
        }
        LastGpuMilliseconds = (_stamps[^1] - _stamps[0]) * period;
    }

    // --------------------------------------------------------------------------------------------------------

    private BufferSlice[] PlanActivations(out ulong total)
    {
        var nodes = Network.Nodes;
        int n = nodes.Count;
        foreach (var node in nodes)
            if (!node.Layer.IsAlias && (ulong)node.OutputShape.ElementCount * 4 > _ctx.DeviceInfo.MaxStorageBufferRange)
                throw new ArgumentException($"{node.Name}: output {Network.ShapeText(node.OutputShape)} needs {node.OutputShape.ElementCount * 4:N0} bytes; " +
                                            $"{_ctx.DeviceInfo.Name} binds at most {_ctx.DeviceInfo.MaxStorageBufferRange:N0} (maxStorageBufferRange). Use a smaller input.");
        ulong align = Math.Max(16UL, _ctx.DeviceInfo.MinStorageBufferOffsetAlignment);
        var (root, owners, items, offsets, size) = MemoryPlanner.PlanNetwork(Network, align);
        total = size;
        var arena = _activations.Allocate(Math.Max(size, 16), "activations");
        var values = new BufferSlice[n];
        for (int k = 0; k < owners.Length; k++)
            values[owners[k]] = arena.Sub(offsets[k], Math.Max(16UL, (items[k].Size + 15) & ~15UL));
        for (int i = 0; i < n; i++) values[i] = values[root[i]];
        return values;
    }

    private DescriptorPool CreateDescriptorPool(List<DispatchCommand> dispatches)
    {
        uint sets = (uint)Math.Max(1, dispatches.Count);
        uint descriptors = (uint)Math.Max(1, dispatches.Sum(d => d.Bindings.Length));
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

    private void Record(List<DispatchCommand> dispatches, bool direct) =>
        RecordRange(_cmd, dispatches, 0, dispatches.Count, direct, _queries.Handle != 0);

    /// <summary>
    /// Records dispatches [<paramref name="from"/>, <paramref name="to"/>) into <paramref name="cmd"/>: the input copy when
    /// the range starts the network, the output copy and host barrier when it ends it. A range that starts later begins
    /// with a barrier against the previous range, which ran in an earlier submission on the same queue.
    /// </summary>
    private void RecordRange(CommandBuffer cmd, List<DispatchCommand> dispatches, int from, int to, bool direct, bool timed)
    {
        var vk = _ctx.Vk;
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
        vk.BeginCommandBuffer(cmd, &bi).Check("vkBeginCommandBuffer");
        if (timed) vk.CmdResetQueryPool(cmd, _queries, 0, (uint)_stamps.Length);
        if (from > 0)
        {
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit);
        }

        if (!direct && from == 0)
        {
            for (int i = 0; i < _inputHost.Length; i++)
            {
                var dst = _values[Network.InputIds[i]];
                var region = new BufferCopy(_inputHost[i].Offset, dst.Offset, dst.Size);
                vk.CmdCopyBuffer(cmd, _inputHost[i].Buffer, dst.Buffer, 1, &region);
            }
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
            var d = dispatches[di];
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
            bool lastOfNode = di + 1 == to || dispatches[di + 1].Node != d.Node;
            if (timed && lastOfNode) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _queries, (uint)++slot);
        }

        if (to < dispatches.Count)
        {
            // A later range continues in a later submission; it starts with its own barrier.
        }
        else if (direct)
        {
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.HostBit, AccessFlags.HostReadBit);
        }
        else
        {
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.TransferBit, AccessFlags.TransferReadBit);
            for (int i = 0; i < _outputHost.Length; i++)
            {
                var src = _values[Network.OutputIds[i]];
                var region = new BufferCopy(src.Offset, _outputHost[i].Offset, src.Size);
                vk.CmdCopyBuffer(cmd, src.Buffer, _outputHost[i].Buffer, 1, &region);
            }
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.HostBit, AccessFlags.HostReadBit);
        }
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
    }

    private void ThrowIfDisposed()
    {
        _ctx.ThrowIfDisposed();
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    /// <summary>Frees everything the session holds; idempotent, and a no-op once its context has been disposed (which disposed it).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        using var use = Use.Enter();
        _disposed = true;
        _ctx.Untrack(_tracked);
        var vk = _ctx.Vk;
        // The command buffer may still be in flight after an exception: wait for its fence first.
        if (_fence.Handle != 0)
        {
            var f = _fence;
            vk.WaitForFences(_ctx.Device, 1, &f, true, 10_000_000_000UL);
            vk.DestroyFence(_ctx.Device, _fence, null);
        }
        if (_pool.Handle != 0) vk.DestroyCommandPool(_ctx.Device, _pool, null);
        if (_descriptorPool.Handle != 0) vk.DestroyDescriptorPool(_ctx.Device, _descriptorPool, null);
        if (_queries.Handle != 0) vk.DestroyQueryPool(_ctx.Device, _queries, null);
        _staging?.Dispose();
        _activations?.Dispose();
        _weights?.Dispose();
    }
}
