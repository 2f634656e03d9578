// LRN on the GPU against the C# reference: AlexNet's settings, even and odd window sizes, windows wider than the input.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class LrnTests : GpuTest
{
    [TestCase(5, 1e-4f, 0.75f, 2f, 16, TestName = "LRN AlexNet size 5")]
    [TestCase(4, 0.5f, 0.6f, 1f, 7, TestName = "LRN even size 4")]
    [TestCase(9, 2f, 1f, 0.5f, 3, TestName = "LRN window wider than the channels")]
    public void MatchesReference(int size, float alpha, float beta, float bias, int channels) =>
        CheckLayer(new Lrn { Size = size, Alpha = alpha, Beta = beta, Bias = bias }, new[] { new Shape(channels, 5, 6) }, new Random(size), $"LRN size {size}", scale: 3f);
}

/// <summary>Local response normalisation across channels, from the definition.</summary>
internal sealed class LrnReference : LayerReference<Lrn>
{
    public override float[] Compute(Lrn l, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], ChannelView(s[0]), ChannelView(o), (xi, si, _) => LrnRef(l, xi, si));

    public static float[] LrnRef(Lrn l, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        var y = new float[x.Length];
        for (int c = 0; c < s.C; c++)
            for (int i = 0; i < hw; i++)
            {
                double sum = 0;
                for (int k = Math.Max(0, c - (l.Size - 1) / 2); k <= Math.Min(s.C - 1, c + l.Size / 2); k++) sum += (double)x[k * hw + i] * x[k * hw + i];
                y[c * hw + i] = (float)(x[c * hw + i] / Math.Pow(l.Bias + l.Alpha / l.Size * sum, l.Beta));
            }
        return y;
    }
}
