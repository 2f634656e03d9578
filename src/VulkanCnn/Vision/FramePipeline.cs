// The frame pipeline: a host-rendered VkImage (or a CPU frame) in, a VisionTask run asynchronously on it, the latest
// result drawn over the frame into an output image, without the render loop ever waiting on the CPU for inference.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Vulkan;
using Image = Silk.NET.Vulkan.Image;
using Semaphore = Silk.NET.Vulkan.Semaphore;

namespace VulkanCnn.Vision;

/// <summary>
/// A host-owned image handed over for one frame. Format R8G8B8A8 or B8G8R8A8, UNORM or SRGB; its usage must include
/// TRANSFER_SRC. <see cref="Layout"/> is the layout it is in when <see cref="WaitSemaphore"/> signals; it is left in that
/// layout. See docs/vision-pipeline.md for the synchronisation contract.
/// </summary>
public sealed record RenderFrame(Image Image, Format Format, int Width, int Height, ImageLayout Layout)
{
    /// <summary>Signalled by the host when rendering into <see cref="Image"/> is done (binary or timeline); null handle: no wait.</summary>
    public Semaphore WaitSemaphore { get; init; }
    /// <summary>Timeline value to wait for; 0 means <see cref="WaitSemaphore"/> is a binary semaphore.</summary>
    public ulong WaitValue { get; init; }
    /// <summary>Signalled by VulkanCnn when it no longer reads <see cref="Image"/> and the output image is ready; null handle: none.</summary>
    public Semaphore SignalSemaphore { get; init; }
    /// <summary>Timeline value to signal; 0 means <see cref="SignalSemaphore"/> is a binary semaphore.</summary>
    public ulong SignalValue { get; init; }
}

/// <summary>How a <see cref="FramePipeline"/> schedules inference and what it draws.</summary>
public sealed record FramePipelineOptions
{
    /// <summary>Start inference on every n-th frame only (frames n, 2n, …; default 1 = every frame).</summary>
    public int EveryNthFrame { get; init; } = 1;
    /// <summary>Split the network's layers across frames so that each frame submits at most about this much GPU time.</summary>
    public double? GpuBudgetMs { get; init; }
    /// <summary>Draw the latest result into the output (default true).</summary>
    public bool Overlay { get; init; } = true;
    /// <summary>
    /// Frames per second and per-stage GPU latency (<see cref="FrameStats"/>) as a <see cref="Vision.Hud"/> panel in the
    /// top-left corner of the output, refreshed four times a second.
    /// </summary>
    public bool Hud { get; init; }
    /// <summary>
    /// The queue family the host uses the output image on. When it differs from VulkanCnn's
    /// (<see cref="VulkanContext.QueueFamilyIndex"/>), the output image is created with CONCURRENT sharing over both.
    /// </summary>
    public uint? HostQueueFamily { get; init; }
}

/// <summary>Per-stage GPU times of the latest measured frame and inference, in milliseconds, and frame counters.</summary>
public readonly record struct FrameStats
{
    /// <summary>Copying the frame in (image or staging buffer to the frame buffer, format conversion).</summary>
    public double UploadMs { get; init; }
    /// <summary>Resize and normalisation into the model input.</summary>
    public double PreprocessMs { get; init; }
    /// <summary>The network (GPU timestamps of its last full run; in budget mode the sum of the layer groups).</summary>
    public double InferenceMs { get; init; }
    /// <summary>The task's GPU post-processing.</summary>
    public double PostprocessMs { get; init; }
    /// <summary>Drawing the overlay and copying to the output image.</summary>
    public double OverlayMs { get; init; }
    /// <summary>Frames submitted per second (host clock, smoothed).</summary>
    public double Fps { get; init; }
    public long FramesSubmitted { get; init; }
    /// <summary>Frames whose input went into an inference.</summary>
    public long FramesInferred { get; init; }
    /// <summary>Frames on which an inference was due but the previous one was still running (latest frame wins).</summary>
    public long FramesSkipped { get; init; }
}

/// <summary>
/// Runs a <see cref="VisionTask"/> on a stream of frames (host-rendered VkImages or CPU frames) without the caller ever
/// waiting for inference: each <see cref="Submit(RenderFrame)"/> records and submits the frame's own GPU work (copy in,
/// pre-processing when an inference starts, the overlay of the newest finished result, copy to <see cref="OutputImage"/>)
/// and, in the same vkQueueSubmit, the network and the task's post-processing as a second batch; completion is polled
/// (timeline semaphore counter or fence status), never waited for. Only one inference is in flight: when one is due
/// while the previous is still running, that frame is skipped (latest frame wins; <see cref="FrameStats.FramesSkipped"/>).
/// With <see cref="FramePipelineOptions.GpuBudgetMs"/> the network is split by layer across frames. Not thread-safe.
/// The task (and its session) must outlive the pipeline; the pipeline does not dispose it.
/// </summary>
/// <remarks>
/// The synchronisation contract (layouts, stages, semaphores, queue families, lifetimes) is in docs/vision-pipeline.md.
/// After a frame's <see cref="RenderFrame.SignalSemaphore"/> has signalled, <see cref="OutputImage"/> is in
/// SHADER_READ_ONLY_OPTIMAL and holds that frame with the overlay; the host must finish reading it before the
/// <see cref="RenderFrame.WaitSemaphore"/> of a later frame signals.
/// </remarks>
public sealed unsafe class FramePipeline : IDisposable
{
    private const int Slots = 3;                 // frames in flight
    private const int FrameQueries = 5;          // start, after upload, after preprocess, after overlay, after output copy
    private const int InferQueries = 3;          // before the network, after it, after post-processing

    private readonly VulkanContext _ctx;
    private readonly VisionTask _task;
    private readonly Session _session;
    private readonly FramePipelineOptions _options;
    private readonly MemoryArena _deviceArena, _stagingArena;
    private readonly BufferSlice[] _canvas = new BufferSlice[Slots];  // packed RGBA8 frame: overlay target, output source
    private readonly BufferSlice[] _raw = new BufferSlice[Slots];     // CPU frames and BGRA images before conversion
    private BufferSlice _readback;
    private readonly FramePreprocessor _pre;
    private readonly OverlayRenderer _overlay;
    private readonly OverlayScene _scene = new();
    private readonly Hud? _hud;
    private double _hudUpdatedS = double.NegativeInfinity;
    private readonly DescriptorPool _convertPool;
    private readonly Dictionary<PixelFormat, (Kernel Kernel, DescriptorSet[] Sets)> _convert = new();

    private readonly CommandPool _pool;
    private readonly CommandBuffer[] _frameCmds = new CommandBuffer[Slots];
    private readonly CommandBuffer _inferBegin, _inferMid, _postBegin, _inferEnd, _postCmd;
    private readonly Fence[] _frameFences = new Fence[Slots];
    private readonly Fence _inferFence;
    private readonly Semaphore _frameTimeline, _inferTimeline;
    private readonly QueryPool _frameQueries, _inferQueries;
    private readonly bool _timeline, _timed;

    private readonly Image _outputImage;
    private readonly DeviceMemory _outputMemory;
    private readonly ImageView _outputView;
    private bool _outputInitialised;

    // Frame slots.
    private readonly ulong[] _slotValue = new ulong[Slots];
    private readonly bool[] _slotBusy = new bool[Slots];
    private readonly bool[] _slotStamped = new bool[Slots];
    private readonly bool[] _slotPreprocessed = new bool[Slots];
    private readonly bool[] _slotDrawn = new bool[Slots];
    private ulong _frameSeq;
    private long _frameNumber;
    private int _lastSlot = -1;

    // Inference.
    private bool _inferActive, _inferPending, _inferFull;
    private long _inferFrameNumber;
    private ulong _inferSeq;
    private int _layerNext;
    private double[]? _layerMs;
    private bool _measured;                      // budget mode: the first (whole, timed) run has completed

    // Statistics.
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _lastSubmitS = -1, _fps;
    private double _uploadMs, _preprocessMs, _inferenceMs, _postprocessMs, _overlayMs;
    private long _inferred, _skipped;
    private readonly ulong[] _stamps = new ulong[FrameQueries];
    private bool _disposed;

    /// <summary>
    /// Creates a pipeline for frames of <paramref name="width"/>×<paramref name="height"/> running <paramref name="task"/>
    /// on <paramref name="context"/> (the context the task's session was compiled for).
    /// </summary>
    public FramePipeline(VulkanContext context, VisionTask task, int width, int height, FramePipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(task);
        context.ThrowIfDisposed();
        options ??= new FramePipelineOptions();
        if (width <= 0 || height <= 0) throw new ArgumentException($"Frame size {width}x{height} must be positive.");
        if (options.EveryNthFrame < 1) throw new ArgumentException($"EveryNthFrame is {options.EveryNthFrame}; it must be 1 or more.", nameof(options));
        if (options.GpuBudgetMs is double b && !(b > 0 && double.IsFinite(b)))
            throw new ArgumentException($"GpuBudgetMs is {b}; it must be a positive number of milliseconds (or null for whole runs).", nameof(options));
        var session = task.Session ?? throw new ArgumentException($"Task '{task.Name}' has no session.", nameof(task));
        if (!ReferenceEquals(session.Context, context))
            throw new ArgumentException($"Task '{task.Name}' was compiled for another VulkanContext; a pipeline runs on the context of its task's session.", nameof(task));
        ulong frameBytes = (ulong)width * (ulong)height * 4;
        if (frameBytes > context.DeviceInfo.MaxStorageBufferRange)
            throw new ArgumentException($"A {width}x{height} RGBA8 frame needs {frameBytes:N0} bytes; {context.DeviceInfo.Name} binds at most {context.DeviceInfo.MaxStorageBufferRange:N0} (maxStorageBufferRange).");

        _ctx = context;
        _task = task;
        _session = session;
        _options = options;
        Width = width;
        Height = height;
        _timeline = context.TimelineSemaphores;
        _timed = context.DeviceInfo.TimestampsSupported;
        var vk = context.Vk;
        _deviceArena = new MemoryArena(context, MemoryUsage.Device);
        _stagingArena = new MemoryArena(context, MemoryUsage.Staging);
        try
        {
            for (int i = 0; i < Slots; i++)
            {
                // Rounded up to whole 16-byte groups: the BGRA swizzle moves 4 pixels per lane.
                _canvas[i] = _deviceArena.Allocate((frameBytes + 15) & ~15UL, $"pipeline frame {i}");
                _raw[i] = _stagingArena.Allocate((frameBytes + 15) & ~15UL, $"pipeline upload {i}");
            }
            _pre = new FramePreprocessor(session, 0, width, height, PixelFormat.Rgba8, task.Input, _canvas);
            _overlay = new OverlayRenderer(context, width, height, _canvas);
            if (options.Hud) _hud = new Hud(width, height);
            _convertPool = CreateConvertPool();

            _pool = context.CreateCommandPool();
            for (int i = 0; i < Slots; i++)
            {
                _frameCmds[i] = context.AllocateCommandBuffer(_pool);
                _frameFences[i] = context.CreateFence();
            }
            _inferFence = context.CreateFence();
            if (_timeline)
            {
                _frameTimeline = CreateTimeline();
                _inferTimeline = CreateTimeline();
            }
            if (_timed)
            {
                _frameQueries = CreateQueries(Slots * FrameQueries);
                _inferQueries = CreateQueries(InferQueries);
            }
            _inferBegin = RecordInferStamp(reset: true, stamp: 0, barrier: true);
            _inferMid = RecordInferStamp(reset: false, stamp: 1, barrier: false);
            _postBegin = RecordInferStamp(reset: true, stamp: 1, barrier: false);
            _inferEnd = RecordInferStamp(reset: false, stamp: 2, barrier: false);
            _postCmd = context.AllocateCommandBuffer(_pool);
            var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
            vk.BeginCommandBuffer(_postCmd, &bi).Check("vkBeginCommandBuffer");
            task.RecordPostprocess(_postCmd);
            vk.EndCommandBuffer(_postCmd).Check("vkEndCommandBuffer");

            (_outputImage, _outputMemory, _outputView) = CreateOutputImage(options.HostQueueFamily);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Frame width in pixels.</summary>
    public int Width { get; }
    /// <summary>Frame height in pixels.</summary>
    public int Height { get; }

    /// <summary>
    /// The frame with the overlay: R8G8B8A8_UNORM, Width×Height, usage SAMPLED | TRANSFER_SRC | TRANSFER_DST, holding the
    /// bytes of the input frame (an sRGB input's bytes are copied as they are, so sample it through an SRGB view or treat
    /// it as sRGB-encoded). After a frame's SignalSemaphore it is in SHADER_READ_ONLY_OPTIMAL; before the first frame its
    /// layout is UNDEFINED.
    /// </summary>
    public Image OutputImage => _outputImage;

    /// <summary>A 2D view of <see cref="OutputImage"/> (R8G8B8A8_UNORM).</summary>
    public ImageView OutputView => _outputView;

    /// <summary>The newest completed result; its <see cref="VisionResult.FrameNumber"/> is the frame whose input it used.</summary>
    public VisionResult? Latest { get; private set; }

    /// <summary>Per-stage GPU times of the latest measured frame and inference, fps, and frame counters.</summary>
    public FrameStats Stats => new()
    {
        UploadMs = _uploadMs, PreprocessMs = _preprocessMs, InferenceMs = _inferenceMs, PostprocessMs = _postprocessMs,
        OverlayMs = _overlayMs, Fps = _fps, FramesSubmitted = _frameNumber, FramesInferred = _inferred, FramesSkipped = _skipped,
    };

    /// <summary>True while an inference is running (started and not yet read back).</summary>
    public bool InferenceInFlight => _inferActive;

    /// <summary>
    /// Submits a host-rendered frame and returns its frame number (1, 2, …). Never waits for inference; it waits only
    /// when the GPU is still working on the frame submitted three frames earlier (its slot is reused).
    /// </summary>
    /// <exception cref="ArgumentException">The frame's size, format or layout is not one the pipeline accepts (the message says which).</exception>
    public long Submit(RenderFrame frame)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Image.Handle == 0) throw new ArgumentException("The render frame has a null image.", nameof(frame));
        if (frame.Width != Width || frame.Height != Height)
            throw new ArgumentException($"The render frame is {frame.Width}x{frame.Height}; this pipeline takes {Width}x{Height} frames.", nameof(frame));
        bool bgra = frame.Format switch
        {
            Format.R8G8B8A8Unorm or Format.R8G8B8A8Srgb => false,
            Format.B8G8R8A8Unorm or Format.B8G8R8A8Srgb => true,
            _ => throw new ArgumentException($"Render frame format {frame.Format} is not supported: use R8G8B8A8 or B8G8R8A8, UNORM or SRGB.", nameof(frame)),
        };
        if (frame.Layout is ImageLayout.Undefined or ImageLayout.Preinitialized)
            throw new ArgumentException($"Render frame layout {frame.Layout} holds no defined content; pass the layout the image is in when WaitSemaphore signals.", nameof(frame));
        if ((frame.WaitValue != 0 || frame.SignalValue != 0) && !_ctx.TimelineSemaphores)
            throw new ArgumentException("The render frame uses timeline values but timeline semaphores are not enabled on this context " +
                                        "(adopted devices: pass timelineSemaphoresEnabled: true to the VulkanContext constructor).", nameof(frame));
        if (frame.WaitValue != 0 && frame.WaitSemaphore.Handle == 0) throw new ArgumentException("WaitValue is set but WaitSemaphore is null.", nameof(frame));
        if (frame.SignalValue != 0 && frame.SignalSemaphore.Handle == 0) throw new ArgumentException("SignalValue is set but SignalSemaphore is null.", nameof(frame));
        return SubmitFrame(frame, bgra ? PixelFormat.Bgra8 : PixelFormat.Rgba8, default);
    }

    /// <summary>
    /// Submits a CPU frame (webcam, video) of Width×Height in <paramref name="format"/>: it is copied into the next staging
    /// slot and converted on the GPU. Returns its frame number. Never waits for inference.
    /// </summary>
    public long Submit(ReadOnlySpan<byte> frame, PixelFormat format)
    {
        ThrowIfDisposed();
        long bytes = FramePreprocessor.FrameBytes(Width, Height, format);
        if (frame.Length != bytes)
            throw new ArgumentException($"A {Width}x{Height} {format} frame has {bytes} bytes; got {frame.Length}.", nameof(frame));
        return SubmitFrame(null, format, frame);
    }

    /// <summary>
    /// Copies the output of the last submitted frame (Width·Height·4 RGBA bytes) into <paramref name="rgba"/>, waiting for
    /// that frame's own GPU work only (not for a running inference).
    /// </summary>
    public void ReadOutput(Span<byte> rgba)
    {
        ThrowIfDisposed();
        int bytes = Width * Height * 4;
        if (rgba.Length != bytes)
            throw new ArgumentException($"An RGBA8 frame of {Width}x{Height} has {bytes} bytes; the destination holds {rgba.Length}.", nameof(rgba));
        if (_lastSlot < 0) throw new InvalidOperationException("No frame has been submitted yet.");
        WaitSlot(_lastSlot);
        var src = _canvas[_lastSlot];
        if (src.Mapped == null)
        {
            // Device-local frames (discrete GPUs): one copy into a mapped buffer; ReadOutput is not on the render path.
            if (_readback.IsNull) _readback = _stagingArena.Allocate((ulong)bytes, "pipeline read-back");
            var dst = _readback;
            _ctx.RunOnce(cmd =>
            {
                var region = new BufferCopy(src.Offset, dst.Offset, (ulong)bytes);
                _ctx.Vk.CmdCopyBuffer(cmd, src.Buffer, dst.Buffer, 1, &region);
                _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.HostBit, AccessFlags.HostReadBit);
            });
            src = dst;
        }
        new ReadOnlySpan<byte>(src.Mapped, bytes).CopyTo(rgba);
    }

    /// <summary>
    /// Checks, without blocking, whether the running inference has finished and if so publishes its result as
    /// <see cref="Latest"/>. Submit does this itself; call it to pick results up between frames. Returns true when a new
    /// result arrived.
    /// </summary>
    public bool Poll()
    {
        ThrowIfDisposed();
        return PollInference();
    }

    // ---------------------------------------------------------------------------------------------- per frame

    private long SubmitFrame(RenderFrame? frame, PixelFormat format, ReadOnlySpan<byte> cpu)
    {
        var vk = _ctx.Vk;
        double now = _clock.Elapsed.TotalSeconds;
        if (_lastSubmitS >= 0 && now > _lastSubmitS)
        {
            double inst = 1 / (now - _lastSubmitS);
            _fps = _fps == 0 ? inst : 0.9 * _fps + 0.1 * inst;
        }
        _lastSubmitS = now;

        PollInference();
        long number = ++_frameNumber;
        int slot = (int)(number % Slots);
        WaitSlot(slot);
        if (frame == null) cpu.CopyTo(new Span<byte>(_raw[slot].Mapped, cpu.Length));

        bool due = number % _options.EveryNthFrame == 0;
        bool start = due && !_inferActive;
        if (due && _inferActive) _skipped++;
        if (start)
        {
            _inferActive = true;
            _inferFrameNumber = number;
            _inferred++;
            _layerNext = 0;
            // Budget mode runs the whole network once first to measure its layers (without timestamps: a layer a frame).
            _inferFull = _options.GpuBudgetMs == null || (!_measured && _timed) || _session.LayerCount == 0;
        }
        // Layers of a budgeted inference go on once the previous frame's share has finished.
        bool layered = _inferActive && !_inferFull && !_inferPending;
        int layerFrom = _layerNext, layerTo = layerFrom;
        if (layered)
        {
            int n = _session.LayerCount;
            if (_layerMs == null) layerTo = layerFrom + 1;
            else
            {
                double sum = _layerMs[layerTo++];
                while (layerTo < n && sum + _layerMs[layerTo] <= _options.GpuBudgetMs!.Value) sum += _layerMs[layerTo++];
            }
            layerTo = Math.Min(layerTo, n);
        }

        // Record the frame's command buffer.
        _scene.Clear();
        if (_options.Overlay && Latest != null) _task.Draw(Latest, _scene);
        if (_hud != null)
        {
            // Formatting the text allocates: refresh it a few times a second, draw the laid-out labels every frame.
            if (now - _hudUpdatedS >= 0.25)
            {
                _hud.Update(new HudStats(_fps, null, _uploadMs, _preprocessMs, _inferenceMs, _postprocessMs, _overlayMs));
                _hudUpdatedS = now;
            }
            _hud.Draw(_scene);
        }
        var cmd = _frameCmds[slot];
        RecordFrame(cmd, slot, frame, format, start);

        // Batch 0: the frame. Batch 1: the inference share, if any.
        var cmds = stackalloc CommandBuffer[8];
        int nInfer = 0;
        if (start && _inferFull)
        {
            cmds[nInfer++] = _inferBegin; cmds[nInfer++] = _session.Command; cmds[nInfer++] = _inferMid;
            cmds[nInfer++] = _postCmd; cmds[nInfer++] = _inferEnd;
        }
        bool lastShare = false;
        var layerCmds = layered ? stackalloc CommandBuffer[layerTo - layerFrom + 3] : default;
        if (layered)
        {
            int k = 0;
            for (int l = layerFrom; l < layerTo; l++) layerCmds[k++] = _session.LayerCommand(l);
            lastShare = layerTo == _session.LayerCount;
            if (lastShare) { layerCmds[k++] = _postBegin; layerCmds[k++] = _postCmd; layerCmds[k++] = _inferEnd; }
            layerCmds = layerCmds[..k];
            _layerNext = layerTo;
        }
        bool inferBatch = (start && _inferFull) || layered;

        var waitStage = PipelineStageFlags.TransferBit;
        var waitSem = frame?.WaitSemaphore ?? default;
        var signals = stackalloc Semaphore[2];
        var signalValues = stackalloc ulong[2];
        int nSignals = 0;
        if (frame != null && frame.SignalSemaphore.Handle != 0) { signals[nSignals] = frame.SignalSemaphore; signalValues[nSignals++] = frame.SignalValue; }
        ulong frameValue = ++_frameSeq;
        if (_timeline) { signals[nSignals] = _frameTimeline; signalValues[nSignals++] = frameValue; }
        ulong waitValue = frame?.WaitValue ?? 0;
        var frameTl = new TimelineSemaphoreSubmitInfo
        {
            SType = StructureType.TimelineSemaphoreSubmitInfo,
            WaitSemaphoreValueCount = waitSem.Handle != 0 ? 1u : 0u, PWaitSemaphoreValues = &waitValue,
            SignalSemaphoreValueCount = (uint)nSignals, PSignalSemaphoreValues = signalValues,
        };
        var batches = stackalloc SubmitInfo[2];
        batches[0] = new SubmitInfo
        {
            SType = StructureType.SubmitInfo,
            PNext = _ctx.TimelineSemaphores ? &frameTl : null,
            WaitSemaphoreCount = waitSem.Handle != 0 ? 1u : 0u, PWaitSemaphores = &waitSem, PWaitDstStageMask = &waitStage,
            CommandBufferCount = 1, PCommandBuffers = &cmd,
            SignalSemaphoreCount = (uint)nSignals, PSignalSemaphores = signals,
        };
        ulong inferValue = 0;
        var inferSem = _inferTimeline;
        var inferTl = new TimelineSemaphoreSubmitInfo { SType = StructureType.TimelineSemaphoreSubmitInfo, SignalSemaphoreValueCount = 1, PSignalSemaphoreValues = &inferValue };
        fixed (CommandBuffer* pl = layerCmds)
        {
            if (inferBatch)
            {
                inferValue = ++_inferSeq;
                batches[1] = new SubmitInfo
                {
                    SType = StructureType.SubmitInfo,
                    CommandBufferCount = layered ? (uint)layerCmds.Length : (uint)nInfer,
                    PCommandBuffers = layered ? pl : cmds,
                };
                if (_timeline) { batches[1].PNext = &inferTl; batches[1].SignalSemaphoreCount = 1; batches[1].PSignalSemaphores = &inferSem; }
            }
            if (_timeline)
            {
                _ctx.QueueSubmit(batches, inferBatch ? 2u : 1u, default);
            }
            else
            {
                var f = _frameFences[slot];
                vk.ResetFences(_ctx.Device, 1, &f).Check("vkResetFences");
                _ctx.QueueSubmit(batches, 1, f);
                if (inferBatch)
                {
                    var g = _inferFence;
                    vk.ResetFences(_ctx.Device, 1, &g).Check("vkResetFences");
                    _ctx.QueueSubmit(batches + 1, 1, g);
                }
            }
        }
        _slotValue[slot] = frameValue;
        _slotBusy[slot] = true;
        _slotStamped[slot] = _timed;
        _slotPreprocessed[slot] = start;
        _slotDrawn[slot] = _scene.Boxes.Count + _scene.Points.Count + _scene.Segments.Count + _scene.Labels.Count > 0 || _scene.Mask != null;
        _lastSlot = slot;
        if (inferBatch) _inferPending = true;
        return number;
    }

    private void RecordFrame(CommandBuffer cmd, int slot, RenderFrame? frame, PixelFormat format, bool preprocess)
    {
        var vk = _ctx.Vk;
        vk.ResetCommandBuffer(cmd, 0).Check("vkResetCommandBuffer");
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo, Flags = CommandBufferUsageFlags.OneTimeSubmitBit };
        vk.BeginCommandBuffer(cmd, &bi).Check("vkBeginCommandBuffer");
        uint q0 = (uint)(slot * FrameQueries);
        if (_timed) vk.CmdResetQueryPool(cmd, _frameQueries, q0, FrameQueries);
        // This slot's buffers were last used by a frame that has completed; order its writes before ours all the same.
        _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit | PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferWriteBit | AccessFlags.ShaderWriteBit,
                PipelineStageFlags.TransferBit | PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferReadBit | AccessFlags.TransferWriteBit | AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit);
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.TopOfPipeBit, _frameQueries, q0);

        // 1. The frame into the canvas (packed RGBA8).
        // RGBA arrives as it is (an image copy, or a buffer copy from staging); other formats go through the PACK pass.
        bool convert = format != PixelFormat.Rgba8;
        if (frame != null)
        {
            var target = convert ? _raw[slot] : _canvas[slot];
            bool transition = frame.Layout is not (ImageLayout.TransferSrcOptimal or ImageLayout.General);
            var copyLayout = transition ? ImageLayout.TransferSrcOptimal : frame.Layout;
            if (transition)
                ImageBarrier(cmd, frame.Image, frame.Layout, ImageLayout.TransferSrcOptimal, PipelineStageFlags.TransferBit, 0, PipelineStageFlags.TransferBit, AccessFlags.TransferReadBit);
            var region = new BufferImageCopy
            {
                BufferOffset = target.Offset,
                ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1),
                ImageExtent = new Extent3D((uint)Width, (uint)Height, 1),
            };
            vk.CmdCopyImageToBuffer(cmd, frame.Image, copyLayout, target.Buffer, 1, &region);
            // Back to the host's layout; the semaphore signal at the end of the batch orders the host's next use.
            if (transition)
                ImageBarrier(cmd, frame.Image, ImageLayout.TransferSrcOptimal, frame.Layout, PipelineStageFlags.TransferBit, 0, PipelineStageFlags.AllCommandsBit, 0);
            if (convert) _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit);
        }
        else if (!convert)
        {
            // The host wrote the staging slot before this submission: vkQueueSubmit makes host writes visible.
            var region = new BufferCopy(_raw[slot].Offset, _canvas[slot].Offset, (ulong)Width * (ulong)Height * 4);
            vk.CmdCopyBuffer(cmd, _raw[slot].Buffer, _canvas[slot].Buffer, 1, &region);
        }
        if (convert) RecordConvert(cmd, slot, format);
        _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit | PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferWriteBit | AccessFlags.ShaderWriteBit,
                PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit | AccessFlags.TransferReadBit);
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _frameQueries, q0 + 1);

        // 2. Pre-processing into the session input when an inference starts on this frame.
        if (preprocess)
        {
            _pre.RecordInto(cmd, slot);
            // The network (later in this submission) reads the input: compute, or the transfer of its staging copy.
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit,
                    PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit | AccessFlags.TransferReadBit);
        }
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _frameQueries, q0 + 2);

        // 3. The overlay of the newest result.
        if (_overlay.RecordDraw(cmd, slot, _scene))
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.TransferBit, AccessFlags.TransferReadBit);
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _frameQueries, q0 + 3);

        // 4. Canvas -> output image, left in SHADER_READ_ONLY_OPTIMAL for the host to sample.
        ImageBarrier(cmd, _outputImage, _outputInitialised ? ImageLayout.ShaderReadOnlyOptimal : ImageLayout.Undefined, ImageLayout.TransferDstOptimal,
                     PipelineStageFlags.TransferBit, 0, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit);
        var copy = new BufferImageCopy
        {
            BufferOffset = _canvas[slot].Offset,
            ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1),
            ImageExtent = new Extent3D((uint)Width, (uint)Height, 1),
        };
        vk.CmdCopyBufferToImage(cmd, _canvas[slot].Buffer, _outputImage, ImageLayout.TransferDstOptimal, 1, &copy);
        // ALL_COMMANDS as the second scope, so that the next frame's barriers (and the signal) chain after the transition.
        ImageBarrier(cmd, _outputImage, ImageLayout.TransferDstOptimal, ImageLayout.ShaderReadOnlyOptimal,
                     PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.AllCommandsBit, 0);
        _outputInitialised = true;
        // ReadOutput reads the canvas from the host after the frame completes.
        _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit,
                PipelineStageFlags.HostBit | PipelineStageFlags.TransferBit, AccessFlags.HostReadBit | AccessFlags.TransferReadBit);
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _frameQueries, q0 + 4);
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
    }

    private void RecordConvert(CommandBuffer cmd, int slot, PixelFormat format)
    {
        var vk = _ctx.Vk;
        // BGRA (swapchain-style host images and CPU frames) is a byte swap with a kernel of its own; every other format
        // goes through the general converter, preprocess.comp with PACK = 1.
        bool swizzle = format == PixelFormat.Bgra8;
        if (!_convert.TryGetValue(format, out var c))
        {
            // First frame of this format: one pipeline and one descriptor set per slot, kept for the pipeline's life.
            var kernel = swizzle
                ? _ctx.Pipelines.Get("swizzle_bgra", 2, (uint)sizeof(SwizzlePush), ReadOnlySpan<int>.Empty)
                : _ctx.Pipelines.Get("preprocess", 2, (uint)sizeof(FramePreprocessor.Push), new[] { (int)format, 0, 0, 0, 1 });
            var sets = new DescriptorSet[Slots];
            for (int i = 0; i < Slots; i++) sets[i] = WriteConvertSet(kernel, i);
            c = (kernel, sets);
            _convert[format] = c;
        }
        var set = c.Sets[slot];
        vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, c.Kernel.Pipeline);
        vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, c.Kernel.Layout, 0, 1, &set, 0, null);
        long work;
        if (swizzle)
        {
            var push = new SwizzlePush { Quads = (Width * Height + 3) / 4, Pixels = Width * Height };
            vk.CmdPushConstants(cmd, c.Kernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(SwizzlePush), &push);
            work = push.Quads;
        }
        else
        {
            var push = new FramePreprocessor.Push { SrcW = Width, SrcH = Height, DstW = Width, DstH = Height, ScaleX = 1, ScaleY = 1, PixelScale = 1, Std0 = 1, Std1 = 1, Std2 = 1 };
            vk.CmdPushConstants(cmd, c.Kernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(FramePreprocessor.Push), &push);
            work = (long)Width * Height;
        }
        var (x, y) = LayerCompiler.Grid((work + 63) / 64);
        vk.CmdDispatch(cmd, x, y, 1);
    }

    /// <summary>Mirror of the push-constant block of shaders/swizzle_bgra.comp.</summary>
    [PushConstants("swizzle_bgra")]
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    internal struct SwizzlePush
    {
        public int Quads, Pixels;
    }

    // ---------------------------------------------------------------------------------------------- completion

    private bool SlotDone(int slot)
    {
        if (!_slotBusy[slot]) return true;
        if (_timeline)
        {
            ulong v;
            _ctx.Vk.GetSemaphoreCounterValue(_ctx.Device, _frameTimeline, &v).Check("vkGetSemaphoreCounterValue");
            return v >= _slotValue[slot];
        }
        var r = _ctx.Vk.GetFenceStatus(_ctx.Device, _frameFences[slot]);
        if (r == Result.NotReady) return false;
        r.Check("vkGetFenceStatus");
        return true;
    }

    /// <summary>Waits until the frame in <paramref name="slot"/> has completed and collects its timings.</summary>
    private void WaitSlot(int slot)
    {
        if (!_slotBusy[slot]) return;
        if (!SlotDone(slot))
        {
            const ulong timeoutNs = 120UL * 1_000_000_000UL;
            if (_timeline)
            {
                var sem = _frameTimeline;
                ulong value = _slotValue[slot];
                var wi = new SemaphoreWaitInfo { SType = StructureType.SemaphoreWaitInfo, SemaphoreCount = 1, PSemaphores = &sem, PValues = &value };
                var r = _ctx.Vk.WaitSemaphores(_ctx.Device, &wi, timeoutNs);
                if (r == Result.Timeout) throw new VulkanException("vkWaitSemaphores timed out after 120 s: the GPU did not finish the frame.", r, "vkWaitSemaphores");
                r.Check("vkWaitSemaphores");
            }
            else _ctx.WaitFence(_frameFences[slot]);
        }
        _slotBusy[slot] = false;
        if (_slotStamped[slot] && ReadStamps(_frameQueries, (uint)(slot * FrameQueries), FrameQueries))
        {
            double p = _ctx.DeviceInfo.TimestampPeriodNs / 1e6;
            _uploadMs = (_stamps[1] - _stamps[0]) * p;
            if (_slotPreprocessed[slot]) _preprocessMs = (_stamps[2] - _stamps[1]) * p;
            _overlayMs = (_stamps[4] - _stamps[2]) * p;
        }
    }

    private bool InferenceDone()
    {
        if (_timeline)
        {
            ulong v;
            _ctx.Vk.GetSemaphoreCounterValue(_ctx.Device, _inferTimeline, &v).Check("vkGetSemaphoreCounterValue");
            return v >= _inferSeq;
        }
        var r = _ctx.Vk.GetFenceStatus(_ctx.Device, _inferFence);
        if (r == Result.NotReady) return false;
        r.Check("vkGetFenceStatus");
        return true;
    }

    private bool PollInference()
    {
        if (!_inferPending || !InferenceDone()) return false;
        _inferPending = false;
        bool finished = _inferFull || _layerNext >= _session.LayerCount;
        if (!finished) return false;
        _inferActive = false;
        double p = _ctx.DeviceInfo.TimestampPeriodNs / 1e6;
        if (_inferFull)
        {
            _session.CompleteRun();
            if (_timed && ReadStamps(_inferQueries, 0, InferQueries))
            {
                _inferenceMs = (_stamps[1] - _stamps[0]) * p;
                _postprocessMs = (_stamps[2] - _stamps[1]) * p;
            }
            var times = _session.LastLayerTimes;
            if (_options.GpuBudgetMs != null && !_measured)
            {
                _measured = true;
                if (times.Count == _session.LayerCount) _layerMs = times.Select(t => Math.Max(0, t.Milliseconds)).ToArray();
            }
        }
        else
        {
            if (_layerMs != null) _inferenceMs = _layerMs.Sum();
            if (_timed && ReadStamps(_inferQueries, 1, 2)) _postprocessMs = (_stamps[1] - _stamps[0]) * p;
        }
        Latest = _task.ReadResult(_inferFrameNumber, _pre.Transform);
        return true;
    }

    private bool ReadStamps(QueryPool pool, uint first, uint count)
    {
        fixed (ulong* s = _stamps)
        {
            var r = _ctx.Vk.GetQueryPoolResults(_ctx.Device, pool, first, count, (nuint)(count * 8), s, 8, QueryResultFlags.Result64Bit);
            if (r == Result.NotReady) return false;
            r.Check("vkGetQueryPoolResults");
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------- set-up

    private void ImageBarrier(CommandBuffer cmd, Image image, ImageLayout from, ImageLayout to, PipelineStageFlags src, AccessFlags srcAccess,
                              PipelineStageFlags dst, AccessFlags dstAccess)
    {
        var ib = new ImageMemoryBarrier
        {
            SType = StructureType.ImageMemoryBarrier, SrcAccessMask = srcAccess, DstAccessMask = dstAccess, OldLayout = from, NewLayout = to,
            SrcQueueFamilyIndex = Vk.QueueFamilyIgnored, DstQueueFamilyIndex = Vk.QueueFamilyIgnored, Image = image,
            SubresourceRange = new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1),
        };
        _ctx.Vk.CmdPipelineBarrier(cmd, src, dst, 0, 0, null, 0, null, 1, &ib);
    }

    private CommandBuffer RecordInferStamp(bool reset, uint stamp, bool barrier)
    {
        var vk = _ctx.Vk;
        var cmd = _ctx.AllocateCommandBuffer(_pool);
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
        vk.BeginCommandBuffer(cmd, &bi).Check("vkBeginCommandBuffer");
        if (barrier)
        {
            // The network's previous run (complete, but in an earlier submission) and this frame's pre-processing.
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit,
                    PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit | AccessFlags.TransferReadBit | AccessFlags.TransferWriteBit);
        }
        if (_timed)
        {
            if (reset) vk.CmdResetQueryPool(cmd, _inferQueries, 0, InferQueries);
            vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _inferQueries, stamp);
        }
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
        return cmd;
    }

    private Semaphore CreateTimeline()
    {
        var ti = new SemaphoreTypeCreateInfo { SType = StructureType.SemaphoreTypeCreateInfo, SemaphoreType = SemaphoreType.Timeline, InitialValue = 0 };
        var si = new SemaphoreCreateInfo { SType = StructureType.SemaphoreCreateInfo, PNext = &ti };
        Semaphore s;
        _ctx.Vk.CreateSemaphore(_ctx.Device, &si, null, &s).Check("vkCreateSemaphore");
        return s;
    }

    private QueryPool CreateQueries(int count)
    {
        var qi = new QueryPoolCreateInfo { SType = StructureType.QueryPoolCreateInfo, QueryType = QueryType.Timestamp, QueryCount = (uint)count };
        QueryPool q;
        _ctx.Vk.CreateQueryPool(_ctx.Device, &qi, null, &q).Check("vkCreateQueryPool");
        return q;
    }

    private DescriptorPool CreateConvertPool()
    {
        int formats = Enum.GetValues<PixelFormat>().Length;
        var size = new DescriptorPoolSize { Type = DescriptorType.StorageBuffer, DescriptorCount = (uint)(2 * Slots * formats) };
        var ci = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = (uint)(Slots * formats), PoolSizeCount = 1, PPoolSizes = &size };
        DescriptorPool pool;
        _ctx.Vk.CreateDescriptorPool(_ctx.Device, &ci, null, &pool).Check("vkCreateDescriptorPool");
        return pool;
    }

    private DescriptorSet WriteConvertSet(Kernel kernel, int slot)
    {
        var vk = _ctx.Vk;
        var layout = kernel.SetLayout;
        var ai = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = _convertPool, DescriptorSetCount = 1, PSetLayouts = &layout };
        DescriptorSet set;
        vk.AllocateDescriptorSets(_ctx.Device, &ai, &set).Check("vkAllocateDescriptorSets");
        var infos = stackalloc DescriptorBufferInfo[2];
        infos[0] = new DescriptorBufferInfo(_raw[slot].Buffer, _raw[slot].Offset, _raw[slot].Size);
        infos[1] = new DescriptorBufferInfo(_canvas[slot].Buffer, _canvas[slot].Offset, _canvas[slot].Size);
        var writes = stackalloc WriteDescriptorSet[2];
        for (int i = 0; i < 2; i++)
            writes[i] = new WriteDescriptorSet
            {
                SType = StructureType.WriteDescriptorSet, DstSet = set, DstBinding = (uint)i, DescriptorCount = 1,
                DescriptorType = DescriptorType.StorageBuffer, PBufferInfo = &infos[i],
            };
        vk.UpdateDescriptorSets(_ctx.Device, 2, writes, 0, null);
        return set;
    }

    private (Image, DeviceMemory, ImageView) CreateOutputImage(uint? hostFamily)
    {
        var vk = _ctx.Vk;
        var families = stackalloc uint[2] { _ctx.QueueFamily, hostFamily ?? 0 };
        bool concurrent = hostFamily is uint h && h != _ctx.QueueFamily;
        var ci = new ImageCreateInfo
        {
            SType = StructureType.ImageCreateInfo, ImageType = ImageType.Type2D, Format = Format.R8G8B8A8Unorm,
            Extent = new Extent3D((uint)Width, (uint)Height, 1), MipLevels = 1, ArrayLayers = 1, Samples = SampleCountFlags.Count1Bit,
            Tiling = ImageTiling.Optimal, Usage = ImageUsageFlags.SampledBit | ImageUsageFlags.TransferSrcBit | ImageUsageFlags.TransferDstBit,
            SharingMode = concurrent ? SharingMode.Concurrent : SharingMode.Exclusive,
            QueueFamilyIndexCount = concurrent ? 2u : 0u, PQueueFamilyIndices = concurrent ? families : null,
            InitialLayout = ImageLayout.Undefined,
        };
        Image image;
        vk.CreateImage(_ctx.Device, &ci, null, &image).Check("vkCreateImage");
        DeviceMemory memory = default;
        ImageView view = default;
        try
        {
            vk.GetImageMemoryRequirements(_ctx.Device, image, out var req);
            uint type = uint.MaxValue;
            var props = _ctx.MemoryProperties;
            for (uint pass = 0; pass < 2 && type == uint.MaxValue; pass++)
                for (uint i = 0; i < props.MemoryTypeCount; i++)
                    if ((req.MemoryTypeBits & (1u << (int)i)) != 0 &&
                        (pass == 1 || (props.MemoryTypes[(int)i].PropertyFlags & MemoryPropertyFlags.DeviceLocalBit) != 0)) { type = i; break; }
            if (type == uint.MaxValue) throw new VulkanException($"No memory type fits the {Width}x{Height} output image (type bits 0x{req.MemoryTypeBits:x}).", Result.ErrorOutOfDeviceMemory, "vkGetImageMemoryRequirements");
            var ai = new MemoryAllocateInfo { SType = StructureType.MemoryAllocateInfo, AllocationSize = req.Size, MemoryTypeIndex = type };
            vk.AllocateMemory(_ctx.Device, &ai, null, &memory).Check("vkAllocateMemory");
            vk.BindImageMemory(_ctx.Device, image, memory, 0).Check("vkBindImageMemory");
            var vi = new ImageViewCreateInfo
            {
                SType = StructureType.ImageViewCreateInfo, Image = image, ViewType = ImageViewType.Type2D, Format = Format.R8G8B8A8Unorm,
                SubresourceRange = new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1),
            };
            vk.CreateImageView(_ctx.Device, &vi, null, &view).Check("vkCreateImageView");
            return (image, memory, view);
        }
        catch
        {
            if (memory.Handle != 0) vk.FreeMemory(_ctx.Device, memory, null);
            vk.DestroyImage(_ctx.Device, image, null);
            throw;
        }
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ctx.ThrowIfDisposed();
    }

    /// <summary>Waits for the frames and the inference in flight, then frees everything the pipeline created.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ctx == null || _ctx.Device.Handle == 0) return;
        var vk = _ctx.Vk;
        // GPU resources are destroyed only after the last submission that uses them has finished.
        try { _ctx.WaitIdle(); } catch (ObjectDisposedException) { return; } catch (VulkanException) { }
        foreach (var f in _frameFences) if (f.Handle != 0) vk.DestroyFence(_ctx.Device, f, null);
        if (_inferFence.Handle != 0) vk.DestroyFence(_ctx.Device, _inferFence, null);
        if (_frameTimeline.Handle != 0) vk.DestroySemaphore(_ctx.Device, _frameTimeline, null);
        if (_inferTimeline.Handle != 0) vk.DestroySemaphore(_ctx.Device, _inferTimeline, null);
        if (_frameQueries.Handle != 0) vk.DestroyQueryPool(_ctx.Device, _frameQueries, null);
        if (_inferQueries.Handle != 0) vk.DestroyQueryPool(_ctx.Device, _inferQueries, null);
        if (_pool.Handle != 0) vk.DestroyCommandPool(_ctx.Device, _pool, null);
        if (_convertPool.Handle != 0) vk.DestroyDescriptorPool(_ctx.Device, _convertPool, null);
        if (_outputView.Handle != 0) vk.DestroyImageView(_ctx.Device, _outputView, null);
        if (_outputImage.Handle != 0) vk.DestroyImage(_ctx.Device, _outputImage, null);
        if (_outputMemory.Handle != 0) vk.FreeMemory(_ctx.Device, _outputMemory, null);
        _overlay?.Dispose();
        _pre?.Dispose();
        _stagingArena?.Dispose();
        _deviceArena?.Dispose();
    }
}
