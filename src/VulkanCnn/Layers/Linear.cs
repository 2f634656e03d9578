// A Linear (fully connected) layer applied to the last axis of a tensor of any rank: [..., K] → [..., N] (ONNX MatMul
// by a constant matrix, Gemm of a matrix; PyTorch nn.Linear on [1,T,C] or [1,H,W,C]). The rows are the pixels of a
// 1×1 convolution in channel-last order, so it runs on the convolution kernel (shaders/conv2d.comp with CHANNEL_LAST,
// which reads and writes [pixel][channel] directly). A single row takes the matrix-vector kernel (Dense).
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>y = x·Wᵀ + b over the last axis: weights [N][K] (PyTorch Linear order), bias N values or null.</summary>
public sealed record Linear : Layer
{
    public required int OutFeatures { get; init; }
    /// <summary>[N][K] floats.</summary>
    public required float[] Weights { get; init; }
    public float[]? Bias { get; init; }
    public Activation Activation { get; init; }

    public override string TypeName => "Linear";
    public override long ParameterCount => Weights.LongLength + (Bias?.LongLength ?? 0);
    public override string Describe() => Activation.IsNone ? "" : "+" + Activation;

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Linear", inputs, 1);
        var s = inputs[0];
        CheckNotEmpty(node, s);
        if (s.Rank < 1) throw new ArgumentException($"{node}: Linear needs an input of rank 1 or more; got a scalar.");
        if (OutFeatures <= 0) throw new ArgumentException($"{node}: Linear needs a positive number of outputs, got {OutFeatures}.");
        int k = s[-1];
        CheckLength(node, $"Linear weights (N={OutFeatures} × K={k})", Weights.Length, (long)OutFeatures * k);
        if (Bias != null) CheckLength(node, "Linear bias", Bias.Length, OutFeatures);
        return s.With(s.Rank - 1, OutFeatures);
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => inputs[0].ElementCount * OutFeatures;

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        int k = s[-1], n = OutFeatures;
        int rows = checked((int)(s.ElementCount / k));
        if (rows == 1)
        {
            new Dense { OutFeatures = n, Weights = Weights, Bias = Bias, Activation = Activation }.Compile(c, new NodeIO
            {
                Name = io.Name, Inputs = io.Inputs, InputShapes = new[] { new TensorShape(1, k) }, Output = io.Output, OutputShape = new TensorShape(1, n),
            });
            return;
        }
        // The rows are the pixels of a 1x1 convolution stored channel-last: the kernel reads and writes that order.
        c.CheckBinding(io.Name, "the input", (ulong)s.ElementCount * 4);
        c.CheckBinding(io.Name, "the output", (ulong)io.OutputShape.ElementCount * 4);
        Conv2d.EmitGemm(c, io.Name, io.Inputs[0], io.Output, 1, new Shape(k, 1, rows), new Shape(n, 1, rows), 1, k, n, 1, 1, 1, 1, 1, 1, 0, 0,
            PaddingMode.Zero, Activation, Weights, Bias, (o, cc, ky, kx) => o * k + cc, channelLast: true);
    }
}
