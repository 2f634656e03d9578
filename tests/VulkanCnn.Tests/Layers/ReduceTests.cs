// Reduce on the GPU against the C# reference: every kind over every non-empty set of axes, one large spatial map.
using VulkanCnn.Layers;

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
