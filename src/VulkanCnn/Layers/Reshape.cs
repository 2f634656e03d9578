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

    /// <summary>The target's leading axis carries the batch (as [N, ...] or [N·k, ...]); it is rescaled to the new one.</summary>
    internal override Layer ForBatch(int from, int to, IReadOnlyList<TensorShape> newInputs) =>
        newInputs[0].ElementCount == Target.ElementCount ? this :
        RescaleLeading(Target, from, to, newInputs[0].ElementCount) is TensorShape t ? this with { Target = t } : this;

    internal override bool IsAlias => true;
    internal override void Compile(LayerCompiler c, NodeIO io) { }
}
