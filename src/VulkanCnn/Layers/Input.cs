// The network's input placeholder, and the layers that only rename a tensor's axes (no GPU work, no memory).
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>A network input of a fixed shape (any rank; the builder's Input(D, H, W) is [1, D, H, W]). The session
/// writes it from the host (or a GPU source) before each run.</summary>
public sealed record InputLayer(TensorShape Shape) : Layer
{
    public override string TypeName => "Input";
    public override int InputCount => 0;
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        foreach (int d in Shape.Dims)
            if (d <= 0)
                throw new ArgumentException(Shape.Rank == 4 && Shape[0] == 1
                    ? $"{node}: input shape {new Shape(Shape[1], Shape[2], Shape[3])} (W×H×D) must be positive in every dimension."
                    : $"{node}: input shape {Shape} must be positive in every dimension.");
        return Shape;
    }
    internal override void Compile(LayerCompiler c, NodeIO io) { }
}

/// <summary>ONNX Flatten: [d0..dn] to the matrix [d0·…·d(axis−1), d(axis)·…·dn]. The builder's Flatten() keeps the batch:
/// [N, D, H, W] to [N, D·H·W].</summary>
public sealed record Flatten : Layer
{
    /// <summary>The first axis of the second dimension (negative counts from the end; 0 gives [1, all]).</summary>
    public int Axis { get; init; } = 1;
    public override string TypeName => "Flatten";
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Flatten", inputs, 1);
        var s = inputs[0];
        int axis = Axis == s.Rank ? s.Rank : TensorShape.NormalizeAxis(Axis, Math.Max(1, s.Rank), $"{node}: Flatten axis");
        return new TensorShape(checked((int)s.Product(0, axis)), checked((int)s.Product(axis, s.Rank)));
    }
    internal override bool IsAlias => true;
    internal override void Compile(LayerCompiler c, NodeIO io) { }
}

/// <summary>Passes its input through (dropout at inference, identity).</summary>
public sealed record Identity : Layer
{
    public override string TypeName => "Identity";
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Identity", inputs, 1);
        return inputs[0];
    }
    internal override bool IsAlias => true;
    internal override void Compile(LayerCompiler c, NodeIO io) { }
}
