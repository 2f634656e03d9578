// Data movement: Concat, Flatten, Reshape, Squeeze/Unsqueeze, Transpose, Pad, Slice, Split, Expand, Tile, Gather.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

internal sealed partial class Importer
{
    private void ConcatOp()
    {
        var ins = Enumerable.Range(0, _node.Input.Count).Where(i => _node.Input[i] != "").Select(i => RtIn(i)).ToArray();
        int rank = ins[0].Dims.Length;
        int axis = Axis(AttrInt("axis", 1), rank, "axis");
        foreach (var r in ins)
            if (r.Dims.Length != rank || r.Dims.Where((v, k) => k != axis && v != ins[0].Dims[k]).Any())
                throw new ArgumentException($"Concat along axis {axis} of [{string.Join(",", ins[0].Dims)}] and [{string.Join(",", r.Dims)}]: the other dimensions differ.");
        var dims = ins[0].Dims.ToArray();
        long total = ins.Sum(r => (long)r.Dims[axis]);
        if (total > int.MaxValue) throw new UnsupportedException($"Concat along axis {axis} gives {total:N0}, more than {int.MaxValue:N0}");
        dims[axis] = (int)total;
        SetRt(new Concat { Axis = axis }, dims, ins.Select(r => r.Node).ToArray());
    }

    private void FlattenOp()
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        int axis = AttrInt32("axis", 1);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis > rank) throw new ArgumentException($"axis {AttrInt("axis", 1)} is outside a tensor of rank {rank}.");
        ReshapeTo(x, new[] { (int)Product(x.Dims.Take(axis)), (int)Product(x.Dims.Skip(axis)) });
    }

    private int[] ReshapeTarget(int[] from, long[] shape, bool allowZero)
    {
        var dims = new int[shape.Length];
        int infer = -1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1) { if (infer >= 0) throw new ArgumentException($"shape [{string.Join(",", shape)}] has two -1 entries."); infer = i; dims[i] = 1; }
            else if (shape[i] == 0 && !allowZero) dims[i] = i < from.Length ? from[i] : throw new ArgumentException($"shape [{string.Join(",", shape)}] copies dimension {i}, which the input [{string.Join(",", from)}] does not have.");
            else if (shape[i] < 0 || shape[i] > int.MaxValue) throw new ArgumentException($"shape [{string.Join(",", shape)}] has the entry {shape[i]}; entries are -1 (inferred), 0 (copied) or a size up to {int.MaxValue:N0}.");
            else dims[i] = (int)shape[i];
        }
        long total = Product(from);
        if (infer >= 0)
        {
            long rest = SaturatedProduct(dims);
            if (rest == 0 || total % rest != 0) throw new ArgumentException($"cannot reshape [{string.Join(",", from)}] to [{string.Join(",", shape)}].");
            dims[infer] = (int)(total / rest);
        }
        if (SaturatedProduct(dims) != total) throw new ArgumentException($"cannot reshape [{string.Join(",", from)}] ({total:N0} values) to [{string.Join(",", shape)}] ({(SaturatedProduct(dims) == long.MaxValue ? "over 2^63" : SaturatedProduct(dims).ToString("N0"))} values).");
        return dims;
    }

    private void ReshapeOp()
    {
        var x = RtIn(0);
        var dims = ReshapeTarget(x.Dims, ReshapeShape(), AttrInt("allowzero", 0) != 0);
        ReshapeTo(x, dims);
    }

    private void ReshapeTo(Rt x, int[] dims)
    {
        var shape = ToShape(dims, $"the result [{string.Join(",", dims)}]");
        if (shape == x.Node.Shape) { _vals[Out] = new Rt(x.Node, dims); return; }
        SetRt(new Reshape(shape), dims, x.Node);
    }

    private long[] AxesOf(int inputIndex)
    {
        if (_opset >= 13) return OptCst(inputIndex, "axes")?.T.ToInt64s() ?? Array.Empty<long>();
        return AttrInts("axes") ?? Array.Empty<long>();
    }

    private static int[] SqueezeDims(int[] d, long[] axes, bool unsqueeze, string what)
    {
        if (unsqueeze)
        {
            int rank = d.Length + axes.Length;
            var ax = axes.Select(a => Axis(a, rank, "axis")).ToHashSet();
            if (ax.Count != axes.Length) throw new ArgumentException($"{what}: axes [{string.Join(",", axes)}] name an axis twice.");
            var r = new List<int>();
            int j = 0;
            for (int i = 0; i < rank; i++) r.Add(ax.Contains(i) ? 1 : d[j++]);
            return r.ToArray();
        }
        var sq = axes.Length == 0 ? Enumerable.Range(0, d.Length).Where(i => d[i] == 1).ToHashSet() : axes.Select(a => Axis(a, d.Length, "axis")).ToHashSet();
        foreach (var a in sq) if (d[a] != 1) throw new ArgumentException($"{what}: cannot squeeze axis {a} of size {d[a]}.");
        return d.Where((_, i) => !sq.Contains(i)).ToArray();
    }

    private void SqueezeOp(bool unsqueeze)
    {
        var x = RtIn(0);
        var dims = SqueezeDims(x.Dims, AxesOf(1), unsqueeze, _node.OpType);
        ReshapeTo(x, dims);
    }

    private void TransposeOp()
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        var perm = Permutation(x.Dims);
        var dims = perm.Select(p => x.Dims[p]).ToArray();
        // Axes of size 1 may move freely: only the order of the others matters for the data.
        var moved = perm.Where(p => x.Dims[p] != 1).ToArray();
        if (moved.SequenceEqual(moved.OrderBy(v => v))) { ReshapeTo(x, dims); return; }
        SetRt(new Layers.Transpose(perm), dims, x.Node);
    }

    /// <summary>Transpose's perm (reversed axes by default), checked to be a permutation of the axes of <paramref name="d"/>.</summary>
    private int[] Permutation(int[] d)
    {
        int rank = d.Length;
        var perm = AttrInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(v => (long)v).ToArray();
        if (perm.Length != rank || !perm.OrderBy(v => v).SequenceEqual(Enumerable.Range(0, rank).Select(v => (long)v)))
            throw new ArgumentException($"perm [{string.Join(",", perm)}] is not a permutation of the {rank} axes of [{string.Join(",", d)}].");
        return perm.Select(v => (int)v).ToArray();
    }

    /// <summary>Reshape's target: the attribute before opset 5, the constant second input after.</summary>
    private long[] ReshapeShape() => _opset < 5
        ? AttrInts("shape") ?? throw new ArgumentException("the shape attribute is missing.")
        : CstIn(1, "shape").T.ToInt64s();

    private void PadOp()
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        string mode = AttrString("mode", "constant");
        long[] pads;
        float value = 0;
        if (_opset < 11)
        {
            pads = AttrInts("pads") ?? AttrInts("paddings") ?? throw new ArgumentException("pads is missing.");   // opset 1 calls them paddings
            value = AttrFloat("value", 0f);
        }
        else
        {
            pads = CstIn(1, "pads").T.ToInt64s();
            if (OptCst(2, "constant_value") is { } cv && cv.V.Length > 0) value = (float)cv.V[0];
            if (OptCst(3, "axes") is { } ax)
            {
                // Opset 18: pads for the listed axes only.
                var axes = ax.T.ToInt64s().Select(a => Axis(a, rank, "axis")).ToArray();
                if (pads.Length != 2 * axes.Length)
                    throw new ArgumentException($"pads [{string.Join(",", pads)}] must have {2 * axes.Length} values for the axes [{string.Join(",", axes)}].");
                var full = new long[2 * rank];
                for (int k = 0; k < axes.Length; k++) { full[axes[k]] = pads[k]; full[rank + axes[k]] = pads[axes.Length + k]; }
                pads = full;
            }
        }
        if (pads.Length != 2 * rank) throw new ArgumentException($"pads [{string.Join(",", pads)}] must have {2 * rank} values for a rank-{rank} input.");
        var pm = mode switch
        {
            "constant" => PaddingMode.Zero, "edge" => PaddingMode.Replicate, "reflect" => PaddingMode.Reflect, "wrap" => PaddingMode.Wrap,
            _ => throw new UnsupportedException($"Pad mode '{mode}' is not supported (constant, edge, reflect and wrap are)"),
        };
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            bool inRange = pads[i] is >= -int.MaxValue and <= int.MaxValue && pads[rank + i] is >= -int.MaxValue and <= int.MaxValue;
            long d = inRange ? x.Dims[i] + pads[i] + pads[rank + i] : -1;
            if (!inRange || d < 1 || d > int.MaxValue)
                throw new ArgumentException($"pads [{string.Join(",", pads)}] make axis {i} of [{string.Join(",", x.Dims)}] {(d < 1 ? d.ToString("N0") : "too large")}; each padded axis must keep 1 to {int.MaxValue:N0} elements.");
            dims[i] = (int)d;
        }
        var before = pads.Take(rank).Select(v => (int)v).ToArray();
        var after = pads.Skip(rank).Select(v => (int)v).ToArray();
        if (before.All(v => v == 0) && after.All(v => v == 0)) { _vals[Out] = x; return; }
        SetRt(new Pad(before, after) { Mode = pm, Value = value }, dims, x.Node);
    }

    /// <summary>A runtime box of x: an alias when it is all of x, else a Slice layer.</summary>
    private void SliceTo(Rt x, string output, int[] lo, int[] step, int[] cnt)
    {
        if (cnt.Any(v => v <= 0)) throw new UnsupportedException($"an empty slice of [{string.Join(",", x.Dims)}] is not supported");
        if (cnt.SequenceEqual(x.Dims) && step.All(v => v == 1)) { _vals[output] = x; return; }
        _vals[output] = new Rt(_b.Add(new Slice(lo, step, cnt), Unique(output), x.Node), cnt);
    }

    private void SliceOp()
    {
        var x = RtIn(0);
        var (lo, step, cnt) = SliceBox(x.Dims);
        SliceTo(x, Out, lo, step, cnt);
    }

    /// <summary>Split's part sizes along its axis (attribute before opset 13, input after; equal parts when absent).</summary>
    private (int Axis, long[] Sizes) SplitSizes(int[] dims)
    {
        int rank = dims.Length;
        int axis = Axis(AttrInt("axis", 0), rank, "axis");
        int outs = _node.Output.Count, n = dims[axis];
        long[]? split = _opset < 13 ? AttrInts("split") : OptCst(1, "split")?.T.ToInt64s();
        if (split == null || split.Length == 0)
        {
            // Equal parts; opset 18's num_outputs lets the last one be smaller.
            int part = (n + outs - 1) / outs;
            if (_opset < 18 && n % outs != 0) throw new ArgumentException($"axis {axis} of size {n} does not split into {outs} equal parts.");
            split = Enumerable.Range(0, outs).Select(i => (long)Math.Min(part, n - i * part)).ToArray();
        }
        if (split.Length != outs || split.Any(v => v < 0 || v > n) || split.Sum() != n)
            throw new ArgumentException($"split [{string.Join(",", split)}] does not divide axis {axis} of size {n} into {outs} outputs.");
        return (axis, split);
    }

    private void SplitOp()
    {
        bool constant = In(0) is Cst;
        var dims = constant ? ((Cst)In(0)!).Dims : RtIn(0).Dims;
        var (axis, split) = SplitSizes(dims);
        int start = 0;
        for (int k = 0; k < split.Length; k++)
        {
            var lo = new int[dims.Length]; var cnt = dims.ToArray(); var step = Enumerable.Repeat(1, dims.Length).ToArray();
            lo[axis] = start; cnt[axis] = (int)split[k];
            start += (int)split[k];
            string o = _node.Output[k];
            if (o == "") continue;
            if (constant)
            {
                var c = (Cst)In(0)!;
                _vals[o] = new Cst(new OnnxTensor(o, cnt, c.T.IsFloat, Box(c, lo, step, cnt)));
            }
            else SliceTo(RtIn(0), o, lo, step, cnt);
        }
    }

    /// <summary>Slice's first element, step and count per axis of a tensor of shape d (ONNX rules: negative indices
    /// count from the end, out-of-range ones are clamped).</summary>
    private (int[] Lo, int[] Step, int[] Cnt) SliceBox(int[] d)
    {
        long[] starts, ends, axes, steps;
        if (_opset < 10)
        {
            starts = AttrInts("starts") ?? throw new ArgumentException("the starts attribute is missing.");
            ends = AttrInts("ends") ?? throw new ArgumentException("the ends attribute is missing.");
            axes = AttrInts("axes") ?? Enumerable.Range(0, starts.Length).Select(v => (long)v).ToArray();
            steps = Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        else
        {
            starts = CstIn(1, "starts").T.ToInt64s(); ends = CstIn(2, "ends").T.ToInt64s();
            axes = OptCst(3, "axes")?.T.ToInt64s() ?? Enumerable.Range(0, starts.Length).Select(v => (long)v).ToArray();
            steps = OptCst(4, "steps")?.T.ToInt64s() ?? Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        if (starts == null || ends == null) throw new ArgumentException("the starts and ends attributes are required.");
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw new ArgumentException($"starts [{string.Join(",", starts)}], ends [{string.Join(",", ends)}], axes [{string.Join(",", axes)}] and steps [{string.Join(",", steps)}] must have one value each per sliced axis.");
        var lo = new int[d.Length]; var step = Enumerable.Repeat(1, d.Length).ToArray(); var cnt = d.ToArray();
        for (int k = 0; k < axes.Length; k++)
        {
            int a = Axis(axes[k], d.Length, "axis");
            long n = d[a], st = steps[k];
            if (st == 0) throw new ArgumentException("Slice step 0.");
            long s, e;
            // Steps beyond the axis take one element at most: clamped to n + 1 so that the arithmetic cannot overflow.
            st = Math.Clamp(st, -(n + 1), n + 1);
            long sStart = starts[k] == long.MinValue ? -n - 1 : starts[k], sEnd = ends[k] == long.MinValue ? -n - 1 : ends[k];
            s = sStart < 0 ? sStart + n : sStart; e = sEnd < 0 ? sEnd + n : sEnd;
            if (st > 0) { s = Math.Clamp(s, 0, n); e = Math.Clamp(e, 0, n); cnt[a] = (int)Math.Max(0, (e - s + st - 1) / st); }
            else { s = Math.Clamp(s, 0, n - 1); e = Math.Clamp(e, -1, n - 1); cnt[a] = (int)Math.Max(0, (s - e - st - 1) / -st); }
            lo[a] = (int)s; step[a] = (int)st;
        }
        return (lo, step, cnt);
    }

    private void ExpandOp()
    {
        var x = RtIn(0);
        var shape = Int32s(CstIn(1, "shape").T.ToInt64s(), "shape");
        var d = BroadcastDims(x.Dims, shape);
        if (d.SequenceEqual(x.Dims)) { _vals[Out] = x; return; }
        SetRt(new Layers.Expand(new TensorShape(shape)), d, x.Node);
    }

    private void TileOp()
    {
        var x = RtIn(0);
        var reps = Int32s(CstIn(1, "repeats").T.ToInt64s(), "repeats");
        if (reps.Length != x.Dims.Length) throw new ArgumentException($"repeats [{string.Join(",", reps)}] must have one value per axis of [{string.Join(",", x.Dims)}].");
        if (reps.All(r => r == 1)) { _vals[Out] = x; return; }
        SetRt(new Tile(reps), x.Dims.Select((v, k) => v * reps[k]).ToArray(), x.Node);
    }

    private void GatherOp()
    {
        var x = RtIn(0);
        int axis = Axis(AttrInt("axis", 0), x.Dims.Length, "axis");
        var ind = In(1)!;
        if (ind is Cst ci)
        {
            foreach (var v in ci.V)
                if (!(v >= -x.Dims[axis] && v < x.Dims[axis]))   // NaN included
                    throw new ArgumentException($"index {v} is outside axis {axis} of size {x.Dims[axis]} (data [{string.Join(",", x.Dims)}]).");
            if (ci.V.Length == 1)
            {
                // One index: a slice of that axis, its axis dropped for a scalar index.
                int k = (int)ci.V[0];
                if (k < 0) k += x.Dims[axis];
                var lo = new int[x.Dims.Length]; lo[axis] = k;
                var cnt = x.Dims.ToArray(); cnt[axis] = 1;
                SliceTo(x, Out + (ci.Dims.Length == 1 ? "" : "_slice"), lo, Enumerable.Repeat(1, x.Dims.Length).ToArray(), cnt);
                if (ci.Dims.Length != 1)
                {
                    var sliced = (Rt)_vals[Out + "_slice"];
                    var dims = x.Dims[..axis].Concat(ci.Dims).Concat(x.Dims[(axis + 1)..]).ToArray();
                    ReshapeTo(sliced, dims);
                }
                return;
            }
        }
        var outDims = x.Dims[..axis].Concat(DimsIn(1)).Concat(x.Dims[(axis + 1)..]).ToArray();
        SetRt(new Gather(axis), outDims, x.Node, NodeIn(1));
    }
}
