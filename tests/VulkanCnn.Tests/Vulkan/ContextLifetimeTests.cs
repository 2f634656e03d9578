// Object lifetimes against the context: an object disposed after its context is a no-op (never a call into a destroyed
// device), an object used after its context is disposed throws ObjectDisposedException, and a context disposes what
// its owner forgot before it destroys the device (the validation layer reports any object alive at vkDestroyDevice).
// Each test owns its context.
using VulkanCnn.Filters;
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;
using PixelFormat = VulkanCnn.Vision.PixelFormat;

namespace VulkanCnn.Tests.Vulkan;

/// <summary>Contexts of a test's own, on the test device with validation as the suite has it.</summary>
internal static class OwnContexts
{
    public static VulkanContext Create(bool sync = false)
    {
        try
        {
            return new VulkanContext(new VulkanContextOptions
            {
                Device = GpuSetUp.DeviceChoice, Validation = GpuSetUp.Validation, SynchronizationValidation = sync, PipelineCacheDirectory = "",
            });
        }
        catch (NoVulkanDeviceException e)
        {
            Assert.Ignore("No Vulkan device: " + e.Message);
            throw;
        }
    }

    /// <summary>A conv + ReLU + pool network on a 2x7x6 input and its input and expected output.</summary>
    public static (Network Net, float[] X, float[] Expected) SmallNet(int seed = 4)
    {
        var rng = new Random(seed);
        var b = new NetworkBuilder("lifetime");
        b.Input(2, 7, 6, "x").Conv(3, 3, TestData.Random(rng, 3 * 2 * 9, 0.5f), padding: 1, activation: Activation.Relu, name: "conv")
         .AvgPool(2, 2, rounding: Rounding.Ceil, name: "pool").Output();
        var net = b.Build();
        var x = TestData.Random(rng, 84);
        return (net, x, CpuReference.Run(net, x)[0]);
    }

    /// <summary>
    /// A network without weights whose activations need more than one allocation may hold and more than the device-local
    /// heap: 64 MiB outputs, each ReLU of the input (outputs are never overwritten, so every one has its own memory).
    /// </summary>
    public static Network LargerThanOneAllocation(DeviceInfo device)
    {
        const int c = 16, h = 1024, w = 1024;   // 64 MiB per tensor, within every device's maxStorageBufferRange here
        ulong tensor = (ulong)c * h * w * 4;
        ulong limit = Math.Max(device.MaxMemoryAllocationSize, device.DeviceLocalHeapBytes);
        if (tensor > device.MaxStorageBufferRange) Assert.Ignore($"{device.Name} binds at most {device.MaxStorageBufferRange:N0} bytes.");
        int outputs = (int)(limit / tensor) + 2;
        var b = new NetworkBuilder("too-large");
        var x = b.Input(c, h, w, "x");
        for (int i = 0; i < outputs; i++) x.Relu($"relu{i}").Output();
        return b.Build();
    }

    /// <summary>
    /// The errors a context disposed before its objects reports (with validation on): exactly one VulkanCnn report per
    /// object it had to dispose itself, of the given types, and nothing from the layer (no object alive at vkDestroyDevice).
    /// </summary>
    public static void AssertOnlyAliveReports(VulkanContext ctx, string what, params string[] types)
    {
        if (!ctx.ValidationEnabled) { Assert.That(ctx.ValidationErrors, Is.Empty, what); return; }
        var errors = ctx.ValidationErrors;
        var other = errors.Where(e => !e.StartsWith(VulkanContext.AliveAtDestroyId, StringComparison.Ordinal)).ToArray();
        Assert.That(other, Is.Empty, $"{what}: validation errors besides VulkanCnn's reports:\n" + string.Join("\n", other.Take(5)));
        var reported = errors.Select(e => e[(VulkanContext.AliveAtDestroyId.Length + 2)..].Split(' ')[0]).OrderBy(t => t).ToArray();
        Assert.That(reported, Is.EqualTo(types.OrderBy(t => t).ToArray()), $"{what}: objects reported alive at vkDestroyDevice");
        Assert.That(errors, Has.All.Contains("vkDestroyDevice"));
    }

    public static void AssertNoValidationErrors(VulkanContext ctx, string what) =>
        Assert.That(ctx.ValidationErrors, Is.Empty, $"{what}: validation errors (objects alive at vkDestroyDevice are reported):\n" + string.Join("\n", ctx.ValidationErrors.Take(5)));
}

public class ContextLifetimeTests
{
    [Test]
    public void SessionDisposedAfterItsContextIsANoOp()
    {
        var (net, x, expected) = OwnContexts.SmallNet();
        var ctx = OwnContexts.Create();
        var s = new Session(ctx, net);
        TestData.AssertClose(expected, s.Run(x), "before the context was disposed");
        ctx.Dispose();
        // Used to abort the process: the session's Dispose waited on a fence of the destroyed device.
        Assert.DoesNotThrow(s.Dispose);
        Assert.DoesNotThrow(s.Dispose);
        OwnContexts.AssertOnlyAliveReports(ctx, "session disposed after its context", "Session");
    }

    [Test]
    public void SessionUsedAfterItsContextIsDisposedThrowsObjectDisposed()
    {
        var (net, x, _) = OwnContexts.SmallNet();
        var ctx = OwnContexts.Create();
        using var s = new Session(ctx, net);
        s.Run(x);
        ctx.Dispose();
        var y = new float[s.OutputShape().ElementCount];
        foreach (var (name, call) in new (string, TestDelegate)[]
                 {
                     ("Run()", () => s.Run()), ("Run(input)", () => s.Run(x)), ("SetInput", () => s.SetInput(x)),
                     ("GetOutput", () => s.GetOutput(y)), ("new Session", () => new Session(ctx, net)),
                 })
        {
            var e = Assert.Throws<ObjectDisposedException>(call, name)!;
            Assert.That(e.Message, Does.Contain("VulkanContext"), name);
        }
        OwnContexts.AssertOnlyAliveReports(ctx, "use after the context was disposed", "Session");
    }

    [Test]
    public void EveryKindOfChildDisposedOldestFirstAfterTheContext()
    {
        var (net, x, _) = OwnContexts.SmallNet();
        var ctx = OwnContexts.Create();
        var session = new Session(ctx, net);
        var rgb = new NetworkBuilder("rgb");
        rgb.Input(3, 7, 6).Relu().Output();
        var rgbSession = new Session(ctx, rgb.Build());
        var pre = new FramePreprocessor(ctx, 20, 14, PixelFormat.Rgba8, new PreprocessOptions { Width = 8, Height = 8 });
        var intoSession = new FramePreprocessor(rgbSession, 0, 12, 14, PixelFormat.Bgra8, new PreprocessOptions { Width = 6, Height = 7 });
        var filters = new FilterRunner(ctx);
        var image = new float[16 * 12];
        filters.Apply(FilterKind.Gaussian, image, new Shape(1, 12, 16));
        var frame = new byte[20 * 14 * 4];
        pre.Process(frame);
        intoSession.Process(new byte[12 * 14 * 4]);
        rgbSession.Run();
        session.Run(x);
        Assert.That(ctx.LiveChildren, Is.EqualTo(5), "the two sessions, the two pre-processors and the runner's session are tracked");

        ctx.Dispose();
        Assert.That(ctx.LiveChildren, Is.Zero);
        var disposables = new IDisposable[] { session, rgbSession, pre, intoSession, filters };
        foreach (var d in disposables) Assert.DoesNotThrow(d.Dispose, d.GetType().Name);
        foreach (var d in disposables) Assert.DoesNotThrow(d.Dispose, d.GetType().Name + " twice");

        Assert.Throws<ObjectDisposedException>(() => pre.Process(frame));
        Assert.Throws<ObjectDisposedException>(() => pre.GetOutput(new float[pre.OutputLength]));
        Assert.Throws<ObjectDisposedException>(() => filters.Apply(FilterKind.Gaussian, image, new Shape(1, 12, 16)));
        Assert.Throws<ObjectDisposedException>(() => new FramePreprocessor(ctx, 20, 14, PixelFormat.Rgba8, new PreprocessOptions { Width = 8, Height = 8 }));
        OwnContexts.AssertOnlyAliveReports(ctx, "children disposed after the context", "Session", "Session", "Session", "FramePreprocessor", "FramePreprocessor");
    }

    [Test]
    public void ContextDisposesWhatItsOwnerForgot()
    {
        var (net, x, expected) = OwnContexts.SmallNet();
        var ctx = OwnContexts.Create();
        int before = ctx.LiveChildren;
        for (int i = 0; i < 3; i++) TestData.AssertClose(expected, new Session(ctx, net).Run(x), $"forgotten session {i}");
        var pre = new FramePreprocessor(ctx, 8, 8, PixelFormat.Rgba8, new PreprocessOptions { Width = 4, Height = 4 });
        pre.Process(new byte[8 * 8 * 4]);
        Assert.That(ctx.LiveChildren, Is.EqualTo(before + 4));
        ctx.Dispose();
        // Without tracking, the forgotten sessions' fences, pools and descriptor pools were alive at vkDestroyDevice: the
        // layer reported them (and the driver destroyed a device with live children). Now the context disposes them and,
        // with validation on, reports each one by name.
        OwnContexts.AssertOnlyAliveReports(ctx, "forgotten sessions and pre-processor", "Session", "Session", "Session", "FramePreprocessor");
        Assert.That(ctx.LiveChildren, Is.Zero);
    }

    [Test]
    public void DisposedChildrenAreForgottenByTheContext()
    {
        var (net, x, _) = OwnContexts.SmallNet();
        var ctx = OwnContexts.Create();
        try
        {
            int before = ctx.LiveChildren;
            for (int i = 0; i < 20; i++)
                using (var s = new Session(ctx, net)) s.Run(x);
            Assert.That(ctx.LiveChildren, Is.EqualTo(before), "a disposed session must not stay registered (it would be kept alive)");
            // Fails planning its memory, after it registered with the context.
            Assert.Throws<VulkanException>(() => new Session(ctx, OwnContexts.LargerThanOneAllocation(ctx.DeviceInfo)));
            Assert.That(ctx.LiveChildren, Is.EqualTo(before), "a session whose constructor failed must not stay registered");
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, "sessions created and disposed");
    }

    [Test]
    public void SessionsOfAnAdoptingContextDisposedAfterItLeaveTheDeviceToItsOwner()
    {
        var (net, x, expected) = OwnContexts.SmallNet();
        using var original = OwnContexts.Create();
        var adopted = new VulkanContext(original.Vk, original.Instance, original.PhysicalDevice, original.Device, original.QueueFamily, 0, "");
        var s = new Session(adopted, net);
        TestData.AssertClose(expected, s.Run(x), "session on the adopting context");
        adopted.Dispose();
        Assert.DoesNotThrow(s.Dispose);
        Assert.Throws<ObjectDisposedException>(() => s.Run(x));
        using (var again = new Session(original, net)) TestData.AssertClose(expected, again.Run(x), "the owner's context afterwards");
        original.WaitIdle();
        OwnContexts.AssertNoValidationErrors(original, "adopting context disposed before its session");
        OwnContexts.AssertOnlyAliveReports(adopted, "the adopting context", "Session");
    }
}
