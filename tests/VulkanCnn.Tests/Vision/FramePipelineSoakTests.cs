// 2000 frames through the frame pipeline on a context of the test's own: device memory stays flat, and disposing the
// pipeline, the task and the context leaves no Vulkan object behind (the validation layer reports leaked child
// objects at vkDestroyDevice as errors; a control test proves those reports reach ValidationErrors). The soak runs with
// the layer's synchronization validation on, so a missing barrier or semaphore wait in any frame is an error too.
using VulkanCnn.Tests.Vulkan;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;
using PixelFormat = VulkanCnn.Vision.PixelFormat;

namespace VulkanCnn.Tests.Vision;

public class FramePipelineSoakTests
{
    [Test]
    public void LeakedObjectsAreReportedAtDestroyDevice()
    {
        if (!GpuSetUp.Validation) Assert.Ignore("Validation is off (VULKANCNN_TEST_VALIDATION=0).");
        var ctx = OwnContexts.Create();
        ctx.CreateFence();   // deliberately leaked
        ctx.Dispose();
        Assert.That(ctx.ValidationErrors, Has.Some.Contains("VkFence").Or.Some.Contains("Fence"),
            "a leaked fence must be reported when the device is destroyed: " + string.Join("\n", ctx.ValidationErrors));
    }

    [Test]
    public void TwoThousandFramesKeepMemoryFlatAndDisposeCleanly()
    {
        const int w = 40, h = 24, frames = 2000;
        var ctx = OwnContexts.Create(sync: true);
        try
        {
            var task = new BrightCellTask(ctx);
            var pipeline = new FramePipeline(ctx, task, w, h, new FramePipelineOptions { EveryNthFrame = 2 });
            var input = PipelineKit.Frame(w, h, 3, 3, seed: 5);
            var output = new byte[w * h * 4];
            int blocksAfterWarmUp = 0;
            ulong bytesAfterWarmUp = 0;
            long allocatedAfterWarmUp = 0;
            for (int i = 1; i <= frames; i++)
            {
                input[0] = (byte)i;    // each frame differs
                pipeline.Submit(input, PixelFormat.Rgba8);
                if (i % 500 == 0) pipeline.ReadOutput(output);
                if (i == 100)
                {
                    blocksAfterWarmUp = ctx.Allocator.LiveBlocks;
                    bytesAfterWarmUp = ctx.Allocator.AllocatedBytes;
                    allocatedAfterWarmUp = GC.GetAllocatedBytesForCurrentThread();
                }
            }
            long managedPerFrame = (GC.GetAllocatedBytesForCurrentThread() - allocatedAfterWarmUp) / (frames - 100);
            TestContext.Progress.WriteLine($"{frames} frames: {ctx.Allocator.LiveBlocks} live blocks, {ctx.Allocator.AllocatedBytes:N0} bytes; " +
                                           $"~{managedPerFrame} managed bytes per frame (results included); stats {pipeline.Stats}");
            Assert.That(ctx.Allocator.LiveBlocks, Is.EqualTo(blocksAfterWarmUp), "live memory blocks grew");
            Assert.That(ctx.Allocator.AllocatedBytes, Is.EqualTo(bytesAfterWarmUp), "allocated device memory grew");
            Assert.That(pipeline.Stats.FramesSubmitted, Is.EqualTo(frames));
            Assert.That(pipeline.Stats.FramesInferred + pipeline.Stats.FramesSkipped, Is.EqualTo(frames / 2));
            pipeline.Dispose();
            pipeline.Dispose();   // idempotent
            task.Dispose();
            Assert.That(ctx.Allocator.LiveBlocks, Is.EqualTo(0), "memory blocks left after Dispose");
        }
        finally
        {
            ctx.Dispose();
        }
        Assert.That(ctx.ValidationErrors, Is.Empty, "validation errors (leaked objects are reported at vkDestroyDevice):\n" + string.Join("\n", ctx.ValidationErrors.Take(5)));
    }

    [Test]
    public void SynchronizationValidationSeesAMissingBarrier()
    {
        if (!GpuSetUp.Validation) Assert.Ignore("Validation is off (VULKANCNN_TEST_VALIDATION=0).");
        var ctx = OwnContexts.Create(sync: true);
        try
        {
            // Two dispatches writing the same buffer with no barrier between them: a write-after-write hazard.
            using var arena = new MemoryArena(ctx, MemoryUsage.Device);
            var buf = arena.Allocate(256, "hazard");
            ctx.RunOnce(cmd =>
            {
                ctx.Vk.CmdFillBuffer(cmd, buf.Buffer, buf.Offset, buf.Size, 1);
                ctx.Vk.CmdFillBuffer(cmd, buf.Buffer, buf.Offset, buf.Size, 2);
            });
        }
        finally { ctx.Dispose(); }
        Assert.That(ctx.ValidationErrors, Has.Some.Contains("SYNC-HAZARD"), "synchronization validation is not active: " + string.Join("\n", ctx.ValidationErrors));
    }
}
