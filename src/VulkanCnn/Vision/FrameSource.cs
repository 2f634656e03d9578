// FrameSource: FrameSource.Open (a source from a short text) and the RGB to pixel-format conversion the sources share.
using System.Globalization;

namespace VulkanCnn.Vision;

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
