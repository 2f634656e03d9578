// Shrinking in FramePreprocessor (shaders/preprocess_reduce.comp + preprocess.comp): exact against the C# reference at
// integer, fractional and mixed shrink factors (partial edge boxes included); against ImageSharp's Triangle resampler
// under a stated looser tolerance (a box-then-bilinear filter is not a tent); small bright squares keep their energy; the
// cameraman's small profile face survives a 4x shrink into BlazeFace; the two-pass conversion inside a frame pipeline under
// synchronization validation.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;
using PixelFormat = VulkanCnn.Vision.PixelFormat;
using ResizeMode = VulkanCnn.Vision.ResizeMode;

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

    private static float[] Gpu(byte[] frame, int fw, int fh, PixelFormat format, PreprocessOptions o)
    {
        using var pre = new FramePreprocessor(Ctx, fw, fh, format, o);
        pre.Process(frame);
        return pre.ReadOutput();
    }

    /// <summary>ImageSharp's Triangle stretch of an RGBA frame, as NCHW [0, 1] planes.</summary>
    private static float[] Triangle(byte[] rgba, int fw, int fh, int w, int h)
    {
        using var img = SixLabors.ImageSharp.Image.LoadPixelData<Rgba32>(rgba, fw, fh);
        img.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(w, h), Sampler = KnownResamplers.Triangle, Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch }));
        var cpu = new float[3 * w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var p = img[x, y];
                cpu[y * w + x] = p.R / 255f; cpu[w * h + y * w + x] = p.G / 255f; cpu[2 * w * h + y * w + x] = p.B / 255f;
            }
        return cpu;
    }

    // Shrink factors 1.7 (tent, no box pass), 2.56 x 3.84 (box 2 x 3), 13.8 x 4.2 (box 13 x 4, partial edge boxes), 4 x 3
    // and mixed (one axis enlarged); every resize mode, every pixel format and both layouts.
    [TestCase(300, 226, ResizeMode.Stretch, PixelFormat.Rgba8, TensorLayout.Nchw)]
    [TestCase(200, 100, ResizeMode.Stretch, PixelFormat.Nv12, TensorLayout.Nhwc)]
    [TestCase(37, 91, ResizeMode.Stretch, PixelFormat.Rgb24, TensorLayout.Nchw)]
    [TestCase(37, 91, ResizeMode.Letterbox, PixelFormat.Yuyv, TensorLayout.Nchw)]
    [TestCase(128, 128, ResizeMode.Stretch, PixelFormat.Bgra8, TensorLayout.Nhwc)]
    [TestCase(100, 500, ResizeMode.Stretch, PixelFormat.Rgba8, TensorLayout.Nchw)]
    [TestCase(150, 70, ResizeMode.CenterCrop, PixelFormat.Rgba8, TensorLayout.Nchw)]
    // A box wider than a workgroup (73 columns): the one-invocation-per-block variant.
    [TestCase(7, 300, ResizeMode.Stretch, PixelFormat.Rgba8, TensorLayout.Nchw)]
    public void ShrinkMatchesTheReference(int w, int h, ResizeMode resize, PixelFormat format, TensorLayout layout)
    {
        var frame = FramePreprocessorTests.Convert(TestFiles.AstronautRgba512x384(), 512, 384, format);
        var o = new PreprocessOptions { Width = w, Height = h, Resize = resize, Layout = layout, PadValue = 0.25f };
        TestData.AssertClose(FramePreprocessorTests.Reference(frame, 512, 384, format, o), Gpu(frame, 512, 384, format, o), $"512x384 {format} -> {w}x{h} {resize} {layout}");
    }

    [TestCase(256, 192, 64, 48)]
    [TestCase(320, 240, 64, 48)]
    [TestCase(1280, 720, 128, 72)]
    public void SmallSquaresKeepTheirEnergy(int fw, int fh, int w, int h)
    {
        var frame = Squares(fw, fh);
        var gpu = Gpu(frame, fw, fh, PixelFormat.Rgba8, new PreprocessOptions { Width = w, Height = h, Resize = VulkanCnn.Vision.ResizeMode.Stretch });
        // Area averaging preserves the mean brightness (plain bilinear sampling would see a square or miss it).
        double srcMean = frame.Where((_, i) => i % 4 == 0).Average(b => b / 255.0);
        double outMean = gpu.Take(w * h).Average();
        Assert.That(outMean, Is.EqualTo(srcMean).Within(0.05 * srcMean), "mean brightness");
        // Every square shows: the brightest output pixel over its footprint holds at least a quarter of its area's share.
        double sx = (double)w / fw, sy = (double)h / fh, weakest = 1;
        for (int y0 = 3; y0 + 5 <= fh; y0 += 23)
            for (int x0 = 5; x0 + 5 <= fw; x0 += 23)
            {
                float best = 0;
                for (int y = (int)(y0 * sy); y <= Math.Min(h - 1, (int)((y0 + 5) * sy)); y++)
                    for (int x = (int)(x0 * sx); x <= Math.Min(w - 1, (int)((x0 + 5) * sx)); x++) best = Math.Max(best, gpu[y * w + x]);
                weakest = Math.Min(weakest, best);
            }
        double share = Math.Min(1, 25 * sx * sy);   // a 5x5 square's fraction of one output pixel's area (at most all of it)
        TestContext.Progress.WriteLine($"{fw}x{fh} -> {w}x{h}: weakest square peak {weakest:F3}, its area share {share:F3}");
        Assert.That(weakest, Is.GreaterThanOrEqualTo(0.25 * share), "the faintest square's peak");
    }

    // The box-then-bilinear filter against ImageSharp's Triangle (radius = shrink factor): both average the footprint, with
    // different weights (the box is the sharper: measured mean 2.2-3.4/255, worst 36-41/255). Stated tolerance on the
    // photograph: mean |difference| within 4/255, worst within 48/255 (at sharp edges, where the two filters' supports
    // differ most). Control: point-sampling bilinear, the aliasing filter this replaces, fails the mean bound.
    [TestCase(128, 96)]
    [TestCase(64, 48)]
    [TestCase(100, 77)]
    public void PhotoStaysCloseToImageSharpTriangle(int w, int h)
    {
        var frame = TestFiles.AstronautRgba512x384();
        var gpu = Gpu(frame, 512, 384, PixelFormat.Rgba8, new PreprocessOptions { Width = w, Height = h, Resize = ResizeMode.Stretch });
        var cpu = Triangle(frame, 512, 384, w, h);
        double mean = gpu.Zip(cpu, (a, b) => Math.Abs(a - b)).Average() * 255;
        double worst = gpu.Zip(cpu, (a, b) => Math.Abs(a - b)).Max() * 255;
        TestContext.Progress.WriteLine($"512x384 -> {w}x{h}: |GPU - ImageSharp Triangle| mean {mean:F2}/255, worst {worst:F1}/255");
        Assert.That(mean, Is.LessThanOrEqualTo(4.0), "mean difference in grey levels");
        Assert.That(worst, Is.LessThanOrEqualTo(48.0), "worst difference in grey levels");

        var bilinear = new float[3 * w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double fx = Math.Clamp((x + 0.5) * 512.0 / w - 0.5, 0, 511), fy = Math.Clamp((y + 0.5) * 384.0 / h - 0.5, 0, 383);
                int x0 = (int)fx, y0 = (int)fy, x1 = Math.Min(x0 + 1, 511), y1 = Math.Min(y0 + 1, 383);
                double lx = fx - x0, ly = fy - y0;
                for (int c = 0; c < 3; c++)
                {
                    double P(int px, int py) => frame[4 * (py * 512 + px) + c];
                    bilinear[c * w * h + y * w + x] = (float)(((1 - ly) * ((1 - lx) * P(x0, y0) + lx * P(x1, y0)) + ly * ((1 - lx) * P(x0, y1) + lx * P(x1, y1))) / 255);
                }
            }
        double bilinearMean = bilinear.Zip(cpu, (a, b) => Math.Abs(a - b)).Average() * 255;
        TestContext.Progress.WriteLine($"  control: point-sampling bilinear vs Triangle mean {bilinearMean:F2}/255");
        Assert.That(bilinearMean, Is.GreaterThan(4.0), "control: the mean bound must reject an aliasing filter");
    }

    // The cameraman in camera.png (512 x 512, grey) in profile, measured by eye (BlazeFaceTests): the front model sees it
    // only if the 4x shrink to 128 averages instead of point-sampling.
    [Test]
    public void CameramansProfileFaceSurvivesTheFourTimesShrink()
    {
        var cameraman = new Box(180, 118, 75, 80);
        using var task = new BlazeFaceTask(Ctx, BlazeFaceTaskTests.Model(BlazeFaceModel.Front), BlazeFaceModel.Front);
        var (rgba, w, h) = BlazeFaceTaskTests.LoadRgba("camera.png");
        var faces = task.Run(rgba, w, h, PixelFormat.Rgba8).Detections;
        foreach (var f in faces) TestContext.Out.WriteLine($"{f.Box} score {f.Score:0.000}, IoU {f.Box.Iou(cameraman):0.000}");
        Assert.That(faces, Has.Count.EqualTo(1), "one face in the cameraman photograph");
        Assert.That(faces[0].Box.Iou(cameraman), Is.GreaterThanOrEqualTo(0.5), $"box {faces[0].Box} against the hand-measured {cameraman}");
    }

    // The frame pipeline records both passes (box reduction, then resampling) per inference; synchronization validation
    // checks the barriers around the scratch image across frames, and the task's map checks the values.
    [Test]
    public void TwoPassShrinkInsideAFramePipelineUnderSynchronizationValidation()
    {
        const int w = 320, h = 200;
        VulkanContext ctx;
        try
        {
            ctx = new VulkanContext(new VulkanContextOptions { Device = GpuSetUp.DeviceChoice, Validation = GpuSetUp.Validation, SynchronizationValidation = true, PipelineCacheDirectory = "" });
        }
        catch (NoVulkanDeviceException e)
        {
            Assert.Ignore("No Vulkan device: " + e.Message);
            return;
        }
        try
        {
            using (var task = new BrightCellTask(ctx))
            using (var p = new FramePipeline(ctx, task, w, h, new FramePipelineOptions { Overlay = false }))
            {
                for (int i = 0; i < 6; i++)
                {
                    var frame = PipelineKit.Frame(w, h, i, 7 - i, seed: i);
                    p.Submit(frame, PixelFormat.Rgba8);
                    PipelineKit.WaitForResult(p);
                    p.Poll();
                    TestData.AssertClose(PipelineKit.ExpectedMap(frame, w, h, task.Input), task.Map(), $"frame {i}: the task's map");
                }
            }
        }
        finally
        {
            ctx.Dispose();
        }
        Assert.That(ctx.ValidationErrors, Is.Empty, string.Join("\n", ctx.ValidationErrors));
    }
}
