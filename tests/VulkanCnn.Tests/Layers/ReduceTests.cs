// Reduce on the GPU against the C# reference: every kind over every non-empty set of axes, one large spatial map.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class ReduceTests : GpuTest
{
    [Test]
    public void MatchesReference([Values] ReduceKind kind, [Values(1, 2, 3, 4, 5, 6, 7)] int axes)
    {
        var layer = new Reduce(kind, new[] { 1, 2, 3 }.Where(a => (axes & (8 >> a)) != 0).ToArray());
        CheckLayer(layer, new[] { new Shape(5, 6, 7) }, new Random((int)kind * 8 + axes), layer.ToString());
    }

    [Test]
    public void LargeSpatialMean() =>
        CheckLayer(new Reduce(ReduceKind.Mean, new[] { 2, 3 }), new[] { new Shape(3, 64, 80) }, new Random(9), "mean over 64x80");
}

/// <summary>Every reduction over any set of axes, accumulated in double.</summary>
internal sealed class ReduceReference : LayerReference<Reduce>
{
    public override float[] Compute(Reduce r, float[][] x, TensorShape[] s, TensorShape o) =>
        ReduceRef(r, x[0], s[0], o);

    public static float[] ReduceRef(Reduce r, float[] x, TensorShape s, TensorShape o)
    {
        var axes = r.Axes.Length == 0 ? Enumerable.Range(0, s.Rank).ToHashSet() : r.Axes.Select(a => a < 0 ? a + s.Rank : a).ToHashSet();
        var kept = new TensorShape(Enumerable.Range(0, s.Rank).Select(k => axes.Contains(k) ? 1 : s[k]).ToArray());
        var acc = new double[kept.ElementCount];
        var count = new long[kept.ElementCount];
        for (int q = 0; q < acc.Length; q++) acc[q] = r.Kind switch { ReduceKind.Max => double.NegativeInfinity, ReduceKind.Min => double.PositiveInfinity, ReduceKind.Prod => 1, _ => 0 };
        for (long i = 0; i < x.Length; i++)
        {
            var idx = Index(i, s);
            foreach (var a in axes) idx[a] = 0;
            long t = Flat(idx, kept);
            double v = x[i];
            count[t]++;
            acc[t] = r.Kind switch
            {
                ReduceKind.Max => Math.Max(acc[t], v),
                ReduceKind.Min => Math.Min(acc[t], v),
                ReduceKind.Prod => acc[t] * v,
                ReduceKind.L1 => acc[t] + Math.Abs(v),
                ReduceKind.L2 or ReduceKind.SumSquare => acc[t] + v * v,
                _ => acc[t] + v,
            };
        }
        return acc.Select((v, q) => (float)(r.Kind switch { ReduceKind.Mean => v / count[q], ReduceKind.L2 => Math.Sqrt(v), _ => v })).ToArray();
    }
}
