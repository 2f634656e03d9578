// Instance normalisation (ONNX InstanceNormalization, style transfer): each channel normalised by its own mean and
// variance over H×W, then scaled and shifted. GPU side: shaders/instance_norm.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>y = Scale[c] · (x − mean_c) / √(var_c + Epsilon) + Bias[c], mean and (biased) variance over H×W of channel c.</summary>
public sealed record InstanceNorm(float[] Scale, float[] Bias) : Layer
{
    public float Epsilon { get; init; } = 1e-5f;
    public override string TypeName => "InstanceNorm";
    public override long ParameterCount => Scale.Length + Bias.Length;
    public override string Describe() => $"eps {Epsilon:G3}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "InstanceNorm", inputs, 1);
        if (inputs[0].Rank < 3)
            throw new ArgumentException($"{node}: InstanceNorm takes [N, C, spatial...] (rank 3 or more); got {inputs[0]}.");
        CheckLength(node, "InstanceNorm scale", Scale.Length, inputs[0][1]);
        CheckLength(node, "InstanceNorm bias", Bias.Length, inputs[0][1]);
        return inputs[0];
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => 3 * output.ElementCount;

    [PushConstants("instance_norm")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int HW; public float Epsilon; public int C; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        int ch = s[1], hw = checked((int)s.Product(2, s.Rank));
        var affine = new float[2 * ch];
        for (int i = 0; i < ch; i++) { affine[2 * i] = Scale[i]; affine[2 * i + 1] = Bias[i]; }
        var k = c.Kernel("instance_norm", 3, (uint)Marshal.SizeOf<Push>());
        var (x, y) = LayerCompiler.Grid(s[0] * (long)ch);
        c.Dispatch(k, new[] { io.Inputs[0], c.Upload(affine, io.Name + " scale/bias"), io.Output }, new Push { HW = hw, Epsilon = Epsilon, C = ch }, x, y);
    }
}
