// Batched crops, the second-stage primitive: N regions of a frame (axis-aligned or rotated boxes, quads, text lines)
// resampled and normalised into one batch tensor, a session's input or a buffer of its own, with each region's map
// back to frame pixels kept. GPU side: shaders/crop_regions.comp, recorded once as a ComputeProgram.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>
/// One region of a frame as an affine map from crop pixels to frame pixels: crop point (u, v) (continuous, pixel
/// (0, 0) covers [0, 1]²) is frame point (A·u + B·v + C, D·u + E·v + F). Crop pixels at or past <see cref="Width"/>
/// are padding (the variable-width lines of text recognisers). <see cref="ToFrame"/> maps a second stage's coordinates
/// back to the frame.
/// </summary>
public readonly record struct CropRegion(float A, float B, float C, float D, float E, float F, int Width)
{
    /// <summary>The box [x0, x1) × [y0, y1) of the frame stretched over a crop of <paramref name="cropWidth"/> × <paramref name="cropHeight"/>.</summary>
    public static CropRegion FromBox(float x0, float y0, float x1, float y1, int cropWidth, int cropHeight) =>
        new((x1 - x0) / cropWidth, 0, x0, 0, (y1 - y0) / cropHeight, y0, cropWidth);

    /// <summary>
    /// A box of <paramref name="width"/> × <paramref name="height"/> frame pixels centred at (<paramref name="cx"/>,
    /// <paramref name="cy"/>) and turned by <paramref name="angle"/> radians (clockwise on the image, whose y axis points
    /// down): the crop's u axis runs along the box's width.
    /// </summary>
    public static CropRegion FromRotatedBox(float cx, float cy, float width, float height, float angle, int cropWidth, int cropHeight)
    {
        float cos = MathF.Cos(angle), sin = MathF.Sin(angle);
        float a = cos * width / cropWidth, d = sin * width / cropWidth, b = -sin * height / cropHeight, e = cos * height / cropHeight;
        return new(a, b, cx - a * cropWidth / 2f - b * cropHeight / 2f, d, e, cy - d * cropWidth / 2f - e * cropHeight / 2f, cropWidth);
    }

    /// <summary>The parallelogram with corners <paramref name="topLeft"/>, <paramref name="topRight"/> and <paramref name="bottomLeft"/> (the fourth follows).</summary>
    public static CropRegion FromQuad((float X, float Y) topLeft, (float X, float Y) topRight, (float X, float Y) bottomLeft, int cropWidth, int cropHeight) =>
        new((topRight.X - topLeft.X) / cropWidth, (bottomLeft.X - topLeft.X) / cropHeight, topLeft.X,
            (topRight.Y - topLeft.Y) / cropWidth, (bottomLeft.Y - topLeft.Y) / cropHeight, topLeft.Y, cropWidth);

    /// <summary>
    /// A text line for a recogniser of fixed <paramref name="height"/>: the parallelogram scaled to that height keeping its
    /// aspect ratio, so it is <c>height · length / thickness</c> pixels wide (1 to <paramref name="maxWidth"/>; a longer
    /// line is squeezed to maxWidth), the rest of the crop padding.
    /// </summary>
    public static CropRegion TextLine((float X, float Y) topLeft, (float X, float Y) topRight, (float X, float Y) bottomLeft, int height, int maxWidth)
    {
        float length = MathF.Sqrt(Sq(topRight.X - topLeft.X) + Sq(topRight.Y - topLeft.Y));
        float thickness = MathF.Sqrt(Sq(bottomLeft.X - topLeft.X) + Sq(bottomLeft.Y - topLeft.Y));
        int width = thickness > 0 ? (int)Math.Clamp(MathF.Ceiling(height * length / thickness), 1f, maxWidth) : 1;
        return FromQuad(topLeft, topRight, bottomLeft, width, height);
        static float Sq(float v) => v * v;
    }

    /// <summary>Crop point (u, v) in frame pixels.</summary>
    public (float X, float Y) ToFrame(float u, float v) => (A * u + B * v + C, D * u + E * v + F);

    /// <summary>Frame point (x, y) in crop pixels (the inverse map).</summary>
    public (float U, float V) ToCrop(float x, float y)
    {
        float det = A * E - B * D, dx = x - C, dy = y - F;
        return ((E * dx - B * dy) / det, (A * dy - D * dx) / det);
    }

    /// <summary>Frame pixels per crop pixel along u and along v.</summary>
    public (float U, float V) Shrink => (MathF.Sqrt(A * A + D * D), MathF.Sqrt(B * B + E * E));
}

/// <summary>
/// Crops up to <see cref="MaxRegions"/> regions of an RGBA8 or BGRA8 frame into one batch tensor [N, 3, H, W] (or
/// [N, H, W, 3]) with the pre-processor's tent filter and normalisation (<see cref="PreprocessOptions"/>: Width,
/// Height, Scale, Mean, Std, Bgr, Layout, PadValue; Resize does not apply). Written into a session's input, a batch
/// of N then runs as <c>session.Run(N)</c>. Regions past the count and crop pixels past a region's width hold PadValue.
/// Not thread-safe.
/// </summary>
public sealed unsafe class RegionCropper : IDisposable
{
    /// <summary>The largest shrink (frame pixels per crop pixel) a region may have; the footprint of a crop pixel is then at most about 2·MaxShrink texels across.</summary>
    public const float MaxShrink = 32f;

    private readonly VulkanContext _ctx;
    private readonly MemoryArena _staging;
    private readonly BufferSlice _frame, _regions, _output;
    private readonly ComputeProgram _program;
    private readonly CropRegion[] _current;
    private readonly int _frameBytes, _itemFloats;
    internal readonly ExclusiveUse Use = new("RegionCropper");
    private readonly LinkedListNode<IDisposable>? _tracked;
    private bool _disposed;

    /// <summary>A cropper with an output tensor of its own (read it with <see cref="GetOutput"/>).</summary>
    public RegionCropper(VulkanContext context, int frameWidth, int frameHeight, PixelFormat format, PreprocessOptions options, int maxRegions)
        : this(context, null, 0, frameWidth, frameHeight, format, options, maxRegions) { }

    /// <summary>
    /// A cropper writing into input <paramref name="inputIndex"/> of <paramref name="session"/>: up to the session's
    /// <see cref="Session.MaxBatch"/> regions, the input being [MaxBatch, 3, Height, Width] (or NHWC). The session must
    /// outlive the cropper.
    /// </summary>
    public RegionCropper(Session session, int inputIndex, int frameWidth, int frameHeight, PixelFormat format, PreprocessOptions options)
        : this((session ?? throw new ArgumentNullException(nameof(session))).Context, session, inputIndex, frameWidth, frameHeight, format, options, session.MaxBatch) { }

    private RegionCropper(VulkanContext context, Session? session, int inputIndex, int frameWidth, int frameHeight, PixelFormat format, PreprocessOptions options, int maxRegions)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        context.ThrowIfDisposed();
        if (format is not (PixelFormat.Rgba8 or PixelFormat.Bgra8))
            throw new ArgumentException($"Region crops read RGBA8 or BGRA8 frames (the frame pipeline's canvas); {format} is not one.", nameof(format));
        if (frameWidth < 1 || frameHeight < 1 || (long)frameWidth * frameHeight > Imaging.ImageIO.MaxPixels)
            throw new ArgumentException($"Frame {frameWidth}x{frameHeight} must be at least 1x1 and at most {Imaging.ImageIO.MaxPixels:N0} pixels.");
        FramePreprocessor.Validate(options);
        if (options.Channels != 3)
            throw new ArgumentException($"Crops have 3 channels; Channels is {options.Channels}.", nameof(options));
        if (options.Mean.Any(m => !float.IsFinite(m)) || !float.IsFinite(options.Scale) || !float.IsFinite(options.PadValue))
            throw new ArgumentException($"Mean ({string.Join(", ", options.Mean)}), Scale {options.Scale} and PadValue {options.PadValue} must be finite.", nameof(options));
        if (maxRegions < 1 || maxRegions > 65535) throw new ArgumentOutOfRangeException(nameof(maxRegions), maxRegions, "From 1 to 65,535 regions per batch.");
        _ctx = context;
        FrameWidth = frameWidth;
        FrameHeight = frameHeight;
        Format = format;
        Options = options with { Mean = (float[])options.Mean.Clone(), Std = (float[])options.Std.Clone() };
        MaxRegions = maxRegions;
        _itemFloats = 3 * options.Width * options.Height;
        _frameBytes = frameWidth * frameHeight * 4;
        _current = new CropRegion[maxRegions];
        ulong outBytes = checked((ulong)maxRegions * (ulong)_itemFloats * 4);
        if (outBytes > context.DeviceInfo.MaxStorageBufferRange || (ulong)_frameBytes > context.DeviceInfo.MaxStorageBufferRange)
            throw new ArgumentException($"{maxRegions} crops of {options.Width}x{options.Height} need {outBytes:N0} bytes and the {frameWidth}x{frameHeight} frame {_frameBytes:N0}; " +
                                        $"{context.DeviceInfo.Name} binds at most {context.DeviceInfo.MaxStorageBufferRange:N0} (maxStorageBufferRange).");
        _staging = new MemoryArena(context, MemoryUsage.Staging);
        _tracked = context.Track(this);
        try
        {
            if (session != null)
            {
                var shape = session.InputShape(inputIndex);
                var want = options.Layout == TensorLayout.Nchw ? new TensorShape(maxRegions, 3, options.Height, options.Width) : new TensorShape(maxRegions, options.Height, options.Width, 3);
                if (shape != want)
                    throw new ArgumentException($"Session input {inputIndex} is {shape}; crops of {options.Width}x{options.Height} ({options.Layout}) for its batch of {maxRegions} write {want}.", nameof(session));
                _output = session.InputTarget(inputIndex);
            }
            else _output = _staging.Allocate(outBytes, "crops");
            _frame = _staging.Allocate((ulong)_frameBytes, "crop frame");
            _regions = _staging.Allocate(16 + (ulong)maxRegions * 32, "crop regions");
            new Span<byte>(_regions.Mapped, 16).Clear();
            var kernel = context.Pipelines.Get("crop_regions", 3, (uint)Marshal.SizeOf<Push>(),
                new[] { format == PixelFormat.Bgra8 ? 1 : 0, (int)options.Layout, options.Bgr ? 1 : 0 });
            var push = new Push
            {
                SrcW = frameWidth, SrcH = frameHeight, DstW = options.Width, DstH = options.Height, MaxRegions = maxRegions,
                PixelScale = options.Scale, PadValue = options.PadValue, MaxRadius = 2 * MaxShrink + 2,
                Mean0 = options.Mean[0], Mean1 = options.Mean[1], Mean2 = options.Mean[2], Std0 = options.Std[0], Std1 = options.Std[1], Std2 = options.Std[2],
            };
            var (gx, gy) = LayerCompiler.Grid(((long)options.Width * options.Height + 63) / 64);
            _program = new ComputeProgram.Builder(context)
                .Dispatch(kernel, new[] { _frame, _regions, _output.Sub(0, outBytes) }, push, gx, gy, (uint)maxRegions).Build();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int FrameWidth { get; }
    public int FrameHeight { get; }
    public PixelFormat Format { get; }
    public PreprocessOptions Options { get; }
    /// <summary>The largest number of regions one batch takes.</summary>
    public int MaxRegions { get; }
    /// <summary>How many regions the last <see cref="SetRegions"/> set.</summary>
    public int Count { get; private set; }
    /// <summary>The regions of the current batch, in order: their maps back to frame pixels (<see cref="CropRegion.ToFrame"/>).</summary>
    public ReadOnlySpan<CropRegion> Regions => _current.AsSpan(0, Count);

    /// <summary>Copies a frame (FrameWidth·FrameHeight·4 bytes) in.</summary>
    public void Upload(ReadOnlySpan<byte> frame)
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        if (frame.Length != _frameBytes)
            throw new ArgumentException($"A {FrameWidth}x{FrameHeight} {Format} frame has {_frameBytes} bytes; got {frame.Length}.", nameof(frame));
        frame.CopyTo(new Span<byte>(_frame.Mapped, _frameBytes));
    }

    /// <summary>Sets the regions of the next batch (at most <see cref="MaxRegions"/>; none gives a batch of padding).</summary>
    public void SetRegions(ReadOnlySpan<CropRegion> regions)
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        if (regions.Length > MaxRegions)
            throw new ArgumentException($"{regions.Length} regions given; this cropper takes at most {MaxRegions} per batch.", nameof(regions));
        var dst = new Span<float>((byte*)_regions.Mapped + 16, regions.Length * 8);
        Span<float> v = stackalloc float[8];
        for (int i = 0; i < regions.Length; i++)
        {
            var r = regions[i];
            if (!float.IsFinite(r.A) || !float.IsFinite(r.B) || !float.IsFinite(r.C) || !float.IsFinite(r.D) || !float.IsFinite(r.E) || !float.IsFinite(r.F))
                throw new ArgumentException($"Region {i} ({r}) has a value that is not finite.", nameof(regions));
            if (r.A * r.E - r.B * r.D == 0)
                throw new ArgumentException($"Region {i} ({r}) is degenerate: it maps the crop onto a line or a point.", nameof(regions));
            var (su, sv) = r.Shrink;
            if (su > MaxShrink || sv > MaxShrink)
                throw new ArgumentException($"Region {i} shrinks {su:0.##}x{sv:0.##} frame pixels into one crop pixel; at most {MaxShrink} (use a larger crop or a smaller frame).", nameof(regions));
            if (r.Width < 1 || r.Width > Options.Width)
                throw new ArgumentException($"Region {i} is {r.Width} pixels wide; the crops are 1 to {Options.Width}.", nameof(regions));
            (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]) = (r.A, r.B, r.C, r.Width, r.D, r.E, r.F, 0);
            v.CopyTo(dst.Slice(i * 8, 8));
            _current[i] = r;
        }
        *(uint*)_regions.Mapped = (uint)regions.Length;
        Count = regions.Length;
    }

    /// <summary>Crops the current regions of the uploaded frame and waits.</summary>
    public void Run()
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        _program.Run();
    }

    /// <summary>Convenience: <see cref="Upload"/>, <see cref="SetRegions"/>, <see cref="Run"/>.</summary>
    public void Process(ReadOnlySpan<byte> frame, ReadOnlySpan<CropRegion> regions)
    {
        Upload(frame);
        SetRegions(regions);
        Run();
    }

    /// <summary>Copies the crops of the last run, <see cref="Count"/> items of 3·Height·Width floats, into <paramref name="destination"/>.</summary>
    public void GetOutput(Span<float> destination)
    {
        using var use = Use.Enter();
        ThrowIfDisposed();
        int n = Count * _itemFloats;
        if (destination.Length != n)
            throw new ArgumentException($"{Count} crops of 3x{Options.Height}x{Options.Width} are {n} floats; the destination holds {destination.Length}.", nameof(destination));
        if (_output.Mapped == null) throw new InvalidOperationException("This cropper writes into a session's device-local input; read the session's output instead.");
        new ReadOnlySpan<float>(_output.Mapped, n).CopyTo(destination);
    }

    /// <summary>The crops of the last run as a new array.</summary>
    public float[] ReadOutput()
    {
        var r = new float[Count * _itemFloats];
        GetOutput(r);
        return r;
    }

    /// <summary>Mirror of the push-constant block of shaders/crop_regions.comp.</summary>
    [PushConstants("crop_regions")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push
    {
        public int SrcW, SrcH, DstW, DstH, MaxRegions;
        public float PixelScale, PadValue, MaxRadius;
        public float Mean0, Mean1, Mean2, Std0, Std1, Std2;
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ctx.ThrowIfDisposed();
    }

    public void Dispose()
    {
        if (_disposed) return;
        using var use = Use.Enter();
        _disposed = true;
        _ctx?.Untrack(_tracked);
        _program?.Dispose();
        _staging?.Dispose();
    }
}
