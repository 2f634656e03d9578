// LRN on the GPU against the C# reference: AlexNet's settings, even and odd window sizes, windows wider than the input.
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Layers;

public class LrnTests : GpuTest
{
    [TestCase(5, 1e-4f, 0.75f, 2f, 16, TestName = "LRN AlexNet size 5")]
    [TestCase(4, 0.5f, 0.6f, 1f, 7, TestName = "LRN even size 4")]
    [TestCase(9, 2f, 1f, 0.5f, 3, TestName = "LRN window wider than the channels")]
    public void MatchesReference(int size, float alpha, float beta, float bias, int channels) =>
        CheckLayer(new Lrn { Size = size, Alpha = alpha, Beta = beta, Bias = bias }, new[] { new Shape(channels, 5, 6) }, new Random(size), $"LRN size {size}", scale: 3f);
}
