// Fully connected layer: y = W·x + b over each batch item's flattened input (D·H·W values). GPU side: shaders/dense.comp, a
// matrix-vector product that reads every weight once as part of a vec4; weights larger than one binding are split
// into row chunks, one dispatch each.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Dense (fully connected) layer on [B, ...]: each of the B batch items is flattened to N values and mapped to K,
/// giving [B, K]. Weights are [K][N] (PyTorch Linear / ONNX Gemm with transB=1).</summary>
public sealed record Dense : Layer
{
    public required int OutFeatures { get; init; }
    public required float[] Weights { get; init; }
    public float[]? Bias { get; init; }
    public Activation Activation { get; init; }

    public override string TypeName => "Dense";
    public override long ParameterCount => Weights.LongLength + (Bias?.LongLength ?? 0);
    public override string Describe() => Activation.IsNone ? "" : "+" + Activation;

    /// <summary>Batch items and values per item of the input: [B, ...] gives (B, product of the rest); rank 1 is one item.</summary>
    internal static (int B, long N) BatchRows(TensorShape s) => s.Rank <= 1 ? (1, s.ElementCount) : (s[0], s.Product(1, s.Rank));

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Dense", inputs, 1);
        CheckNotEmpty(node, inputs[0]);
        if (OutFeatures <= 0) throw new ArgumentException($"{node}: Dense needs a positive number of outputs, got {OutFeatures}.");
        var (b, n) = BatchRows(inputs[0]);
        if (b > 65535) throw new NotSupportedException($"{node}: Dense batch {b} exceeds 65,535.");
        CheckLength(node, $"Dense weights (K={OutFeatures} × N={n})", Weights.Length, OutFeatures * n);
        if (Bias != null) CheckLength(node, "Dense bias", Bias.Length, OutFeatures);
        return new TensorShape(b, OutFeatures);
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => inputs[0].ElementCount * OutFeatures;

    [PushConstants("dense", "dense_v4")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int N, K, N4, RowOffset; }

    internal const int Rows = 4;

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var (batch, nl) = BatchRows(io.InputShapes[0]);
        int n = checked((int)nl), k = OutFeatures;
        int n4 = (n + 3) / 4;
        int kPad = (k + Rows - 1) / Rows * Rows;
        long rowBytes = n4 * 16L;
        if (rowBytes * Rows > (long)c.MaxBindingBytes)
            throw new ArgumentException($"{io.Name}: {Rows} rows of {n} weights need {rowBytes * Rows:N0} bytes, more than the device's {c.MaxBindingBytes:N0}-byte binding limit.");
        var bias = c.Upload(Bias ?? new float[k], io.Name + " bias");
        var (ak, al, be) = Activation.Spec;
        var kernel = c.Kernel(n % 4 == 0 ? "dense_v4" : "dense", 4, (uint)Marshal.SizeOf<Push>(), c.Lanes, Rows, ak, al, be);
        // Rows per chunk: as many whole groups of Rows as one binding holds.
        int chunkRows = (int)Math.Min(kPad, (long)c.MaxBindingBytes / (rowBytes * Rows) * Rows);
        var packed = new float[(long)chunkRows * n4 * 4];
        for (int first = 0; first < kPad; first += chunkRows)
        {
            int rows = Math.Min(chunkRows, kPad - first);
            Array.Clear(packed);
            for (int r = 0; r < rows && first + r < k; r++)
                Array.Copy(Weights, (long)(first + r) * n, packed, (long)r * n4 * 4, n);
            var w = c.Upload(packed.AsSpan(0, (int)((long)rows * n4 * 4)), io.Name + " weights");
            c.Dispatch(kernel, new[] { io.Inputs[0], w, bias, io.Output }, new Push { N = n, K = k, N4 = n4, RowOffset = first }, (uint)(rows / Rows), (uint)batch);
        }
    }
}
