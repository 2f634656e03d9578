// Local response normalisation across channels (AlexNet; ONNX LRN). GPU side: shaders/lrn.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>
/// y = x / (Bias + Alpha/Size · Σ x²)^Beta, the sum over the channels c − ⌊(Size−1)/2⌋ … c + ⌈(Size−1)/2⌉ that exist
/// (ONNX's definition; AlexNet uses Size 5, Alpha 1e-4, Beta 0.75, Bias 2).
/// </summary>
public sealed record Lrn : Layer
{
    public int Size { get; init; } = 5;
    public float Alpha { get; init; } = 1e-4f;
    public float Beta { get; init; } = 0.75f;
    public float Bias { get; init; } = 1f;

    public override string TypeName => "LRN";
    public override string Describe() => $"size {Size} a{Alpha:G3} b{Beta:G3} k{Bias:G3}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "LRN", inputs, 1);
        if (inputs[0].Rank < 2) throw new ArgumentException($"{node}: LRN needs a channel axis (rank 2 or more); got {inputs[0]}.");
        if (Size < 1) throw new ArgumentException($"{node}: LRN size must be at least 1, got {Size}.");
        return inputs[0];
    }

    // In 64 bits: Size + 2 wraps negative for a Size near 2^31 (vcnn info printed negative multiply-adds).
    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => output.ElementCount * (Size + 2L);

    [PushConstants("lrn")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, HW, Before, After, Count; public float AlphaOverSize, Beta, Bias; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var (ch, hw) = ActivationLayer.Channels(s);
        var k = c.Kernel("lrn", 2, (uint)Marshal.SizeOf<Push>());
        var (x, y) = LayerCompiler.Grid((s.ElementCount + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push
        {
            C = ch, HW = hw, Before = (Size - 1) / 2, After = Size / 2, Count = checked((int)s.ElementCount),
            AlphaOverSize = Alpha / Size, Beta = Beta, Bias = Bias,
        }, x, y);
    }
}
