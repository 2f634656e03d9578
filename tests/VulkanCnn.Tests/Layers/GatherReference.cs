// The C# reference of Gather (Layers/Gather.cs); its GPU tests are in TensorRankTests and the ONNX tests.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

/// <summary>Gather along one axis with constant or run-time indices (negative ones count from the end).</summary>
internal sealed class GatherReference : LayerReference<Gather>
{
    public override float[] Compute(Gather g, float[][] x, TensorShape[] s, TensorShape o) =>
        GatherRef(g, x[0], s[0], x[1], o);

    public static float[] GatherRef(Gather g, float[] x, TensorShape s, float[] indices, TensorShape o)
    {
        int axis = g.Axis < 0 ? g.Axis + s.Rank : g.Axis;
        int ir = o.Rank - s.Rank + 1;   // rank of the indices
        var y = new float[o.ElementCount];
        var ishape = new TensorShape(o.ToArray()[axis..(axis + ir)]);
        for (long i = 0; i < y.Length; i++)
        {
            var oi = Index(i, o);
            int k = (int)indices[Flat(oi[axis..(axis + ir)], ishape)];
            if (k < 0) k += s[axis];
            var si = oi[..axis].Append(k).Concat(oi[(axis + ir)..]).ToArray();
            y[i] = x[Flat(si, s)];
        }
        return y;
    }
}
