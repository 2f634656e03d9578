// SpaceToDepth on the GPU against the C# reference, and its inverse relation with DepthToSpace (DCR).
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class SpaceToDepthTests : GpuTest
{
    [Test]
    public void MatchesReference([Values(2, 3)] int block) =>
        CheckLayer(new SpaceToDepth(block), new[] { new Shape(3, 2 * block, 3 * block) }, new Random(block), $"SpaceToDepth {block}");

    [Test]
    public void DepthToSpaceUndoesIt()
    {
        var b = new NetworkBuilder();
        var s = b.Add(new SpaceToDepth(2), "s2d", b.Input(3, 4, 6));
        b.Add(new DepthToSpace(2), "d2s", s).Output();
        var x = TestData.Random(new Random(3), 72);
        Assert.That(RunGpu(b.Build(), x)[0], Is.EqualTo(x));
    }
}

/// <summary>SpaceToDepth, image by image.</summary>
internal sealed class SpaceToDepthReference : LayerReference<SpaceToDepth>
{
    public override float[] Compute(SpaceToDepth d, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], s[0], o, (xi, si, oi) => SpaceToDepthRef(d, xi, si, oi));

    public static float[] SpaceToDepthRef(SpaceToDepth d, float[] x, Shape s, Shape o)
    {
        int bs = d.BlockSize;
        var y = new float[o.Size];
        for (int c = 0; c < s.C; c++)
            for (int h = 0; h < s.H; h++)
                for (int w = 0; w < s.W; w++)
                    y[((((h % bs) * bs + w % bs) * s.C + c) * o.H + h / bs) * o.W + w / bs] = x[(c * s.H + h) * s.W + w];
        return y;
    }
}
