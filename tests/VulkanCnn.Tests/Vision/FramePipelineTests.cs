// The frame pipeline: a host VkImage handed over with semaphores gives the same result as the CPU-frame path and as
// a C# reference; the output image holds the frame with the overlay; every-n-th-frame and layer-budget scheduling carry
// the right frame numbers; latest-frame-wins skips are counted; 2000 frames keep memory flat and Dispose is clean.
using SixLabors.ImageSharp;
using Silk.NET.Vulkan;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;
using static VulkanCnn.Tests.Vision.PipelineKit;
using PixelFormat = VulkanCnn.Vision.PixelFormat;
using Image = Silk.NET.Vulkan.Image;

namespace VulkanCnn.Tests.Vision;

public class FramePipelineTests : GpuTest
{
    private const int W = 96, H = 64;

    private static (int Cx, int Cy) CellOf(Detection d, FrameTransform t)
    {
        var (mx, my) = t.ToModel(d.Box.X + d.Box.W / 2, d.Box.Y + d.Box.H / 2);
        return ((int)(mx / BrightCellTask.Cell), (int)(my / BrightCellTask.Cell));
    }

    private static FrameTransform Transform(BrightCellTask task) => FramePreprocessor.ComputeTransform(W, H, task.Input);

    [TestCase(ImageLayout.TransferSrcOptimal, Format.R8G8B8A8Unorm)]
    [TestCase(ImageLayout.General, Format.R8G8B8A8Srgb)]
    [TestCase(ImageLayout.ColorAttachmentOptimal, Format.R8G8B8A8Unorm)]
    [TestCase(ImageLayout.ShaderReadOnlyOptimal, Format.B8G8R8A8Unorm)]
    public void RenderFrameMatchesCpuPathAndReference(ImageLayout layout, Format format)
    {
        var rgba = Frame(W, H, 5, 2, seed: 1);
        bool bgra = format is Format.B8G8R8A8Unorm or Format.B8G8R8A8Srgb;
        var imageBytes = bgra ? FramePreprocessorTests.Convert(rgba, W, H, PixelFormat.Bgra8) : rgba;
        using var task = new BrightCellTask(Ctx);
        using var image = new HostImage(Ctx, W, H, format);
        image.Fill(imageBytes, layout);
        var rendered = CreateSemaphore(Ctx, false);
        var done = CreateSemaphore(Ctx, false);
        try
        {
            VisionResult gpu;
            float[] gpuMap;
            using (var p = new FramePipeline(Ctx, task, W, H))
            {
                Signal(Ctx, rendered);   // the host's rendering "finished"
                long n = p.Submit(new RenderFrame(image.Image, format, W, H, layout) { WaitSemaphore = rendered, SignalSemaphore = done });
                Assert.That(n, Is.EqualTo(1));
                WaitOn(Ctx, done);       // the host's next use waits on the signal
                WaitForResult(p);
                gpu = p.Latest!;
                gpuMap = task.Map();
                Assert.That(p.Stats.FramesInferred, Is.EqualTo(1));
            }
            // The image is unchanged and still in the layout it was handed over in (a wrong layout is a validation error).
            Assert.That(ReadImage(Ctx, image.Image, W, H, layout), Is.EqualTo(imageBytes), "the host image was modified");

            VisionResult cpu;
            using (var p = new FramePipeline(Ctx, task, W, H))
            {
                p.Submit(rgba, PixelFormat.Rgba8);
                WaitForResult(p);
                cpu = p.Latest!;
            }
            Assert.That(gpu.FrameNumber, Is.EqualTo(1));
            Assert.That(gpu.Detections, Has.Count.EqualTo(1));
            Assert.That(gpu.Detections[0], Is.EqualTo(cpu.Detections[0]).Using<Detection>((a, b) => a.Box == b.Box && a.Score == b.Score),
                "render-frame and CPU-frame paths disagree");
            Assert.That(CellOf(gpu.Detections[0], Transform(task)), Is.EqualTo((5, 2)));
            TestData.AssertClose(ExpectedMap(rgba, W, H, task.Input), gpuMap, $"bright-cell map via a {format} image in {layout}");
        }
        finally
        {
            DestroySemaphore(Ctx, rendered);
            DestroySemaphore(Ctx, done);
        }
    }

    [Test]
    public void OutputImageHoldsTheFrameWithTheOverlay()
    {
        using var task = new BrightCellTask(Ctx);
        using var image = new HostImage(Ctx, W, H, Format.R8G8B8A8Unorm);
        using var p = new FramePipeline(Ctx, task, W, H);
        var first = Frame(W, H, 1, 6, seed: 2);
        image.Fill(first, ImageLayout.TransferSrcOptimal);
        p.Submit(new RenderFrame(image.Image, Format.R8G8B8A8Unorm, W, H, ImageLayout.TransferSrcOptimal));
        var plain = new byte[W * H * 4];
        p.ReadOutput(plain);
        Assert.That(plain, Is.EqualTo(first), "with no result yet the output is the frame itself");
        WaitForResult(p);

        // Frame 2 is drawn with frame 1's result.
        var second = Frame(W, H, 6, 3, seed: 3);
        image.Fill(second, ImageLayout.TransferSrcOptimal, ImageLayout.TransferSrcOptimal);
        var scene = new OverlayScene();
        task.Draw(p.Latest!, scene);
        p.Submit(new RenderFrame(image.Image, Format.R8G8B8A8Unorm, W, H, ImageLayout.TransferSrcOptimal));
        var expected = DrawBoxes(second, W, H, scene.Boxes);
        var read = new byte[W * H * 4];
        p.ReadOutput(read);
        var fromImage = ReadImage(Ctx, p.OutputImage, W, H, ImageLayout.ShaderReadOnlyOptimal);
        Assert.That(read, Is.EqualTo(fromImage), "ReadOutput and OutputImage differ");
        int worst = 0, at = -1;
        for (int i = 0; i < read.Length; i++)
            if (Math.Abs(read[i] - expected[i]) > worst) { worst = Math.Abs(read[i] - expected[i]); at = i; }
        if (worst > 1)
        {
            var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "pipeline-overlay");
            Directory.CreateDirectory(dir);
            SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.Rgba32>(read, W, H).SaveAsPng(Path.Combine(dir, "actual.png"));
            SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.Rgba32>(expected, W, H).SaveAsPng(Path.Combine(dir, "expected.png"));
            Assert.Fail($"Output differs from the C# overlay reference by {worst} at pixel {at / 4} ({at / 4 % W}, {at / 4 / W}) channel {at % 4}; images in {dir}.");
        }
        Assert.That(scene.Boxes, Has.Count.EqualTo(1));
    }

    [Test]
    public void EveryNthFrameInfersOnMultiplesOfN()
    {
        using var task = new BrightCellTask(Ctx);
        using var p = new FramePipeline(Ctx, task, W, H, new FramePipelineOptions { EveryNthFrame = 3 });
        var t = Transform(task);
        var seen = new List<(long Frame, (int, int) Cell)>();
        for (int k = 1; k <= 9; k++)
        {
            p.Submit(Frame(W, H, k % 8, (k * 3) % 8, seed: k), PixelFormat.Rgba8);
            WaitForResult(p);
            if (p.Latest != null && (seen.Count == 0 || seen[^1].Frame != p.Latest.FrameNumber))
                seen.Add((p.Latest.FrameNumber, CellOf(p.Latest.Detections[0], t)));
        }
        Assert.That(seen.Select(s => s.Frame), Is.EqualTo(new long[] { 3, 6, 9 }));
        foreach (var (frame, cell) in seen)
            Assert.That(cell, Is.EqualTo(((int)(frame % 8), (int)(frame * 3 % 8))), $"result of frame {frame}");
        var s = p.Stats;
        Assert.That((s.FramesSubmitted, s.FramesInferred, s.FramesSkipped), Is.EqualTo((9L, 3L, 0L)));
    }

    [Test]
    public void BudgetModeSplitsTheNetworkAndKeepsFrameNumbers()
    {
        using var task = new BrightCellTask(Ctx);
        Assert.That(task.Session.LayerCount, Is.GreaterThanOrEqualTo(3), "the test network must have several layers to split");
        // A budget below any layer's time: one layer per frame after the first (whole, measured) run.
        using var p = new FramePipeline(Ctx, task, W, H, new FramePipelineOptions { GpuBudgetMs = 1e-9 });
        var t = Transform(task);
        var results = new List<(long Observed, long Frame, (int, int) Cell, float[] Map)>();
        for (int k = 1; k <= 16; k++)
        {
            p.Submit(Frame(W, H, k % 8, (k * 5) % 8, seed: 100 + k), PixelFormat.Rgba8);
            // Let this frame's share finish (so the next frame submits the next layer), without waiting for the inference.
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Ctx.WaitIdle();
            p.Poll();
            if (p.Latest != null && (results.Count == 0 || results[^1].Frame != p.Latest.FrameNumber))
                results.Add((k, p.Latest.FrameNumber, CellOf(p.Latest.Detections[0], t), task.Map()));
        }
        Assert.That(results.Count, Is.GreaterThanOrEqualTo(3), "results: " + string.Join(", ", results.Select(r => $"{r.Frame}@{r.Observed}")));
        Assert.That(results[0].Frame, Is.EqualTo(1));
        int layers = task.Session.LayerCount;
        for (int i = 1; i < results.Count; i++)
            Assert.That(results[i].Observed - results[i].Frame, Is.EqualTo(layers - 1),
                $"a split inference started on frame {results[i].Frame} takes one frame per layer ({layers} layers)");
        foreach (var r in results)
        {
            Assert.That(r.Cell, Is.EqualTo(((int)(r.Frame % 8), (int)(r.Frame * 5 % 8))), $"result of frame {r.Frame}");
            // The same as a whole run on that frame: the C# reference of the map.
            TestData.AssertClose(ExpectedMap(Frame(W, H, (int)(r.Frame % 8), (int)(r.Frame * 5 % 8), 100 + (int)r.Frame), W, H, task.Input), r.Map,
                $"map of frame {r.Frame} (observed at frame {r.Observed})");
        }
        Assert.That(p.Stats.FramesSkipped, Is.GreaterThan(0), "frames due while a split inference runs are skipped");
        Assert.That(p.Stats.FramesInferred + p.Stats.FramesSkipped, Is.EqualTo(16));
    }

    [Test]
    public void BusyInferenceSkipsFramesLatestWins()
    {
        if (!Ctx.TimelineSemaphores) Assert.Ignore("Needs timeline semaphores to hold the GPU at a host-controlled point.");
        using var task = new BrightCellTask(Ctx);
        using var image = new HostImage(Ctx, W, H, Format.R8G8B8A8Unorm);
        image.Fill(Frame(W, H, 2, 2, seed: 7), ImageLayout.TransferSrcOptimal);
        var gate = CreateSemaphore(Ctx, true);
        try
        {
            using var p = new FramePipeline(Ctx, task, W, H);
            // Frame 1 waits for the host's timeline value 1, so its inference cannot finish before the host says so.
            p.Submit(new RenderFrame(image.Image, Format.R8G8B8A8Unorm, W, H, ImageLayout.TransferSrcOptimal) { WaitSemaphore = gate, WaitValue = 1 });
            p.Submit(Frame(W, H, 3, 3, seed: 8), PixelFormat.Rgba8);
            p.Submit(Frame(W, H, 4, 4, seed: 9), PixelFormat.Rgba8);
            Assert.That(p.InferenceInFlight, Is.True);
            Assert.That(p.Latest, Is.Null);
            Assert.That((p.Stats.FramesInferred, p.Stats.FramesSkipped), Is.EqualTo((1L, 2L)), "frames 2 and 3 are skipped while frame 1 runs");
            HostSignal(Ctx, gate, 1);
            WaitForResult(p);
            Assert.That(p.Latest!.FrameNumber, Is.EqualTo(1));
            Assert.That(CellOf(p.Latest.Detections[0], Transform(task)), Is.EqualTo((2, 2)));
            p.Submit(Frame(W, H, 6, 1, seed: 10), PixelFormat.Rgba8);
            WaitForResult(p);
            Assert.That(p.Latest!.FrameNumber, Is.EqualTo(4), "the next due frame after the busy period runs");
            Assert.That(CellOf(p.Latest.Detections[0], Transform(task)), Is.EqualTo((6, 1)));
            Assert.That((p.Stats.FramesInferred, p.Stats.FramesSkipped), Is.EqualTo((2L, 2L)));
        }
        finally { DestroySemaphore(Ctx, gate); }
    }

    [Test]
    public void RejectsBadFramesWithClearMessages()
    {
        using var task = new BrightCellTask(Ctx);
        using var p = new FramePipeline(Ctx, task, W, H);
        var e1 = Assert.Throws<ArgumentException>(() => p.Submit(new byte[10], PixelFormat.Rgba8));
        Assert.That(e1!.Message, Does.Contain("96x64").And.Contain("24576"));
        var e2 = Assert.Throws<ArgumentException>(() => p.Submit(new RenderFrame(new Image(1), Format.R8G8B8A8Unorm, 10, 10, ImageLayout.General)));
        Assert.That(e2!.Message, Does.Contain("10x10").And.Contain("96x64"));
        var e3 = Assert.Throws<ArgumentException>(() => p.Submit(new RenderFrame(new Image(1), Format.R16G16B16A16Sfloat, W, H, ImageLayout.General)));
        Assert.That(e3!.Message, Does.Contain("R16G16B16A16Sfloat"));
        Assert.Throws<ArgumentException>(() => new FramePipeline(Ctx, task, W, H, new FramePipelineOptions { EveryNthFrame = 0 }));
        Assert.Throws<ArgumentException>(() => new FramePipeline(Ctx, task, W, H, new FramePipelineOptions { GpuBudgetMs = -1 }));
    }

    [Test]
    public void HudPanelMatchesTheHostDrawnHud()
    {
        using var task = new BrightCellTask(Ctx);
        using var p = new FramePipeline(Ctx, task, W, H, new FramePipelineOptions { Hud = true, Overlay = false });
        var frame = Frame(W, H, 4, 4, seed: 21);
        p.Submit(frame, PixelFormat.Rgba8);
        var actual = new byte[W * H * 4];
        p.ReadOutput(actual);
        // Frame 1 shows the HUD formatted before anything was measured: 0 fps, every measured stage 0 ms.
        var hud = new Hud(W, H);
        hud.Update(new HudStats(0, null, 0, 0, 0, 0, 0));
        var expected = (byte[])frame.Clone();
        hud.DrawInto(expected);
        Assert.That(expected, Is.Not.EqualTo(frame), "the HUD draws something");
        int worst = 0;
        for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        Assert.That(worst, Is.LessThanOrEqualTo(1), "GPU-drawn HUD vs Hud.DrawInto on the host");
    }

    [Test]
    public void FencePathWithoutTimelineSemaphores()
    {
        // The test device adopted as a host would without enabling timeline semaphores: completion goes through fences.
        using var adopted = new VulkanContext(Ctx.Vk, Ctx.Instance, Ctx.PhysicalDevice, Ctx.Device, Ctx.QueueFamily, 0, pipelineCacheDirectory: "");
        Assert.That(adopted.TimelineSemaphores, Is.False);
        using var task = new BrightCellTask(adopted);
        using var image = new HostImage(adopted, W, H, Format.R8G8B8A8Unorm);
        var rendered = CreateSemaphore(adopted, false);
        var done = CreateSemaphore(adopted, false);
        try
        {
            using var p = new FramePipeline(adopted, task, W, H, new FramePipelineOptions { EveryNthFrame = 2 });
            var t = Transform(task);
            for (int k = 1; k <= 6; k++)
            {
                image.Fill(Frame(W, H, k, 7 - k, seed: 30 + k), ImageLayout.TransferSrcOptimal, k == 1 ? ImageLayout.Undefined : ImageLayout.TransferSrcOptimal);
                Signal(adopted, rendered);
                p.Submit(new RenderFrame(image.Image, Format.R8G8B8A8Unorm, W, H, ImageLayout.TransferSrcOptimal) { WaitSemaphore = rendered, SignalSemaphore = done });
                WaitOn(adopted, done);
                WaitForResult(p);
                if (k % 2 == 0)
                {
                    Assert.That(p.Latest!.FrameNumber, Is.EqualTo(k));
                    Assert.That(CellOf(p.Latest.Detections[0], t), Is.EqualTo((k, 7 - k)));
                }
            }
            Assert.Throws<ArgumentException>(() => p.Submit(new RenderFrame(image.Image, Format.R8G8B8A8Unorm, W, H, ImageLayout.TransferSrcOptimal) { WaitSemaphore = rendered, WaitValue = 1 }));
        }
        finally
        {
            DestroySemaphore(adopted, rendered);
            DestroySemaphore(adopted, done);
        }
    }

    [Test]
    public void CpuFramesInEveryPixelFormat([Values] PixelFormat format)
    {
        var rgba = Frame(W, H, 2, 5, seed: 40);
        var frame = FramePreprocessorTests.Convert(rgba, W, H, format);
        using var task = new BrightCellTask(Ctx);
        using var p = new FramePipeline(Ctx, task, W, H, new FramePipelineOptions { Overlay = false });
        p.Submit(frame, format);
        var output = new byte[W * H * 4];
        p.ReadOutput(output);
        // The output is the frame decoded to RGB (the C# reference decoder), rounded, alpha opaque.
        var rgb = FramePreprocessorTests.Decode(frame, W, H, format);
        int worst = 0;
        for (int i = 0; i < W * H; i++)
        {
            for (int c = 0; c < 3; c++) worst = Math.Max(worst, Math.Abs(output[4 * i + c] - (int)Math.Clamp(Math.Round(rgb[3 * i + c]), 0, 255)));
            Assert.That(output[4 * i + 3], Is.EqualTo(255), $"alpha of pixel {i}");
        }
        Assert.That(worst, Is.LessThanOrEqualTo(1), $"{format}: output vs the decoded frame");
        WaitForResult(p);
        Assert.That(CellOf(p.Latest!.Detections[0], Transform(task)), Is.EqualTo((2, 5)), $"{format}: detection");
    }

    [TestCase(37, 23)]   // 851 pixels: not a whole number of the swizzle's 4-pixel groups
    [TestCase(64, 48)]
    public void BgraFramesAreSwappedExactlyAtAnySize(int w, int h)
    {
        var rgba = Frame(w, h, 1, 1, seed: 41);
        var bgra = FramePreprocessorTests.Convert(rgba, w, h, PixelFormat.Bgra8);
        for (int i = 0; i < w * h; i++) bgra[4 * i + 3] = (byte)(i * 7);   // alpha is carried as it is, like RGBA frames
        using var task = new BrightCellTask(Ctx);
        using var p = new FramePipeline(Ctx, task, w, h, new FramePipelineOptions { Overlay = false });
        p.Submit(bgra, PixelFormat.Bgra8);
        var output = new byte[w * h * 4];
        p.ReadOutput(output);
        for (int i = 0; i < w * h; i++)
            for (int c = 0; c < 4; c++)
                if (output[4 * i + c] != bgra[4 * i + (c == 3 ? 3 : 2 - c)])
                    Assert.Fail($"pixel {i} ({i % w}, {i / w}) channel {c}: {output[4 * i + c]}, expected {bgra[4 * i + (c == 3 ? 3 : 2 - c)]}");
        WaitForResult(p);
    }
}
