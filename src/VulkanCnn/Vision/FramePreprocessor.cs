// Camera and video frames into a model's input tensor on the GPU: staging ring, pixel-format conversion, resize with
// letterbox or crop (bilinear, tent, or a box reduction first for shrinks of 2x or more), normalisation and layout.
// GPU side: shaders/preprocess.comp, shaders/preprocess_reduce.comp.
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
/// With <see cref="Channels"/> = 4 a 4th channel holding <see cref="Alpha"/> follows the three colour channels (models
/// that take RGBA, such as M-LSD).
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
    /// <summary>The value written, as it is (no normalisation applied), to the colour channels of the letterbox bars.</summary>
    public float PadValue { get; init; }
    /// <summary>Output channels: 3 (default; colour only) or 4 (colour, then the constant <see cref="Alpha"/>).</summary>
    public int Channels { get; init; } = 3;
    /// <summary>The 4th channel's value when <see cref="Channels"/> is 4, written as it is (no normalisation), bars included.</summary>
    public float Alpha { get; init; } = 1f;
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
    private readonly Kernel? _kernel, _reduceKernel;
    private readonly Push _push;
    private readonly ReducePush _reducePush;
    private readonly DescriptorSet[] _reduceSets;
    private readonly BufferSlice _reduced;      // preprocess_reduce.comp's box-averaged image; null when no axis shrinks 2x or more
    private readonly bool _external;          // frames come from the caller's buffers; commands recorded by RecordInto
    private readonly int _frameBytes;
    private int _next, _uploaded = -1;
    private readonly LinkedListNode<IDisposable>? _tracked;
    private readonly ExclusiveUse _use = new("FramePreprocessor");
    private bool _disposed;

    /// <summary>Creates a preprocessor writing into its own output tensor (read it with <see cref="GetOutput"/>).</summary>
    public FramePreprocessor(VulkanContext context, int frameWidth, int frameHeight, PixelFormat format, PreprocessOptions options)
        : this(context, frameWidth, frameHeight, format, options, null, 0, null) { }

    /// <summary>
    /// Creates a preprocessor writing straight into input <paramref name="inputIndex"/> of <paramref name="session"/>, on the
    /// GPU: <see cref="Run"/> then <see cref="Session.Run()"/> runs the model on the frame with no CPU copy of the tensor.
    /// The input must hold Channels·Height·Width floats. The session must outlive the preprocessor.
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
        OutputLength = options.Channels * options.Width * options.Height;
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
        _reduceSets = new DescriptorSet[Slots];
        if (!_external) _staging = new MemoryArena(context, MemoryUsage.Staging);
        // A shrink of 2x or more on an axis is box-averaged by BoxFactor first (preprocess_reduce.comp into a scratch
        // image allocated here), and the resampling pass then reads that image with the remaining (< 1.5x) shrink.
        int boxX = BoxFactor(Transform.ScaleX), boxY = BoxFactor(Transform.ScaleY);
        bool reduce = boxX > 1 || boxY > 1;
        int redW = (frameWidth + boxX - 1) / boxX, redH = (frameHeight + boxY - 1) / boxY;
        if (reduce || session == null) _device = new MemoryArena(context, MemoryUsage.Device);
        _tracked = context.Track(this);
        try
        {
            if (!_external)
                for (int i = 0; i < Slots; i++) _frames[i] = _staging!.Allocate((ulong)_frameBytes, $"frame slot {i}");
            if (session != null)
            {
                var shape = session.InputShape(inputIndex);
                if (shape.ElementCount != OutputLength)
                    throw new ArgumentException($"Session input {inputIndex} holds {shape.ElementCount} floats ({shape}); preprocessing to {options.Width}x{options.Height} writes {options.Channels}·{options.Height}·{options.Width} = {OutputLength}.", nameof(session));
                _output = session.InputTarget(inputIndex);
            }
            else
            {
                _output = _device!.Allocate(outBytes, "preprocessed frame");
            }
            // Where the output is not host-visible (discrete GPUs), each frame is also copied to a mapped read-back slice.
            if (_output.Mapped == null && session == null) _readback = _staging!.Allocate(outBytes, "preprocessed frame read-back");

            if (reduce)
            {
                ulong redBytes = (ulong)redW * (ulong)redH * 16;
                if (redBytes > context.DeviceInfo.MaxStorageBufferRange)
                    throw new ArgumentException($"Preprocessing {frameWidth}x{frameHeight} into {options.Width}x{options.Height} box-averages {boxX}x{boxY} into a {redW}x{redH} " +
                                                $"image of {redBytes:N0} bytes; {context.DeviceInfo.Name} allows {context.DeviceInfo.MaxStorageBufferRange:N0} (maxStorageBufferRange).");
                _reduced = _device!.Allocate(redBytes, "preprocess box-averaged frame");
                // Packed 32-bit pixels (the frame pipeline's canvas included) get the variant with the unpack inline.
                _reduceKernel = context.Pipelines.Get(format is PixelFormat.Rgba8 or PixelFormat.Bgra8 ? "preprocess_reduce_rgba" : "preprocess_reduce", 2,
                                                      (uint)Marshal.SizeOf<ReducePush>(), new[] { (int)format });
                _reducePush = new ReducePush { SrcW = frameWidth, SrcH = frameHeight, RedW = redW, RedH = redH, BoxX = boxX, BoxY = boxY };
            }
            // The resampling pass reads the reduced image as if it were the frame: its size, and the scale times the box.
            var push = new Push
            {
                SrcW = reduce ? redW : frameWidth, SrcH = reduce ? redH : frameHeight, DstW = options.Width, DstH = options.Height,
                PadX0 = content.X0, PadY0 = content.Y0, PadX1 = content.X1, PadY1 = content.Y1,
                ScaleX = Transform.ScaleX * boxX, ScaleY = Transform.ScaleY * boxY, OffsetX = Transform.OffsetX, OffsetY = Transform.OffsetY,
                PixelScale = options.Scale, PadValue = options.PadValue,
                Mean0 = options.Mean[0], Mean1 = options.Mean[1], Mean2 = options.Mean[2],
                Std0 = options.Std[0], Std1 = options.Std[1], Std2 = options.Std[2],
                Alpha = options.Alpha,
            };
            // Compile-time variants: the reduced image, or packed RGBA/BGRA words read without the format tests.
            string shader = reduce ? "preprocess_reduced" : format is PixelFormat.Rgba8 or PixelFormat.Bgra8 ? "preprocess_rgba" : "preprocess";
            var kernel = context.Pipelines.Get(shader, 2, (uint)Marshal.SizeOf<Push>(),
                new[] { (int)format, (int)options.Layout, (int)options.Resize, options.Bgr ? 1 : 0, 0, options.Channels });
            _kernel = kernel;
            _push = push;
            _descriptorPool = CreateDescriptorPool();
            for (int i = 0; i < Slots; i++)
            {
                if (reduce)
                {
                    _reduceSets[i] = WriteSet(_reduceKernel!, _frames[i], (ulong)((_frameBytes + 3) & ~3), _reduced, _reduced.Size);
                    _sets[i] = WriteSet(kernel, _reduced, _reduced.Size, _output, (ulong)OutputLength * 4);
                }
                // The frame binding covers whole words: the slot was allocated rounded up to 16 bytes.
                else _sets[i] = WriteSet(kernel, _frames[i], (ulong)((_frameBytes + 3) & ~3), _output, (ulong)OutputLength * 4);
            }
            if (!_external)
            {
                _pool = context.CreateCommandPool();
                for (int i = 0; i < Slots; i++)
                {
                    _cmds[i] = context.AllocateCommandBuffer(_pool);
                    _fences[i] = context.CreateFence();
                    Record(i);
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
    /// <summary>Floats in the output tensor: Channels·Height·Width.</summary>
    public int OutputLength { get; }
    /// <summary>Frame-to-model coordinate mapping; its <see cref="FrameTransform.ToFrame"/> maps results back.</summary>
    public FrameTransform Transform { get; }
    /// <summary>
    /// The integer box factor of the first (area-average) pass for an axis with model/frame <paramref name="scale"/>:
    /// ⌊1/scale⌋ when the axis shrinks by 2× or more, else 1 (no box pass). The remaining shrink, (1/scale)/box, is then
    /// below 1.5, which the resampling pass handles bilinearly.
    /// </summary>
    internal static int BoxFactor(float scale)
    {
        double shrink = 1.0 / scale;
        // A tolerance so that 128/1280 computed in float still gives 10.
        return shrink >= 2 - 1e-4 ? (int)Math.Floor(shrink + 1e-4) : 1;
    }

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

    /// <summary>The checks every consumer of <see cref="PreprocessOptions"/> makes (the pre-processor, the region cropper).</summary>
    internal static void Validate(PreprocessOptions o)
    {
        if (o.Width <= 0 || o.Height <= 0) throw new ArgumentException($"Model input size {o.Width}x{o.Height} must be positive.", nameof(o));
        if (o.Mean is not { Length: 3 }) throw new ArgumentException($"Mean needs 3 values (one per channel), got {o.Mean?.Length ?? 0}.", nameof(o));
        if (o.Std is not { Length: 3 }) throw new ArgumentException($"Std needs 3 values (one per channel), got {o.Std?.Length ?? 0}.", nameof(o));
        for (int c = 0; c < 3; c++)
            if (o.Std[c] == 0 || !float.IsFinite(o.Std[c]))
                throw new ArgumentException($"Std[{c}] is {o.Std[c]}; it divides, so it must be finite and non-zero.", nameof(o));
        if (!Enum.IsDefined(o.Resize)) throw new ArgumentException($"Unknown resize mode {(int)o.Resize}.", nameof(o));
        if (!Enum.IsDefined(o.Layout)) throw new ArgumentException($"Unknown tensor layout {(int)o.Layout}.", nameof(o));
        if (o.Channels is not (3 or 4)) throw new ArgumentException($"Channels is {o.Channels}; the output has 3 (colour) or 4 (colour and a constant alpha) channels.", nameof(o));
        if (!float.IsFinite(o.Alpha)) throw new ArgumentException($"Alpha is {o.Alpha}; it must be finite.", nameof(o));
    }

    /// <summary>
    /// Copies a frame into the next staging slot (waiting first if that slot's previous frame is still being processed).
    /// The frame must have exactly <see cref="FrameByteCount"/> bytes.
    /// </summary>
    public void Upload(ReadOnlySpan<byte> frame)
    {
        using var use = _use.Enter();
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
        using var use = _use.Enter();
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
        using var use = _use.Enter();
        ThrowIfDisposed();
        for (int i = 0; i < Slots; i++) WaitSlot(i);
    }

    /// <summary>Converts the last uploaded frame and waits for it.</summary>
    public void Run()
    {
        using var use = _use.Enter();
        Submit();
        Wait();
    }

    /// <summary>Convenience: <see cref="Upload"/> then <see cref="Run"/>.</summary>
    public void Process(ReadOnlySpan<byte> frame)
    {
        using var use = _use.Enter();
        Upload(frame);
        Run();
    }

    /// <summary>Copies the last converted tensor (<see cref="OutputLength"/> floats) into <paramref name="destination"/>.</summary>
    public void GetOutput(Span<float> destination)
    {
        using var use = _use.Enter();
        ThrowIfDisposed();
        if (destination.Length != OutputLength)
            throw new ArgumentException($"The preprocessed tensor has {OutputLength} floats ({Options.Channels}x{Options.Height}x{Options.Width}); the destination holds {destination.Length}.", nameof(destination));
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
    [PushConstants("preprocess", "preprocess_reduced", "preprocess_rgba")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push
    {
        public int SrcW, SrcH, DstW, DstH;
        public int PadX0, PadY0, PadX1, PadY1;
        public float ScaleX, ScaleY, OffsetX, OffsetY;
        public float PixelScale, PadValue;
        public float Mean0, Mean1, Mean2, Std0, Std1, Std2;
        public float Alpha;
    }

    /// <summary>Mirror of the push-constant block of shaders/preprocess_reduce.comp.</summary>
    [PushConstants("preprocess_reduce", "preprocess_reduce_rgba")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct ReducePush
    {
        public int SrcW, SrcH, RedW, RedH;
        public int BoxX, BoxY;
    }

    private void ThrowIfExternal()
    {
        if (_external) throw new InvalidOperationException("This preprocessor belongs to a frame pipeline, which records its conversions; it has no staging slots of its own.");
    }

    /// <summary>
    /// Records the conversion of source slot <paramref name="slot"/> into the session input into <paramref name="cmd"/>:
    /// one dispatch, or two (box reduction, barrier, resampling) for a shrink of 2x or more. The caller orders it with
    /// barriers: the source's writes, and earlier commands' use of the input and of this preprocessor (compute or
    /// transfer), before; the input's readers (compute or transfer) after.
    /// </summary>
    internal void RecordInto(CommandBuffer cmd, int slot)
    {
        ThrowIfDisposed();
        RecordPasses(cmd, slot);
    }

    /// <summary>The dispatches of one conversion (and the barrier between the two passes).</summary>
    private void RecordPasses(CommandBuffer cmd, int slot)
    {
        var vk = _ctx.Vk;
        if (_reduceKernel != null)
        {
            var rset = _reduceSets[slot];
            var rpush = _reducePush;
            vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, _reduceKernel.Pipeline);
            vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, _reduceKernel.Layout, 0, 1, &rset, 0, null);
            vk.CmdPushConstants(cmd, _reduceKernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(ReducePush), &rpush);
            var (rx, ry) = LayerCompiler.Grid(((long)rpush.RedW * rpush.RedH + 63) / 64);
            vk.CmdDispatch(cmd, rx, ry, 1);
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit);
        }
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
        var size = new DescriptorPoolSize { Type = DescriptorType.StorageBuffer, DescriptorCount = (uint)(4 * Slots) };
        var ci = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = (uint)(2 * Slots), PoolSizeCount = 1, PPoolSizes = &size };
        DescriptorPool pool;
        _ctx.Vk.CreateDescriptorPool(_ctx.Device, &ci, null, &pool).Check("vkCreateDescriptorPool");
        return pool;
    }

    private DescriptorSet WriteSet(Kernel kernel, BufferSlice input, ulong inputBytes, BufferSlice output, ulong outputBytes)
    {
        var vk = _ctx.Vk;
        var layout = kernel.SetLayout;
        var ai = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = _descriptorPool, DescriptorSetCount = 1, PSetLayouts = &layout };
        DescriptorSet set;
        vk.AllocateDescriptorSets(_ctx.Device, &ai, &set).Check("vkAllocateDescriptorSets");
        var infos = stackalloc DescriptorBufferInfo[2];
        infos[0] = new DescriptorBufferInfo(input.Buffer, input.Offset, inputBytes);
        infos[1] = new DescriptorBufferInfo(output.Buffer, output.Offset, outputBytes);
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

    private void Record(int slot)
    {
        var vk = _ctx.Vk;
        var cmd = _cmds[slot];
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
        vk.BeginCommandBuffer(cmd, &bi).Check("vkBeginCommandBuffer");
        // The other slot's conversion (earlier on the queue) wrote the same output and scratch image: order write after
        // write (and after its reads).
        _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.ShaderReadBit | AccessFlags.TransferReadBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit);
        RecordPasses(cmd, slot);
        // Later submissions on this queue (a session's Run: its compute layers or its staging copy) and the host read it.
        _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit | PipelineStageFlags.HostBit, AccessFlags.ShaderReadBit | AccessFlags.TransferReadBit | AccessFlags.HostReadBit);
        if (!_readback.IsNull)
        {
            var region = new BufferCopy(_output.Offset, _readback.Offset, (ulong)OutputLength * 4);
            vk.CmdCopyBuffer(cmd, _output.Buffer, _readback.Buffer, 1, &region);
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.HostBit, AccessFlags.HostReadBit);
        }
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
    }

    private void ThrowIfDisposed()
    {
        _ctx.ThrowIfDisposed();
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        using var use = _use.Enter();
        _disposed = true;
        if (_ctx == null) return;
        _ctx.Untrack(_tracked);
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
