// Per-stage GPU times of the frame pipeline at 640x480 and 1280x720 through the render-frame path (a host VkImage),
// with a tiny network so that the figures show the pipeline's own overhead. Explicit: run with
//   VULKANCNN_TEST_VALIDATION=0 [VULKANCNN_TEST_DEVICE=llvmpipe] dotnet test ... --filter "FullyQualifiedName~FramePipelineBenchmarks"
// It prints its figures and asserts nothing about time.
using System.Diagnostics;
using Silk.NET.Vulkan;
using VulkanCnn.Vision;
using static VulkanCnn.Tests.Vision.PipelineKit;

namespace VulkanCnn.Tests.Vision;

[Explicit("benchmark: prints per-stage timings")]
[Category("Benchmark")]
public class FramePipelineBenchmarks : GpuTest
{
    [TestCase(640, 480, 128)]
    [TestCase(1280, 720, 128)]
    [TestCase(1280, 720, 256)]
    [TestCase(1280, 720, 128, true)]
    public void PerStageTimes(int w, int h, int inputSize, bool hud = false)
    {
        const int warmUp = 10, frames = 60;
        using var task = new BrightCellTask(Ctx, inputSize);
        using var image = new HostImage(Ctx, w, h, Format.B8G8R8A8Unorm);
        image.Fill(Frame(w, h, 3, 3, seed: 1), ImageLayout.TransferSrcOptimal);
        foreach (var bgra in new[] { false, true })
        {
            var format = bgra ? Format.B8G8R8A8Unorm : Format.R8G8B8A8Unorm;
            using var p = new FramePipeline(Ctx, task, w, h, new FramePipelineOptions { Hud = hud });
            var frame = new RenderFrame(image.Image, format, w, h, ImageLayout.TransferSrcOptimal);
            double upload = 0, pre = 0, inf = 0, post = 0, overlay = 0, submitUs = 0, frameMs = 0;
            int n = 0, nInf = 0;
            var output = new byte[w * h * 4];
            for (int i = 0; i < warmUp + frames; i++)
            {
                var sw = Stopwatch.StartNew();
                p.Submit(frame);
                double sub = sw.Elapsed.TotalMilliseconds * 1000;
                p.ReadOutput(output);          // waits for this frame's own work (not for the inference)
                double whole = sw.Elapsed.TotalMilliseconds;
                WaitForResult(p);              // so that every frame starts an inference (worst case per frame)
                p.ReadOutput(output);          // collects this frame's timestamps
                if (i < warmUp) continue;
                var s = p.Stats;
                upload += s.UploadMs; pre += s.PreprocessMs; inf += s.InferenceMs; post += s.PostprocessMs; overlay += s.OverlayMs;
                submitUs += sub; frameMs += whole; n++; nInf++;
            }
            TestContext.Progress.WriteLine(
                $"{Ctx.DeviceInfo.Name} {w}x{h} {(bgra ? "BGRA" : "RGBA")} image -> {inputSize}x{inputSize}{(hud ? " +HUD" : "")}: upload {upload / n:F3} ms, preprocess {pre / n:F3} ms, " +
                $"inference {inf / nInf:F3} ms, postprocess {post / nInf:F3} ms, overlay+output {overlay / n:F3} ms; Submit() {submitUs / n:F0} us on the CPU; " +
                $"frame work done after {frameMs / n:F2} ms (wall)");
        }
    }
}
