// Matrix products of two run-time tensors at any rank (ONNX MatMul where neither operand is a weight, or attention's
// Q·Kᵀ and A·V), with numpy batch broadcasting. GPU side: shaders/matmul.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>
/// numpy matmul: A [..., M, K] times B [..., K, N] gives [..., M, N]; the leading (batch) axes broadcast. A rank-1 A is a
/// row [1, K] and a rank-1 B a column [K, 1], their axis dropped from the output, as numpy does. Each operand's batch
/// axes must be the output's or all 1 (one matrix shared by every batch item).
/// </summary>
public sealed record MatMul : Layer
{
    public override string TypeName => "MatMul";
    public override int InputCount => 2;

    /// <summary>(batch count, M, K, N, A shared, B shared) and the output shape, or an exception naming the shapes.</summary>
    internal static (int Batch, int M, int K, int N, bool ShareA, bool ShareB, TensorShape Output) Plan(TensorShape a, TensorShape b, string node)
    {
        if (a.Rank == 0 || b.Rank == 0)
            throw new ArgumentException($"{node}: MatMul needs operands of rank 1 or more; got {a} and {b}.");
        var ad = a.Rank == 1 ? new[] { 1, a[0] } : a.ToArray();
        var bd = b.Rank == 1 ? new[] { b[0], 1 } : b.ToArray();
        int m = ad[^2], k = ad[^1], k2 = bd[^2], n = bd[^1];
        if (k != k2)
            throw new ArgumentException($"{node}: MatMul of {a} by {b}: the inner sizes differ ({k} and {k2}).");
        var ab = new TensorShape(ad[..^2]);
        var bb = new TensorShape(bd[..^2]);
        var ob = Binary.BroadcastShape(ab, bb) ??
                 throw new ArgumentException($"{node}: MatMul of {a} by {b}: the batch axes {ab} and {bb} do not broadcast.");
        bool shareA = ab.ElementCount == 1, shareB = bb.ElementCount == 1;
        if ((!shareA && ab.ElementCount != ob.ElementCount) || (!shareB && bb.ElementCount != ob.ElementCount))
            throw new NotSupportedException($"{node}: MatMul of {a} by {b}: each operand's batch axes must be the output's {ob} or all 1 (expand the operand first).");
        if (ob.ElementCount > 65535) throw new NotSupportedException($"{node}: MatMul batch {ob.ElementCount} exceeds 65,535.");
        var od = ob.ToArray().ToList();
        if (a.Rank > 1) od.Add(m);
        if (b.Rank > 1) od.Add(n);
        return ((int)ob.ElementCount, m, k, n, shareA, shareB, new TensorShape(od.ToArray()));
    }

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "MatMul", inputs, 2);
        CheckNotEmpty(node, inputs[0]);
        CheckNotEmpty(node, inputs[1]);
        return Plan(inputs[0], inputs[1], node).Output;
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output)
    {
        var p = Plan(inputs[0], inputs[1], "");
        return (long)p.Batch * p.M * p.K * p.N;
    }

    [PushConstants("matmul")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int M, K, N, StrideA, StrideB, StrideC; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var p = Plan(io.InputShapes[0], io.InputShapes[1], io.Name);
        var k = c.Kernel("matmul", 3, (uint)Marshal.SizeOf<Push>());
        c.Dispatch(k, new[] { io.Inputs[0], io.Inputs[1], io.Output },
            new Push { M = p.M, K = p.K, N = p.N, StrideA = p.ShareA ? 0 : p.M * p.K, StrideB = p.ShareB ? 0 : p.K * p.N, StrideC = p.M * p.N },
            (uint)((p.N + 31) / 32), (uint)((p.M + 31) / 32), (uint)p.Batch);
    }
}
