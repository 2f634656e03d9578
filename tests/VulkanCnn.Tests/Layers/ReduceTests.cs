// Reduce on the GPU against the C# reference: every kind over every non-empty set of axes, one large spatial map.
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Layers;

public class ReduceTests : GpuTest
{
    [Test]
    public void MatchesReference([Values] ReduceKind kind, [Values(1, 2, 3, 4, 5, 6, 7)] int axes)
    {
        var layer = new Reduce(kind, (axes & 4) != 0, (axes & 2) != 0, (axes & 1) != 0);
        CheckLayer(layer, new[] { new Shape(5, 6, 7) }, new Random((int)kind * 8 + axes), layer.ToString());
    }

    [Test]
    public void LargeSpatialMean() =>
        CheckLayer(new Reduce(ReduceKind.Mean, false, true, true), new[] { new Shape(3, 64, 80) }, new Random(9), "mean over 64x80");
}
