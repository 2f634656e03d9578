// The context: adopting a host application's device (and leaving it alive), argument checks on adoption, device
// selection by name, and the device list.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Tests.Vulkan;

public class VulkanContextTests : GpuTest
{
    private static Network SmallNet()
    {
        var rng = new Random(4);
        var b = new NetworkBuilder("adopt");
        b.Input(2, 7, 6, "x").Conv(3, 3, TestData.Random(rng, 3 * 2 * 9, 0.5f), padding: 1, activation: Activation.Relu, name: "conv")
         .AvgPool(2, 2, rounding: Rounding.Ceil, name: "pool").Output();
        return b.Build();
    }

    [Test]
    public void AdoptedContextRunsAndLeavesTheDeviceAlive()
    {
        _ = Ctx;   // skips the test when there is no device
        var net = SmallNet();
        var x = TestData.Random(new Random(5), 84);
        var expected = CpuReference.Run(net, x)[0];
        using var original = new VulkanContext(new VulkanContextOptions { Device = GpuSetUp.DeviceChoice, Validation = GpuSetUp.Validation, PipelineCacheDirectory = "" });
        using (var s = new Session(original, net)) TestData.AssertClose(expected, s.Run(x), "original before adoption");

        var adopted = new VulkanContext(original.Vk, original.Instance, original.PhysicalDevice, original.Device, original.QueueFamily, 0, "");
        Assert.That(adopted.DeviceInfo.Name, Is.EqualTo(original.DeviceInfo.Name));
        using (var s = new Session(adopted, net)) TestData.AssertClose(expected, s.Run(x), "adopted context");
        adopted.Dispose();
        adopted.Dispose();
        Assert.Throws<ObjectDisposedException>(() => new Session(adopted, net));

        // The adopter must not have destroyed the device or the instance it did not create.
        using (var s = new Session(original, net)) TestData.AssertClose(expected, s.Run(x), "original after the adopter was disposed");
        original.WaitIdle();
        Assert.That(original.ValidationErrors, Is.Empty, string.Join("\n", original.ValidationErrors.Take(5)));
    }

    [Test]
    public void AdoptionRejectsInvalidQueueArguments()
    {
        var c = Ctx;
        var e = Assert.Throws<ArgumentException>(() => new VulkanContext(c.Vk, c.Instance, c.PhysicalDevice, c.Device, 99, 0, ""))!;
        Assert.That(e.Message, Does.Contain("99"));
        Assert.That(e.ParamName, Is.EqualTo("queueFamily"));
        var e2 = Assert.Throws<ArgumentException>(() => new VulkanContext(c.Vk, c.Instance, c.PhysicalDevice, c.Device, c.QueueFamily, 7, ""))!;
        Assert.That(e2.Message, Does.Contain("7").And.Contain(c.QueueFamily.ToString()));
        Assert.That(e2.ParamName, Is.EqualTo("queueIndex"));
        Assert.Throws<ArgumentException>(() => new VulkanContext(c.Vk, default, c.PhysicalDevice, c.Device, c.QueueFamily, 0, ""));
    }

    [Test]
    public void DeviceNameThatMatchesNothingListsTheDevices()
    {
        var devices = ListOrIgnore();
        var e = Assert.Throws<NoVulkanDeviceException>(() => new VulkanContext(new VulkanContextOptions { Device = "no-such-device-42", Validation = false, PipelineCacheDirectory = "" }))!;
        Assert.That(e.Message, Does.Contain("no-such-device-42"));
        foreach (var d in devices) Assert.That(e.Message, Does.Contain(d.Name));
    }

    [Test]
    public void ListDevicesContainsSwiftShader()
    {
        if (!File.Exists(VulkanContext.SwiftShaderIcd)) Assert.Ignore($"SwiftShader is not installed ({VulkanContext.SwiftShaderIcd} missing).");
        var devices = ListOrIgnore();
        Assert.That(devices.Select(d => d.Name), Has.Some.Contains("SwiftShader"), string.Join("; ", devices));
        var sw = devices.First(d => d.Name.Contains("SwiftShader"));
        Assert.That(sw.Kind, Is.EqualTo(DeviceKind.Cpu));
        Assert.That(sw.MaxStorageBufferRange, Is.GreaterThan(0UL));
    }

    private static IReadOnlyList<DeviceInfo> ListOrIgnore()
    {
        try
        {
            var d = VulkanContext.ListDevices();
            if (d.Count == 0) Assert.Ignore("No Vulkan device.");
            return d;
        }
        catch (NoVulkanDeviceException e) { Assert.Ignore("No Vulkan device: " + e.Message); throw; }
    }
}
