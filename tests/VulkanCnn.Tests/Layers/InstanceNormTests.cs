// InstanceNorm on the GPU against the C# reference: small and large maps (several lanes per element), an offset mean.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class InstanceNormTests : GpuTest
{
    [TestCase(3, 4, 5)]
    [TestCase(2, 37, 41)]
    public void MatchesReference(int c, int h, int w)
    {
        var rng = new Random(c * h + w);
        var x = TestData.Random(rng, (long)c * h * w, 2f).Select(v => v + 5f).ToArray();   // a mean far from zero
        var layer = new InstanceNorm(TestData.Random(rng, c), TestData.Random(rng, c)) { Epsilon = 1e-3f };
        CheckLayer(layer, new[] { new Shape(c, h, w) }, rng, $"InstanceNorm {c}x{h}x{w}", inputs: new[] { x });
    }
}

/// <summary>Instance normalisation: each channel of each item by its own mean and variance.</summary>
internal sealed class InstanceNormReference : LayerReference<InstanceNorm>
{
    public override float[] Compute(InstanceNorm n, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], ChannelView(s[0]), ChannelView(o), (xi, si, _) => InstanceNormRef(n, xi, si));

    public static float[] InstanceNormRef(InstanceNorm n, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        var y = new float[x.Length];
        for (int c = 0; c < s.C; c++)
        {
            double mean = 0, v = 0;
            for (int i = 0; i < hw; i++) mean += x[c * hw + i];
            mean /= hw;
            for (int i = 0; i < hw; i++) v += (x[c * hw + i] - mean) * (x[c * hw + i] - mean);
            v /= hw;
            for (int i = 0; i < hw; i++) y[c * hw + i] = (float)(n.Scale[c] * (x[c * hw + i] - mean) / Math.Sqrt(v + n.Epsilon) + n.Bias[c]);
        }
        return y;
    }
}
