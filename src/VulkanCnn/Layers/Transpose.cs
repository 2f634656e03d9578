// Axis permutation of a (D,H,W) tensor (ONNX Transpose with the batch axis kept first): NHWC inputs of TensorFlow
// exports and channel-last heads. GPU side: shaders/transpose.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>
/// Permutes the three axes (0 = D, 1 = H, 2 = W): output axis k is input axis <c>Perm[k]</c>. For example (1, 2, 0)
/// turns a channel-major (D,H,W) tensor into channel-last (H,W,D) order.
/// </summary>
public sealed record Transpose(int P0, int P1, int P2) : Layer
{
    public override string TypeName => "Transpose";
    public override string Describe() => $"perm {P0},{P1},{P2}";

    public int[] Perm => new[] { P0, P1, P2 };

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "Transpose", inputs, 1);
        var p = Perm;
        if (p.OrderBy(v => v).SequenceEqual(new[] { 0, 1, 2 }) == false)
            throw new ArgumentException($"{node}: Transpose permutation ({P0},{P1},{P2}) is not a permutation of (0,1,2).");
        var d = Dims(inputs[0]);
        return new Shape(d[p[0]], d[p[1]], d[p[2]]);
    }

    internal static int[] Dims(Shape s) => new[] { s.C, s.H, s.W };

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int E1, E2, S0, S1, S2, Count; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var o = io.OutputShape;
        var stride = new[] { s.H * s.W, s.W, 1 };
        var p = Perm;
        var k = c.Kernel("transpose", 2, (uint)Marshal.SizeOf<Push>());
        var (x, y) = LayerCompiler.Grid((o.Size + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output },
            new Push { E1 = o.H, E2 = o.W, S0 = stride[p[0]], S1 = stride[p[1]], S2 = stride[p[2]], Count = checked((int)o.Size) }, x, y);
    }
}
