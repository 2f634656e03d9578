// The C# reference of GatherElements (Layers/GatherElements.cs); its GPU tests are in TensorRankTests and the ONNX tests.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

/// <summary>GatherElements: the index tensor replaces the axis coordinate of each output element.</summary>
internal sealed class GatherElementsReference : LayerReference<GatherElements>
{
    public override float[] Compute(GatherElements ge, float[][] x, TensorShape[] s, TensorShape o) =>
        GatherElementsRef(ge, x[0], s[0], x[1], o);

    public static float[] GatherElementsRef(GatherElements g, float[] x, TensorShape s, float[] indices, TensorShape o)
    {
        int axis = g.Axis < 0 ? g.Axis + s.Rank : g.Axis;
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Index(i, o);
            int k = (int)indices[i];
            idx[axis] = k < 0 ? k + s[axis] : k;
            y[i] = x[Flat(idx, s)];
        }
        return y;
    }
}
