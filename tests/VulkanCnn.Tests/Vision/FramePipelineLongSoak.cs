// The long soak behind scripts/soak.sh (Explicit: CI keeps the short soaks of FramePipelineSoakTests): N frames of the
// astronaut photograph through a FramePipeline running BlazeFace or PP-OCR detection, printing the allocator's live
// blocks and bytes, the managed heap after a full collection, managed bytes allocated per frame and the process RSS at
// intervals. After warm-up, memory must be flat: device blocks and bytes exactly constant, the managed heap within 1 MiB
// and RSS within max(32 MiB, 5 %) of their values at the end of warm-up.
using VulkanCnn.Tests.Vulkan;
using VulkanCnn.Vision;
using PixelFormat = VulkanCnn.Vision.PixelFormat;

namespace VulkanCnn.Tests.Vision;

[Explicit("Long soak: run through scripts/soak.sh")]
[NonParallelizable]
public class FramePipelineLongSoak
{
    private static long RssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return Environment.WorkingSet;
    }

    [TestCase("blazeface")]
    [TestCase("ppocr-det")]
    public void MemoryIsFlatAfterWarmUp(string model)
    {
        int frames = int.TryParse(Environment.GetEnvironmentVariable("VULKANCNN_SOAK_FRAMES"), out var f) && f > 0 ? f : 100_000;
        int samples = 20, interval = Math.Max(1, frames / samples), warmUp = Math.Max(interval, Math.Min(frames / 10, 2_000));
        var ctx = OwnContexts.Create();
        try
        {
            using VisionTask task = model == "blazeface"
                ? new BlazeFaceTask(ctx, BlazeFaceTaskTests.Model(BlazeFaceModel.Front), BlazeFaceModel.Front)
                : new TextDetectionTask(ctx, TestFiles.Cached("models", "ocr", "assets", "ch_PP-OCRv4_det_infer.onnx"), 480, 320);
            var frame = TestFiles.AstronautRgba512x384();
            const int w = 512, h = 384;
            using var pipeline = new FramePipeline(ctx, task, w, h, new FramePipelineOptions { Hud = false });
            var output = new byte[w * h * 4];
            TestContext.Progress.WriteLine($"soak: {model}, {frames:N0} frames of {w}x{h} RGBA on {ctx.DeviceInfo.Name} (validation {(ctx.ValidationEnabled ? "on" : "off")}), warm-up {warmUp:N0} frames");
            TestContext.Progress.WriteLine($"{"frame",9} {"blocks",7} {"device bytes",14} {"managed heap",13} {"B/frame",8} {"RSS MiB",8} {"inferred",9} {"skipped",9} {"fps",6}");
            int blocks0 = -1; ulong bytes0 = 0; long heap0 = 0, rss0 = 0, rssMax = 0, heapMax = 0;
            bool blocksChanged = false;
            long alloc = GC.GetAllocatedBytesForCurrentThread(), lastFrame = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            double lastT = 0;
            for (int i = 1; i <= frames; i++)
            {
                frame[i % frame.Length] ^= 1;      // every frame differs
                pipeline.Submit(frame, PixelFormat.Rgba8);
                if (i % interval != 0 && i != warmUp && i != frames) continue;
                pipeline.ReadOutput(output);
                long heap = GC.GetTotalMemory(forceFullCollection: true), rss = RssBytes();
                long now = GC.GetAllocatedBytesForCurrentThread();
                double t = clock.Elapsed.TotalSeconds;
                var st = pipeline.Stats;
                TestContext.Progress.WriteLine($"{i,9:N0} {ctx.Allocator.LiveBlocks,7} {ctx.Allocator.AllocatedBytes,14:N0} {heap,13:N0} {(now - alloc) / Math.Max(1, i - lastFrame),8} " +
                                               $"{rss / 1048576.0,8:F1} {st.FramesInferred,9:N0} {st.FramesSkipped,9:N0} {(i - lastFrame) / Math.Max(1e-9, t - lastT),6:F1}");
                alloc = GC.GetAllocatedBytesForCurrentThread(); lastFrame = i; lastT = t;
                if (i == warmUp) { blocks0 = ctx.Allocator.LiveBlocks; bytes0 = ctx.Allocator.AllocatedBytes; heap0 = heap; rss0 = rss; }
                else if (i > warmUp)
                {
                    blocksChanged |= ctx.Allocator.LiveBlocks != blocks0 || ctx.Allocator.AllocatedBytes != bytes0;
                    heapMax = Math.Max(heapMax, heap); rssMax = Math.Max(rssMax, rss);
                }
            }
            long rssAllowed = Math.Max(32L << 20, rss0 / 20), heapAllowed = 1L << 20;
            bool pass = !blocksChanged && heapMax - heap0 <= heapAllowed && rssMax - rss0 <= rssAllowed;
            TestContext.Progress.WriteLine($"criterion: after frame {warmUp:N0}, device blocks and bytes constant ({(blocksChanged ? "CHANGED" : "constant")}), " +
                                           $"managed heap +{(heapMax - heap0) / 1024.0:F0} KiB (allowed {heapAllowed / 1024} KiB), RSS +{(rssMax - rss0) / 1048576.0:F1} MiB (allowed {rssAllowed / 1048576.0:F1} MiB)");
            TestContext.Progress.WriteLine($"SOAK {(pass ? "PASS" : "FAIL")}: {model}, {frames:N0} frames in {clock.Elapsed.TotalSeconds:F0} s, stats {pipeline.Stats}");
            Assert.That(pass, "memory grew after warm-up (see the table above)");
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, "the long soak");
    }
}
