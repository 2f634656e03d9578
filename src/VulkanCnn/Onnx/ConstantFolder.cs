// The constant folder: nodes whose inputs are all known at load (shape plumbing, weight arithmetic) computed on the CPU.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

internal sealed partial class Importer
{
    // ---------------------------------------------------------------- constant folding

    private void FoldConstant()
    {
        var t = Attr("value")?.T;
        if (t != null) { _vals[Out] = new Cst(OnnxModel.Decode(t, Src, _m.BaseDirectory)); return; }
        if (Attr("value_float") is { } f) { SetCst(Array.Empty<int>(), new double[] { f.F }, true); return; }
        if (Attr("value_floats") is { } fs) { SetCst(new[] { fs.Floats.Count }, fs.Floats.Select(v => (double)v).ToArray(), true); return; }
        if (Attr("value_int") is { } i) { SetCst(Array.Empty<int>(), new double[] { i.I }, false); return; }
        if (Attr("value_ints") is { } iz) { SetCst(new[] { iz.Ints.Count }, iz.Ints.Select(v => (double)v).ToArray(), false); return; }
        throw new UnsupportedException("a Constant without a tensor, float(s) or int(s) value is not supported");
    }

    private void FoldShape()
    {
        var v = In(0)!;
        var d = v is Rt r ? r.Dims : ((Cst)v).Dims;
        int rank = d.Length;
        long start = AttrInt("start", 0), end = AttrInt("end", rank);
        int s = (int)Math.Clamp(start < 0 ? start + rank : start, 0, rank), e = (int)Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        var sel = d.Skip(s).Take(Math.Max(0, e - s)).Select(x => (double)x).ToArray();
        SetCst(new[] { sel.Length }, sel, false);
    }

    private void Fold(string op)
    {
        var c = Enumerable.Range(0, _node.Input.Count).Select(i => In(i) as Cst).ToArray();
        switch (op)
        {
            case "Cast":
            {
                long to = CastTarget();
                bool f = to is 1 or 10 or 11 or 16;
                var v = f ? c[0]!.V.ToArray() : c[0]!.V.Select(x => Math.Truncate(x)).ToArray();
                if (to == 9) v = v.Select(x => x != 0 ? 1.0 : 0).ToArray();
                SetCst(c[0]!.Dims, v, f);
                return;
            }
            case "ConstantOfShape":
            {
                var dims = DimsFrom(c[0]!.T.ToInt64s(), "ConstantOfShape's shape");
                int count = FoldCount(dims, "ConstantOfShape", 0);
                var val = Attr("value")?.T is { } t ? OnnxModel.Decode(t, Src, null) : null;
                if (val != null && val.ElementCount != 1)
                    throw new ArgumentException($"ConstantOfShape's value has {val.ElementCount:N0} elements; it must hold one.");
                SetCst(dims, Enumerable.Repeat(val?.Values[0] ?? 0.0, count).ToArray(), val?.IsFloat ?? true);
                return;
            }
            case "Reshape":
            {
                var dims = ReshapeTarget(c[0]!.Dims, ReshapeShape(), AttrInt("allowzero", 0) != 0);
                SetCst(dims, c[0]!.V, c[0]!.T.IsFloat);
                return;
            }
            case "Flatten":
            {
                int axis = Axis(AttrInt("axis", 1), c[0]!.Dims.Length + 1, "axis");
                var d = c[0]!.Dims;
                SetCst(new[] { (int)Product(d.Take(axis)), (int)Product(d.Skip(axis)) }, c[0]!.V, c[0]!.T.IsFloat);
                return;
            }
            case "Squeeze": case "Unsqueeze":
                SetCst(SqueezeDims(c[0]!.Dims, AxesOf(1), op == "Unsqueeze", op), c[0]!.V, c[0]!.T.IsFloat);
                return;
            case "Gather": FoldGather(c[0]!, c[1]!); return;
            case "Concat": FoldConcat(c.Where(x => x != null).ToArray()!); return;
            case "Transpose": FoldTranspose(c[0]!); return;
            case "Slice": FoldSlice(c); return;
            case "Range":
            {
                for (int k = 0; k < 3; k++)
                    if (c[k]!.V.Length != 1) throw new ArgumentException($"Range's {new[] { "start", "limit", "delta" }[k]} has {c[k]!.V.Length:N0} elements; it must be a scalar.");
                double start = c[0]!.V[0], limit = c[1]!.V[0], delta = c[2]!.V[0];
                if (delta == 0 || !double.IsFinite(start) || !double.IsFinite(limit) || !double.IsFinite(delta))
                    throw new ArgumentException($"Range from {start} to {limit} by {delta}: the values must be finite and the step not 0.");
                double steps = Math.Max(0, Math.Ceiling((limit - start) / delta));
                if (steps > MaxGeneratedElements)
                    throw new UnsupportedException($"Range from {start} to {limit} by {delta} has {steps:N0} elements, more than the {MaxGeneratedElements:N0} a fold may create");
                int n = (int)steps;
                SetCst(new[] { n }, Enumerable.Range(0, n).Select(i => start + i * delta).ToArray(), c[0]!.T.IsFloat);
                return;
            }
            case "Expand":
            {
                var shape = DimsFrom(c[1]!.T.ToInt64s(), "Expand's shape");
                var outDims = BroadcastDims(c[0]!.Dims, shape);
                SetCst(outDims, BroadcastTo(c[0]!, outDims, "Expand"), c[0]!.T.IsFloat);
                return;
            }
            case "Where":
            {
                var d = BroadcastDims(BroadcastDims(c[0]!.Dims, c[1]!.Dims), c[2]!.Dims);
                FoldCount(d, "Where", c.Max(x => x!.V.Length));
                double[] cond = BroadcastTo(c[0]!, d, "Where"), x1 = BroadcastTo(c[1]!, d, "Where"), x2 = BroadcastTo(c[2]!, d, "Where");
                var v = new double[cond.Length];
                for (int i = 0; i < v.Length; i++) v[i] = cond[i] != 0 ? x1[i] : x2[i];
                SetCst(d, v, c[1]!.T.IsFloat);
                return;
            }
        }
        Func<double, double>? unary = op switch
        {
            "Neg" => v => -v, "Sqrt" => Math.Sqrt, "Exp" => Math.Exp, "Abs" => Math.Abs, "Reciprocal" => v => 1 / v, "Floor" => Math.Floor, "Ceil" => Math.Ceiling,
            "Not" => v => v == 0 ? 1 : 0, "Sign" => v => Math.Sign(v), "Round" => v => Math.Round(v, MidpointRounding.ToEven), "Log" => Math.Log,
            "Relu" => v => Math.Max(v, 0), "Sigmoid" => v => 1 / (1 + Math.Exp(-v)), "Tanh" => Math.Tanh,
            "Identity" or "Dropout" => v => v, _ => null,
        };
        if (unary != null) { SetCst(c[0]!.Dims, c[0]!.V.Select(unary).ToArray(), c[0]!.T.IsFloat); return; }
        Func<double, double, double>? binary = op switch
        {
            "Add" or "Sum" => (a, b) => a + b, "Sub" => (a, b) => a - b, "Mul" => (a, b) => a * b,
            "Div" => c[0]!.T.IsFloat ? (a, b) => a / b : (a, b) => Math.Truncate(a / b),
            "Max" => Math.Max, "Min" => Math.Min, "Equal" => (a, b) => a == b ? 1 : 0, "Pow" => Math.Pow,
            "Less" => (a, b) => a < b ? 1 : 0, "Greater" => (a, b) => a > b ? 1 : 0, "LessOrEqual" => (a, b) => a <= b ? 1 : 0,
            "GreaterOrEqual" => (a, b) => a >= b ? 1 : 0, "And" => (a, b) => a != 0 && b != 0 ? 1 : 0, "Or" => (a, b) => a != 0 || b != 0 ? 1 : 0,
            "Xor" => (a, b) => (a != 0) != (b != 0) ? 1 : 0, _ => null,
        };
        if (binary != null && c.Length == 2 && c[0] != null && c[1] != null)
        {
            var d = BroadcastDims(c[0]!.Dims, c[1]!.Dims);
            FoldCount(d, op, Math.Max(c[0]!.V.Length, c[1]!.V.Length));
            double[] x0 = BroadcastTo(c[0]!, d, op), x1 = BroadcastTo(c[1]!, d, op);
            var v = new double[x0.Length];
            for (int i = 0; i < v.Length; i++) v[i] = binary(x0[i], x1[i]);
            SetCst(d, v, op is not ("Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "And" or "Or" or "Xor") && c[0]!.T.IsFloat);
            return;
        }
        throw new UnsupportedException($"{op} is not supported on constant inputs");
    }

    private void FoldGather(Cst data, Cst idx)
    {
        var d = data.Dims;
        int axis = Axis(AttrInt("axis", 0), d.Length, "axis");
        int outer = (int)Product(d.Take(axis)), inner = (int)Product(d.Skip(axis + 1)), n = d[axis];
        foreach (var v in idx.V) if (!(v >= -n && v < n)) throw new ArgumentException($"Gather index {v} is outside axis {axis} of size {n}.");
        var ind = idx.V.Select(v => (int)(v < 0 ? v + n : v)).ToArray();
        FoldCount(d.Take(axis).Concat(idx.Dims).Concat(d.Skip(axis + 1)).ToArray(), "Gather", Math.Max(data.V.Length, idx.V.Length));
        var r = new List<double>();
        for (int o = 0; o < outer; o++)
            foreach (var k in ind)
                for (int j = 0; j < inner; j++) r.Add(data.V[(o * n + k) * inner + j]);
        SetCst(d.Take(axis).Concat(idx.Dims).Concat(d.Skip(axis + 1)).ToArray(), r.ToArray(), data.T.IsFloat);
    }

    private void FoldConcat(Cst[] parts)
    {
        int rank = parts[0].Dims.Length;
        int axis = Axis(AttrInt("axis", 0), rank, "axis");
        foreach (var p in parts)
            if (p.Dims.Length != rank || p.Dims.Where((v, k) => k != axis && v != parts[0].Dims[k]).Any())
                throw new ArgumentException($"Concat along axis {axis} of [{string.Join(",", parts[0].Dims)}] and [{string.Join(",", p.Dims)}]: the other dimensions differ.");
        FoldCount(parts[0].Dims.Select((v, k) => k == axis ? (int)Math.Min(int.MaxValue, parts.Sum(p => (long)p.Dims[axis])) : v).ToArray(), "Concat");
        int outer = (int)Product(parts[0].Dims.Take(axis));
        var r = new List<double>();
        for (int o = 0; o < outer; o++)
            foreach (var p in parts)
            {
                int chunk = (int)Product(p.Dims.Skip(axis));
                for (int j = 0; j < chunk; j++) r.Add(p.V[o * chunk + j]);
            }
        var dims = parts[0].Dims.ToArray();
        dims[axis] = parts.Sum(p => p.Dims[axis]);
        SetCst(dims, r.ToArray(), parts[0].T.IsFloat);
    }

    private void FoldTranspose(Cst x)
    {
        var d = x.Dims;
        var perm = Permutation(d);
        var od = perm.Select(p => d[p]).ToArray();
        var strides = new int[d.Length];
        for (int k = d.Length - 1, s = 1; k >= 0; s *= d[k], k--) strides[k] = s;
        var r = new double[x.V.Length];
        for (int i = 0; i < r.Length; i++)
        {
            int rem = i, src = 0;
            for (int k = od.Length - 1; k >= 0; k--) { src += rem % od[k] * strides[perm[k]]; rem /= od[k]; }
            r[i] = x.V[src];
        }
        SetCst(od, r, x.T.IsFloat);
    }

    private void FoldSlice(Cst?[] c)
    {
        var x = c[0]!;
        var (lo, step, cnt) = SliceBox(x.Dims);
        SetCst(cnt, Box(x, lo, step, cnt), x.T.IsFloat);
    }

    /// <summary>The elements of a constant in a strided box (first element, step and count per axis).</summary>
    private static double[] Box(Cst x, int[] lo, int[] step, int[] cnt)
    {
        var d = x.Dims;
        var strides = new int[d.Length];
        for (int k = d.Length - 1, s = 1; k >= 0; s *= d[k], k--) strides[k] = s;
        var r = new double[Product(cnt)];
        for (int i = 0; i < r.Length; i++)
        {
            int rem = i, src = 0;
            for (int k = d.Length - 1; k >= 0; k--) { src += (lo[k] + rem % cnt[k] * step[k]) * strides[k]; rem /= cnt[k]; }
            r[i] = x.V[src];
        }
        return r;
    }
}
