// Slice on the GPU against the C# reference: boxes with offsets, steps (negative included) on every axis.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class SliceTests : GpuTest
{
    [TestCase(1, 0, 2, 1, 1, 1, 3, 0, 0, TestName = "Slice channels 1..3, rest whole")]
    [TestCase(0, 1, 0, 1, 2, 3, 0, 0, 0, TestName = "Slice every second row, every third column")]
    [TestCase(4, 6, 8, -1, -2, -1, 3, 3, 5, TestName = "Slice backwards on every axis")]
    [TestCase(2, 3, 4, 2, 1, 2, 2, 2, 2, TestName = "Slice small box with steps")]
    public void MatchesReference(int sd, int sh, int sw, int td, int th, int tw, int cd, int ch, int cw)
    {
        int Count(int start, int step, int count, int n) => count > 0 ? count : (n - start + step - 1) / step;
        var layer = new Slice(new[] { 0, sd, sh, sw }, new[] { 1, td, th, tw }, new[] { 1, Count(sd, td, cd, 5), Count(sh, th, ch, 7), Count(sw, tw, cw, 9) });
        CheckLayer(layer, new[] { new Shape(5, 7, 9) }, new Random(sd * 31 + sh * 7 + sw), layer.ToString());
    }

    [Test]
    public void RejectsABoxOutsideTheTensor()
    {
        var b = new NetworkBuilder();
        var ex = Assert.Throws<ArgumentException>(() => b.Add(Slice.Along(new Shape(2, 5, 3), 2, 2, 4), "bad", b.Input(2, 5, 3)));
        Assert.That(ex!.Message, Does.Contain("bad").And.Contain("axis 2 (size 5)"));
    }
}

/// <summary>Slice: output index i of each axis reads start + i·step.</summary>
internal sealed class SliceReference : LayerReference<Slice>
{
    public override float[] Compute(Slice sl, float[][] x, TensorShape[] s, TensorShape o) =>
        SliceRef(sl, x[0], s[0], o);

    public static float[] SliceRef(Slice sl, float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Index(i, o);
            for (int k = 0; k < idx.Length; k++) idx[k] = sl.Starts[k] + idx[k] * sl.Steps[k];
            y[i] = x[Flat(idx, s)];
        }
        return y;
    }
}
