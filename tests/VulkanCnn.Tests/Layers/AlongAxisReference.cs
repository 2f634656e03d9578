// The C# reference of the along-axis operators (Layers/AlongAxis.cs); their GPU tests are in TensorRankTests and the ONNX tests.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

/// <summary>The operators along one axis: ArgMax/ArgMin (first or last extreme), Hardmax, CumSum (exclusive, reverse), TopK.</summary>
internal sealed class AlongAxisReference : LayerReference<AlongAxis>
{
    public override float[] Compute(AlongAxis a, float[][] x, TensorShape[] s, TensorShape o) =>
        AlongAxisRef(a, x[0], s[0], o);

    public static float[] AlongAxisRef(AlongAxis a, float[] x, TensorShape s, TensorShape o)
    {
        int axis = a.Axis < 0 ? a.Axis + s.Rank : a.Axis;
        long inner = s.Product(axis + 1, s.Rank), outer = s.Product(0, axis);
        int c = s[axis];
        var y = new float[o.ElementCount];
        for (long q = 0; q < outer; q++)
            for (long i = 0; i < inner; i++)
            {
                long At(int k) => (q * c + k) * inner + i;
                if (a.Op is AxisOp.TopKValues or AxisOp.TopKIndices)
                {
                    // Sort the line's indices by value (best first), equal values by index, and keep K.
                    var order = Enumerable.Range(0, c).OrderBy(k => a.Smallest ? x[At(k)] : -x[At(k)]).ThenBy(k => k).Take(a.K).ToArray();
                    for (int j = 0; j < a.K; j++)
                        y[(q * a.K + j) * inner + i] = a.Op == AxisOp.TopKValues ? x[At(order[j])] : order[j];
                    continue;
                }
                if (a.Op == AxisOp.CumSum)
                {
                    double acc = 0;
                    for (int t = 0; t < c; t++)
                    {
                        int k = a.Reverse ? c - 1 - t : t;
                        if (a.Exclusive) { y[At(k)] = (float)acc; acc += x[At(k)]; }
                        else { acc += x[At(k)]; y[At(k)] = (float)acc; }
                    }
                    continue;
                }
                int best = 0;
                for (int k = 1; k < c; k++)
                {
                    float v = x[At(k)], b = x[At(best)];
                    bool better = a.Op == AxisOp.ArgMin ? (a.SelectLast ? v <= b : v < b) : (a.SelectLast ? v >= b : v > b);
                    if (better) best = k;
                }
                if (a.Op == AxisOp.Hardmax) for (int k = 0; k < c; k++) y[At(k)] = k == best ? 1 : 0;
                else y[q * inner + i] = best;
            }
        return y;
    }
}
