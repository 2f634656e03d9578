// Matrix products of two run-time tensors (ONNX MatMul where the second operand is an activation, not a weight).
// GPU side: shaders/matmul.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>
/// <see cref="Batch"/> products of row-major matrices held in the inputs' flat (D,H,W) memory: input 0 is Batch×M×K,
/// input 1 is Batch×K×N (or a single K×N used by every batch when <see cref="ShareB"/>), and the output, Batch×M×N, has
/// the shape <see cref="Output"/> (how the caller wants those values viewed, e.g. (Batch, M, N)).
/// </summary>
public sealed record MatMul(int Batch, int M, int K, int N, bool ShareB, Shape Output) : Layer
{
    public override string TypeName => "MatMul";
    public override int InputCount => 2;
    public override string Describe() => $"{Batch}×[{M}×{K}]·[{K}×{N}]{(ShareB ? " (one B)" : "")}";

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "MatMul", inputs, 2);
        if (Batch < 1 || M < 1 || K < 1 || N < 1)
            throw new ArgumentException($"{node}: MatMul sizes batch {Batch}, M {M}, K {K}, N {N} must all be positive.");
        long a = (long)Batch * M * K, b = (ShareB ? 1L : Batch) * K * N, c = (long)Batch * M * N;
        if (inputs[0].Size != a || inputs[1].Size != b || Output.Size != c)
            throw new ArgumentException($"{node}: MatMul of {Batch}×[{M}×{K}] by {(ShareB ? 1 : Batch)}×[{K}×{N}] needs inputs of {a} and {b} values " +
                                        $"and an output of {c}; got {inputs[0]} ({inputs[0].Size}), {inputs[1]} ({inputs[1].Size}) and {Output} ({Output.Size}).");
        if (Batch > 65535) throw new ArgumentException($"{node}: MatMul batch {Batch} exceeds 65,535.");
        return Output;
    }

    public override long MultiplyAdds(IReadOnlyList<Shape> inputs, Shape output) => (long)Batch * M * K * N;

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int M, K, N, StrideA, StrideB, StrideC; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var k = c.Kernel("matmul", 3, (uint)Marshal.SizeOf<Push>());
        c.Dispatch(k, new[] { io.Inputs[0], io.Inputs[1], io.Output },
            new Push { M = M, K = K, N = N, StrideA = M * K, StrideB = ShareB ? 0 : K * N, StrideC = M * N },
            (uint)((N + 31) / 32), (uint)((M + 31) / 32), (uint)Batch);
    }
}
