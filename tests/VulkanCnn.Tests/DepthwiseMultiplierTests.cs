// Depthwise convolution with a channel multiplier above 1 (K = M·C filters, groups = C) and a bias, in fixed cases
// against a plain C# loop: output channel k reads input channel k / M and adds bias[k]. With M = 1 the input and output
// channel indices coincide, so only a multiplier above 1 can tell a bias (or filter) indexed by the wrong one.
using VulkanCnn.Graph;

namespace VulkanCnn.Tests;

public class DepthwiseMultiplierTests : GpuTest
{
    /// <summary>The convolution as its definition says, in double: zero padding, weights [K][1][F][F].</summary>
    private static float[] Reference(float[] x, int c, int h, int w, int m, int f, int stride, int pad, float[] weights, float[] bias)
    {
        int oh = (h + 2 * pad - f) / stride + 1, ow = (w + 2 * pad - f) / stride + 1, k = c * m;
        var y = new float[k * oh * ow];
        for (int o = 0; o < k; o++)
        {
            int ic = o / m;
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    double s = bias[o];
                    for (int ky = 0; ky < f; ky++)
                        for (int kx = 0; kx < f; kx++)
                        {
                            int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            s += (double)weights[(o * f + ky) * f + kx] * x[(ic * h + iy) * w + ix];
                        }
                    y[(o * oh + oy) * ow + ox] = (float)s;
                }
        }
        return y;
    }

    // channels, multiplier, kernel, stride, padding, height, width
    [TestCase(3, 2, 3, 1, 1, 7, 9)]
    [TestCase(4, 3, 3, 2, 0, 9, 11)]
    [TestCase(2, 4, 5, 1, 2, 6, 13)]
    [TestCase(5, 2, 1, 1, 0, 4, 4)]
    public void EachOutputChannelReadsItsInputChannelAndAddsItsOwnBias(int c, int m, int f, int stride, int pad, int h, int w)
    {
        int k = c * m;
        var rng = new Random(c * 100 + m * 10 + f);
        var x = Enumerable.Range(0, c * h * w).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var weights = Enumerable.Range(0, k * f * f).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        // Bias 10·k + 1: far apart, so bias[k / M] or bias[k % C] in place of bias[k] is off by at least 1 everywhere.
        var bias = Enumerable.Range(0, k).Select(o => 10f * o + 1).ToArray();

        var b = new NetworkBuilder("depthwise");
        b.Input(c, h, w).Conv(k, f, weights, bias, stride, pad, groups: c).Output();
        var net = b.Build();
        var y = GpuSetUp.Run(net, x)[0];
        var expected = Reference(x, c, h, w, m, f, stride, pad, weights, bias);

        string what = $"depthwise C={c} M={m} F={f} S={stride} P={pad} on {h}x{w}, {GpuSetUp.Context.DeviceInfo.Name}";
        Assert.That(y, Has.Length.EqualTo(expected.Length), what);
        int oh = (h + 2 * pad - f) / stride + 1, ow = (w + 2 * pad - f) / stride + 1;
        for (int i = 0; i < y.Length; i++)
        {
            float d = MathF.Abs(y[i] - expected[i]);
            if (!(d <= 1e-3f || d <= 1e-3f * MathF.Max(MathF.Abs(y[i]), MathF.Abs(expected[i]))))
                Assert.Fail($"{what}: output channel {i / (oh * ow)}, pixel {i % (oh * ow)}: expected {expected[i]}, got {y[i]}");
        }
    }
}
