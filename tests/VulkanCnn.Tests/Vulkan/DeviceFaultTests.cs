// Device faults: running out of device memory and losing the device give their exceptions, leak nothing (no memory
// block, no tracked object, nothing alive at vkDestroyDevice), and a new context runs correctly afterwards in the same
// process. Device loss is injected through VkCheck's test seam: the driver's call succeeds, its checked result is
// replaced, exactly as a lost device reports itself.
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Tests.Vulkan;

public class DeviceFaultTests
{
    private static void AssertANewContextRuns(string after)
    {
        var (net, x, expected) = OwnContexts.SmallNet(seed: 8);
        var ctx = OwnContexts.Create();
        try
        {
            using var s = new Session(ctx, net);
            TestData.AssertClose(expected, s.Run(x), $"a new context after {after}");
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, $"the new context after {after}");
    }

    [Test]
    public void ASessionLargerThanTheDeviceIsOutOfDeviceMemoryAndLeaksNothing()
    {
        var (net, x, expected) = OwnContexts.SmallNet();
        var ctx = OwnContexts.Create();
        try
        {
            var huge = OwnContexts.LargerThanOneAllocation(ctx.DeviceInfo);
            int blocks = ctx.Allocator.LiveBlocks, children = ctx.LiveChildren;
            var e = Assert.Throws<VulkanException>(() => new Session(ctx, huge))!;
            Assert.That(e.Result, Is.EqualTo(Result.ErrorOutOfDeviceMemory), e.Message);
            Assert.That(e.Message, Does.Contain("activations").And.Contain("maxMemoryAllocationSize").And.Contain(ctx.DeviceInfo.MaxMemoryAllocationSize.ToString("N0")));
            Assert.That(ctx.Allocator.LiveBlocks, Is.EqualTo(blocks), "memory blocks left by the failed session");
            Assert.That(ctx.LiveChildren, Is.EqualTo(children), "the failed session is still registered");
            Assert.That(ctx.IsDeviceLost, Is.False);
            using var s = new Session(ctx, net);
            TestData.AssertClose(expected, s.Run(x), "the same context after running out of memory");
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, "out of device memory");
        AssertANewContextRuns("running out of device memory");
    }

    [Test]
    public void ABlockPastTheHeapIsRefusedBeforeTheDriverIsAsked()
    {
        var ctx = OwnContexts.Create();
        try
        {
            var info = ctx.DeviceInfo;
            ulong past = Math.Max(info.DeviceLocalHeapBytes, info.MaxMemoryAllocationSize) + 1;
            var e = Assert.Throws<VulkanException>(() => ctx.Allocator.CreateBlock(past, MemoryUsage.Device))!;
            Assert.That(e.Result, Is.EqualTo(Result.ErrorOutOfDeviceMemory));
            Assert.That(e.Message, Does.Contain(past.ToString("N0")).And.Contain(info.Name));
            Assert.That(ctx.Allocator.LiveBlocks, Is.Zero);
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, "a block past the heap");
    }

    [TestCase("vkQueueSubmit")]
    [TestCase("vkWaitForFences")]
    public void ALostDeviceIsReportedEverywhereAndANewContextRuns(string where)
    {
        var (net, x, expected) = OwnContexts.SmallNet();
        var ctx = OwnContexts.Create();
        try
        {
            var s = new Session(ctx, net);
            var other = new Session(ctx, net);
            TestData.AssertClose(expected, s.Run(x), "before the loss");
            DeviceLostException lost;
            using (var fault = VkCheck.InjectFault(where, Result.ErrorDeviceLost))
            {
                lost = Assert.Throws<DeviceLostException>(() => s.Run(x))!;
                Assert.That(fault.Hits, Is.EqualTo(1));
            }
            Assert.That(lost.Result, Is.EqualTo(Result.ErrorDeviceLost));
            Assert.That(lost.Call, Is.EqualTo(where));
            Assert.That(lost.Message, Does.Contain(ctx.DeviceInfo.Name).And.Contain(where).And.Contain("new VulkanContext"));
            Assert.That(ctx.IsDeviceLost);

            // Nothing touches the device again: every entry point of every object of the context reports the loss.
            foreach (var (name, call) in new (string, TestDelegate)[]
                     {
                         ("the session that failed", () => s.Run(x)), ("another session", () => other.Run(x)),
                         ("a new session", () => new Session(ctx, net)), ("WaitIdle", ctx.WaitIdle),
                     })
                Assert.That(Assert.Throws<DeviceLostException>(call, name)!.Message, Does.Contain("earlier"), name);

            // Disposal still works after the loss and frees everything.
            s.Dispose();
            other.Dispose();
            Assert.That(ctx.Allocator.LiveBlocks, Is.Zero, "memory blocks left after disposing everything");
            Assert.That(ctx.LiveChildren, Is.Zero);
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, $"device lost in {where}");
        AssertANewContextRuns($"a device lost in {where}");
    }

    [Test]
    public void OutOfMemoryReportedByADriverCallLeavesTheSessionUsable()
    {
        var (net, x, expected) = OwnContexts.SmallNet();
        var ctx = OwnContexts.Create();
        try
        {
            using var s = new Session(ctx, net);
            using (VkCheck.InjectFault("vkWaitForFences", Result.ErrorOutOfDeviceMemory))
            {
                var e = Assert.Throws<VulkanException>(() => s.Run(x))!;
                Assert.That(e, Is.Not.InstanceOf<DeviceLostException>());
                Assert.That(e.Result, Is.EqualTo(Result.ErrorOutOfDeviceMemory));
                Assert.That(e.Message, Does.Contain("vkWaitForFences").And.Contain("out of memory"));
            }
            Assert.That(ctx.IsDeviceLost, Is.False);
            TestData.AssertClose(expected, s.Run(x), "the session after the failed run");
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, "an out-of-memory result");
    }

    [Test]
    public void AnInjectedFaultStaysOnItsThreadAndEndsWithItsScope()
    {
        var (net, x, expected) = OwnContexts.SmallNet();
        var ctx = OwnContexts.Create();
        try
        {
            using var s = new Session(ctx, net);
            using (var fault = VkCheck.InjectFault("vkQueueSubmit", Result.ErrorDeviceLost, skip: 1))
            {
                TestData.AssertClose(expected, Task.Run(() => s.Run(x)).GetAwaiter().GetResult(), "another thread is not affected");
                TestData.AssertClose(expected, s.Run(x), "the first matching call is skipped");
                Assert.That(fault.Hits, Is.Zero);
                Assert.Throws<InvalidOperationException>(() => VkCheck.InjectFault("vkQueueSubmit", Result.ErrorDeviceLost));
            }
            TestData.AssertClose(expected, s.Run(x), "after the scope");
            Assert.That(ctx.IsDeviceLost, Is.False);
        }
        finally { ctx.Dispose(); }
    }
}
