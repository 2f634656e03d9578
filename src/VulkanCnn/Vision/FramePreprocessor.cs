// Camera and video frames into a model's input tensor on the GPU: staging ring, pixel-format conversion, bilinear
// resize with letterbox or crop, normalisation and layout in one compute pass. GPU side: shaders/preprocess.comp.
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>Byte layout of a CPU frame.</summary>
public enum PixelFormat
{
    /// <summary>4 bytes per pixel: R, G, B, A (A ignored).</summary>
    Rgba8 = 0,
    /// <summary>4 bytes per pixel: B, G, R, A (A ignored); the usual Windows and swapchain order.</summary>
    Bgra8 = 1,
    /// <summary>3 bytes per pixel: R, G, B, rows packed without padding.</summary>
    Rgb24 = 2,
    /// <summary>YUV 4:2:2, 4 bytes per pixel pair: Y0, U, Y1, V (V4L2 YUYV, YUY2); the width must be even.</summary>
    Yuyv = 3,
    /// <summary>YUV 4:2:0: W·H bytes of Y, then W·H/2 bytes of interleaved U, V at half resolution; even width and height.</summary>
    Nv12 = 4,
}

/// <summary>How the frame is fitted to the model's input size.</summary>
public enum ResizeMode
{
    /// <summary>Scale each axis on its own to fill the input (the aspect ratio changes).</summary>
    Stretch = 0,
    /// <summary>Scale to fit inside the input keeping the aspect ratio, centred; the bars hold <see cref="PreprocessOptions.PadValue"/>.</summary>
    Letterbox = 1,
    /// <summary>Scale to cover the input keeping the aspect ratio, and cut the overhang equally from both sides.</summary>
    CenterCrop = 2,
}

/// <summary>Order of the output tensor's dimensions (batch 1).</summary>
public enum TensorLayout
{
    /// <summary>Channel-major: 3 planes of H×W (PyTorch, most ONNX models; VulkanCnn's own D×H×W).</summary>
    Nchw = 0,
    /// <summary>Channel-minor: H×W pixels of 3 values (TensorFlow exports such as MediaPipe's).</summary>
    Nhwc = 1,
}

/// <summary>
/// What the model expects. Each output value is <c>(pixel · Scale − Mean[c]) / Std[c]</c>, where pixel is the resampled
/// 0..255 value of output channel c (after the <see cref="Bgr"/> swap). The defaults give [0, 1]; Scale 1/127.5 with
/// Mean 1 and Std 1 gives [−1, 1]; ImageNet models take Scale 1/255, Mean {0.485, 0.456, 0.406}, Std {0.229, 0.224, 0.225}.
/// </summary>
public sealed record PreprocessOptions
{
    /// <summary>Model input width in pixels.</summary>
    public int Width { get; init; }
    /// <summary>Model input height in pixels.</summary>
    public int Height { get; init; }
    /// <summary>How the frame is fitted to Width×Height (default letterbox).</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.Letterbox;
    /// <summary>Per output channel, subtracted after scaling.</summary>
    public float[] Mean { get; init; } = { 0f, 0f, 0f };
    /// <summary>Per output channel, divides after the mean is subtracted; must not be 0.</summary>
    public float[] Std { get; init; } = { 1f, 1f, 1f };
    /// <summary>Multiplies the 0..255 pixel value first (default 1/255).</summary>
    public float Scale { get; init; } = 1f / 255f;
    /// <summary>Output channels in B, G, R order instead of R, G, B.</summary>
    public bool Bgr { get; init; }
    /// <summary>NCHW (default) or NHWC output.</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;
    /// <summary>The value written, as it is (no normalisation applied), to every channel of the letterbox bars.</summary>
    public float PadValue { get; init; }
}

/// <summary>
/// Where the frame landed in the model input: model = frame · Scale + Offset per axis, in continuous pixel coordinates
/// (pixel (i, j) covers [i, i+1) × [j, j+1); its centre is at i + 0.5). Use <see cref="ToFrame"/> to map a detection
/// from model-input pixels back to source-frame pixels.
/// </summary>
public sealed record FrameTransform(float ScaleX, float ScaleY, float OffsetX, float OffsetY)
{
    /// <summary>Model-input coordinates to source-frame coordinates.</summary>
    public (float X, float Y) ToFrame(float x, float y) => ((x - OffsetX) / ScaleX, (y - OffsetY) / ScaleY);

    /// <summary>Source-frame coordinates to model-input coordinates.</summary>
    public (float X, float Y) ToModel(float x, float y) => (x * ScaleX + OffsetX, y * ScaleY + OffsetY);
}

/// <summary>
/// Converts CPU frames of one size and pixel format into a model's input tensor on the GPU. <see cref="Upload"/> copies
/// a frame into the next of two persistently mapped staging slots (so the CPU can fill frame N+1 while frame N is
/// processed); <see cref="Submit"/>/<see cref="Run"/> replay the command buffer recorded for that slot at construction.
/// Nothing is allocated per frame. Not thread-safe.
/// </summary>
public sealed unsafe class FramePreprocessor : IDisposable
{
    private readonly int Slots = 2;
    private readonly VulkanContext _ctx;
    private readonly MemoryArena? _staging;
    private readonly MemoryArena? _device;
    private readonly BufferSlice[] _frames;
    private readonly BufferSlice _output, _readback;
    private readonly CommandPool _pool;
    private readonly CommandBuffer[] _cmds;
    private readonly Fence[] _fences;
    private readonly bool[] _inFlight;
    private readonly DescriptorSet[] _sets;
    private readonly DescriptorPool _descriptorPool;
    private readonly Kernel? _kernel;
    private readonly Push _push;
    private readonly bool _external;          // frames come from the caller's buffers; commands recorded by RecordInto
    private readonly int _frameBytes;
    private int _next, _uploaded = -1;
    private bool _disposed;

    /// <summary>Creates a preprocessor writing into its own output tensor (read it with <see cref="GetOutput"/>).</summary>
    public FramePreprocessor(VulkanContext context, int frameWidth, int frameHeight, PixelFormat format, PreprocessOptions options)
        : this(context, frameWidth, frameHeight, format, options, null, 0, null) { }

    /// <summary>
    /// Creates a preprocessor writing straight into input <paramref name="inputIndex"/> of <paramref name="session"/>, on the
    /// GPU: <see cref="Run"/> then <see cref="Session.Run()"/> runs the model on the frame with no CPU copy of the tensor.
    /// The input must hold 3·Height·Width floats. The session must outlive the preprocessor.
    /// </summary>
    public FramePreprocessor(Session session, int inputIndex, int frameWidth, int frameHeight, PixelFormat format, PreprocessOptions options)
        : this(session?.Context!, frameWidth, frameHeight, format, options, session ?? throw new ArgumentNullException(nameof(session)), inputIndex, null) { }

    /// <summary>
    /// A preprocessor for a frame pipeline: source slot i is <paramref name="sources"/>[i] (a GPU buffer holding a
    /// frame of <paramref name="format"/>, written by earlier commands), the output is the session's input, and the
    /// caller records the conversion into its own command buffers with <see cref="RecordInto"/>. Upload, Submit, Run and
    /// GetOutput are not available in this mode.
    /// </summary>
    internal FramePreprocessor(Session session, int inputIndex, int frameWidth, int frameHeight, PixelFormat format, PreprocessOptions options, BufferSlice[] sources)
        : this(session.Context, frameWidth, frameHeight, format, options, session, inputIndex, sources) { }

    private FramePreprocessor(VulkanContext context, int frameWidth, int frameHeight, PixelFormat format, PreprocessOptions options, Session? session, int inputIndex,
                              BufferSlice[]? sources)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        context.ThrowIfDisposed();
        _frameBytes = checked((int)FrameBytes(frameWidth, frameHeight, format));
        Validate(options);
        _ctx = context;
        FrameWidth = frameWidth;
        FrameHeight = frameHeight;
        Format = format;
        Options = options with { Mean = (float[])options.Mean.Clone(), Std = (float[])options.Std.Clone() };
        OutputLength = 3 * options.Width * options.Height;
        Transform = ComputeTransform(frameWidth, frameHeight, options, out var content);

        ulong outBytes = (ulong)OutputLength * 4;
        if (outBytes > context.DeviceInfo.MaxStorageBufferRange || (ulong)_frameBytes > context.DeviceInfo.MaxStorageBufferRange)
            throw new ArgumentException($"Preprocessing {frameWidth}x{frameHeight} {format} into {options.Width}x{options.Height} needs bindings of {_frameBytes:N0} and {outBytes:N0} bytes; " +
                                        $"{context.DeviceInfo.Name} allows {context.DeviceInfo.MaxStorageBufferRange:N0} (maxStorageBufferRange).");
        _external = sources != null;
        if (sources != null)
        {
            Slots = sources.Length;
            foreach (var src in sources)
                if (src.Size < (ulong)_frameBytes)
                    throw new ArgumentException($"A source buffer of {src.Size} bytes cannot hold a {frameWidth}x{frameHeight} {format} frame of {_frameBytes} bytes.", nameof(sources));
        }
        _frames = sources != null ? (BufferSlice[])sources.Clone() : new BufferSlice[Slots];
        _cmds = new CommandBuffer[Slots];
        _fences = new Fence[Slots];
        _inFlight = new bool[Slots];
        _sets = new DescriptorSet[Slots];
        if (!_external) _staging = new MemoryArena(context, MemoryUsage.Staging);
        try
        {
            if (!_external)
                for (int i = 0; i < Slots; i++) _frames[i] = _staging!.Allocate((ulong)_frameBytes, $"frame slot {i}");
            if (session != null)
            {
                var shape = session.InputShape(inputIndex);
                if (shape.Size != OutputLength)
                    throw new ArgumentException($"Session input {inputIndex} holds {shape.Size} floats ({shape}, D×H×W); preprocessing to {options.Width}x{options.Height} writes 3·{options.Height}·{options.Width} = {OutputLength}.", nameof(session));
                _output = session.InputTarget(inputIndex);
            }
            else
            {
                _device = new MemoryArena(context, MemoryUsage.Device);
                _output = _device.Allocate(outBytes, "preprocessed frame");
            }
            // Where the output is not host-visible (discrete GPUs), each frame is also copied to a mapped read-back slice.
            if (_output.Mapped == null && session == null) _readback = _staging!.Allocate(outBytes, "preprocessed frame read-back");

            var push = new Push
            {
                SrcW = frameWidth, SrcH = frameHeight, DstW = options.Width, DstH = options.Height,
                PadX0 = content.X0, PadY0 = content.Y0, PadX1 = content.X1, PadY1 = content.Y1,
                ScaleX = Transform.ScaleX, ScaleY = Transform.ScaleY, OffsetX = Transform.OffsetX, OffsetY = Transform.OffsetY,
                PixelScale = options.Scale, PadValue = options.PadValue,
                Mean0 = options.Mean[0], Mean1 = options.Mean[1], Mean2 = options.Mean[2],
                Std0 = options.Std[0], Std1 = options.Std[1], Std2 = options.Std[2],
            };
            var kernel = context.Pipelines.Get("preprocess", 2, (uint)Marshal.SizeOf<Push>(),
                new[] { (int)format, (int)options.Layout, (int)options.Resize, options.Bgr ? 1 : 0 });
            _kernel = kernel;
            _push = push;
            _descriptorPool = CreateDescriptorPool();
            for (int i = 0; i < Slots; i++) _sets[i] = WriteSet(i, kernel);
            if (!_external)
            {
                _pool = context.CreateCommandPool();
                for (int i = 0; i < Slots; i++)
                {
                    _cmds[i] = context.AllocateCommandBuffer(_pool);
                    _fences[i] = context.CreateFence();
                    Record(i, kernel, push);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Source frame width in pixels.</summary>
    public int FrameWidth { get; }
    /// <summary>Source frame height in pixels.</summary>
    public int FrameHeight { get; }
    /// <summary>Source pixel format.</summary>
    public PixelFormat Format { get; }
    /// <summary>The options (a copy taken at construction).</summary>
    public PreprocessOptions Options { get; }
    /// <summary>Floats in the output tensor: 3·Height·Width.</summary>
    public int OutputLength { get; }
    /// <summary>Frame-to-model coordinate mapping; its <see cref="FrameTransform.ToFrame"/> maps results back.</summary>
    public FrameTransform Transform { get; }
    /// <summary>Bytes one frame must have: see <see cref="FrameBytes"/>.</summary>
    public int FrameByteCount => _frameBytes;

    /// <summary>
    /// Bytes of a <paramref name="width"/>×<paramref name="height"/> frame: W·H·4 (RGBA, BGRA), W·H·3 (RGB24), W·H·2 (YUYV),
    /// W·H·3/2 (NV12). Throws for sizes the format cannot have (YUYV needs an even width, NV12 even width and height).
    /// </summary>
    public static long FrameBytes(int width, int height, PixelFormat format)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Frame size {width}x{height} must be positive.");
        if (format == PixelFormat.Yuyv && width % 2 != 0)
            throw new ArgumentException($"A YUYV frame packs pixel pairs: its width must be even, got {width}x{height}.");
        if (format == PixelFormat.Nv12 && (width % 2 != 0 || height % 2 != 0))
            throw new ArgumentException($"An NV12 frame subsamples chroma 2x2: its width and height must be even, got {width}x{height}.");
        long n = (long)width * height;
        return format switch
        {
            PixelFormat.Rgba8 or PixelFormat.Bgra8 => n * 4,
            PixelFormat.Rgb24 => n * 3,
            PixelFormat.Yuyv => n * 2,
            PixelFormat.Nv12 => n * 3 / 2,
            _ => throw new ArgumentOutOfRangeException(nameof(format), $"Unknown pixel format {(int)format}."),
        };
    }

    /// <summary>
    /// The mapping <see cref="FramePreprocessor"/> uses for a frame of this size. Letterbox rounds the content to whole
    /// pixels (so the bars are whole pixels too; ScaleX and ScaleY may then differ by a rounding); stretch and crop are exact.
    /// </summary>
    public static FrameTransform ComputeTransform(int frameWidth, int frameHeight, PreprocessOptions options) =>
        ComputeTransform(frameWidth, frameHeight, options, out _);

    private static FrameTransform ComputeTransform(int fw, int fh, PreprocessOptions o, out (int X0, int Y0, int X1, int Y1) content)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (fw <= 0 || fh <= 0) throw new ArgumentException($"Frame size {fw}x{fh} must be positive.");
        if (o.Width <= 0 || o.Height <= 0) throw new ArgumentException($"Model input size {o.Width}x{o.Height} must be positive.");
        content = (0, 0, o.Width, o.Height);
        switch (o.Resize)
        {
            case ResizeMode.Stretch:
                return new FrameTransform((float)o.Width / fw, (float)o.Height / fh, 0, 0);
            case ResizeMode.Letterbox:
            {
                double s = Math.Min((double)o.Width / fw, (double)o.Height / fh);
                int cw = Math.Clamp((int)Math.Round(fw * s), 1, o.Width), ch = Math.Clamp((int)Math.Round(fh * s), 1, o.Height);
                int x0 = (o.Width - cw) / 2, y0 = (o.Height - ch) / 2;
                content = (x0, y0, x0 + cw, y0 + ch);
                return new FrameTransform((float)cw / fw, (float)ch / fh, x0, y0);
            }
            case ResizeMode.CenterCrop:
            {
                double s = Math.Max((double)o.Width / fw, (double)o.Height / fh);
                return new FrameTransform((float)s, (float)s, (float)((o.Width - fw * s) / 2), (float)((o.Height - fh * s) / 2));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(o), $"Unknown resize mode {(int)o.Resize}.");
        }
    }

    private static void Validate(PreprocessOptions o)
    {
        if (o.Width <= 0 || o.Height <= 0) throw new ArgumentException($"Model input size {o.Width}x{o.Height} must be positive.", nameof(o));
        if (o.Mean is not { Length: 3 }) throw new ArgumentException($"Mean needs 3 values (one per channel), got {o.Mean?.Length ?? 0}.", nameof(o));
        if (o.Std is not { Length: 3 }) throw new ArgumentException($"Std needs 3 values (one per channel), got {o.Std?.Length ?? 0}.", nameof(o));
        for (int c = 0; c < 3; c++)
            if (o.Std[c] == 0 || !float.IsFinite(o.Std[c]))
                throw new ArgumentException($"Std[{c}] is {o.Std[c]}; it divides, so it must be finite and non-zero.", nameof(o));
        if (!Enum.IsDefined(o.Resize)) throw new ArgumentException($"Unknown resize mode {(int)o.Resize}.", nameof(o));
        if (!Enum.IsDefined(o.Layout)) throw new ArgumentException($"Unknown tensor layout {(int)o.Layout}.", nameof(o));
    }

    /// <summary>
    /// Copies a frame into the next staging slot (waiting first if that slot's previous frame is still being processed).
    /// The frame must have exactly <see cref="FrameByteCount"/> bytes.
    /// </summary>
    public void Upload(ReadOnlySpan<byte> frame)
    {
        ThrowIfDisposed();
        ThrowIfExternal();
        if (frame.Length != _frameBytes)
            throw new ArgumentException($"A {FrameWidth}x{FrameHeight} {Format} frame has {_frameBytes} bytes; got {frame.Length}.", nameof(frame));
        int slot = _next;
        WaitSlot(slot);
        frame.CopyTo(new Span<byte>(_frames[slot].Mapped, _frameBytes));
        _uploaded = slot;
        _next = (slot + 1) % Slots;
    }

    /// <summary>Starts converting the last uploaded frame and returns without waiting (<see cref="Wait"/> waits).</summary>
    public void Submit()
    {
        ThrowIfDisposed();
        ThrowIfExternal();
        if (_uploaded < 0) throw new InvalidOperationException("No frame to process: call Upload first.");
        WaitSlot(_uploaded);
        _ctx.Submit(_cmds[_uploaded], _fences[_uploaded]);
        _inFlight[_uploaded] = true;
    }

    /// <summary>Waits until every submitted conversion has finished.</summary>
    public void Wait()
    {
        ThrowIfDisposed();
        for (int i = 0; i < Slots; i++) WaitSlot(i);
    }

    /// <summary>Converts the last uploaded frame and waits for it.</summary>
    public void Run()
    {
        Submit();
        Wait();
    }

    /// <summary>Convenience: <see cref="Upload"/> then <see cref="Run"/>.</summary>
    public void Process(ReadOnlySpan<byte> frame)
    {
        Upload(frame);
        Run();
    }

    /// <summary>Copies the last converted tensor (<see cref="OutputLength"/> floats) into <paramref name="destination"/>.</summary>
    public void GetOutput(Span<float> destination)
    {
        ThrowIfDisposed();
        if (destination.Length != OutputLength)
            throw new ArgumentException($"The preprocessed tensor has {OutputLength} floats (3x{Options.Height}x{Options.Width}); the destination holds {destination.Length}.", nameof(destination));
        Wait();
        var host = _readback.IsNull ? _output : _readback;
        if (host.Mapped == null)
            throw new InvalidOperationException("This preprocessor writes into a session's device-local input; read the session's output instead.");
        new ReadOnlySpan<float>(host.Mapped, OutputLength).CopyTo(destination);
    }

    /// <summary>The last converted tensor as a new array.</summary>
    public float[] ReadOutput()
    {
        var r = new float[OutputLength];
        GetOutput(r);
        return r;
    }

    // --------------------------------------------------------------------------------------------------------

    /// <summary>Mirror of the push-constant block of shaders/preprocess.comp.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push
    {
        public int SrcW, SrcH, DstW, DstH;
        public int PadX0, PadY0, PadX1, PadY1;
        public float ScaleX, ScaleY, OffsetX, OffsetY;
        public float PixelScale, PadValue;
        public float Mean0, Mean1, Mean2, Std0, Std1, Std2;
    }

    private void ThrowIfExternal()
    {
        if (_external) throw new InvalidOperationException("This preprocessor belongs to a frame pipeline, which records its conversions; it has no staging slots of its own.");
    }

    /// <summary>
    /// Records the conversion of source slot <paramref name="slot"/> into the session input into <paramref name="cmd"/>:
    /// bind, push constants, one dispatch. The caller orders it with barriers: the source's writes before, and the
    /// input's readers (compute or transfer) after.
    /// </summary>
    internal void RecordInto(CommandBuffer cmd, int slot)
    {
        ThrowIfDisposed();
        var vk = _ctx.Vk;
        var set = _sets[slot];
        var push = _push;
        vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, _kernel!.Pipeline);
        vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, _kernel.Layout, 0, 1, &set, 0, null);
        vk.CmdPushConstants(cmd, _kernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(Push), &push);
        var (x, y) = LayerCompiler.Grid(((long)Options.Width * Options.Height + 63) / 64);
        vk.CmdDispatch(cmd, x, y, 1);
    }

    private void WaitSlot(int slot)
    {
        if (!_inFlight[slot]) return;
        _ctx.WaitFence(_fences[slot]);
        _inFlight[slot] = false;
    }

    private DescriptorPool CreateDescriptorPool()
    {
        var size = new DescriptorPoolSize { Type = DescriptorType.StorageBuffer, DescriptorCount = (uint)(2 * Slots) };
        var ci = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = (uint)Slots, PoolSizeCount = 1, PPoolSizes = &size };
        DescriptorPool pool;
        _ctx.Vk.CreateDescriptorPool(_ctx.Device, &ci, null, &pool).Check("vkCreateDescriptorPool");
        return pool;
    }

    private DescriptorSet WriteSet(int slot, Kernel kernel)
    {
        var vk = _ctx.Vk;
        var layout = kernel.SetLayout;
        var ai = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = _descriptorPool, DescriptorSetCount = 1, PSetLayouts = &layout };
        DescriptorSet set;
        vk.AllocateDescriptorSets(_ctx.Device, &ai, &set).Check("vkAllocateDescriptorSets");
        var frame = _frames[slot];
        var infos = stackalloc DescriptorBufferInfo[2];
        // The frame binding covers whole words: the slot was allocated rounded up to 16 bytes.
        infos[0] = new DescriptorBufferInfo(frame.Buffer, frame.Offset, (ulong)((_frameBytes + 3) & ~3));
        infos[1] = new DescriptorBufferInfo(_output.Buffer, _output.Offset, (ulong)OutputLength * 4);
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

    private void Record(int slot, Kernel kernel, Push push)
    {
        var vk = _ctx.Vk;
        var set = _sets[slot];
        var cmd = _cmds[slot];
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
        vk.BeginCommandBuffer(cmd, &bi).Check("vkBeginCommandBuffer");
        // The other slot's conversion (earlier on the queue) wrote the same output: order write after write.
        var before = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.ShaderWriteBit | AccessFlags.ShaderReadBit | AccessFlags.TransferReadBit, DstAccessMask = AccessFlags.ShaderWriteBit };
        vk.CmdPipelineBarrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, PipelineStageFlags.ComputeShaderBit, 0, 1, &before, 0, null, 0, null);
        vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, kernel.Pipeline);
        vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, kernel.Layout, 0, 1, &set, 0, null);
        vk.CmdPushConstants(cmd, kernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(Push), &push);
        var (x, y) = LayerCompiler.Grid(((long)Options.Width * Options.Height + 63) / 64);
        vk.CmdDispatch(cmd, x, y, 1);
        // Later submissions on this queue (a session's Run: its compute layers or its staging copy) and the host read it.
        var after = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.ShaderWriteBit, DstAccessMask = AccessFlags.ShaderReadBit | AccessFlags.TransferReadBit | AccessFlags.HostReadBit };
        vk.CmdPipelineBarrier(cmd, PipelineStageFlags.ComputeShaderBit, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit | PipelineStageFlags.HostBit, 0, 1, &after, 0, null, 0, null);
        if (!_readback.IsNull)
        {
            var region = new BufferCopy(_output.Offset, _readback.Offset, (ulong)OutputLength * 4);
            vk.CmdCopyBuffer(cmd, _output.Buffer, _readback.Buffer, 1, &region);
            var host = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.TransferWriteBit, DstAccessMask = AccessFlags.HostReadBit };
            vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.HostBit, 0, 1, &host, 0, null, 0, null);
        }
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ctx.ThrowIfDisposed();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ctx == null) return;
        var vk = _ctx.Vk;
        // Resources are freed only after the last conversion that uses them has finished.
        for (int i = 0; i < (_fences?.Length ?? 0); i++)
            if (_fences![i].Handle != 0)
            {
                var f = _fences[i];
                vk.WaitForFences(_ctx.Device, 1, &f, true, 10_000_000_000UL);
                vk.DestroyFence(_ctx.Device, f, null);
            }
        if (_pool.Handle != 0) vk.DestroyCommandPool(_ctx.Device, _pool, null);
        if (_descriptorPool.Handle != 0) vk.DestroyDescriptorPool(_ctx.Device, _descriptorPool, null);
        _staging?.Dispose();
        _device?.Dispose();
    }
}
