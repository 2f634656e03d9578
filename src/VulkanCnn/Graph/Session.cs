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
    /// <summary>
    /// Compile for batches up to this size (the network rebuilt at this batch, <see cref="Network.WithBatch"/>); any batch
    /// from 1 up to it then runs through <see cref="Session.Run(int)"/>. Null: the network's own batch is the largest.
    /// </summary>
    public int? MaxBatch { get; init; }
}

/// <summary>GPU time of one layer in the last run.</summary>
public sealed record LayerTime(string Name, string Type, double Milliseconds);

/// <summary>
/// Runs a <see cref="Network"/> on a <see cref="VulkanContext"/>. Creating a session uploads the weights, plans the
/// activation memory, builds the pipelines and records one command buffer; <see cref="Run()"/> only writes the
/// inputs, submits that command buffer and waits. A session runs any batch from 1 to <see cref="MaxBatch"/>
/// (<see cref="Run(int)"/>): the weights, memory and pipelines are shared, and each batch size gets a command buffer of
/// its own, recorded on its first run (or by <see cref="Prepare"/>). Not thread-safe: use one session per thread.
/// </summary>
public sealed unsafe class Session : IDisposable
{
    private readonly VulkanContext _ctx;
    private readonly MemoryArena _weights, _activations;
    private readonly MemoryArena? _staging;
    private readonly WeightCache _weightCache = new();
    private readonly BufferSlice[] _values;              // per node: where its output lives (sized for MaxBatch)
    private readonly BufferSlice[] _inputHost, _outputHost;
    private readonly BufferSlice _scratch;
    private readonly Fence _fence;
    private readonly bool _direct, _profile, _winograd;
    private readonly int? _batch;                          // the inputs' shared first dimension; null when they have none
    private readonly Recording?[] _recordings;            // per batch size (index 1..MaxBatch)
    private readonly Network?[] _networks;                // per batch size, made on first use
    private readonly int[] _inputItems;                   // batch items last written by SetInput per input (0: none)
    private Recording? _last;
    private double[] _layerMs = Array.Empty<double>();
    private LayerTime[]? _times;
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
        if (options.MaxBatch is int max) network = network.WithBatch(max);
        Network = options.Optimize ? Optimizer.Optimize(network) : network;
        try { _batch = Network.Inputs.Any(n => n.OutputShape.Rank > 0) ? Network.Batch : null; }
        catch (ArgumentException) { _batch = null; }
        _recordings = new Recording?[MaxBatch + 1];
        _networks = new Network?[MaxBatch + 1];
        _networks[MaxBatch] = Network;
        _inputItems = new int[Network.InputIds.Count];
        _profile = options.Profile && context.DeviceInfo.TimestampsSupported;
        _winograd = options.Winograd;
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
            _direct = _values.Length > 0 && _values[Network.InputIds[0]].Mapped != null;
            if (!_direct) _staging = new MemoryArena(context, MemoryUsage.Staging);
            _inputHost = Network.InputIds.Select(i => _direct ? _values[i] : _staging!.Allocate(_values[i].Size, $"input {nodes[i].Name} staging")).ToArray();
            _outputHost = Network.OutputIds.Select(i => _direct ? _values[i] : _staging!.Allocate(_values[i].Size, $"output {nodes[i].Name} staging")).ToArray();

            // One scratch region serves every layer that needs temporary memory: layers run one after another, and the
            // barrier tracking orders their uses of it. Smaller batches need no more than the largest.
            using (var probe = new Uploader(context, _weights))
                ScratchBytes = ScratchNeeded(Network, new LayerCompiler(context, probe, new List<DispatchCommand>()) { Winograd = _winograd });
            _scratch = ScratchBytes > 0 ? _activations.Allocate(ScratchBytes, "scratch") : default;
            _fence = context.CreateFence();
            _last = _recordings[MaxBatch] = Record(MaxBatch);
            DispatchCount = _last.DispatchCount;
            CompileTime = sw.Elapsed;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The network as compiled (after optimisation), at <see cref="MaxBatch"/>.</summary>
    public Network Network { get; }
    /// <summary>Bytes of uploaded weights (each distinct constant once, whatever the batch sizes run).</summary>
    public ulong WeightBytes => _weights.BytesRequested;
    /// <summary>Bytes of the activation allocation after lifetime-based reuse (planned for <see cref="MaxBatch"/>).</summary>
    public ulong ActivationBytes { get; }
    /// <summary>Dispatches of a run at <see cref="MaxBatch"/>.</summary>
    public int DispatchCount { get; }
    /// <summary>Bytes of scratch memory (Winograd transforms), shared by all layers.</summary>
    public ulong ScratchBytes { get; }
    /// <summary>Time taken to compile (weights, pipelines, recording).</summary>
    public TimeSpan CompileTime { get; }
    /// <summary>GPU time of the last run in ms (0 when timestamps are off).</summary>
    public double LastGpuMilliseconds { get; private set; }

    /// <summary>
    /// The largest batch a run may take: the first dimension the network's inputs share (what <see cref="SessionOptions.MaxBatch"/>
    /// set, else the network's own). 1 for a network whose inputs are scalars or do not share a first dimension.
    /// </summary>
    public int MaxBatch => _batch ?? 1;

    /// <summary>The batch of the last run (<see cref="MaxBatch"/> before the first).</summary>
    public int LastBatch { get; private set; }

    /// <summary>Per-layer GPU times of the last run (empty when timestamps are off).</summary>
    public IReadOnlyList<LayerTime> LastLayerTimes
    {
        get
        {
            if (_last == null || !_last.Profiled) return Array.Empty<LayerTime>();
            if (_times == null)
            {
                var net = NetworkAt(LastBatch);
                _times = new LayerTime[_last.TimedNodes.Length];
                for (int i = 0; i < _times.Length; i++)
                {
                    var n = net.Nodes[_last.TimedNodes[i]];
                    _times[i] = new LayerTime(n.Name, n.Layer.TypeName, _layerMs[i]);
                }
            }
            return _times;
        }
    }

    /// <summary>The full shape of input <paramref name="index"/> at <see cref="MaxBatch"/> ([1, D, H, W] for the notes' images).</summary>
    public TensorShape InputShape(int index = 0) => Network.Nodes[Network.InputIds[CheckIndex(index, Network.InputIds.Count, "input")]].OutputShape;
    /// <summary>The full shape of output <paramref name="index"/> at <see cref="MaxBatch"/>.</summary>
    public TensorShape OutputShape(int index = 0) => Network.Nodes[Network.OutputIds[CheckIndex(index, Network.OutputIds.Count, "output")]].OutputShape;
    /// <summary>The full shape of input <paramref name="index"/> for a run of <paramref name="batch"/>.</summary>
    public TensorShape InputShape(int index, int batch) => NetworkAt(batch).Nodes[Network.InputIds[CheckIndex(index, Network.InputIds.Count, "input")]].OutputShape;
    /// <summary>The full shape of output <paramref name="index"/> for a run of <paramref name="batch"/>.</summary>
    public TensorShape OutputShape(int index, int batch) => NetworkAt(batch).Nodes[Network.OutputIds[CheckIndex(index, Network.OutputIds.Count, "output")]].OutputShape;
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

    /// <summary>
    /// Copies input <paramref name="index"/> (row-major, in the model's layout; for the notes' images D×H×W floats per
    /// image) into the session: the whole batch, or the first k items of it for a run of batch k (<see cref="Run(int)"/>).
    /// </summary>
    public void SetInput(ReadOnlySpan<float> data, int index = 0)
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        CheckIndex(index, _inputHost.Length, "input");
        var shape = InputShape(index);
        int items = ItemsIn(shape, data.Length);
        if (items == 0)
        {
            string name = Network.Nodes[Network.InputIds[index]].Name;
            throw new ArgumentException(_batch != null && shape.Rank > 0 && MaxBatch > 1
                ? $"Input '{name}' expects {shape.ElementCount / MaxBatch} floats per batch item ({shape.With(0, 1)}) for 1 to {MaxBatch} items ({Network.ShapeText(shape)} is {shape.ElementCount}), got {data.Length}."
                : $"Input '{name}' expects {shape.ElementCount} floats ({Network.ShapeText(shape)}), got {data.Length}.", nameof(data));
        }
        data.CopyTo(_inputHost[index].AsFloats());
        _inputItems[index] = shape.Rank > 0 ? items : 0;
    }

    /// <summary>How many batch items <paramref name="length"/> floats of an input of <paramref name="shape"/> hold (0: not a whole number from 1 to MaxBatch).</summary>
    private int ItemsIn(TensorShape shape, int length)
    {
        if (length == shape.ElementCount) return _batch != null && shape.Rank > 0 ? MaxBatch : 1;
        if (_batch == null || shape.Rank == 0 || shape.ElementCount == 0) return 0;
        long item = shape.ElementCount / MaxBatch;
        return length > 0 && length % item == 0 && length / item <= MaxBatch ? (int)(length / item) : 0;
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
        return _inputHost[CheckIndex(index, _inputHost.Length, "input")];
    }

    /// <summary>
    /// Where output <paramref name="index"/> lives on the device after the network's dispatches: GPU post-processing
    /// (<see cref="Vision.VisionTask"/>) reads it in a later command buffer on the same queue, after a compute-to-compute
    /// barrier of its own. Planned memory is never reused across runs for outputs, so it stays valid until the next run.
    /// </summary>
    internal BufferSlice OutputBuffer(int index)
    {
        ThrowIfDisposed();
        return _values[Network.OutputIds[CheckIndex(index, _outputHost.Length, "output")]];
    }

    /// <summary>
    /// The recorded command buffer of a whole run at <see cref="MaxBatch"/>, for composing into a larger submission
    /// (<see cref="Vision.FramePipeline"/>). Its input must be in place (see <see cref="InputTarget"/>) and its previous
    /// run complete; after the submission has completed, call <see cref="CompleteRun"/>.
    /// </summary>
    internal CommandBuffer Command { get { ThrowIfDisposed(); return _recordings[MaxBatch]!.Command; } }

    /// <summary>After a run submitted through <see cref="Command"/> has completed: reads its layer timestamps.</summary>
    internal void CompleteRun()
    {
        ThrowIfDisposed();
        Completed(_recordings[MaxBatch]!, MaxBatch);
    }

    /// <summary>Number of layer command buffers (<see cref="LayerCommand"/>): one per layer that records dispatches.</summary>
    internal int LayerCount => _recordings[MaxBatch]!.TimedNodes.Length;

    /// <summary>
    /// Layer <paramref name="layer"/>'s dispatches (at <see cref="MaxBatch"/>) as a command buffer of their own, recorded
    /// on first use: submitting layers 0..LayerCount-1 in order, in any number of submissions on the queue, is one run
    /// (without timestamps). Used to split a network across frames.
    /// </summary>
    internal CommandBuffer LayerCommand(int layer)
    {
        ThrowIfDisposed();
        return _recordings[MaxBatch]!.LayerCommand(layer);
    }

    /// <summary>
    /// Copies output <paramref name="index"/> of the last run into <paramref name="destination"/>, which holds exactly
    /// that output at the last run's batch.
    /// </summary>
    public void GetOutput(Span<float> destination, int index = 0)
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        CheckIndex(index, _outputHost.Length, "output");
        var shape = OutputShape(index, LastBatch == 0 ? MaxBatch : LastBatch);
        if (destination.Length != shape.ElementCount)
            throw new ArgumentException($"Output '{Network.Nodes[Network.OutputIds[index]].Name}' has {shape.ElementCount} floats ({Network.ShapeText(shape)}" +
                                        $"{(MaxBatch > 1 ? $", batch {(LastBatch == 0 ? MaxBatch : LastBatch)}" : "")}); the destination holds {destination.Length}.", nameof(destination));
        _outputHost[index].AsFloats()[..destination.Length].CopyTo(destination);
    }

    /// <summary>Runs the whole batch (<see cref="MaxBatch"/>) once and waits for it. No allocation.</summary>
    public void Run() => Run(MaxBatch);

    /// <summary>
    /// Runs a batch of <paramref name="batch"/> items (1 to <see cref="MaxBatch"/>): the first items of each input, written
    /// by <see cref="SetInput(ReadOnlySpan{float}, int)"/> with that many items, and the outputs at that batch. The first
    /// run of a batch size records its command buffer (see <see cref="Prepare"/>); later runs allocate nothing.
    /// </summary>
    public void Run(int batch)
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        var rec = RecordingFor(batch);
        for (int i = 0; i < _inputItems.Length; i++)
            if (_inputItems[i] != 0 && _inputItems[i] != batch)
                throw new ArgumentException($"Input '{Network.Nodes[Network.InputIds[i]].Name}' holds {_inputItems[i]} batch item(s) and the run is for {batch}: " +
                                            $"set it with {batch} item(s) ({InputShape(i, batch)}) or run Run({_inputItems[i]}).", nameof(batch));
        _ctx.SubmitAndWait(rec.Command, _fence);
        Completed(rec, batch);
    }

    /// <summary>Records the command buffer for runs of <paramref name="batch"/> now rather than on its first run.</summary>
    public void Prepare(int batch)
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        RecordingFor(batch);
    }

    /// <summary>Convenience: sets the single input (the whole batch or its first k items), runs that batch, and returns the first output as a new array.</summary>
    public float[] Run(ReadOnlySpan<float> input)
    {
        using var use = Use.Enter();
        SetInput(input);
        int batch = _inputItems[0] == 0 ? MaxBatch : _inputItems[0];
        Run(batch);
        var r = new float[OutputShape(0, batch).ElementCount];
        GetOutput(r);
        return r;
    }

    private void Completed(Recording rec, int batch)
    {
        _last = rec;
        LastBatch = batch;
        if (!rec.Profiled) return;
        if (_layerMs.Length != rec.TimedNodes.Length) _layerMs = new double[rec.TimedNodes.Length];
        LastGpuMilliseconds = rec.ReadTimestamps(_layerMs);
        _times = null;
    }

    private Network NetworkAt(int batch)
    {
        CheckBatch(batch);
        return _networks[batch] ??= Network.WithBatch(batch);
    }

    private void CheckBatch(int batch)
    {
        if (batch < 1 || batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, _batch == null
                ? $"The network's inputs have no shared batch dimension ({string.Join(", ", Network.Inputs.Select(i => $"{i.Name} {i.OutputShape}"))}); it runs as a whole (batch 1)."
                : $"The session runs batches of 1 to {MaxBatch} (SessionOptions.MaxBatch, or the network's batch); {batch} is outside.");
    }

    private Recording RecordingFor(int batch)
    {
        CheckBatch(batch);
        return _recordings[batch] ??= Record(batch);
    }

    /// <summary>
    /// Compiles every layer for <paramref name="batch"/> into a dispatch list over the planned memory (planned for MaxBatch:
    /// every tensor of a smaller batch fits in its slice) and records it. Weights already uploaded are found by content.
    /// </summary>
    private Recording Record(int batch)
    {
        var net = NetworkAt(batch);
        var nodes = net.Nodes;
        var dispatches = new List<DispatchCommand>();
        using (var uploader = new Uploader(_ctx, _weights, _weightCache))
        {
            var compiler = new LayerCompiler(_ctx, uploader, dispatches) { Winograd = _winograd };
            if (batch != MaxBatch && ScratchNeeded(net, compiler) > ScratchBytes)
                throw new InvalidOperationException($"Network '{Network.Name}' at batch {batch} needs more scratch memory than at batch {MaxBatch}.");
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
                    Scratch = _scratch,
                });
            }
            uploader.Flush();
        }
        var copyIn = _direct ? Array.Empty<HostCopy>() : net.InputIds.Select((id, k) => new HostCopy(_inputHost[k], _values[id], Bytes(nodes[id].OutputShape))).ToArray();
        var copyOut = _direct ? Array.Empty<HostCopy>() : net.OutputIds.Select((id, k) => new HostCopy(_values[id], _outputHost[k], Bytes(nodes[id].OutputShape))).ToArray();
        return new Recording(_ctx, dispatches, copyIn, copyOut, _direct, _profile);
    }

    private static ulong Bytes(TensorShape s) => Math.Max(4UL, (ulong)s.ElementCount * 4);

    private static ulong ScratchNeeded(Network net, LayerCompiler compiler)
    {
        var nodes = net.Nodes;
        ulong bytes = 0;
        foreach (var n in nodes)
            if (!n.Layer.IsAlias && n.Layer is not InputLayer)
                bytes = Math.Max(bytes, n.Layer.ScratchBytes(compiler, n.Inputs.Select(x => nodes[x].OutputShape).ToArray(), n.OutputShape));
        return bytes;
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
        if (_recordings != null)
            foreach (var r in _recordings) r?.Dispose();
        _staging?.Dispose();
        _activations?.Dispose();
        _weights?.Dispose();
    }
}
