// The C# references of Expand and Tile (Layers/Expand.cs); their GPU tests are in TensorRankTests and the ONNX tests.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

/// <summary>Expand: each output element reads the input element it broadcasts from.</summary>
internal sealed class ExpandReference : LayerReference<Expand>
{
    public override float[] Compute(Expand layer, float[][] x, TensorShape[] s, TensorShape o) =>
        ExpandRef(x[0], s[0], o);

    public static float[] ExpandRef(float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++) y[i] = x[BroadcastSource(Index(i, o), s, o.Rank)];
        return y;
    }
}

/// <summary>Tile: output index i of each axis reads i mod the input's size.</summary>
internal sealed class TileReference : LayerReference<Tile>
{
    public override float[] Compute(Tile layer, float[][] x, TensorShape[] s, TensorShape o) =>
        TileRef(x[0], s[0], o);

    public static float[] TileRef(float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Index(i, o);
            for (int k = 0; k < idx.Length; k++) idx[k] %= s[k];
            y[i] = x[Flat(idx, s)];
        }
        return y;
    }
}
