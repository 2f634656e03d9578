// Reductions over any of the D, H, W axes (ONNX ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
// ReduceL2, ReduceSumSquare). GPU side: shaders/reduce.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>How <see cref="Reduce"/> combines values.</summary>
public enum ReduceKind { Sum = 0, Mean = 1, Max = 2, Min = 3, Prod = 4, L1 = 5, L2 = 6, SumSquare = 7 }

/// <summary>Reduces the chosen axes to size 1 (the others keep their size).</summary>
public sealed record Reduce(ReduceKind Kind, bool AxisD, bool AxisH, bool AxisW) : Layer
{
    public override string TypeName => "Reduce" + Kind;
    public override string Describe() => "over " + (AxisD ? "D" : "") + (AxisH ? "H" : "") + (AxisW ? "W" : "");

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        var s = inputs[0];
        return new Shape(AxisD ? 1 : s.C, AxisH ? 1 : s.H, AxisW ? 1 : s.W);
    }

    public override long MultiplyAdds(IReadOnlyList<Shape> inputs, Shape output) => inputs[0].Size;

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int E1, E2, H, W, NH, NW, N; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var o = io.OutputShape;
        int nd = AxisD ? s.C : 1, nh = AxisH ? s.H : 1, nw = AxisW ? s.W : 1;
        var k = c.Kernel("reduce", 2, (uint)Marshal.SizeOf<Push>(), (int)Kind);
        var (x, y) = LayerCompiler.Grid(o.Size);   // one workgroup per output element
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push { E1 = o.H, E2 = o.W, H = s.H, W = s.W, NH = nh, NW = nw, N = nd * nh * nw }, x, y);
    }
}
