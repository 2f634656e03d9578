// Element-wise operators: activations, Clip, PRelu, binary operators with numpy broadcasting, variadic Sum/Max/Min, Where.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

internal sealed partial class Importer
{
    private void Act(Activation a)
    {
        var x = RtIn(0);
        SetRt(new ActivationLayer(a), x.Dims, x.Node);
    }

    private void ClipOp()
    {
        float lo = float.MinValue, hi = float.MaxValue;
        if (_opset < 11)
        {
            lo = AttrFloat("min", lo);
            hi = AttrFloat("max", hi);
        }
        else
        {
            if (OptCst(1, "min") is { } mn) lo = (float)Scalar(mn, "min");
            if (OptCst(2, "max") is { } mx) hi = (float)Scalar(mx, "max");
        }
        Act(lo == 0 && hi == float.MaxValue ? Activation.Relu : Activation.Clip(lo, hi));
    }

    private void PReluOp()
    {
        var x = RtIn(0);
        var slope = CstIn(1, "slope");
        int mode = Broadcast(x.Dims, slope.Dims);
        bool ok = mode is 1 or 2 || mode == 0 && x.Dims.Length >= 2 && x.Dims.Skip(2).All(v => v == 1);
        if (!ok)
            throw new UnsupportedException($"slope of shape [{string.Join(",", slope.Dims)}] for input [{string.Join(",", x.Dims)}]; one slope or one per channel (axis 1) is supported");
        SetRt(new PRelu(slope.T.ToFloats()), x.Dims, x.Node);
    }

    /// <summary>How the engine can broadcast b onto a (numpy rules): 0 same shape, 1 per channel, 2 scalar, -1 not.</summary>
    private static int Broadcast(int[] a, int[] b)
    {
        if (b.Length > a.Length)
        {
            if (b.Take(b.Length - a.Length).Any(v => v != 1)) return -1;
            b = b.Skip(b.Length - a.Length).ToArray();
        }
        var bp = Enumerable.Repeat(1, a.Length - b.Length).Concat(b).ToArray();
        if (bp.SequenceEqual(a)) return 0;
        if (bp.All(v => v == 1)) return 2;
        if (a.Length >= 2 && bp[1] == a[1] && bp.Where((v, i) => i != 1).All(v => v == 1)) return 1;
        return -1;
    }

    private void BinaryOp(Layers.BinaryOp op, int ia = 0, int ib = 1, string? outName = null)
    {
        if (_opset < 7) AlignLegacyBroadcast(ia, ib);
        var va = In(ia)!;
        var vb = In(ib)!;
        bool commutative = op is Layers.BinaryOp.Add or Layers.BinaryOp.Mul or Layers.BinaryOp.Max or Layers.BinaryOp.Min or Layers.BinaryOp.Equal;
        int[] DimsOf(Val v) => v is Rt r ? r.Dims : ((Cst)v).Dims;
        var (da, db) = (DimsOf(va), DimsOf(vb));
        // A constant operand that is one value, one per channel or the other's whole shape stays with the weights (no
        // per-run copy) and can fold into a convolution before it.
        if (va is Cst && vb is Rt && commutative && Broadcast(db, da) >= 0) { (va, vb) = (vb, va); (da, db) = (db, da); (ia, ib) = (ib, ia); }
        if (va is Rt ra && vb is Cst cb && Broadcast(da, db) >= 0)
        {
            var fixedNode = _b.Add(new Binary(op) { Operand = cb.T.ToFloats() }, Unique(outName ?? Out), ra.Node);
            _vals[outName ?? Out] = new Rt(fixedNode, da);
            return;
        }
        // Anything else: numpy broadcasting of two nodes at any rank (constants become constant nodes).
        int[] outDims;
        try { outDims = BroadcastDims(da, db); }
        catch (ArgumentException) { throw new ArgumentException($"{op} of [{string.Join(",", da)}] and [{string.Join(",", db)}]: the shapes do not broadcast."); }
        Node Operand(int i, Val v) => v is Cst c ? ConstNode(_node.Input[i], c, c.Dims) : ((Rt)v).Node;
        var node = _b.Add(new Binary(op), Unique(outName ?? Out), Operand(ia, va), Operand(ib, vb));
        _vals[outName ?? Out] = new Rt(node, outDims);
    }

    private void Variadic(string op)
    {
        int n = _node.Input.Count;
        if (n == 1) { _vals[Out] = In(0)!; return; }
        var bop = op switch { "Max" => Layers.BinaryOp.Max, "Min" => Layers.BinaryOp.Min, _ => Layers.BinaryOp.Add };
        if (n == 2) { BinaryOp(bop); return; }
        // More inputs: a chain of binary layers, each combining the running result with the next input.
        var acc = Enumerable.Range(0, n).Select(i => (Index: i, Val: In(i)!)).OrderBy(v => v.Val is Cst ? 1 : 0).ToArray();
        if (acc[0].Val is not Rt first) throw new UnsupportedException($"{op} of constants only");
        Node node = first.Node;
        var dims = first.Dims;
        for (int i = 1; i < n; i++)
        {
            string name = Unique(i == n - 1 ? Out : $"{Out}_{i}");
            var v = acc[i].Val;
            var vd = v is Rt r0 ? r0.Dims : ((Cst)v).Dims;
            if (v is Cst ci && Broadcast(dims, vd) >= 0) { node = _b.Add(new Binary(bop) { Operand = ci.T.ToFloats() }, name, node); continue; }
            var other = v is Cst c2 ? ConstNode(_node.Input[acc[i].Index], c2, c2.Dims) : ((Rt)v).Node;
            dims = BroadcastDims(dims, vd);
            node = _b.Add(new Binary(bop), name, node, other);
        }
        _vals[Out] = new Rt(node, dims);
    }

    private void WhereOp()
    {
        var d = BroadcastDims(BroadcastDims(DimsIn(0), DimsIn(1)), DimsIn(2));
        SetRt(new Where(), d, NodeIn(0), NodeIn(1), NodeIn(2));
    }

    private void CastOp()
    {
        // Comparisons already give 0 and 1 as floats; only a cast to a floating type keeps that meaning.
        if (CastTarget() is not (1 or 10 or 11 or 16)) throw new UnsupportedException($"Cast of a runtime tensor to type {CastTarget()}; only casts to floating types are supported");
        _vals[Out] = RtIn(0);
    }
}
