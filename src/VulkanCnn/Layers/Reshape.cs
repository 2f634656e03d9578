// Reshape: the same values, read as another shape of any rank. No GPU work: tensors are stored contiguously.
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Reinterprets the input as <see cref="Target"/>, which must hold the same number of values.</summary>
public sealed record Reshape(TensorShape Target) : Layer
{
    public override string TypeName => "Reshape";
    public override string Describe() => $"to {Target}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Reshape", inputs, 1);
        if (Target.ElementCount != inputs[0].ElementCount)
            throw new ArgumentException($"{node}: cannot reshape {inputs[0]} ({inputs[0].ElementCount} values) to {Target} ({Target.ElementCount} values).");
        return Target;
    }

    internal override bool IsAlias => true;
    internal override void Compile(LayerCompiler c, NodeIO io) { }
}
