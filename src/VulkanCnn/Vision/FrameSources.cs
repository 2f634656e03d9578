// Where CPU frames come from: video files, streams and V4L2 webcams through the system ffmpeg (raw frames over a pipe
// into a latest-frame-wins ring), image files and folders (ImageSharp), and a synthetic test pattern; FrameSource.Open.
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Imaging;

namespace VulkanCnn.Vision;

/// <summary>
/// A stream of frames of one size and <see cref="PixelFormat"/>, ready for <see cref="FramePreprocessor.Upload"/>.
/// With <see cref="FrameSourceOptions.DropFrames"/> (the default) the latest frame wins: a slow consumer gets the newest
/// frame, older unread frames are discarded and counted in <see cref="DroppedFrames"/>. Frame numbers count the frames
/// the source produced, from 0, so a gap in them is a drop. One consumer thread.
/// </summary>
public interface IFrameSource : IDisposable
{
    /// <summary>What is read: a file, URL, device or "testsrc".</summary>
    string Name { get; }
    /// <summary>Frame width in pixels.</summary>
    int Width { get; }
    /// <summary>Frame height in pixels.</summary>
    int Height { get; }
    /// <summary>Byte layout of the frames.</summary>
    PixelFormat Format { get; }
    /// <summary>Bytes of one frame (<see cref="FramePreprocessor.FrameBytes"/>).</summary>
    int FrameBytes { get; }
    /// <summary>Nominal frame rate (0 where the source does not say).</summary>
    double FramesPerSecond { get; }
    /// <summary>Frames produced but never returned because a newer one was there first.</summary>
    long DroppedFrames { get; }
    /// <summary>True once the source has ended and every frame was either returned or dropped.</summary>
    bool IsEnded { get; }

    /// <summary>
    /// Copies the newest frame not yet returned into <paramref name="frame"/> (<see cref="FrameBytes"/> bytes) without
    /// waiting. False when there is none (yet, or any more: see <see cref="IsEnded"/>). Throws if the source failed.
    /// </summary>
    bool TryGetLatest(Span<byte> frame, out long frameNumber);

    /// <summary>
    /// Like <see cref="TryGetLatest"/> but waits up to <paramref name="timeout"/> for a new frame. False at the end of the
    /// stream; a <see cref="TimeoutException"/> naming the source when nothing came in time.
    /// </summary>
    bool ReadLatest(Span<byte> frame, out long frameNumber, TimeSpan timeout);
}

/// <summary>How a frame source is opened. Unset values take the source's own.</summary>
public sealed record FrameSourceOptions
{
    /// <summary>Output pixel format (default RGBA).</summary>
    public PixelFormat Format { get; init; } = PixelFormat.Rgba8;
    /// <summary>
    /// Frame size. Webcams capture at it (<c>-video_size</c>), videos and images are resized to it; with only one of
    /// Width and Height the other keeps the aspect ratio. The test pattern's default is 640×480.
    /// </summary>
    public int? Width { get; init; }
    /// <inheritdoc cref="Width"/>
    public int? Height { get; init; }
    /// <summary>Webcam capture rate (<c>-framerate</c>); the pace of the test pattern and of images with <see cref="Realtime"/> (default 30).</summary>
    public double? FramesPerSecond { get; init; }
    /// <summary>Latest frame wins (default). False: every frame is delivered in order and the producer waits for the consumer.</summary>
    public bool DropFrames { get; init; } = true;
    /// <summary>
    /// Produce frames at <see cref="FramesPerSecond"/> (video files: their own rate, ffmpeg's <c>-re</c>) instead of as fast
    /// as they are read. Cameras and live streams are real-time anyway.
    /// </summary>
    public bool Realtime { get; init; }
    /// <summary>Start again at the end (video files, image folders); frame numbers keep increasing.</summary>
    public bool Loop { get; init; }
    /// <summary>Frames the ffmpeg reader keeps (2..16, default 3): one being read, one being filled, the newest waiting.</summary>
    public int RingSize { get; init; } = 3;
    /// <summary>How long ffmpeg may take to open its input before the source gives up (default 10 s).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The ffmpeg executable (default "ffmpeg", found on PATH).</summary>
    public string FfmpegPath { get; init; } = "ffmpeg";
    /// <summary>Extra ffmpeg arguments placed before <c>-i</c> (for example <c>-input_format mjpeg</c> for a webcam).</summary>
    public IReadOnlyList<string> InputArguments { get; init; } = Array.Empty<string>();
}

/// <summary>Opens frame sources from a short text: <c>webcam[:N]</c>, <c>/dev/videoN</c>, <c>testsrc</c>, a directory, an image file, a video file or a URL.</summary>
public static class FrameSource
{
    internal static readonly string[] ImageExtensions = { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp" };
    private const string Forms = "webcam[:N], /dev/videoN, testsrc, a directory of images, an image file, a video file or a URL";

    /// <summary>Opens <paramref name="spec"/> (see the class summary); errors name the spec and what would be valid.</summary>
    public static IFrameSource Open(string spec, FrameSourceOptions? options = null)
    {
        options ??= new FrameSourceOptions();
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException($"Empty frame source; use {Forms}.", nameof(spec));
        if (spec == "testsrc") return new TestPatternSource(options);
        if (spec == "webcam" || spec.StartsWith("webcam:", StringComparison.Ordinal))
        {
            var n = spec.Length == 6 ? "0" : spec[7..];
            if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                throw new ArgumentException($"Frame source '{spec}': the camera number must be a non-negative integer, as in webcam:0 (/dev/video0).", nameof(spec));
            return FfmpegFrameSource.Webcam($"/dev/video{index}", options);
        }
        if (spec.StartsWith("/dev/video", StringComparison.Ordinal)) return FfmpegFrameSource.Webcam(spec, options);
        if (spec.Contains("://", StringComparison.Ordinal)) return new FfmpegFrameSource(spec, options);
        if (Directory.Exists(spec)) return new ImageFolderSource(spec, options);
        if (!File.Exists(spec))
            throw new FileNotFoundException($"Frame source '{spec}' is no file, directory or known name; use {Forms}.", spec);
        if (ImageExtensions.Contains(Path.GetExtension(spec).ToLowerInvariant())) return new ImageFolderSource(spec, options);
        return new FfmpegFrameSource(spec, options);
    }

    /// <summary>Bytes of one frame of <paramref name="what"/>, which must fit one array (2^31-1 bytes).</summary>
    internal static int FrameBytesOf(string what, int width, int height, PixelFormat format)
    {
        long n = FramePreprocessor.FrameBytes(width, height, format);
        return n <= Array.MaxLength ? (int)n
            : throw new ArgumentException($"A {width}x{height} {format} frame of {what} would be {n:N0} bytes; a frame holds at most {Array.MaxLength:N0}.");
    }

    internal static void Validate(FrameSourceOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (!Enum.IsDefined(o.Format)) throw new ArgumentException($"Unknown pixel format {(int)o.Format}.");
        if (o.Width is <= 0 || o.Height is <= 0) throw new ArgumentException($"Frame size {o.Width}x{o.Height} must be positive.");
        if (o.FramesPerSecond is { } f && !(f > 0 && double.IsFinite(f))) throw new ArgumentException($"Frame rate {f} must be positive.");
        if (o.RingSize is < 2 or > 16) throw new ArgumentException($"Ring size {o.RingSize} must be 2..16.");
        if (o.StartTimeout <= TimeSpan.Zero) throw new ArgumentException($"Start timeout {o.StartTimeout} must be positive.");
    }

    // ---------------------------------------------------------------------------------- RGB to the pixel formats

    /// <summary>
    /// Packed RGB bytes (3 per pixel) into <paramref name="format"/>: YUV is ITU-R BT.601 limited range, the inverse of what
    /// the preprocessor decodes, with chroma averaged over each pixel pair (YUYV) or 2×2 block (NV12).
    /// </summary>
    internal static void FromRgb(ReadOnlySpan<byte> rgb, int w, int h, PixelFormat format, Span<byte> dst)
    {
        int n = w * h;
        switch (format)
        {
            case PixelFormat.Rgb24: rgb[..(3 * n)].CopyTo(dst); return;
            case PixelFormat.Rgba8:
            case PixelFormat.Bgra8:
                bool bgr = format == PixelFormat.Bgra8;
                for (int p = 0; p < n; p++)
                {
                    dst[4 * p] = rgb[3 * p + (bgr ? 2 : 0)];
                    dst[4 * p + 1] = rgb[3 * p + 1];
                    dst[4 * p + 2] = rgb[3 * p + (bgr ? 0 : 2)];
                    dst[4 * p + 3] = 255;
                }
                return;
            case PixelFormat.Yuyv:
                for (int p = 0; p < n; p += 2)
                {
                    dst[2 * p] = Luma(rgb, p);
                    dst[2 * p + 2] = Luma(rgb, p + 1);
                    var (u, v) = Chroma(rgb, p, p + 1, p, p + 1);
                    dst[2 * p + 1] = u;
                    dst[2 * p + 3] = v;
                }
                return;
            case PixelFormat.Nv12:
                for (int p = 0; p < n; p++) dst[p] = Luma(rgb, p);
                for (int y = 0; y < h; y += 2)
                    for (int x = 0; x < w; x += 2)
                    {
                        int a = y * w + x, b = a + w;
                        var (u, v) = Chroma(rgb, a, a + 1, b, b + 1);
                        int c = n + y / 2 * w + x;
                        dst[c] = u;
                        dst[c + 1] = v;
                    }
                return;
            default: throw new ArgumentOutOfRangeException(nameof(format), $"Unknown pixel format {(int)format}.");
        }
    }

    private static byte Clamp(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);

    private static byte Luma(ReadOnlySpan<byte> rgb, int p) =>
        Clamp(16 + (65.481 * rgb[3 * p] + 128.553 * rgb[3 * p + 1] + 24.966 * rgb[3 * p + 2]) / 255);

    private static (byte U, byte V) Chroma(ReadOnlySpan<byte> rgb, int p0, int p1, int p2, int p3)
    {
        double r = 0, g = 0, b = 0;
        foreach (int p in new[] { p0, p1, p2, p3 }) { r += rgb[3 * p]; g += rgb[3 * p + 1]; b += rgb[3 * p + 2]; }
        r /= 4; g /= 4; b /= 4;
        return (Clamp(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255), Clamp(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255));
    }

    /// <summary>The 0..255 brightness of pixel (x, y): Y for YUV formats, the mean of R, G, B otherwise.</summary>
    internal static int Brightness(ReadOnlySpan<byte> f, int w, int x, int y, PixelFormat format) => format switch
    {
        PixelFormat.Rgba8 or PixelFormat.Bgra8 => (f[4 * (y * w + x)] + f[4 * (y * w + x) + 1] + f[4 * (y * w + x) + 2]) / 3,
        PixelFormat.Rgb24 => (f[3 * (y * w + x)] + f[3 * (y * w + x) + 1] + f[3 * (y * w + x) + 2]) / 3,
        PixelFormat.Yuyv => f[2 * (y * w + x)],
        PixelFormat.Nv12 => f[y * w + x],
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}

/// <summary>
/// Frames generated on demand from their index (test pattern, images): real-time sources take the index from the clock
/// (latest wins, skipped indices are drops); the others return every index in turn.
/// </summary>
public abstract class PulledFrameSource : IFrameSource
{
    private readonly Stopwatch _clock = new();
    private long _last = -1;
    private bool _disposed;

    private protected PulledFrameSource(string name, int width, int height, FrameSourceOptions options, double fps, long? count)
    {
        FrameSource.Validate(options);
        Name = name;
        Width = width;
        Height = height;
        Format = options.Format;
        FrameBytes = FrameSource.FrameBytesOf($"'{name}'", width, height, options.Format);
        FramesPerSecond = fps;
        Count = count;
        Options = options;
    }

    private protected FrameSourceOptions Options { get; }
    private protected long? Count { get; }
    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Width { get; }
    /// <inheritdoc/>
    public int Height { get; }
    /// <inheritdoc/>
    public PixelFormat Format { get; }
    /// <inheritdoc/>
    public int FrameBytes { get; }
    /// <inheritdoc/>
    public double FramesPerSecond { get; }
    /// <inheritdoc/>
    public long DroppedFrames { get; private set; }
    /// <inheritdoc/>
    public bool IsEnded => !Options.Loop && Count is { } c && _last >= c - 1;

    /// <summary>Writes frame <paramref name="index"/> (already reduced modulo the count when looping).</summary>
    private protected abstract void Render(long index, Span<byte> frame);

    /// <inheritdoc/>
    public bool TryGetLatest(Span<byte> frame, out long frameNumber)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame.Length != FrameBytes)
            throw new ArgumentException($"A {Width}x{Height} {Format} frame of '{Name}' has {FrameBytes} bytes; the buffer has {frame.Length}.", nameof(frame));
        frameNumber = -1;
        if (IsEnded) return false;
        long next = _last + 1;
        if (Options.Realtime)
        {
            if (!_clock.IsRunning) _clock.Start();
            long now = (long)Math.Floor(_clock.Elapsed.TotalSeconds * FramesPerSecond);
            if (!Options.Loop && Count is { } c) now = Math.Min(now, c - 1);
            if (now < next) return false;
            if (Options.DropFrames) { DroppedFrames += now - next; next = now; }
        }
        Render(Count is { } n ? next % n : next, frame);
        frameNumber = _last = next;
        return true;
    }

    /// <inheritdoc/>
    public bool ReadLatest(Span<byte> frame, out long frameNumber, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!TryGetLatest(frame, out frameNumber))
        {
            if (IsEnded) return false;
            if (deadline.Elapsed > timeout) throw new TimeoutException($"No frame from '{Name}' within {timeout.TotalSeconds:0.###} s.");
            Thread.Sleep(1);
        }
        return true;
    }

    /// <inheritdoc/>
    public virtual void Dispose() => _disposed = true;
}

/// <summary>
/// A deterministic synthetic pattern: eight colour bars, a grey square moving 4 pixels a frame, and in the bottom eighth
/// the frame number as 32 black/white cells (most significant bit first), read back by <see cref="DecodeFrameNumber"/>.
/// Sizes: at least 32×16 (and even where the format subsamples); default 640×480 at 30 frames per second.
/// </summary>
public sealed class TestPatternSource : PulledFrameSource
{
    private static readonly byte[][] Bars =
    {
        new byte[] { 235, 235, 235 }, new byte[] { 235, 235, 16 }, new byte[] { 16, 235, 235 }, new byte[] { 16, 235, 16 },
        new byte[] { 235, 16, 235 }, new byte[] { 235, 16, 16 }, new byte[] { 16, 16, 235 }, new byte[] { 16, 16, 16 },
    };
    private static readonly byte[] Grey = { 128, 128, 128 };
    private readonly byte[] _rgb;

    /// <summary>A test pattern of options' size (default 640×480), format and rate (default 30).</summary>
    public TestPatternSource(FrameSourceOptions? options = null)
        : base("testsrc", (options ?? new()).Width ?? 640, (options ?? new()).Height ?? 480, options ?? new(), (options ?? new()).FramesPerSecond ?? 30, null)
    {
        if (Width < 32 || Height < 16)
            throw new ArgumentException($"The test pattern encodes the frame number in 32 cells: it needs at least 32x16 pixels, got {Width}x{Height}.");
        _rgb = new byte[3 * Width * Height];
    }

    private static int CodeTop(int h) => h - Math.Max(2, h / 8);

    private protected override void Render(long index, Span<byte> frame)
    {
        int w = Width, h = Height, top = CodeTop(h), side = Math.Max(2, h / 4) & ~1;
        int sx = (int)(index * 4 % Math.Max(1, w - side)) & ~1, sy = (top - side) / 2 & ~1;
        uint code = (uint)index;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                byte[] c;
                if (y >= top)
                {
                    int bit = x * 32 / w;
                    c = (code >> (31 - bit) & 1) != 0 ? Bars[0] : Bars[7];
                }
                else if (x >= sx && x < sx + side && y >= sy && y < sy + side) c = Grey;
                else c = Bars[x * 8 / w];
                int p = 3 * (y * w + x);
                _rgb[p] = c[0]; _rgb[p + 1] = c[1]; _rgb[p + 2] = c[2];
            }
        FrameSource.FromRgb(_rgb, w, h, Format, frame);
    }

    /// <summary>The frame number a test-pattern frame carries (its low 32 bits), read from the centres of its code cells.</summary>
    public static long DecodeFrameNumber(ReadOnlySpan<byte> frame, int width, int height, PixelFormat format)
    {
        if (frame.Length != FramePreprocessor.FrameBytes(width, height, format))
            throw new ArgumentException($"A {width}x{height} {format} frame has {FramePreprocessor.FrameBytes(width, height, format)} bytes, got {frame.Length}.");
        int y = (CodeTop(height) + height) / 2;
        uint code = 0;
        for (int bit = 0; bit < 32; bit++)
        {
            int x0 = (bit * width + 31) / 32, x1 = ((bit + 1) * width + 31) / 32;
            code = code << 1 | (FrameSource.Brightness(frame, width, (x0 + x1 - 1) / 2, y, format) >= 128 ? 1u : 0u);
        }
        return code;
    }
}

/// <summary>
/// One image file, or every image in a folder in ordinal name order, as frames (loaded by ImageSharp). Images are resized
/// (bicubic) to the options' size; without one, every image must have the first image's size.
/// </summary>
public sealed class ImageFolderSource : PulledFrameSource
{
    private readonly string[] _files;
    private readonly byte[] _cached;
    private long _cachedIndex = -1;

    /// <summary>Opens an image file or a folder of images.</summary>
    public ImageFolderSource(string path, FrameSourceOptions? options = null)
        : this(path, List(path), options ?? new()) { }

    private ImageFolderSource(string path, string[] files, FrameSourceOptions o)
        : base(path, Size(files[0], o).W, Size(files[0], o).H, o, o.FramesPerSecond ?? 30, files.Length)
    {
        _files = files;
        _cached = new byte[FrameBytes];
    }

    private static string[] List(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path)) return new[] { path };
        if (!Directory.Exists(path)) throw new FileNotFoundException($"Image file or folder '{path}' does not exist.", path);
        var files = Directory.GetFiles(path).Where(f => FrameSource.ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                             .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
            throw new FileNotFoundException($"Folder '{path}' has no images ({string.Join(", ", FrameSource.ImageExtensions)}).", path);
        return files;
    }

    private static (int W, int H) Size(string file, FrameSourceOptions o)
    {
        var (w, h) = ImageFileCheck.Identify(file);
        return Target(w, h, o);
    }

    private static (int W, int H) Target(int w, int h, FrameSourceOptions o) => (o.Width, o.Height) switch
    {
        (null, null) => (w, h),
        ({ } tw, { } th) => (tw, th),
        ({ } tw, null) => (tw, Side(Math.Round((double)h * tw / w))),
        (null, { } th) => (Side(Math.Round((double)w * th / h)), th),
    };

    // A side that keeps the aspect ratio, in double first: a 1-pixel-high image given a width may need a height past int.
    private static int Side(double v) => v <= int.MaxValue ? Math.Max(1, (int)v)
        : throw new ArgumentException($"Keeping the aspect ratio gives a side of {v:0} pixels: give both FrameSourceOptions.Width and Height.");

    private protected override void Render(long index, Span<byte> frame)
    {
        if (index != _cachedIndex)
        {
            var file = _files[index];
            using (var image = ImageFileCheck.LoadRgb24(file))
            {
                if (Options.Width != null || Options.Height != null) image.Mutate(x => x.Resize(Width, Height));
                else if (image.Width != Width || image.Height != Height)
                    throw new InvalidDataException($"Image '{file}' is {image.Width}x{image.Height} but '{_files[0]}' is {Width}x{Height}: give FrameSourceOptions.Width and Height to resize them all.");
                var rgb = new byte[3 * Width * Height];
                image.CopyPixelDataTo(rgb);
                FrameSource.FromRgb(rgb, Width, Height, Format, _cached);
            }
            _cachedIndex = index;
        }
        _cached.CopyTo(frame);
    }
}

/// <summary>
/// Video files, network streams and V4L2 webcams decoded by the system <c>ffmpeg</c> (started without a shell) into raw
/// frames on its standard output. A background thread reads them into a ring of <see cref="FrameSourceOptions.RingSize"/>
/// preallocated buffers; with <see cref="FrameSourceOptions.DropFrames"/> it overwrites the oldest unread frame when the
/// consumer is behind. Errors name the input and quote ffmpeg's last lines; <see cref="Dispose"/> kills ffmpeg.
/// </summary>
public sealed class FfmpegFrameSource : IFrameSource
{
    private enum Slot { Free, Filling, Ready, Reading }

    private static readonly Regex StreamLine = new(@"Stream #0:0.*Video: rawvideo.*?, (\d+)x(\d+)", RegexOptions.Compiled);
    private static readonly Regex FpsText = new(@", (\d+(?:\.\d+)?) fps", RegexOptions.Compiled);

    private readonly Process _process;
    private readonly FrameSourceOptions _options;
    private readonly byte[][] _buffers;
    private readonly Slot[] _state;
    private readonly long[] _numbers;
    private readonly Queue<string> _stderr = new();
    private readonly ManualResetEventSlim _header = new();
    private readonly Thread? _reader;
    private readonly object _lock = new();
    private bool _inOutput, _ended, _disposed;
    private long _produced, _dropped;
    private Exception? _failure;

    /// <summary>Opens a V4L2 camera (<c>/dev/videoN</c>) at the options' size and frame rate.</summary>
    public static FfmpegFrameSource Webcam(string device, FrameSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!File.Exists(device))
        {
            var present = Directory.Exists("/dev") ? Directory.GetFiles("/dev", "video*").Order(StringComparer.Ordinal).ToArray() : Array.Empty<string>();
            throw new IOException($"Camera {device} does not exist (V4L2 devices present: {(present.Length == 0 ? "none" : string.Join(", ", present))}).");
        }
        return new FfmpegFrameSource(device, options ?? new(), camera: true);
    }

    /// <summary>Opens a video file or URL (or anything ffmpeg reads, with <see cref="FrameSourceOptions.InputArguments"/>).</summary>
    public FfmpegFrameSource(string input, FrameSourceOptions? options = null) : this(input, options ?? new(), camera: false) { }

    private FfmpegFrameSource(string input, FrameSourceOptions options, bool camera)
    {
        ArgumentNullException.ThrowIfNull(input);
        FrameSource.Validate(options);
        // Devices (/dev/...) are left to ffmpeg, whose error then names them.
        if (!camera && !input.Contains("://", StringComparison.Ordinal) && !input.StartsWith("/dev/", StringComparison.Ordinal) && !File.Exists(input))
            throw new FileNotFoundException($"Video file '{input}' does not exist.", input);
        Name = input;
        Format = options.Format;
        _options = options;
        string what = camera ? $"camera {input}" : $"'{input}'";

        var psi = new ProcessStartInfo(options.FfmpegPath)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in Arguments(input, options, camera)) psi.ArgumentList.Add(a);
        _process = new Process { StartInfo = psi };
        _process.ErrorDataReceived += OnStderr;
        try { _process.Start(); ProcessId = _process.Id; }
        catch (Win32Exception e)
        {
            throw new FileNotFoundException($"ffmpeg ('{options.FfmpegPath}') was not found or cannot run ({e.Message}), so {what} cannot be read: " +
                                            "install the Debian package ffmpeg, or run scripts/setup.sh.", options.FfmpegPath, e);
        }
        try
        {
            _process.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!_header.Wait(50))
            {
                if (_process.HasExited)
                {
                    _process.WaitForExit(); // the rest of stderr
                    throw new IOException($"ffmpeg could not open {what} (exit code {_process.ExitCode}){Hint(camera)}:\n{StderrTail()}");
                }
                if (clock.Elapsed > options.StartTimeout)
                    throw new TimeoutException($"ffmpeg did not start delivering {what} within {options.StartTimeout.TotalSeconds:0.###} s{Hint(camera)}:\n{StderrTail()}");
            }
            FrameBytes = FrameSource.FrameBytesOf(what, Width, Height, Format);
            _buffers = new byte[options.RingSize][];
            for (int i = 0; i < _buffers.Length; i++) _buffers[i] = new byte[FrameBytes];
            _state = new Slot[options.RingSize];
            _numbers = new long[options.RingSize];
            _reader = new Thread(ReadFrames) { IsBackground = true, Name = $"ffmpeg reader {input}" };
            _reader.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static string Hint(bool camera) => camera ? "; is it connected and not in use by another program?" : "";

    private static List<string> Arguments(string input, FrameSourceOptions o, bool camera)
    {
        var a = new List<string> { "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info" };
        if (camera)
        {
            a.AddRange(new[] { "-f", "v4l2" });
            if (o.FramesPerSecond is { } f) a.AddRange(new[] { "-framerate", f.ToString(CultureInfo.InvariantCulture) });
            if (o.Width is { } w && o.Height is { } h) a.AddRange(new[] { "-video_size", $"{w}x{h}" });
        }
        else
        {
            if (o.Realtime) a.Add("-re");
            if (o.Loop) a.AddRange(new[] { "-stream_loop", "-1" });
        }
        a.AddRange(o.InputArguments);
        a.AddRange(new[] { "-i", input, "-map", "0:v:0", "-an", "-sn" });
        if (o.Width != null || o.Height != null)
        {
            // -2: the aspect ratio kept, rounded to an even number (YUV formats need one).
            a.AddRange(new[] { "-vf", $"scale={o.Width ?? -2}:{o.Height ?? -2}" });
        }
        string pix = o.Format switch
        {
            PixelFormat.Rgba8 => "rgba", PixelFormat.Bgra8 => "bgra", PixelFormat.Rgb24 => "rgb24", PixelFormat.Yuyv => "yuyv422", PixelFormat.Nv12 => "nv12",
            _ => throw new ArgumentOutOfRangeException(nameof(o), $"Unknown pixel format {(int)o.Format}."),
        };
        a.AddRange(new[] { "-f", "rawvideo", "-pix_fmt", pix, "pipe:1" });
        return a;
    }

    // ffmpeg describes its output stream on stderr before writing the first frame: that line gives the size and rate.
    private void OnStderr(object sender, DataReceivedEventArgs e)
    {
        if (e.Data == null) return;
        lock (_stderr)
        {
            _stderr.Enqueue(e.Data);
            while (_stderr.Count > 12) _stderr.Dequeue();
        }
        if (_header.IsSet) return;
        if (e.Data.StartsWith("Output #0", StringComparison.Ordinal)) _inOutput = true;
        else if (_inOutput && StreamLine.Match(e.Data) is { Success: true } m)
        {
            Width = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            Height = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            var fps = FpsText.Match(e.Data);
            FramesPerSecond = fps.Success ? double.Parse(fps.Groups[1].Value, CultureInfo.InvariantCulture) : _options.FramesPerSecond ?? 0;
            _header.Set();
        }
    }

    private string StderrTail()
    {
        lock (_stderr) return _stderr.Count == 0 ? "(ffmpeg printed nothing)" : string.Join("\n", _stderr.Select(l => "  " + l));
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Width { get; private set; }
    /// <inheritdoc/>
    public int Height { get; private set; }
    /// <inheritdoc/>
    public PixelFormat Format { get; }
    /// <inheritdoc/>
    public int FrameBytes { get; }
    /// <inheritdoc/>
    public double FramesPerSecond { get; private set; }
    /// <inheritdoc/>
    public long DroppedFrames { get { lock (_lock) return _dropped; } }
    /// <summary>Frames read from ffmpeg so far.</summary>
    public long FramesProduced { get { lock (_lock) return _produced; } }
    /// <inheritdoc/>
    public bool IsEnded { get { lock (_lock) return _ended && _failure == null && !_state.Contains(Slot.Ready); } }
    /// <summary>The ffmpeg process (tests check that Dispose ends it).</summary>
    internal int ProcessId { get; }
    /// <summary>Frames read and waiting (never more than the ring size; 0 or 1 with a fast consumer).</summary>
    internal int Buffered { get { lock (_lock) return _state.Count(s => s == Slot.Ready); } }

    private void ReadFrames()
    {
        var stdout = _process.StandardOutput.BaseStream;
        try
        {
            while (true)
            {
                int slot;
                lock (_lock)
                {
                    while (true)
                    {
                        if (_disposed) return;
                        slot = Array.IndexOf(_state, Slot.Free);
                        if (slot >= 0) break;
                        if (_options.DropFrames)
                        {
                            // The consumer is behind: the oldest unread frame is overwritten.
                            slot = Oldest();
                            _dropped++;
                            break;
                        }
                        Monitor.Wait(_lock);
                    }
                    _state[slot] = Slot.Filling;
                }
                int n = stdout.ReadAtLeast(_buffers[slot], FrameBytes, throwOnEndOfStream: false);
                lock (_lock)
                {
                    if (n < FrameBytes)
                    {
                        _state[slot] = Slot.Free;
                        _process.WaitForExit();
                        if (_process.ExitCode != 0 && !_disposed)
                            _failure = new IOException($"ffmpeg stopped reading '{Name}' with exit code {_process.ExitCode} after {_produced} frames:\n{StderrTail()}");
                        else if (n > 0 && !_disposed)
                            _failure = new IOException($"'{Name}' ended inside a frame ({n} of {FrameBytes} bytes) after {_produced} frames:\n{StderrTail()}");
                        _ended = true;
                        Monitor.PulseAll(_lock);
                        return;
                    }
                    _numbers[slot] = _produced++;
                    _state[slot] = Slot.Ready;
                    Monitor.PulseAll(_lock);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            lock (_lock)
            {
                if (!_disposed) _failure = new IOException($"Reading frames of '{Name}' from ffmpeg failed: {e.Message}", e);
                _ended = true;
                Monitor.PulseAll(_lock);
            }
        }
    }

    private int Oldest()
    {
        int best = -1;
        for (int i = 0; i < _state.Length; i++)
            if (_state[i] == Slot.Ready && (best < 0 || _numbers[i] < _numbers[best])) best = i;
        return best;
    }

    /// <inheritdoc/>
    public bool TryGetLatest(Span<byte> frame, out long frameNumber) => Take(frame, out frameNumber, TimeSpan.Zero);

    /// <inheritdoc/>
    public bool ReadLatest(Span<byte> frame, out long frameNumber, TimeSpan timeout)
    {
        if (Take(frame, out frameNumber, timeout)) return true;
        if (IsEnded) return false;
        throw new TimeoutException($"No frame from '{Name}' within {timeout.TotalSeconds:0.###} s:\n{StderrTail()}");
    }

    private bool Take(Span<byte> frame, out long frameNumber, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame.Length != FrameBytes)
            throw new ArgumentException($"A {Width}x{Height} {Format} frame of '{Name}' has {FrameBytes} bytes; the buffer has {frame.Length}.", nameof(frame));
        frameNumber = -1;
        int slot;
        var clock = Stopwatch.StartNew();
        lock (_lock)
        {
            while (true)
            {
                slot = -1;
                for (int i = 0; i < _state.Length; i++)
                    if (_state[i] == Slot.Ready && (slot < 0 || (_options.DropFrames ? _numbers[i] > _numbers[slot] : _numbers[i] < _numbers[slot])))
                        slot = i;
                if (slot >= 0) break;
                if (_failure != null) throw _failure;
                var left = timeout - clock.Elapsed;
                if (_ended || left <= TimeSpan.Zero) return false;
                Monitor.Wait(_lock, left);
            }
            // Latest wins: whatever is older than the frame taken will never be returned.
            if (_options.DropFrames)
                for (int i = 0; i < _state.Length; i++)
                    if (i != slot && _state[i] == Slot.Ready) { _state[i] = Slot.Free; _dropped++; }
            _state[slot] = Slot.Reading;
        }
        _buffers[slot].CopyTo(frame);
        lock (_lock)
        {
            _state[slot] = Slot.Free;
            frameNumber = _numbers[slot];
            Monitor.PulseAll(_lock);
        }
        return true;
    }

    /// <summary>Kills ffmpeg and stops the reader thread.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_lock);
        }
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // not started, or already gone
        catch (Win32Exception) { }
        _reader?.Join(TimeSpan.FromSeconds(5));
        _process.Dispose();
        // _header is not disposed: a late stderr line may still test it, and it holds no kernel handle.
    }
}
