// SpaceToDepth on the GPU against the C# reference, and its inverse relation with DepthToSpace (DCR).
using VulkanCnn.Graph;
using VulkanCnn.Layers;

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
