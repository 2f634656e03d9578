// Fully connected layer: y = W·x + b over the flattened input (D·H·W values). Runs on conv2d.comp as a 1x1
// convolution of a 1x1 image, so weight loads stay uniform and big layers are split like big convolutions.
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>Dense (fully connected) layer. Weights are [K][N] (PyTorch Linear / ONNX Gemm with transB=1), N = D·H·W of the input.</summary>
public sealed record Dense : Layer
{
    public required int OutFeatures { get; init; }
    public required float[] Weights { get; init; }
    public float[]? Bias { get; init; }
    public Activation Activation { get; init; }

    public override string TypeName => "Dense";
    public override long ParameterCount => Weights.LongLength + (Bias?.LongLength ?? 0);
    public override string Describe() => Activation.IsNone ? "" : "+" + Activation;

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "Dense", inputs, 1);
        CheckNotEmpty(node, inputs[0]);
        if (OutFeatures <= 0) throw new ArgumentException($"{node}: Dense needs a positive number of outputs, got {OutFeatures}.");
        long n = inputs[0].Size;
        CheckLength(node, $"Dense weights (K={OutFeatures} × N={n})", Weights.Length, OutFeatures * n);
        if (Bias != null) CheckLength(node, "Dense bias", Bias.Length, OutFeatures);
        return new Shape(OutFeatures, 1, 1);
    }

    public override long MultiplyAdds(IReadOnlyList<Shape> inputs, Shape output) => inputs[0].Size * OutFeatures;

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        int n = (int)io.InputShapes[0].Size;
        var flat = new Shape(n, 1, 1);
        Conv2d.EmitGemm(c, io.Name, io.Inputs[0], io.Output, flat, io.OutputShape, 1, n, OutFeatures, 1, 1, 1, 1, 1, 1, 0, 0,
            PaddingMode.Zero, Activation, Weights, Bias, (k, cc, _, _) => k * n + cc);
    }
}
