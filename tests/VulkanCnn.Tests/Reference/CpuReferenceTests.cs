// The reference discovery: every layer record of the library has exactly one C# reference, so a new operator without
// one fails here (and CpuReference.Run names what is missing) rather than in some network test far away.
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Reference;

public class CpuReferenceTests
{
    [Test]
    public void EveryLayerTypeHasExactlyOneReference()
    {
        // Inputs are not computed: Run takes them from its arguments.
        var layers = typeof(Layer).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.IsSubclassOf(typeof(Layer)) && t != typeof(InputLayer))
            .ToArray();
        Assert.That(layers, Is.Not.Empty);
        var missing = layers.Where(t => !CpuReference.References.ContainsKey(t)).Select(t => t.Name).ToArray();
        Assert.That(missing, Is.Empty, "layer types without a LayerReference<T> in tests/VulkanCnn.Tests/Layers/");
        var stale = CpuReference.References.Keys.Where(t => !layers.Contains(t)).Select(t => t.Name).ToArray();
        Assert.That(stale, Is.Empty, "references for types that are not layers of the library");
    }
}
