// Reductions and operations along one axis: Reduce*, ArgMax/ArgMin, CumSum.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

internal sealed partial class Importer
{
    private void ReduceOp(ReduceKind kind)
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        bool axesInput = kind == ReduceKind.Sum ? _opset >= 13 : _opset >= 18;
        long[] axes = axesInput ? OptCst(1, "axes")?.T.ToInt64s() ?? Array.Empty<long>() : AttrInts("axes") ?? Array.Empty<long>();
        if (axes.Length == 0 && AttrInt("noop_with_empty_axes", 0) != 0)
        {
            // Nothing is reduced, but L1, L2 and the sum of squares still map each value (|v|, |v|, v²), as the
            // definitions and ONNX Runtime do.
            if (kind is ReduceKind.L1 or ReduceKind.L2) SetRt(new ActivationLayer(Activation.Abs), x.Dims, x.Node);
            else if (kind == ReduceKind.SumSquare) SetRt(new Binary(Layers.BinaryOp.Mul), x.Dims, x.Node, x.Node);
            else _vals[Out] = x;
            return;
        }
        var set = (axes.Length == 0 ? Enumerable.Range(0, rank) : axes.Select(a => Axis(a, rank, "axis"))).ToHashSet();
        bool keep = AttrInt("keepdims", 1) != 0;
        var kept = x.Dims.Select((v, i) => set.Contains(i) ? 1 : v).ToArray();
        var dims = keep ? kept : x.Dims.Where((_, i) => !set.Contains(i)).ToArray();
        // Only size-1 axes: nothing to reduce for sum, mean, max, min and product; L1, L2 and the sum of squares still map
        // each value (|v|, |v|, v²).
        if (set.All(i => x.Dims[i] == 1) && kind is not (ReduceKind.L1 or ReduceKind.L2 or ReduceKind.SumSquare)) { ReshapeTo(x, dims); return; }
        SetRt(new Reduce(kind, set.Order().ToArray()) { KeepDims = keep }, dims, x.Node);
    }

    private void CumSumOp()
    {
        var x = RtIn(0);
        int axis = Axis(ScalarInt(CstIn(1, "axis"), "axis"), x.Dims.Length, "axis");
        SetRt(new AlongAxis(AxisOp.CumSum, axis) { Exclusive = AttrInt("exclusive", 0) != 0, Reverse = AttrInt("reverse", 0) != 0 }, x.Dims, x.Node);
    }

    /// <summary>TopK: one layer per used output (values, indices), each choosing the same K per line.</summary>
    private void TopKOp()
    {
        var x = RtIn(0);
        int axis = Axis(AttrInt("axis", -1), x.Dims.Length, "axis");
        long k = _opset < 10 ? AttrInt("k", 0) : ScalarInt(CstIn(1, "K"), "K");
        if (k < 1 || k > x.Dims[axis]) throw new ArgumentException($"K = {k} must lie in 1..{x.Dims[axis]} (axis {axis} of [{string.Join(",", x.Dims)}]).");
        bool smallest = AttrInt("largest", 1) == 0;
        var d = x.Dims.ToArray();
        d[axis] = (int)k;
        for (int o = 0; o < Math.Min(2, _node.Output.Count); o++)
        {
            string name = _node.Output[o];
            if (name == "") continue;
            var node = _b.Add(new AlongAxis(o == 0 ? AxisOp.TopKValues : AxisOp.TopKIndices, axis) { K = (int)k, Smallest = smallest }, Unique(name), x.Node);
            _vals[name] = new Rt(node, d);
        }
    }

    private void GatherElementsOp()
    {
        var x = RtIn(0);
        int axis = Axis(AttrInt("axis", 0), x.Dims.Length, "axis");
        if (In(1) is Cst ci)
            foreach (var v in ci.V)
                if (v < -x.Dims[axis] || v >= x.Dims[axis])
                    throw new ArgumentException($"index {v} is outside axis {axis} of size {x.Dims[axis]} (data [{string.Join(",", x.Dims)}]).");
        SetRt(new Layers.GatherElements(axis), DimsIn(1), x.Node, NodeIn(1));
    }

    private void ArgOp(bool max)
    {
        var x = RtIn(0);
        int axis = Axis(AttrInt("axis", 0), x.Dims.Length, "axis");
        bool keep = AttrInt("keepdims", 1) != 0;
        var d = x.Dims.ToList();
        if (keep) d[axis] = 1; else d.RemoveAt(axis);
        SetRt(new AlongAxis(max ? AxisOp.ArgMax : AxisOp.ArgMin, axis) { KeepDims = keep, SelectLast = AttrInt("select_last_index", 0) != 0 }, d.ToArray(), x.Node);
    }
}
