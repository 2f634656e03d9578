// Operations along one axis, one line at a time (ONNX CumSum, ArgMax, ArgMin, Hardmax). GPU side:
// shaders/along_axis.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>What an <see cref="AlongAxis"/> layer computes over each line of its axis.</summary>
public enum AxisOp
{
    /// <summary>Running sum (ONNX CumSum; <see cref="AlongAxis.Exclusive"/>, <see cref="AlongAxis.Reverse"/>).</summary>
    CumSum = 0,
    /// <summary>Index of the largest value (as a float); the axis becomes 1, or is removed without KeepDims.</summary>
    ArgMax = 1,
    /// <summary>Index of the smallest value.</summary>
    ArgMin = 2,
    /// <summary>1 at the first largest value of each line, 0 elsewhere.</summary>
    Hardmax = 3,
    /// <summary>The <see cref="AlongAxis.K"/> largest (or smallest) values of each line, best first; the axis becomes K.</summary>
    TopKValues = 4,
    /// <summary>Their indices (as floats), in the same order.</summary>
    TopKIndices = 5,
}

/// <summary>One operation along <see cref="Axis"/> (negative counts from the end).</summary>
public sealed record AlongAxis(AxisOp Op, int Axis) : Layer
{
    public bool Exclusive { get; init; }
    public bool Reverse { get; init; }
    /// <summary>ArgMax/ArgMin: keep the reduced axis as size 1 (ONNX keepdims, default).</summary>
    public bool KeepDims { get; init; } = true;
    /// <summary>ArgMax/ArgMin: the last of equal extremes instead of the first (ONNX select_last_index).</summary>
    public bool SelectLast { get; init; }
    /// <summary>TopK: how many values per line.</summary>
    public int K { get; init; } = 1;
    /// <summary>TopK: the smallest instead of the largest.</summary>
    public bool Smallest { get; init; }
    public override string TypeName => Op.ToString();
    public override string Describe() => $"axis {Axis}" + (Exclusive ? " exclusive" : "") + (Reverse ? " reverse" : "") + (SelectLast ? " last" : "");

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        var s = inputs[0];
        CheckNotEmpty(node, s);
        int axis = TensorShape.NormalizeAxis(Axis, s.Rank, $"{node}: {TypeName} axis");
        if (Op is AxisOp.TopKValues or AxisOp.TopKIndices)
        {
            if (K < 1 || K > s[axis])
                throw new ArgumentException($"{node}: TopK k = {K} must lie in 1..{s[axis]} (axis {axis} of {s}).");
            if (K > 0xFFFFFF) throw new ArgumentException($"{node}: TopK k = {K} is too large.");
            return s.With(axis, K);
        }
        if (Op is AxisOp.ArgMax or AxisOp.ArgMin)
        {
            var d = s.ToArray().ToList();
            if (KeepDims) d[axis] = 1; else d.RemoveAt(axis);
            return new TensorShape(d.ToArray());
        }
        return s;
    }

    [PushConstants("along_axis")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, Inner, Lines, Flags; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        int axis = TensorShape.NormalizeAxis(Axis, s.Rank);
        long inner = s.Product(axis + 1, s.Rank), lines = s.Product(0, axis) * inner;
        int flags = (Exclusive ? 1 : 0) | (Reverse ? 2 : 0) | (SelectLast ? 4 : 0) | (Smallest ? 8 : 0) | (K << 8);
        var k = c.Kernel("along_axis", 2, (uint)Marshal.SizeOf<Push>(), (int)Op);
        var (x, y) = LayerCompiler.Grid((lines + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push { C = s[axis], Inner = checked((int)inner), Lines = checked((int)lines), Flags = flags }, x, y);
    }
}
