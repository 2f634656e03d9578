// Reshape: the same values, read as another (D,H,W) shape. No GPU work: tensors are stored contiguously.
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>Reinterprets the input as <see cref="Target"/>, which must hold the same number of values.</summary>
public sealed record Reshape(Shape Target) : Layer
{
    public override string TypeName => "Reshape";
    public override string Describe() => $"to {Target}";

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "Reshape", inputs, 1);
        if (Target.C <= 0 || Target.H <= 0 || Target.W <= 0 || Target.Size != inputs[0].Size)
            throw new ArgumentException($"{node}: cannot reshape {inputs[0]} ({inputs[0].Size} values) to {Target} ({Target.Size} values) (W×H×D).");
        return Target;
    }

    internal override bool IsAlias => true;
    internal override void Compile(LayerCompiler c, NodeIO io) { }
}
