// Layer normalisation (ONNX LayerNormalization; the transformers of attention-era CNNs, ConvNeXt): every row from
// the normalised axis on normalised by its own mean and variance, then scaled and shifted. GPU side:
// shaders/layer_norm.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Normalises over the axes from <see cref="Axis"/> to the last (N values per row); <see cref="Scale"/> and
/// <see cref="Bias"/> hold N values (or null: 1 and 0).</summary>
public sealed record LayerNorm(int Axis, float[]? Scale, float[]? Bias) : Layer
{
    public float Epsilon { get; init; } = 1e-5f;
    public override string TypeName => "LayerNorm";
    public override long ParameterCount => (Scale?.Length ?? 0) + (Bias?.Length ?? 0);
    public override string Describe() => $"axis {Axis} eps {Epsilon:G3}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "LayerNorm", inputs, 1);
        var s = inputs[0];
        CheckNotEmpty(node, s);
        int axis = TensorShape.NormalizeAxis(Axis, s.Rank, $"{node}: LayerNorm axis");
        long n = s.Product(axis, s.Rank);
        if (Scale != null) CheckLength(node, "LayerNorm scale", Scale.Length, n);
        if (Bias != null) CheckLength(node, "LayerNorm bias", Bias.Length, n);
        if (!(Epsilon >= 0)) throw new ArgumentException($"{node}: LayerNorm epsilon {Epsilon} must be zero or positive.");
        return s;
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => 4 * output.ElementCount;

    [PushConstants("layer_norm")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int N, Rows; public float Epsilon; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        int axis = TensorShape.NormalizeAxis(Axis, s.Rank);
        int n = checked((int)s.Product(axis, s.Rank));
        long rows = s.Product(0, axis);
        var affine = new float[2 * n];
        for (int j = 0; j < n; j++) { affine[2 * j] = Scale?[j] ?? 1f; affine[2 * j + 1] = Bias?[j] ?? 0f; }
        var k = c.Kernel("layer_norm", 3, (uint)Marshal.SizeOf<Push>());
        var (x, y) = LayerCompiler.Grid(rows);
        c.Dispatch(k, new[] { io.Inputs[0], c.Upload(affine, io.Name + " scale/bias"), io.Output },
            new Push { N = n, Rows = checked((int)rows), Epsilon = Epsilon }, x, y);
    }
}
