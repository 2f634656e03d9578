// The C# reference of Linear (Layers/Linear.cs); its GPU tests are in TensorRankTests and the ONNX tests.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

/// <summary>Linear on the last axis: y[r, j] = Σ_k x[r, k]·W[j, k] + b[j], then the fused activation.</summary>
internal sealed class LinearReference : LayerReference<Linear>
{
    public override float[] Compute(Linear l, float[][] x, TensorShape[] s, TensorShape o) =>
        LinearRef(l, x[0], s[0]);

    /// <summary>y[r, j] = Σ_k x[r, k]·W[j, k] + b[j] over the last axis.</summary>
    public static float[] LinearRef(Linear l, float[] x, TensorShape s)
    {
        int k = s[-1], n = l.OutFeatures, rows = x.Length / k;
        var y = new float[rows * n];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++)
            {
                double acc = l.Bias?[j] ?? 0;
                for (int t = 0; t < k; t++) acc += (double)x[r * k + t] * l.Weights[j * k + t];
                y[r * n + j] = l.Activation.Apply((float)acc);
            }
        return y;
    }
}
