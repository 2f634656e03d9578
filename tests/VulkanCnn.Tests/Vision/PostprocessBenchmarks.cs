// Post-processing times of every task (GPU timestamps around the recorded commands, median of 20 resubmissions after
// one model run on a photograph), printed for docs/vision-tasks.md. Explicit: run with
// dotnet test -c Release --filter "FullyQualifiedName~PostprocessBenchmarks" (VULKANCNN_TEST_DEVICE=llvmpipe for lavapipe).
using System.Diagnostics;
using VulkanCnn.Graph;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

[Explicit("benchmark: prints timings")]
public class PostprocessBenchmarks : GpuTest
{
    private static void Measure(VisionTask task, StandaloneRunner runner, string what, Func<VisionResult> run)
    {
        var sw = Stopwatch.StartNew();
        run();
        double modelMs = sw.Elapsed.TotalMilliseconds;
        var gpu = new List<double>();
        var read = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            runner.Postprocess();
            gpu.Add(runner.LastPostprocessMilliseconds);
            long t0 = Stopwatch.GetTimestamp();
            task.ReadResult(i, new FrameTransform(1, 1, 0, 0));
            read.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        gpu.Sort();
        read.Sort();
        TestContext.Progress.WriteLine($"{Ctx.DeviceInfo.Name} | {what} | post-processing GPU {gpu[10]:0.000} ms | ReadResult (CPU) {read[10]:0.000} ms | whole first run {modelMs:0} ms");
    }

    [Test]
    public void AllTasks()
    {
        var (astro, aw, ah) = BlazeFaceTaskTests.LoadRgba("astronaut.png");
        var (page, pw, ph) = BlazeFaceTaskTests.LoadRgba("page.png");
        var (camera, cw, ch) = BlazeFaceTaskTests.LoadRgba("camera.png");
        foreach (var kind in new[] { BlazeFaceModel.Front, BlazeFaceModel.Back })
            using (var t = new BlazeFaceTask(Ctx, BlazeFaceTaskTests.Model(kind), kind))
                Measure(t, t.Runner, $"BlazeFace {kind}", () => t.Run(astro, aw, ah, PixelFormat.Rgba8));
        using (var t = new TextDetectionTask(Ctx, TestFiles.Cached("models", "ocr", "assets", "ch_PP-OCRv4_det_infer.onnx"), 480, 320))
            Measure(t, t.Runner, "PP-OCR det 480x320 (page.png)", () => t.Run(page, pw, ph, PixelFormat.Rgba8));
        using (var t = new LineSegmentTask(Ctx, TestFiles.Cached("models", "mlsd", "ONNX", "mlsd_320x320_tiny.onnx")))
            Measure(t, t.Runner, "M-LSD tiny 320 (camera.png)", () => t.Run(camera, cw, ch, PixelFormat.Rgba8));
        var rng = new Random(1);
        var b = new NetworkBuilder("dense1000");
        b.Input(3, 8, 8).Flatten().Dense(1000, TestData.Random(rng, 192000, 0.3f), TestData.Random(rng, 1000)).Output();
        using (var t = new ClassificationTask(Ctx, b.Build(), new PreprocessOptions { Width = 8, Height = 8 }, k: 5))
        {
            t.Session.SetInput(TestData.Random(rng, 192));
            Measure(t, t.Runner, "Classification 1000 classes, k 5", () => t.Run());
        }
        using (var t = new FilterTask(Ctx, 320, 240))
            Measure(t, t.Runner, "Filter Sobel 320x240 (camera.png)", () => t.Run(camera, cw, ch, PixelFormat.Rgba8));
    }
}
