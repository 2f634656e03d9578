// Wall time of FramePreprocessor.Run (upload excluded) at the frame pipeline's sizes, median of 40 runs after 5 warm-up
// runs. Explicit: VULKANCNN_TEST_VALIDATION=0 [VULKANCNN_TEST_DEVICE=llvmpipe] dotnet test ... --filter
// "FullyQualifiedName~PreprocessBenchmarks". Prints its figures; asserts nothing about time.
using System.Diagnostics;
using VulkanCnn.Vision;
using PixelFormat = VulkanCnn.Vision.PixelFormat;

namespace VulkanCnn.Tests.Vision;

[Explicit("benchmark: prints pre-processing times")]
[Category("Benchmark")]
public class PreprocessBenchmarks : GpuTest
{
    [TestCase(640, 480, 128, PixelFormat.Rgba8)]
    [TestCase(1280, 720, 128, PixelFormat.Rgba8)]
    [TestCase(1280, 720, 256, PixelFormat.Rgba8)]
    [TestCase(1280, 720, 128, PixelFormat.Nv12)]
    public void RunTime(int w, int h, int size, PixelFormat format)
    {
        var rgba = PipelineKit.Frame(w, h, 3, 3, seed: 1);
        var frame = FramePreprocessorTests.Convert(rgba, w, h, format);
        using var pre = new FramePreprocessor(Ctx, w, h, format, new PreprocessOptions { Width = size, Height = size });
        pre.Upload(frame);
        var times = new List<double>();
        for (int i = 0; i < 45; i++)
        {
            var sw = Stopwatch.StartNew();
            pre.Run();
            if (i >= 5) times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        TestContext.Progress.WriteLine($"{Ctx.DeviceInfo.Name} {w}x{h} {format} -> {size}x{size} letterbox: median {times[times.Count / 2]:F2} ms, min {times[0]:F2} ms");
    }
}
