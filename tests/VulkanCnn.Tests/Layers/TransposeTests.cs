// Transpose on the GPU against the C# reference for every permutation, and one hand-checked NHWC → NCHW case.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class TransposeTests : GpuTest
{
    [Test]
    public void EveryPermutation([Values("012", "021", "102", "120", "201", "210")] string perm)
    {
        var p = perm.Select(ch => ch - '0').ToArray();
        var rng = new Random(p[0] * 9 + p[1] * 3 + p[2]);
        CheckLayer(new Transpose(p[0], p[1], p[2]), new[] { new TensorShape(3, 5, 7) }, rng, $"transpose perm {perm}");
        // The same permutation of the last three axes of a batch of 2, at rank 4.
        CheckLayer(new Transpose(0, p[0] + 1, p[1] + 1, p[2] + 1), new[] { new TensorShape(2, 3, 5, 7) }, rng, $"transpose perm 0,{perm} of a batch");
    }

    [Test]
    public void ChannelLastToChannelMajor()
    {
        // [1, H=2, W=2, C=3] channel-last values nhwc → [1, C, H, W]: perm (0, 3, 1, 2).
        var x = new float[] { 0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32 };
        var b = new NetworkBuilder();
        b.Add(new Transpose(0, 3, 1, 2), "t", b.Input(new TensorShape(1, 2, 2, 3))).Output();
        var y = RunGpu(b.Build(), x)[0];
        Assert.That(y, Is.EqualTo(new float[] { 0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32 }));
    }

    [Test]
    public void RejectsANonPermutation()
    {
        var b = new NetworkBuilder();
        var ex = Assert.Throws<ArgumentException>(() => b.Add(new Transpose(0, 0, 1), "bad", b.Input(2, 2, 3)));
        Assert.That(ex!.Message, Does.Contain("bad").And.Contain("(0,0,1)"));
    }
}

/// <summary>Transpose: each output element read from the permuted index.</summary>
internal sealed class TransposeReference : LayerReference<Transpose>
{
    public override float[] Compute(Transpose t, float[][] x, TensorShape[] s, TensorShape o) =>
        TransposeRef(t, x[0], s[0], o);

    public static float[] TransposeRef(Transpose t, float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[x.Length];
        for (long i = 0; i < y.Length; i++)
        {
            var oi = Index(i, o);
            var si = new int[s.Rank];
            for (int k = 0; k < oi.Length; k++) si[t.Perm[k]] = oi[k];
            y[i] = x[Flat(si, s)];
        }
        return y;
    }
}
