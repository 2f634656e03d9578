// The C# reference of LayerNorm (Layers/LayerNorm.cs); its GPU tests are in TensorRankTests and the ONNX tests.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

/// <summary>Layer normalisation over the axes from Axis on, with optional scale and bias.</summary>
internal sealed class LayerNormReference : LayerReference<LayerNorm>
{
    public override float[] Compute(LayerNorm ln, float[][] x, TensorShape[] s, TensorShape o) =>
        LayerNormRef(ln, x[0], s[0]);

    public static float[] LayerNormRef(LayerNorm ln, float[] x, TensorShape s)
    {
        int axis = ln.Axis < 0 ? ln.Axis + s.Rank : ln.Axis;
        int n = (int)s.Product(axis, s.Rank);
        var y = new float[x.Length];
        for (int r = 0; r < x.Length / n; r++)
        {
            double mean = 0, var = 0;
            for (int j = 0; j < n; j++) mean += x[r * n + j];
            mean /= n;
            for (int j = 0; j < n; j++) var += (x[r * n + j] - mean) * (x[r * n + j] - mean);
            var /= n;
            for (int j = 0; j < n; j++)
                y[r * n + j] = (float)((x[r * n + j] - mean) / Math.Sqrt(var + ln.Epsilon) * (ln.Scale?[j] ?? 1) + (ln.Bias?[j] ?? 0));
        }
        return y;
    }
}
