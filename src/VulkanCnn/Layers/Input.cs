// The network's input placeholder.
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>A network input of a fixed shape. The session writes it from the host (or a GPU source) before each run.</summary>
public sealed record InputLayer(Shape Shape) : Layer
{
    public override string TypeName => "Input";
    public override int InputCount => 0;
    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        if (Shape.C <= 0 || Shape.H <= 0 || Shape.W <= 0)
            throw new ArgumentException($"{node}: input shape {Shape} (W×H×D) must be positive in every dimension.");
        return Shape;
    }
    internal override void Compile(LayerCompiler c, NodeIO io) { }
}

/// <summary>Reshapes (D,H,W) to (D·H·W,1,1). No GPU work: the data is already contiguous.</summary>
public sealed record Flatten : Layer
{
    public override string TypeName => "Flatten";
    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "Flatten", inputs, 1);
        return new Shape(checked((int)inputs[0].Size), 1, 1);
    }
    internal override bool IsAlias => true;
    internal override void Compile(LayerCompiler c, NodeIO io) { }
}

/// <summary>Passes its input through (dropout at inference, identity).</summary>
public sealed record Identity : Layer
{
    public override string TypeName => "Identity";
    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "Identity", inputs, 1);
        return inputs[0];
    }
    internal override bool IsAlias => true;
    internal override void Compile(LayerCompiler c, NodeIO io) { }
}
