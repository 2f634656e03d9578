// NaN and ±Inf through activations (standalone and fused into a convolution), max and average pooling, global max
// pooling and max/min reductions, against plain C# with IEEE semantics: NaN in, NaN out, as ONNX Runtime computes it,
// on every device (GLSL leaves max/min/clamp/exp of NaN to the driver, and SwiftShader and lavapipe differ).
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Tests;

public class NanPropagationTests : GpuTest
{
    private const float NaN = float.NaN, Inf = float.PositiveInfinity;

    // Special values first, then ordinary ones, so a test also shows the finite part is untouched.
    private static readonly float[] Values = { NaN, Inf, -Inf, -100f, -3f, -0.5f, 0f, 0.5f, 3f, 7f, 100f };

    /// <summary>The activation in double, IEEE rules throughout (no Math.Max/Min/Clamp, whose NaN rules are not the point).</summary>
    private static float Expected(Activation a, float xf)
    {
        double x = xf;
        double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));
        double Clamp(double v, double lo, double hi) => double.IsNaN(v) ? v : v < lo ? lo : v > hi ? hi : v;
        return (float)(a.Kind switch
        {
            ActivationKind.Relu => double.IsNaN(x) ? x : x < 0 ? 0 : x,
            ActivationKind.LeakyRelu => x >= 0 ? x : x * a.Alpha,
            ActivationKind.Clip => Clamp(x, a.Alpha, a.Beta),
            ActivationKind.Sigmoid => Sigmoid(x),
            ActivationKind.HardSigmoid => Clamp(x * a.Alpha + a.Beta, 0, 1),
            ActivationKind.HardSwish => x * Clamp(x / 6 + 0.5, 0, 1),
            ActivationKind.Silu => x * Sigmoid(x),
            ActivationKind.Tanh => Math.Tanh(x),
            ActivationKind.Elu => x >= 0 ? x : a.Alpha * (Math.Exp(x) - 1),
            _ => throw new ArgumentOutOfRangeException(nameof(a), a.Kind.ToString()),
        });
    }

    private static readonly Activation[] Activations =
    {
        Activation.Relu, Activation.LeakyRelu(0.1f), Activation.Clip(-1, 6), Activation.Sigmoid, Activation.HardSigmoid(),
        Activation.HardSwish, Activation.Silu, Activation.Tanh, Activation.Elu(0.5f),
    };

    /// <summary>NaN where NaN is expected, the same infinity, else the mixed 1e-3 tolerance.</summary>
    private static void Check(string what, float[] expected, float[] actual, float[]? elementwiseInput = null)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            bool ok = float.IsNaN(e) ? float.IsNaN(a)
                    : float.IsInfinity(e) ? a == e
                    : float.IsFinite(a) && (MathF.Abs(a - e) <= 1e-3f || MathF.Abs(a - e) <= 1e-3f * MathF.Max(MathF.Abs(a), MathF.Abs(e)));
            if (!ok)
                Assert.Fail($"{what}: element {i}{(elementwiseInput != null ? $" (input {elementwiseInput[i]})" : "")}: expected {e}, got {a}\n" +
                            $"expected [{string.Join(", ", expected)}]\nactual   [{string.Join(", ", actual)}]");
        }
    }

    [TestCaseSource(nameof(Activations))]
    public void AnActivationLayerPassesNaNAndInfinitiesAsIEEEDoes(Activation a)
    {
        var b = new NetworkBuilder("act");
        b.Input(1, 1, Values.Length).Activate(a).Output();
        var y = GpuSetUp.Run(b.Build(), Values)[0];
        Check($"{a} on {GpuSetUp.Context.DeviceInfo.Name}", Values.Select(v => Expected(a, v)).ToArray(), y, Values);
    }

    [TestCaseSource(nameof(Activations))]
    public void AnActivationFusedIntoAConvolutionPassesNaNAndInfinities(Activation a)
    {
        // A 1x1 convolution with weight 1 and bias 0 leaves every value as it is, then applies the fused activation.
        var b = new NetworkBuilder("conv-act");
        b.Input(1, 1, Values.Length).Conv(1, 1, new[] { 1f }, new[] { 0f }, activation: a).Output();
        var y = GpuSetUp.Run(b.Build(), Values)[0];
        Check($"conv + {a} on {GpuSetUp.Context.DeviceInfo.Name}", Values.Select(v => Expected(a, v)).ToArray(), y, Values);
    }

    // A 4x6 map in 2x2 windows (stride 2): NaN first and last in a window, NaN with +Inf, all -Inf, +Inf, ordinary.
    private static readonly float[] PoolInput =
    {
        NaN, 1,    5, 2,   -Inf, -Inf,
        2,   3,    4, NaN, -Inf, -Inf,
        Inf, 1,    NaN, 1,  -7,  -8,
        2,   3,    2, Inf,  -9,  -6,
    };

    /// <summary>Max pooling in C#: NaN anywhere in the window gives NaN, else the largest value (an empty max is −∞).</summary>
    private static float[] MaxPoolRef(float[] x, int h, int w, int k)
    {
        var y = new float[(h / k) * (w / k)];
        for (int oy = 0; oy < h / k; oy++)
            for (int ox = 0; ox < w / k; ox++)
            {
                float m = float.NegativeInfinity;
                for (int dy = 0; dy < k; dy++)
                    for (int dx = 0; dx < k; dx++)
                    {
                        float v = x[(oy * k + dy) * w + ox * k + dx];
                        if (float.IsNaN(v) || float.IsNaN(m)) m = float.NaN;
                        else if (v > m) m = v;
                    }
                y[oy * (w / k) + ox] = m;
            }
        return y;
    }

    [Test]
    public void MaxPoolingGivesNaNForAWindowWithANaNAndKeepsInfinities()
    {
        var b = new NetworkBuilder("maxpool");
        b.Input(1, 4, 6).MaxPool(2, 2).Output();
        var y = GpuSetUp.Run(b.Build(), PoolInput)[0];
        Check($"max pool on {GpuSetUp.Context.DeviceInfo.Name}", MaxPoolRef(PoolInput, 4, 6, 2), y);
    }

    [Test]
    public void AveragePoolingGivesNaNForAWindowWithANaN()
    {
        var b = new NetworkBuilder("avgpool");
        b.Input(1, 4, 6).AvgPool(2, 2).Output();
        var y = GpuSetUp.Run(b.Build(), PoolInput)[0];
        var expected = new float[6];
        for (int o = 0; o < 6; o++)
        {
            int oy = o / 3, ox = o % 3;
            double s = 0;
            for (int d = 0; d < 4; d++) s += PoolInput[(2 * oy + d / 2) * 6 + 2 * ox + d % 2];
            expected[o] = (float)(s / 4);
        }
        Check($"average pool on {GpuSetUp.Context.DeviceInfo.Name}", expected, y);
    }

    /// <summary>Four 10x10 channels (more elements than a reduction's 64 lanes) with NaN and infinities as commented.</summary>
    private static float[] Channels(out float[] max, out float[] min)
    {
        const int hw = 100;
        var x = new float[4 * hw];
        var rng = new Random(9);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 20 - 10);
        x[0 * hw + 57] = NaN;                                              // channel 0: one NaN among ordinary values
        for (int i = 0; i < hw; i++) x[1 * hw + i] = -Inf;                 // channel 1: all −∞
        x[2 * hw + 99] = Inf; x[2 * hw + 3] = -Inf;                        // channel 2: +∞ last, −∞ early
        x[3 * hw + 0] = NaN; x[3 * hw + 64] = Inf;                         // channel 3: NaN first, +∞ in the second lane pass
        max = new float[4];
        min = new float[4];
        for (int c = 0; c < 4; c++)
        {
            float mx = float.NegativeInfinity, mn = float.PositiveInfinity;
            for (int i = 0; i < hw; i++)
            {
                float v = x[c * hw + i];
                if (float.IsNaN(v) || float.IsNaN(mx)) { mx = mn = float.NaN; continue; }
                if (v > mx) mx = v;
                if (v < mn) mn = v;
            }
            max[c] = mx;
            min[c] = mn;
        }
        return x;
    }

    [Test]
    public void GlobalMaxPoolingGivesNaNForAChannelWithANaNAndKeepsInfinities()
    {
        var x = Channels(out var max, out _);
        var b = new NetworkBuilder("globalmax");
        b.Input(4, 10, 10).GlobalMaxPool().Output();
        Check($"global max pool on {GpuSetUp.Context.DeviceInfo.Name}", max, GpuSetUp.Run(b.Build(), x)[0]);
    }

    [TestCase(ReduceKind.Max)]
    [TestCase(ReduceKind.Min)]
    public void MaxAndMinReductionsGiveNaNForABoxWithANaN(ReduceKind kind)
    {
        var x = Channels(out var max, out var min);
        var b = new NetworkBuilder("reduce");
        b.Input(4, 10, 10).Then(new Reduce(kind, new[] { 2, 3 })).Output();
        Check($"reduce {kind} over H, W on {GpuSetUp.Context.DeviceInfo.Name}", kind == ReduceKind.Max ? max : min, GpuSetUp.Run(b.Build(), x)[0]);
    }

    [Test]
    public void AMaxReductionOverChannelsGivesNaNWhereAnyChannelIsNaN()
    {
        // Over D: pixel 0 has NaN in channels 0 and 3, pixel 57 in channel 0, pixel 64 +∞ in channel 3.
        var x = Channels(out _, out _);
        var expected = new float[100];
        for (int i = 0; i < 100; i++)
        {
            float m = float.NegativeInfinity;
            for (int c = 0; c < 4; c++)
            {
                float v = x[c * 100 + i];
                if (float.IsNaN(v) || float.IsNaN(m)) m = float.NaN;
                else if (v > m) m = v;
            }
            expected[i] = m;
        }
        var b = new NetworkBuilder("reduce-d");
        b.Input(4, 10, 10).Then(new Reduce(ReduceKind.Max, new[] { 1 })).Output();
        Check($"reduce max over D on {GpuSetUp.Context.DeviceInfo.Name}", expected, GpuSetUp.Run(b.Build(), x)[0]);
    }
}
