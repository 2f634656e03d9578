// DepthToSpace on the GPU against the C# reference (DCR and CRD), and a hand-checked 2x2 case.
using VulkanCnn.Graph;
using VulkanCnn.Layers;

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
