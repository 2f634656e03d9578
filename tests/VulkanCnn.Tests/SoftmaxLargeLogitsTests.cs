// Softmax and log-softmax on logits far from 0 (around ±100 to ±1000), where exp overflows to +∞ or underflows to 0
// unless the maximum is subtracted first: the channel path (a 1x1 map, classifier output) and the per-pixel path,
// against a double-precision reference. Small logits never tell the two apart.
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Tests;

public class SoftmaxLargeLogitsTests : GpuTest
{
    /// <summary>Softmax (or log-softmax) over channels of a C×HW tensor, in double, with the maximum subtracted.</summary>
    private static float[] Reference(float[] x, int c, int hw, bool log)
    {
        var y = new float[x.Length];
        for (int p = 0; p < hw; p++)
        {
            double m = double.NegativeInfinity;
            for (int k = 0; k < c; k++) m = Math.Max(m, x[k * hw + p]);
            double sum = 0;
            for (int k = 0; k < c; k++) sum += Math.Exp(x[k * hw + p] - m);
            for (int k = 0; k < c; k++)
            {
                double v = x[k * hw + p] - m;
                y[k * hw + p] = (float)(log ? v - Math.Log(sum) : Math.Exp(v) / sum);
            }
        }
        return y;
    }

    /// <summary>Logits <paramref name="centre"/> + offsets in [−spread, spread]: a spread of a few units keeps several classes
    /// well above 0 probability, so the test checks a distribution, not only which class wins.</summary>
    private static float[] Logits(int count, float centre, float spread, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => centre + (float)(rng.NextDouble() * 2 - 1) * spread).ToArray();
    }

    private static void Check(float[] expected, float[] actual, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        int worst = 0;
        float worstErr = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            float err = float.IsFinite(a) ? MathF.Abs(a - e) : float.PositiveInfinity;
            bool ok = err <= 1e-3f || err <= 1e-3f * MathF.Max(MathF.Abs(a), MathF.Abs(e));
            if (!ok && !(err <= worstErr)) { worst = i; worstErr = err; }
        }
        if (worstErr > 0)
            Assert.Fail($"{what} on {GpuSetUp.Context.DeviceInfo.Name}: worst element {worst}: expected {expected[worst]}, got {actual[worst]}");
    }

    private static float[] RunSoftmax(float[] x, int c, int h, int w, bool log)
    {
        var b = new NetworkBuilder("softmax");
        b.Input(c, h, w).Then(new Softmax { Log = log }).Output();
        return GpuSetUp.Run(b.Build(), x)[0];
    }

    // Channel path: one workgroup reduces the channels of a 1x1 map; 1000 classes also exercise the lanes' strided loop.
    [TestCase(10, 100f, 3f)]
    [TestCase(10, 1000f, 5f)]
    [TestCase(1000, 500f, 8f)]
    [TestCase(37, -1000f, 4f)]
    public void ChannelSoftmaxOfLargeLogitsMatchesTheReference(int classes, float centre, float spread)
    {
        var x = Logits(classes, centre, spread, seed: classes);
        foreach (bool log in new[] { false, true })
        {
            string what = $"{(log ? "log-softmax" : "softmax")} of {classes} logits around {centre} (±{spread})";
            var y = RunSoftmax(x, classes, 1, 1, log);
            Check(Reference(x, classes, 1, log), y, what);
            if (!log) Assert.That(y.Sum(), Is.EqualTo(1f).Within(1e-3f), what + ": probabilities must sum to 1");
        }
    }

    [Test]
    public void PerPixelSoftmaxOfLargeLogitsMatchesTheReference()
    {
        // A 7-class 5x9 map (more pixels than one lane) whose pixels have logits centred on 100..1000 and on −1000, so
        // that every pixel needs its own maximum.
        const int c = 7, h = 5, w = 9, hw = h * w;
        var centres = new[] { 100f, 250f, 500f, 750f, 1000f, -1000f, -300f };
        var x = new float[c * hw];
        var rng = new Random(5);
        for (int p = 0; p < hw; p++)
        {
            float centre = centres[p % centres.Length];
            for (int k = 0; k < c; k++) x[k * hw + p] = centre + (float)(rng.NextDouble() * 2 - 1) * 4;
        }
        foreach (bool log in new[] { false, true })
        {
            var y = RunSoftmax(x, c, h, w, log);
            Check(Reference(x, c, hw, log), y, $"per-pixel {(log ? "log-softmax" : "softmax")} of a {c}x{h}x{w} map, logits around ±100..1000");
        }
    }
}
