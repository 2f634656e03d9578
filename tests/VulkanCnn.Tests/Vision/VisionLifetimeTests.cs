// Lifetimes and threading of the vision objects: a pipeline, its task and an overlay renderer disposed after their
// context are no-ops and leave nothing alive at vkDestroyDevice; used after it they throw ObjectDisposedException;
// a second thread inside a pipeline or task call gets InvalidOperationException; a device lost in a pipeline's
// submission is reported, leaks nothing, and a new context runs a pipeline afterwards. Each test owns its context.
using Silk.NET.Vulkan;
using VulkanCnn.Tests.Core;
using VulkanCnn.Tests.Vulkan;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;
using PixelFormat = VulkanCnn.Vision.PixelFormat;

namespace VulkanCnn.Tests.Vision;

public class VisionLifetimeTests
{
    private const int W = 40, H = 24;

    /// <summary>Runs frames until one inference has finished and checks the bright square was found.</summary>
    private static void RunFrames(FramePipeline p, byte[] frame, string what)
    {
        for (int i = 0; i < 3; i++) p.Submit(frame, PixelFormat.Rgba8);
        PipelineKit.WaitForResult(p);
        Assert.That(p.Latest, Is.Not.Null, what);
        // The white square covers model cell (3, 3): x 15..20, y 9..12 of the 40x24 frame.
        var box = p.Latest!.Detections[0].Box;
        Assert.That((box.X, box.Y, box.Right, box.Bottom), Is.EqualTo((15f, 9f, 20f, 12f)), $"{what}: box {box}");
    }

    [Test]
    public void PipelineTaskAndOverlayDisposedAfterTheContextAreNoOps()
    {
        var ctx = OwnContexts.Create();
        var task = new BrightCellTask(ctx);
        var pipeline = new FramePipeline(ctx, task, W, H, new FramePipelineOptions { Hud = true });
        var overlay = new OverlayRenderer(ctx, W, H);
        var frame = PipelineKit.Frame(W, H, 3, 3, seed: 5);
        RunFrames(pipeline, frame, "before");
        var standalone = task.Run(frame, W, H, PixelFormat.Rgba8);      // makes the task's own runner (fence, pool, pre-processor)
        Assert.That(standalone.Detections, Has.Count.EqualTo(1));
        overlay.Upload(frame);
        overlay.Draw(new[] { new OverlayBox(new Box(2, 2, 10, 8), Colors.ForClass(1)) }, default, default, default);
        pipeline.Submit(frame, PixelFormat.Rgba8);                       // leaves an inference in flight (or just finished)

        ctx.Dispose();
        // The pipeline used to return early without destroying anything (objects alive at vkDestroyDevice), and the
        // task's session to wait on a fence of the destroyed device (a native crash).
        foreach (var d in new IDisposable[] { task, overlay, pipeline })
        {
            Assert.DoesNotThrow(d.Dispose, d.GetType().Name);
            Assert.DoesNotThrow(d.Dispose, d.GetType().Name + " twice");
        }
        OwnContexts.AssertOnlyAliveReports(ctx, "pipeline, task and overlay disposed after the context",
            // the pipeline with its own pre-processor and overlay, the standalone overlay, the task's session, runner and its pre-processor
            "FramePipeline", "FramePreprocessor", "OverlayRenderer", "OverlayRenderer", "Session", "StandaloneRunner", "FramePreprocessor");

        var output = new byte[W * H * 4];
        foreach (var (name, call) in new (string, TestDelegate)[]
                 {
                     ("pipeline.Submit", () => pipeline.Submit(frame, PixelFormat.Rgba8)), ("pipeline.Poll", () => pipeline.Poll()),
                     ("pipeline.ReadOutput", () => pipeline.ReadOutput(output)), ("task.Run", () => task.Run(frame, W, H, PixelFormat.Rgba8)),
                     ("overlay.Upload", () => overlay.Upload(frame)), ("new FramePipeline", () => new FramePipeline(ctx, task, W, H)),
                 })
            Assert.Throws<ObjectDisposedException>(call, name);
    }

    [Test]
    public void ATasksSessionDisposedByTheContextBeforeTheTaskIsANoOp()
    {
        var model = BlazeFaceTaskTests.Model(BlazeFaceModel.Front);
        var ctx = OwnContexts.Create();
        var task = new BlazeFaceTask(ctx, model, BlazeFaceModel.Front);
        var pipeline = new FramePipeline(ctx, task, 64, 48);
        var frame = new byte[64 * 48 * 4];
        task.Run(frame, 64, 48, PixelFormat.Rgba8);
        pipeline.Submit(frame, PixelFormat.Rgba8);
        ctx.Dispose();
        Assert.DoesNotThrow(task.Dispose);       // oldest first: the task before its pipeline
        Assert.DoesNotThrow(pipeline.Dispose);
        OwnContexts.AssertOnlyAliveReports(ctx, "BlazeFace task and pipeline disposed after the context",
            "FramePipeline", "FramePreprocessor", "OverlayRenderer", "Session", "PostprocessProgram", "StandaloneRunner", "FramePreprocessor");
        Assert.Throws<ObjectDisposedException>(() => task.Run(frame, 64, 48, PixelFormat.Rgba8));
    }

    [Test]
    public void ASecondThreadInsideAPipelineOrTaskCallThrows()
    {
        var ctx = OwnContexts.Create();
        try
        {
            using var task = new BrightCellTask(ctx);
            using var pipeline = new FramePipeline(ctx, task, W, H);
            var frame = PipelineKit.Frame(W, H, 3, 3, seed: 5);
            var output = new byte[W * H * 4];
            pipeline.Submit(frame, PixelFormat.Rgba8);
            using (new HeldOnAnotherThread(pipeline.Use))
                foreach (var (name, call) in new (string, TestDelegate)[]
                         {
                             ("Submit", () => pipeline.Submit(frame, PixelFormat.Rgba8)), ("Poll", () => pipeline.Poll()),
                             ("ReadOutput", () => pipeline.ReadOutput(output)), ("Dispose", pipeline.Dispose),
                         })
                    Assert.That(Assert.Throws<InvalidOperationException>(call, name)!.Message, Does.Contain("FramePipeline"), name);
            // The task (its session) is busy on another thread: the pipeline must not submit its command buffer meanwhile.
            using (new HeldOnAnotherThread(task.Session.Use))
            {
                Assert.Throws<InvalidOperationException>(() => pipeline.Submit(frame, PixelFormat.Rgba8), "pipeline.Submit");
                Assert.Throws<InvalidOperationException>(() => task.Run(frame, W, H, PixelFormat.Rgba8), "task.Run");
            }
            RunFrames(pipeline, frame, "after the other threads left");
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, "refused calls");
    }

    [Test]
    public void ARegionCropperIsTrackedGuardedAndSafeToDisposeAfterItsContext()
    {
        var ctx = OwnContexts.Create();
        var options = new PreprocessOptions { Width = 8, Height = 4 };
        var frame = PipelineKit.Frame(W, H, 3, 3, seed: 5);
        var regions = new[] { CropRegion.FromBox(0, 0, 20, 10, 8, 4) };
        var cropper = new RegionCropper(ctx, W, H, PixelFormat.Rgba8, options, 2);
        cropper.Process(frame, regions);
        var before = cropper.ReadOutput();
        using (new HeldOnAnotherThread(cropper.Use))
            foreach (var (name, call) in new (string, TestDelegate)[]
                     {
                         ("Upload", () => cropper.Upload(frame)), ("SetRegions", () => cropper.SetRegions(regions)),
                         ("Run", cropper.Run), ("ReadOutput", () => cropper.ReadOutput()), ("Dispose", cropper.Dispose),
                     })
                Assert.That(Assert.Throws<InvalidOperationException>(call, name)!.Message, Does.Contain("RegionCropper"), name);
        cropper.Run();
        Assert.That(cropper.ReadOutput(), Is.EqualTo(before), "the refused calls changed nothing");

        ctx.Dispose();
        Assert.DoesNotThrow(cropper.Dispose, "after the context");
        Assert.DoesNotThrow(cropper.Dispose, "twice");
        OwnContexts.AssertOnlyAliveReports(ctx, "cropper disposed after the context", "RegionCropper");
        Assert.Throws<ObjectDisposedException>(cropper.Run, "Run after the context");
        Assert.Throws<ObjectDisposedException>(() => new RegionCropper(ctx, W, H, PixelFormat.Rgba8, options, 2), "new after the context");
    }

    [Test]
    public void ADeviceLostInAPipelineSubmissionLeaksNothingAndANewContextRuns()
    {
        var frame = PipelineKit.Frame(W, H, 3, 3, seed: 5);
        var ctx = OwnContexts.Create();
        try
        {
            var task = new BrightCellTask(ctx);
            var pipeline = new FramePipeline(ctx, task, W, H);
            RunFrames(pipeline, frame, "before the loss");
            using (VkCheck.InjectFault("vkQueueSubmit", Result.ErrorDeviceLost))
                Assert.That(Assert.Throws<DeviceLostException>(() => pipeline.Submit(frame, PixelFormat.Rgba8))!.Message, Does.Contain(ctx.DeviceInfo.Name));
            Assert.That(ctx.IsDeviceLost);
            Assert.Throws<DeviceLostException>(() => pipeline.Submit(frame, PixelFormat.Rgba8));
            Assert.Throws<DeviceLostException>(() => task.Run(frame, W, H, PixelFormat.Rgba8));
            pipeline.Dispose();
            task.Dispose();
            Assert.That(ctx.Allocator.LiveBlocks, Is.Zero, "memory blocks left");
            Assert.That(ctx.LiveChildren, Is.Zero, "objects left");
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, "device lost in a pipeline");

        var fresh = OwnContexts.Create();
        try
        {
            using var task = new BrightCellTask(fresh);
            using var pipeline = new FramePipeline(fresh, task, W, H);
            RunFrames(pipeline, frame, "a new context after the loss");
        }
        finally { fresh.Dispose(); }
        OwnContexts.AssertNoValidationErrors(fresh, "the new context");
    }
}
