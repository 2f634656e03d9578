// The frame pipeline: a host-rendered VkImage (or a CPU frame) in, a VisionTask run asynchronously on it, the latest
// result drawn over the frame into an output image, without the render loop ever waiting on the CPU for inference.
// Here: the state, construction, public API and disposal; FramePipeline.{Scheduling,Recording}.cs hold the rest.
using System.Diagnostics;
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Vulkan;
using Image = Silk.NET.Vulkan.Image;
using Semaphore = Silk.NET.Vulkan.Semaphore;

namespace VulkanCnn.Vision;

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
public sealed unsafe partial class FramePipeline : IDisposable
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
    private readonly LinkedListNode<IDisposable>? _tracked;
    /// <summary>One thread at a time: the public entry points enter it, and the task's session guard with it.</summary>
    internal readonly ExclusiveUse Use = new("FramePipeline");
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
        _tracked = context.Track(this);
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
        using var use = Use.Enter();
        using var task = _session.Use.Enter();   // the task's session is the pipeline's while a call runs
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
        using var use = Use.Enter();
        using var task = _session.Use.Enter();
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
        using var use = Use.Enter();
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
        using var use = Use.Enter();
        using var task = _session.Use.Enter();
        ThrowIfDisposed();
        return PollInference();
    }

    // ---------------------------------------------------------------------------------------------- set-up

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
        _ctx.ThrowIfDisposed();
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    /// <summary>Waits for the frames and the inference in flight, then frees everything the pipeline created.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        using var use = Use.Enter();
        _disposed = true;
        if (_ctx == null || _ctx.Device.Handle == 0) return;
        _ctx.Untrack(_tracked);
        var vk = _ctx.Vk;
        // GPU resources are destroyed only after the last submission that uses them has finished (a disposed context
        // disposed this pipeline first; a lost device is drained too).
        _ctx.DrainQueue();
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
