// DepthToSpace on the GPU against the C# reference (DCR and CRD), and a hand-checked 2x2 case.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class DepthToSpaceTests : GpuTest
{
    [Test]
    public void MatchesReference([Values(2, 3)] int block, [Values] bool crd) =>
        CheckLayer(new DepthToSpace(block, crd), new[] { new Shape(2 * block * block, 3, 4) }, new Random(block * 2 + (crd ? 1 : 0)), $"DepthToSpace {block} crd={crd}");

    [Test]
    public void FourChannelsBecomeATwoByTwoBlock()
    {
        var b = new NetworkBuilder();
        b.Add(new DepthToSpace(2), "d2s", b.Input(4, 1, 1)).Output();
        Assert.That(RunGpu(b.Build(), new float[] { 1, 2, 3, 4 })[0], Is.EqualTo(new float[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void RejectsChannelsNotDivisibleByTheBlock()
    {
        var b = new NetworkBuilder();
        var ex = Assert.Throws<ArgumentException>(() => b.Add(new DepthToSpace(2), "bad", b.Input(6, 2, 2)));
        Assert.That(ex!.Message, Does.Contain("bad").And.Contain("divisible by 4"));
    }
}

/// <summary>DepthToSpace (DCR and CRD), image by image.</summary>
internal sealed class DepthToSpaceReference : LayerReference<DepthToSpace>
{
    public override float[] Compute(DepthToSpace d, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], s[0], o, (xi, si, oi) => DepthToSpaceRef(d, xi, si, oi));

    public static float[] DepthToSpaceRef(DepthToSpace d, float[] x, Shape s, Shape o)
    {
        int bs = d.BlockSize;
        var y = new float[o.Size];
        for (int c = 0; c < o.C; c++)
            for (int h = 0; h < o.H; h++)
                for (int w = 0; w < o.W; w++)
                {
                    int sub = (h % bs) * bs + w % bs;
                    int ic = d.Crd ? c * bs * bs + sub : sub * o.C + c;
                    y[(c * o.H + h) * o.W + w] = x[(ic * s.H + h / bs) * s.W + w / bs];
                }
        return y;
    }
}
