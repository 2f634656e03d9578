// Area-averaged downscaling in shaders/preprocess.comp against ImageSharp's Triangle resampler (the CPU reference the
// brief names): small bright squares ("small faces") in a 4x and a 5x downscale keep their energy instead of falling
// between two bilinear taps.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Vision;
using PixelFormat = VulkanCnn.Vision.PixelFormat;

namespace VulkanCnn.Tests.Vision;

public class PreprocessDownscaleTests : GpuTest
{
    /// <summary>Black frame with 5x5 white squares every 23 pixels (odd phase, so squares land between samples).</summary>
    private static byte[] Squares(int w, int h)
    {
        var f = new byte[w * h * 4];
        for (int i = 0; i < w * h; i++) f[4 * i + 3] = 255;
        for (int y0 = 3; y0 + 5 <= h; y0 += 23)
            for (int x0 = 5; x0 + 5 <= w; x0 += 23)
                for (int y = y0; y < y0 + 5; y++)
                    for (int x = x0; x < x0 + 5; x++) { int i = 4 * (y * w + x); f[i] = f[i + 1] = f[i + 2] = 255; }
        return f;
    }

    [TestCase(256, 192, 64, 48)]
    [TestCase(320, 240, 64, 48)]
    public void MatchesImageSharpTriangle(int fw, int fh, int w, int h)
    {
        var frame = Squares(fw, fh);
        var o = new PreprocessOptions { Width = w, Height = h, Resize = VulkanCnn.Vision.ResizeMode.Stretch };
        using var pre = new FramePreprocessor(Ctx, fw, fh, PixelFormat.Rgba8, o);
        pre.Process(frame);
        var gpu = pre.ReadOutput();

        using var img = SixLabors.ImageSharp.Image.LoadPixelData<Rgba32>(frame, fw, fh);
        img.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(w, h), Sampler = KnownResamplers.Triangle, Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch }));
        var cpu = new float[3 * w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var p = img[x, y];
                cpu[y * w + x] = p.R / 255f; cpu[w * h + y * w + x] = p.G / 255f; cpu[2 * w * h + y * w + x] = p.B / 255f;
            }
        // ImageSharp rounds to 8 bits: allow 1/255, border included (both drop taps outside the frame and renormalise).
        double worst = 0;
        int at = -1;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = c * w * h + y * w + x;
                    double d = Math.Abs(gpu[i] - cpu[i]);
                    if (d > worst) { worst = d; at = i; }
                }
        TestContext.Progress.WriteLine($"{fw}x{fh} -> {w}x{h}: max |GPU - ImageSharp Triangle| = {worst * 255:F2}/255");
        Assert.That(worst, Is.LessThanOrEqualTo(1.0 / 255), $"worst at channel {at / (w * h)} ({at % (w * h) % w}, {at % (w * h) / w}): GPU {gpu[at]:F4}, ImageSharp {cpu[at]:F4}");

        // Every square keeps its energy: the sum over the output equals the source mean times the output size.
        double srcMean = frame.Where((_, i) => i % 4 == 0).Average(b => b / 255.0);
        double outMean = gpu.Take(w * h).Average();
        Assert.That(outMean, Is.EqualTo(srcMean).Within(0.1 * srcMean), "area averaging preserves the mean brightness");
    }
}
