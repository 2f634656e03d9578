// Leaks in the viewer's per-frame path (samples/Viewer FrameProcessor: task -> overlay scene -> GPU overlay -> HUD):
// thousands of test-pattern frames must keep the GC heap and VulkanCnn's allocator flat after warm-up, keep giving the
// right answer, and, once everything is disposed, leave no Vulkan object alive. Each test owns its context (validation
// on), so objects still alive at vkDestroyDevice/vkDestroyInstance are reported to it; a control test leaks on purpose
// to prove those reports arrive.
using VulkanCnn.Graph;
using VulkanCnn.Samples.Viewer;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Tests.Vision;

[NonParallelizable]
public class ViewerLeakTests
{
    private const int W = 96, H = 72, Cell = 4, MapW = W / Cell, MapH = H / Cell;

    /// <summary>A context of the test's own, on the test device with validation as the suite has it.</summary>
    private static VulkanContext OwnContext()
    {
        try { return new VulkanContext(new VulkanContextOptions { Device = GpuSetUp.DeviceChoice, Validation = GpuSetUp.Validation, PipelineCacheDirectory = "" }); }
        catch (NoVulkanDeviceException e) { Assert.Ignore("No Vulkan device: " + e.Message); throw; }
    }

    /// <summary>
    /// A small real task: the test pattern's moving grey square, found as the centroid of a 3x3 box filter run on the
    /// GPU over a quarter-resolution "is grey" map; its result is a box, a point, a segment and a label with the frame number.
    /// </summary>
    private sealed class GreySquareTask : IViewerTask
    {
        private readonly Session _session;
        private readonly float[] _map = new float[MapW * MapH], _out = new float[MapW * MapH];

        public GreySquareTask(VulkanContext ctx)
        {
            var b = new NetworkBuilder("grey-square");
            b.Input(1, MapH, MapW, "map").Conv(1, 3, Enumerable.Repeat(1f / 9, 9).ToArray(), new[] { 0f }, padding: 1, name: "box").Output();
            _session = new Session(ctx, b.Build());
        }

        public string Name => "grey-square";
        public StageTimes LastTimes => new(0.1, 0.2, 0.3);

        public VisionResult Run(ReadOnlySpan<byte> rgba, long frameNumber)
        {
            for (int y = 0; y < MapH; y++)
                for (int x = 0; x < MapW; x++)
                {
                    int i = 4 * ((y * Cell + Cell / 2) * W + x * Cell + Cell / 2);
                    _map[y * MapW + x] = rgba[i] == 128 && rgba[i + 1] == 128 && rgba[i + 2] == 128 ? 1f : 0f;
                }
            _session.SetInput(_map);
            _session.Run();
            _session.GetOutput(_out);
            // The filtered map's centroid: the square's centre (the filter is symmetric).
            float sum = 0, sx = 0, sy = 0, peak = 0;
            for (int i = 0; i < _out.Length; i++)
            {
                sum += _out[i]; sx += _out[i] * (i % MapW + 0.5f); sy += _out[i] * (i / MapW + 0.5f); peak = Math.Max(peak, _out[i]);
            }
            float cx = sum > 0 ? sx / sum * Cell : 0, cy = sum > 0 ? sy / sum * Cell : 0;
            var box = new Box(cx - 9, cy - 9, 18, 18);
            return new VisionResult { FrameNumber = frameNumber, Detections = new[] { new Detection(box, peak, 0, $"f{frameNumber}", new[] { (cx, cy) }) } };
        }

        public void Draw(VisionResult result, OverlayScene scene)
        {
            foreach (var d in result.Detections)
            {
                scene.Boxes.Add(new OverlayBox(d.Box, Colors.ForClass(1), 2));
                scene.Points.Add(new OverlayPoint(d.Keypoints[0].X, d.Keypoints[0].Y, Colors.ForClass(0), 2));
                scene.Segments.Add(new OverlaySegment(0, 0, d.Box.X, d.Box.Y, Colors.ForClass(3), 1));
                scene.Labels.Add(new OverlayLabel(d.Box.X, Math.Max(0, d.Box.Y - 9), d.Label, Colors.Black, Colors.White));
            }
        }

        public void Dispose() => _session.Dispose();
    }

    /// <summary>Where the test pattern's grey square is centred in frame <paramref name="n"/> (TestPatternSource's layout).</summary>
    private static (float X, float Y) SquareCentre(long n)
    {
        int side = Math.Max(2, H / 4) & ~1, top = H - Math.Max(2, H / 8);
        int sx = (int)(n * 4 % Math.Max(1, W - side)) & ~1, sy = (top - side) / 2 & ~1;
        return (sx + side / 2f, sy + side / 2f);
    }

    [Test]
    public void ThreeThousandFramesKeepMemoryFlatAndLeaveNoVulkanObjectAlive()
    {
        const int warmUp = 300, frames = 3000;
        var ctx = OwnContext();
        long heapAfterWarmUp = 0, allocatedAtWarmUp = 0;
        ulong bytesAfterWarmUp = 0;
        int blocksAfterWarmUp = 0, blocksBefore = ctx.Allocator.LiveBlocks;
        try
        {
            using var source = new TestPatternSource(new FrameSourceOptions { Width = W, Height = H, DropFrames = false });
            using var processor = new FrameProcessor(ctx, new GreySquareTask(ctx), W, H, hud: true);
            var frame = new byte[source.FrameBytes];
            var output = new byte[source.FrameBytes];
            for (int i = 0; i < frames; i++)
            {
                Assert.That(source.ReadLatest(frame, out long n, TimeSpan.FromSeconds(10)), $"frame {i}");
                var result = processor.Process(frame, n, output, 0.5)!;
                if (i % 500 == 0 || i == frames - 1)
                {
                    // Still the right answer: the box is on the grey square, and the overlay drew over the frame.
                    var (x, y) = SquareCentre(n);
                    var box = result.Detections.Single().Box;
                    Assert.That(Math.Abs(box.X + box.W / 2 - x) <= Cell && Math.Abs(box.Y + box.H / 2 - y) <= Cell,
                                $"frame {n}: box {box}, square centred at ({x}, {y})");
                    Assert.That(output.AsSpan().SequenceEqual(frame), Is.False, $"frame {n}: nothing drawn");
                }
                if (i == warmUp - 1)
                {
                    heapAfterWarmUp = CollectedHeap();
                    bytesAfterWarmUp = ctx.Allocator.AllocatedBytes;
                    blocksAfterWarmUp = ctx.Allocator.LiveBlocks;
                    allocatedAtWarmUp = GC.GetAllocatedBytesForCurrentThread();
                }
            }
            long perFrame = (GC.GetAllocatedBytesForCurrentThread() - allocatedAtWarmUp) / (frames - warmUp);
            long heapGrowth = CollectedHeap() - heapAfterWarmUp;
            TestContext.Out.WriteLine($"after {frames} frames: GC heap growth since warm-up {heapGrowth:N0} bytes; managed allocation {perFrame:N0} bytes/frame; " +
                                      $"allocator {ctx.Allocator.LiveBlocks} blocks, {ctx.Allocator.AllocatedBytes:N0} bytes; HUD: {string.Join(" | ", processor.Hud!.Labels.Select(l => l.Text.Trim()))}");
            Assert.That(ctx.Allocator.LiveBlocks, Is.EqualTo(blocksAfterWarmUp), "allocator blocks grew after warm-up");
            Assert.That(ctx.Allocator.AllocatedBytes, Is.EqualTo(bytesAfterWarmUp), "allocator bytes grew after warm-up");
            Assert.That(heapGrowth, Is.LessThan(256 * 1024), "the GC heap grew after warm-up (collected before each measurement)");
            Assert.That(ctx.Allocator.LiveBlocks, Is.GreaterThan(blocksBefore), "the path allocates GPU memory (or this test proves nothing)");
        }
        finally
        {
            Assert.That(ctx.Allocator.LiveBlocks, Is.LessThanOrEqualTo(blocksBefore), "blocks left alive after the processor was disposed");
            ctx.Dispose();
        }
        // Reported during vkDestroyDevice/vkDestroyInstance, so read after Dispose.
        Assert.That(ctx.ValidationErrors, Is.Empty, "validation errors, undestroyed objects included:\n" + string.Join("\n", ctx.ValidationErrors.Take(5)));
    }

    [Test]
    public void BlazeFaceFramesKeepTheAllocatorFlat()
    {
        // Warm-up covers the HUD's first quarter-second refresh (one-time formatting allocations, ~270 KB): through the
        // frame pipeline lavapipe reaches it only after about 12 frames.
        const int warmUp = 30, frames = 90;
        var ctx = OwnContext();
        try
        {
            using var source = new TestPatternSource(new FrameSourceOptions { Width = W, Height = H, DropFrames = false });
            using var processor = new FrameProcessor(ctx, ViewerTasks.Create("blazeface", ctx, W, H), W, H, hud: true);
            var frame = new byte[source.FrameBytes];
            var output = new byte[source.FrameBytes];
            int blocks = 0;
            ulong bytes = 0;
            long heap = 0;
            for (int i = 0; i < frames; i++)
            {
                source.ReadLatest(frame, out long n, TimeSpan.FromSeconds(10));
                Assert.That(processor.Process(frame, n, output, 0)!.Detections, Is.Empty, "no face in the test pattern");
                if (i == warmUp - 1) { blocks = ctx.Allocator.LiveBlocks; bytes = ctx.Allocator.AllocatedBytes; heap = CollectedHeap(); }
            }
            Assert.That((ctx.Allocator.LiveBlocks, ctx.Allocator.AllocatedBytes), Is.EqualTo((blocks, bytes)), "allocator grew after warm-up");
            Assert.That(CollectedHeap() - heap, Is.LessThan(256 * 1024), "GC heap grew after warm-up");
        }
        finally { ctx.Dispose(); }
        Assert.That(ctx.ValidationErrors, Is.Empty, string.Join("\n", ctx.ValidationErrors.Take(5)));
    }

    [Test]
    public void ControlAnUndisposedProcessorIsReportedWhenTheDeviceIsDestroyed()
    {
        if (!GpuSetUp.Validation) Assert.Ignore("Validation is off (VULKANCNN_TEST_VALIDATION=0): leaks cannot be reported.");
        var ctx = OwnContext();
        var leaked = new FrameProcessor(ctx, new GreySquareTask(ctx), W, H, hud: false);
        leaked.Process(new byte[W * H * 4], 0, new byte[W * H * 4], 0);
        ctx.Dispose();   // the processor's fence, command pool and descriptor pools are still alive
        Assert.That(ctx.ValidationErrors, Has.Some.Contains("vkDestroyDevice"), "leaked objects must reach the test as validation errors");
        GC.KeepAlive(leaked);
    }

    private static long CollectedHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }
}
