// TestPatternSource: a deterministic synthetic pattern (colour bars, a moving square, the frame number as a bit code).
namespace VulkanCnn.Vision;

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
