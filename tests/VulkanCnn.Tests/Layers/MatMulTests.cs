// MatMul of two run-time tensors on the GPU against the C# reference: odd sizes across the 32x32 tile and the 16-deep K
// steps, batches, a shared B, and a hand-checked product.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class MatMulTests : GpuTest
{
    [TestCase(1, 1, 1, 1, false)]
    [TestCase(1, 5, 7, 3, false)]
    [TestCase(3, 33, 17, 31, false)]   // one past a tile in M and K, one short in N
    [TestCase(2, 64, 48, 65, false)]
    [TestCase(4, 9, 40, 12, true)]     // one B for every batch
    public void MatchesReference(int batch, int m, int k, int n, bool shareB)
    {
        var layer = new MatMul();
        CheckLayer(layer, new[] { new TensorShape(batch, m, k), shareB ? new TensorShape(k, n) : new TensorShape(batch, k, n) }, new Random(batch * 100 + m), $"MatMul {batch}x[{m}x{k}]·[{k}x{n}]");
    }

    [Test]
    public void TwoByTwoProductByHand()
    {
        var b = new NetworkBuilder();
        var x = b.Input(new TensorShape(2, 2), "x");
        var y = b.Input(new TensorShape(2, 2), "y");
        b.Add(new MatMul(), "mm", x, y).Output();
        var r = RunGpu(b.Build(), new float[] { 1, 2, 3, 4 }, new float[] { 5, 6, 7, 8 })[0];
        Assert.That(r, Is.EqualTo(new float[] { 19, 22, 43, 50 }));
    }

    [Test]
    public void RejectsInputsOfTheWrongSize()
    {
        var b = new NetworkBuilder();
        var x = b.Input(new TensorShape(1, 2, 3), "x");
        var y = b.Input(new TensorShape(1, 4, 2), "y");
        var ex = Assert.Throws<ArgumentException>(() => b.Add(new MatMul(), "mm", x, y));
        Assert.That(ex!.Message, Does.Contain("mm").And.Contain("[1,2,3]").And.Contain("[1,4,2]").And.Contain("3 and 4"));
    }
}

/// <summary>numpy matmul with batch broadcasting.</summary>
internal sealed class MatMulReference : LayerReference<MatMul>
{
    public override float[] Compute(MatMul layer, float[][] x, TensorShape[] s, TensorShape o) =>
        MatMulRef(x[0], s[0], x[1], s[1], o);

    /// <summary>numpy matmul with batch broadcasting, from the definition.</summary>
    public static float[] MatMulRef(float[] a, TensorShape sa, float[] b, TensorShape sb, TensorShape o)
    {
        var ad = sa.Rank == 1 ? new[] { 1, sa[0] } : sa.ToArray();
        var bd = sb.Rank == 1 ? new[] { sb[0], 1 } : sb.ToArray();
        int m = ad[^2], k = ad[^1], n = bd[^1];
        var ab = new TensorShape(ad[..^2]); var bb = new TensorShape(bd[..^2]);
        int r = Math.Max(ab.Rank, bb.Rank);
        var ob = new int[r];
        for (int q = 0; q < r; q++)
        {
            int u = q - (r - ab.Rank) >= 0 ? ab[q - (r - ab.Rank)] : 1, v = q - (r - bb.Rank) >= 0 ? bb[q - (r - bb.Rank)] : 1;
            ob[q] = Math.Max(u, v);
        }
        var obs = new TensorShape(ob);
        var y = new float[obs.ElementCount * m * n];
        for (long bi = 0; bi < obs.ElementCount; bi++)
        {
            var idx = Index(bi, obs);
            long ia = Flat(Enumerable.Range(0, ab.Rank).Select(q => ab[q] == 1 ? 0 : idx[q + r - ab.Rank]).ToArray(), ab);
            long ib = Flat(Enumerable.Range(0, bb.Rank).Select(q => bb[q] == 1 ? 0 : idx[q + r - bb.Rank]).ToArray(), bb);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int t = 0; t < k; t++) acc += (double)a[ia * m * k + i * k + t] * b[ib * k * n + t * n + j];
                    y[bi * m * n + i * n + j] = (float)acc;
                }
        }
        return y;
    }
}
