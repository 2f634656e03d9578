// Shared GPU test set-up: one context per test run on SwiftShader (or VULKANCNN_TEST_DEVICE) with the validation
// layer on; a validation error fails the test that caused it; no device means the test is skipped, not passed.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Tests;

[SetUpFixture]
public sealed class GpuSetUp
{
    private static VulkanContext? _context;
    private static string? _unavailable;

    /// <summary>The device tests run on: VULKANCNN_TEST_DEVICE (index or name substring), default SwiftShader.</summary>
    public static string DeviceChoice => Environment.GetEnvironmentVariable("VULKANCNN_TEST_DEVICE") is { Length: > 0 } d ? d : "swiftshader";

    public static bool Validation => Environment.GetEnvironmentVariable("VULKANCNN_TEST_VALIDATION") != "0";

    public static VulkanContext Context
    {
        get
        {
            if (_context == null && _unavailable == null)
            {
                try
                {
                    _context = new VulkanContext(new VulkanContextOptions { Device = DeviceChoice, Validation = Validation, PipelineCacheDirectory = "" });
                    TestContext.Progress.WriteLine($"GPU tests on {_context.DeviceInfo} (validation {(_context.ValidationEnabled ? "on" : "off")})");
                }
                catch (NoVulkanDeviceException e) { _unavailable = e.Message; }
            }
            if (_context == null) Assert.Ignore("No Vulkan device: " + _unavailable);
            return _context!;
        }
    }

    /// <summary>Compiles <paramref name="net"/> on the test device, runs it once on <paramref name="inputs"/> (in input order)
    /// and returns every output.</summary>
    public static float[][] Run(Network net, params float[][] inputs)
    {
        using var s = new Session(Context, net);
        for (int i = 0; i < inputs.Length; i++) s.SetInput(inputs[i], i);
        s.Run();
        var outs = new float[net.OutputIds.Count][];
        for (int i = 0; i < outs.Length; i++)
        {
            outs[i] = new float[s.OutputShape(i).ElementCount];
            s.GetOutput(outs[i], i);
        }
        return outs;
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _context?.Dispose();
        _context = null;
    }
}

/// <summary>Base class of tests that use the GPU.</summary>
public abstract class GpuTest
{
    protected static VulkanContext Ctx => GpuSetUp.Context;

    [SetUp]
    public void ClearValidation()
    {
        try { GpuSetUp.Context.ClearValidationErrors(); } catch (IgnoreException) { }
    }

    [TearDown]
    public void CheckValidation()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Skipped) return;
        var errors = GpuSetUp.Context.ValidationErrors;
        if (errors.Count > 0)
            Assert.Fail($"{errors.Count} validation error(s):\n" + string.Join("\n", errors.Take(5)));
    }

    /// <summary>Compiles and runs a network on the test device.</summary>
    protected static float[][] RunGpu(Network net, params float[][] inputs) => GpuSetUp.Run(net, inputs);

    /// <summary>
    /// Runs one layer on random inputs of the given shapes on the GPU and in <see cref="CpuReference"/>, and asserts
    /// they agree. <paramref name="inputs"/> may supply some inputs (null entries are filled with random values in ±scale).
    /// </summary>
    protected static double CheckLayer(Layer layer, Shape[] shapes, Random rng, string what, float scale = 1f, float[]?[]? inputs = null, double eps = 1e-3) =>
        CheckLayer(layer, shapes.Select(s => (TensorShape)s).ToArray(), rng, what, scale, inputs, eps);

    /// <inheritdoc cref="CheckLayer(Layer, Shape[], Random, string, float, float[][], double)"/>
    protected static double CheckLayer(Layer layer, TensorShape[] shapes, Random rng, string what, float scale = 1f, float[]?[]? inputs = null, double eps = 1e-3)
    {
        var b = new NetworkBuilder();
        var ins = shapes.Select((s, i) => b.Input(s, $"in{i}")).ToArray();
        b.Add(layer, "layer", ins).Output();
        var net = b.Build();
        var xs = shapes.Select((s, i) => inputs?[i] ?? TestData.Random(rng, s.ElementCount, scale)).ToArray();
        var expected = CpuReference.Run(net, xs)[0];
        var actual = RunGpu(net, xs)[0];
        return TestData.AssertClose(expected, actual, $"{what}: inputs {string.Join(", ", shapes)} -> {net.Nodes[^1].OutputShape}", eps);
    }
}

/// <summary>Seeded random data and the mixed tolerance check.</summary>
public static class TestData
{
    public static float[] Random(Random rng, long n, float scale = 1f)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = ((float)rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Asserts |a−b| ≤ eps or |a−b| ≤ eps·max(|a|,|b|) everywhere; prints the worst element and <paramref name="what"/>.</summary>
    public static double AssertClose(float[] expected, float[] actual, string what, double eps = 1e-3)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        int worst = -1;
        double worstRatio = 0, maxAbs = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double a = expected[i], b = actual[i];
            double d = Math.Abs(a - b);
            if (double.IsNaN(b) && !double.IsNaN(a)) d = double.PositiveInfinity;
            maxAbs = Math.Max(maxAbs, d);
            double allowed = Math.Max(eps, eps * Math.Max(Math.Abs(a), Math.Abs(b)));
            double ratio = d / allowed;
            if (ratio > worstRatio) { worstRatio = ratio; worst = i; }
        }
        if (worstRatio > 1)
            Assert.Fail($"{what}: element {worst} expected {expected[worst]:G9} got {actual[worst]:G9} (|diff| {Math.Abs(expected[worst] - actual[worst]):G3}, tolerance {eps} abs/rel); max |diff| {maxAbs:G3} over {expected.Length} elements.");
        return maxAbs;
    }
}
