// InstanceNorm on the GPU against the C# reference: small and large maps (several lanes per element), an offset mean.
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Layers;

public class InstanceNormTests : GpuTest
{
    [TestCase(3, 4, 5)]
    [TestCase(2, 37, 41)]
    public void MatchesReference(int c, int h, int w)
    {
        var rng = new Random(c * h + w);
        var x = TestData.Random(rng, (long)c * h * w, 2f).Select(v => v + 5f).ToArray();   // a mean far from zero
        var layer = new InstanceNorm(TestData.Random(rng, c), TestData.Random(rng, c)) { Epsilon = 1e-3f };
        CheckLayer(layer, new[] { new Shape(c, h, w) }, rng, $"InstanceNorm {c}x{h}x{w}", inputs: new[] { x });
    }
}
