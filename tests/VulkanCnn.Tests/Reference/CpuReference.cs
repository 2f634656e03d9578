// The oracle: plain, obviously-correct C# implementations of every layer, written from the definitions (loops over
// output elements, double accumulation), sharing no code with the GPU path beyond the layer records.
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Reference;

public static class CpuReference
{
    /// <summary>Evaluates every node of <paramref name="net"/> (unoptimised) and returns the outputs in order.</summary>
    public static float[][] Run(Network net, params float[][] inputs)
    {
        var values = new float[net.Nodes.Count][];
        int inputIndex = 0;
        foreach (var n in net.Nodes)
        {
            var ins = n.Inputs.Select(i => values[i]).ToArray();
            var shapes = n.Inputs.Select(i => net.Nodes[i].OutputShape).ToArray();
            values[n.Id] = n.Layer switch
            {
                InputLayer => inputs[inputIndex++],
                _ => Apply(n.Layer, ins, shapes, n.OutputShape),
            };
        }
        return net.OutputIds.Select(i => values[i]).ToArray();
    }

    public static float[] Apply(Layer layer, float[][] x, TensorShape[] s, TensorShape o) => layer switch
    {
        Conv2d c => PerImage(x[0], s[0], o, (xi, si, oi) => Conv(c, xi, si, oi)),
        ConvTranspose2d t => PerImage(x[0], s[0], o, (xi, si, oi) => ConvTranspose(t, xi, si, oi)),
        Dense d => PerRow(x[0], s[0], o, xi => DenseRef(d, xi)),
        Pool2d p => PerImage(x[0], s[0], o, (xi, si, oi) => Pool(p, xi, si, oi)),
        GlobalPool2d g => PerImage(x[0], s[0], o, (xi, si, _) => GlobalPool(g, xi, si)),
        ActivationLayer a => x[0].Select(a.Activation.Apply).ToArray(),
        PRelu pr => PerImage(x[0], ChannelView(s[0]), ChannelView(o), (xi, si, _) => PReluRef(pr, xi, si)),
        BatchNorm bn => PerImage(x[0], ChannelView(s[0]), ChannelView(o), (xi, si, _) => BatchNormRef(bn, xi, si)),
        Binary b when b.Operand != null => BroadcastRef(b, x[0], s[0], b.Operand, b.OperandShape(s[0]), o),
        Binary b => BroadcastRef(b, x[0], s[0], x[1], s[1], o),
        Concat cat => ConcatRef(cat, x, s, o),
        Flatten or Identity or Reshape => (float[])x[0].Clone(),
        Constant k => (float[])k.Values.Clone(),
        Transpose t => TransposeRef(t, x[0], s[0], o),
        Softmax sm => SoftmaxRef(sm, x[0], s[0]),
        Upsample u => PerImage(x[0], s[0], o, (xi, si, oi) => UpsampleRef(u, xi, si, oi)),
        Gradient g => PerImage(x[0], s[0], o, (xi, _, oi) => GradientRef(g, xi, oi)),
        Slice sl => SliceRef(sl, x[0], s[0], o),
        Pad pd => PadRef(pd, x[0], s[0], o),
        Lrn l => PerImage(x[0], ChannelView(s[0]), ChannelView(o), (xi, si, _) => LrnRef(l, xi, si)),
        InstanceNorm n => PerImage(x[0], ChannelView(s[0]), ChannelView(o), (xi, si, _) => InstanceNormRef(n, xi, si)),
        Reduce r => ReduceRef(r, x[0], s[0], o),
        MatMul => MatMulRef(x[0], s[0], x[1], s[1], o),
        DepthToSpace d => PerImage(x[0], s[0], o, (xi, si, oi) => DepthToSpaceRef(d, xi, si, oi)),
        SpaceToDepth d => PerImage(x[0], s[0], o, (xi, si, oi) => SpaceToDepthRef(d, xi, si, oi)),
        Linear l => LinearRef(l, x[0], s[0]),
        Expand => ExpandRef(x[0], s[0], o),
        Tile => TileRef(x[0], s[0], o),
        Gather g => GatherRef(g, x[0], s[0], x[1], o),
        GatherElements ge => GatherElementsRef(ge, x[0], s[0], x[1], o),
        Where => WhereRef(x, s, o),
        LayerNorm ln => LayerNormRef(ln, x[0], s[0]),
        AlongAxis a => AlongAxisRef(a, x[0], s[0], o),
        _ => throw new NotSupportedException(layer.GetType().Name),
    };

    /// <summary>The element of a tensor of shape <paramref name="t"/> that broadcasts to output index <paramref name="oi"/>.</summary>
    private static long BroadcastSource(int[] oi, TensorShape t, int outRank) =>
        Flat(Enumerable.Range(0, t.Rank).Select(k => t[k] == 1 ? 0 : oi[k + outRank - t.Rank]).ToArray(), t);

    /// <summary>y[r, j] = Σ_k x[r, k]·W[j, k] + b[j] over the last axis.</summary>
    public static float[] LinearRef(Linear l, float[] x, TensorShape s)
    {
        int k = s[-1], n = l.OutFeatures, rows = x.Length / k;
        var y = new float[rows * n];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++)
            {
                double acc = l.Bias?[j] ?? 0;
                for (int t = 0; t < k; t++) acc += (double)x[r * k + t] * l.Weights[j * k + t];
                y[r * n + j] = l.Activation.Apply((float)acc);
            }
        return y;
    }

    public static float[] ExpandRef(float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++) y[i] = x[BroadcastSource(Index(i, o), s, o.Rank)];
        return y;
    }

    public static float[] TileRef(float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Index(i, o);
            for (int k = 0; k < idx.Length; k++) idx[k] %= s[k];
            y[i] = x[Flat(idx, s)];
        }
        return y;
    }

    public static float[] GatherRef(Gather g, float[] x, TensorShape s, float[] indices, TensorShape o)
    {
        int axis = g.Axis < 0 ? g.Axis + s.Rank : g.Axis;
        int ir = o.Rank - s.Rank + 1;   // rank of the indices
        var y = new float[o.ElementCount];
        var ishape = new TensorShape(o.ToArray()[axis..(axis + ir)]);
        for (long i = 0; i < y.Length; i++)
        {
            var oi = Index(i, o);
            int k = (int)indices[Flat(oi[axis..(axis + ir)], ishape)];
            if (k < 0) k += s[axis];
            var si = oi[..axis].Append(k).Concat(oi[(axis + ir)..]).ToArray();
            y[i] = x[Flat(si, s)];
        }
        return y;
    }

    public static float[] GatherElementsRef(GatherElements g, float[] x, TensorShape s, float[] indices, TensorShape o)
    {
        int axis = g.Axis < 0 ? g.Axis + s.Rank : g.Axis;
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Index(i, o);
            int k = (int)indices[i];
            idx[axis] = k < 0 ? k + s[axis] : k;
            y[i] = x[Flat(idx, s)];
        }
        return y;
    }

    public static float[] WhereRef(float[][] x, TensorShape[] s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var oi = Index(i, o);
            y[i] = x[0][BroadcastSource(oi, s[0], o.Rank)] != 0 ? x[1][BroadcastSource(oi, s[1], o.Rank)] : x[2][BroadcastSource(oi, s[2], o.Rank)];
        }
        return y;
    }

    public static float[] LayerNormRef(LayerNorm ln, float[] x, TensorShape s)
    {
        int axis = ln.Axis < 0 ? ln.Axis + s.Rank : ln.Axis;
        int n = (int)s.Product(axis, s.Rank);
        var y = new float[x.Length];
        for (int r = 0; r < x.Length / n; r++)
        {
            double mean = 0, var = 0;
            for (int j = 0; j < n; j++) mean += x[r * n + j];
            mean /= n;
            for (int j = 0; j < n; j++) var += (x[r * n + j] - mean) * (x[r * n + j] - mean);
            var /= n;
            for (int j = 0; j < n; j++)
                y[r * n + j] = (float)((x[r * n + j] - mean) / Math.Sqrt(var + ln.Epsilon) * (ln.Scale?[j] ?? 1) + (ln.Bias?[j] ?? 0));
        }
        return y;
    }

    public static float[] AlongAxisRef(AlongAxis a, float[] x, TensorShape s, TensorShape o)
    {
        int axis = a.Axis < 0 ? a.Axis + s.Rank : a.Axis;
        long inner = s.Product(axis + 1, s.Rank), outer = s.Product(0, axis);
        int c = s[axis];
        var y = new float[o.ElementCount];
        for (long q = 0; q < outer; q++)
            for (long i = 0; i < inner; i++)
            {
                long At(int k) => (q * c + k) * inner + i;
                if (a.Op is AxisOp.TopKValues or AxisOp.TopKIndices)
                {
                    // Sort the line's indices by value (best first), equal values by index, and keep K.
                    var order = Enumerable.Range(0, c).OrderBy(k => a.Smallest ? x[At(k)] : -x[At(k)]).ThenBy(k => k).Take(a.K).ToArray();
                    for (int j = 0; j < a.K; j++)
                        y[(q * a.K + j) * inner + i] = a.Op == AxisOp.TopKValues ? x[At(order[j])] : order[j];
                    continue;
                }
                if (a.Op == AxisOp.CumSum)
                {
                    double acc = 0;
                    for (int t = 0; t < c; t++)
                    {
                        int k = a.Reverse ? c - 1 - t : t;
                        if (a.Exclusive) { y[At(k)] = (float)acc; acc += x[At(k)]; }
                        else { acc += x[At(k)]; y[At(k)] = (float)acc; }
                    }
                    continue;
                }
                int best = 0;
                for (int k = 1; k < c; k++)
                {
                    float v = x[At(k)], b = x[At(best)];
                    bool better = a.Op == AxisOp.ArgMin ? (a.SelectLast ? v <= b : v < b) : (a.SelectLast ? v >= b : v > b);
                    if (better) best = k;
                }
                if (a.Op == AxisOp.Hardmax) for (int k = 0; k < c; k++) y[At(k)] = k == best ? 1 : 0;
                else y[q * inner + i] = best;
            }
        return y;
    }

    /// <summary>[N, C, H, W] (or [N, C, L] as H = 1) as N images (C, H, W).</summary>
    private static (int N, Shape S) Image(TensorShape t) =>
        t.Rank == 4 ? (t[0], new Shape(t[1], t[2], t[3])) : t.Rank == 3 ? (t[0], new Shape(t[1], 1, t[2])) : throw new ArgumentException($"not an image batch: {t}");

    /// <summary>[N, C, rest...] as N images (C, product of the rest, 1); rank 1 as one image of 1 channel.</summary>
    private static TensorShape ChannelView(TensorShape t) =>
        t.Rank >= 2 ? new TensorShape(t[0], t[1], (int)t.Product(2, t.Rank), 1) : new TensorShape(1, 1, t[0], 1);

    /// <summary>Applies a per-image reference to each batch item and concatenates the results.</summary>
    private static float[] PerImage(float[] x, TensorShape s, TensorShape o, Func<float[], Shape, Shape, float[]> f)
    {
        var (n, si) = Image(s);
        var (_, oi) = Image(o);
        var y = new float[o.ElementCount];
        for (int b = 0; b < n; b++)
            f(x.AsSpan((int)(b * si.Size), (int)si.Size).ToArray(), si, oi).CopyTo(y, b * oi.Size);
        return y;
    }

    /// <summary>Dense on [B, ...]: each batch item's values flattened.</summary>
    private static float[] PerRow(float[] x, TensorShape s, TensorShape o, Func<float[], float[]> f)
    {
        int b = s.Rank <= 1 ? 1 : s[0];
        int n = x.Length / b, k = (int)(o.ElementCount / b);
        var y = new float[o.ElementCount];
        for (int i = 0; i < b; i++) f(x.AsSpan(i * n, n).ToArray()).CopyTo(y, i * k);
        return y;
    }

    /// <summary>The multi-index of flat element <paramref name="i"/> of <paramref name="s"/>.</summary>
    private static int[] Index(long i, TensorShape s)
    {
        var idx = new int[s.Rank];
        for (int k = s.Rank - 1; k >= 0; k--) { idx[k] = (int)(i % s[k]); i /= s[k]; }
        return idx;
    }

    private static long Flat(int[] idx, TensorShape s)
    {
        long f = 0;
        for (int k = 0; k < s.Rank; k++) f = f * s[k] + idx[k];
        return f;
    }

    /// <summary>numpy broadcasting: output index aligned at the last axis, size-1 axes read at 0.</summary>
    public static float[] BroadcastRef(Binary b, float[] x, TensorShape sx, float[] u, TensorShape su, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var oi = Index(i, o);
            float xv = x[BroadcastSource(oi, sx, o.Rank)], v = u[BroadcastSource(oi, su, o.Rank)];
            y[i] = b.Activation.Apply(BinaryValue(b.Op, xv, v));
        }
        return y;
    }

    private static float BinaryValue(BinaryOp op, float xv, float v) => op switch
    {
        BinaryOp.Add => xv + v,
        BinaryOp.Sub => xv - v,
        BinaryOp.Mul => xv * v,
        BinaryOp.Div => xv / v,
        BinaryOp.Max => float.IsNaN(xv) || float.IsNaN(v) ? float.NaN : Math.Max(xv, v),
        BinaryOp.Min => float.IsNaN(xv) || float.IsNaN(v) ? float.NaN : Math.Min(xv, v),
        BinaryOp.Less => xv < v ? 1 : 0,
        BinaryOp.Greater => xv > v ? 1 : 0,
        BinaryOp.LessOrEqual => xv <= v ? 1 : 0,
        BinaryOp.GreaterOrEqual => xv >= v ? 1 : 0,
        BinaryOp.And => xv != 0 && v != 0 ? 1 : 0,
        BinaryOp.Or => xv != 0 || v != 0 ? 1 : 0,
        BinaryOp.Xor => (xv != 0) != (v != 0) ? 1 : 0,
        BinaryOp.Equal => xv == v ? 1 : 0,
        BinaryOp.Pow => v == 0 ? 1 : xv < 0 && v != Math.Floor(v) ? float.NaN : (float)Math.Pow(xv, v),
        _ => throw new NotSupportedException(op.ToString()),
    };

    public static float[] SliceRef(Slice sl, float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Index(i, o);
            for (int k = 0; k < idx.Length; k++) idx[k] = sl.Starts[k] + idx[k] * sl.Steps[k];
            y[i] = x[Flat(idx, s)];
        }
        return y;
    }

    public static float[] LrnRef(Lrn l, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        var y = new float[x.Length];
        for (int c = 0; c < s.C; c++)
            for (int i = 0; i < hw; i++)
            {
                double sum = 0;
                for (int k = Math.Max(0, c - (l.Size - 1) / 2); k <= Math.Min(s.C - 1, c + l.Size / 2); k++) sum += (double)x[k * hw + i] * x[k * hw + i];
                y[c * hw + i] = (float)(x[c * hw + i] / Math.Pow(l.Bias + l.Alpha / l.Size * sum, l.Beta));
            }
        return y;
    }

    public static float[] InstanceNormRef(InstanceNorm n, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        var y = new float[x.Length];
        for (int c = 0; c < s.C; c++)
        {
            double mean = 0, v = 0;
            for (int i = 0; i < hw; i++) mean += x[c * hw + i];
            mean /= hw;
            for (int i = 0; i < hw; i++) v += (x[c * hw + i] - mean) * (x[c * hw + i] - mean);
            v /= hw;
            for (int i = 0; i < hw; i++) y[c * hw + i] = (float)(n.Scale[c] * (x[c * hw + i] - mean) / Math.Sqrt(v + n.Epsilon) + n.Bias[c]);
        }
        return y;
    }

    /// <summary>numpy matmul with batch broadcasting, from the definition.</summary>
    public static float[] MatMulRef(float[] a, TensorShape sa, float[] b, TensorShape sb, TensorShape o)
    {
        var ad = sa.Rank == 1 ? new[] { 1, sa[0] } : sa.ToArray();
        var bd = sb.Rank == 1 ? new[] { sb[0], 1 } : sb.ToArray();
        int m = ad[^2], k = ad[^1], n = bd[^1];
        var ab = new TensorShape(ad[..^2]); var bb = new TensorShape(bd[..^2]);
        int r = Math.Max(ab.Rank, bb.Rank);
        var ob = new int[r];
        for (int q = 0; q < r; q++)
        {
            int u = q - (r - ab.Rank) >= 0 ? ab[q - (r - ab.Rank)] : 1, v = q - (r - bb.Rank) >= 0 ? bb[q - (r - bb.Rank)] : 1;
            ob[q] = Math.Max(u, v);
        }
        var obs = new TensorShape(ob);
        var y = new float[obs.ElementCount * m * n];
        for (long bi = 0; bi < obs.ElementCount; bi++)
        {
            var idx = Index(bi, obs);
            long ia = Flat(Enumerable.Range(0, ab.Rank).Select(q => ab[q] == 1 ? 0 : idx[q + r - ab.Rank]).ToArray(), ab);
            long ib = Flat(Enumerable.Range(0, bb.Rank).Select(q => bb[q] == 1 ? 0 : idx[q + r - bb.Rank]).ToArray(), bb);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int t = 0; t < k; t++) acc += (double)a[ia * m * k + i * k + t] * b[ib * k * n + t * n + j];
                    y[bi * m * n + i * n + j] = (float)acc;
                }
        }
        return y;
    }

    public static float[] ReduceRef(Reduce r, float[] x, TensorShape s, TensorShape o)
    {
        var axes = r.Axes.Length == 0 ? Enumerable.Range(0, s.Rank).ToHashSet() : r.Axes.Select(a => a < 0 ? a + s.Rank : a).ToHashSet();
        var kept = new TensorShape(Enumerable.Range(0, s.Rank).Select(k => axes.Contains(k) ? 1 : s[k]).ToArray());
        var acc = new double[kept.ElementCount];
        var count = new long[kept.ElementCount];
        for (int q = 0; q < acc.Length; q++) acc[q] = r.Kind switch { ReduceKind.Max => double.NegativeInfinity, ReduceKind.Min => double.PositiveInfinity, ReduceKind.Prod => 1, _ => 0 };
        for (long i = 0; i < x.Length; i++)
        {
            var idx = Index(i, s);
            foreach (var a in axes) idx[a] = 0;
            long t = Flat(idx, kept);
            double v = x[i];
            count[t]++;
            acc[t] = r.Kind switch
            {
                ReduceKind.Max => Math.Max(acc[t], v),
                ReduceKind.Min => Math.Min(acc[t], v),
                ReduceKind.Prod => acc[t] * v,
                ReduceKind.L1 => acc[t] + Math.Abs(v),
                ReduceKind.L2 or ReduceKind.SumSquare => acc[t] + v * v,
                _ => acc[t] + v,
            };
        }
        return acc.Select((v, q) => (float)(r.Kind switch { ReduceKind.Mean => v / count[q], ReduceKind.L2 => Math.Sqrt(v), _ => v })).ToArray();
    }

    public static float[] DepthToSpaceRef(DepthToSpace d, float[] x, Shape s, Shape o)
    {
        int bs = d.BlockSize;
        var y = new float[o.Size];
        for (int c = 0; c < o.C; c++)
            for (int h = 0; h < o.H; h++)
                for (int w = 0; w < o.W; w++)
                {
                    int sub = (h % bs) * bs + w % bs;
                    int ic = d.Crd ? c * bs * bs + sub : sub * o.C + c;
                    y[(c * o.H + h) * o.W + w] = x[(ic * s.H + h / bs) * s.W + w / bs];
                }
        return y;
    }

    public static float[] SpaceToDepthRef(SpaceToDepth d, float[] x, Shape s, Shape o)
    {
        int bs = d.BlockSize;
        var y = new float[o.Size];
        for (int c = 0; c < s.C; c++)
            for (int h = 0; h < s.H; h++)
                for (int w = 0; w < s.W; w++)
                    y[((((h % bs) * bs + w % bs) * s.C + c) * o.H + h / bs) * o.W + w / bs] = x[(c * s.H + h) * s.W + w];
        return y;
    }

    public static float[] PadRef(Pad p, float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Index(i, o);
            bool inside = true;
            for (int k = 0; k < idx.Length; k++)
            {
                idx[k] -= p.Before[k];
                if (idx[k] < 0 || idx[k] >= s[k])
                {
                    inside = false;
                    if (p.Mode != PaddingMode.Zero) idx[k] = MapIndex(idx[k], s[k], p.Mode);
                }
            }
            y[i] = p.Mode == PaddingMode.Zero && !inside ? p.Value : x[Flat(idx, s)];
        }
        return y;
    }

    private static int MapIndex(int i, int n, PaddingMode mode)
    {
        if (mode == PaddingMode.Replicate) return Math.Clamp(i, 0, n - 1);
        if (mode == PaddingMode.Wrap) return ((i % n) + n) % n;
        if (mode == PaddingMode.Reflect)
        {
            // Mirror about the border pixel without repeating it: -1 -> 1, n -> n-2.
            while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
            return i;
        }
        return i;
    }

    public static float[] Conv(Conv2d c, float[] x, Shape s, Shape o)
    {
        var y = new float[o.Size];
        int cg = s.C / c.Groups, kg = c.OutChannels / c.Groups;
        for (int k = 0; k < o.C; k++)
        {
            int g = k / kg;
            for (int oy = 0; oy < o.H; oy++)
                for (int ox = 0; ox < o.W; ox++)
                {
                    double acc = c.Bias?[k] ?? 0;
                    for (int ci = 0; ci < cg; ci++)
                        for (int ky = 0; ky < c.KernelH; ky++)
                            for (int kx = 0; kx < c.KernelW; kx++)
                            {
                                int iy = oy * c.StrideH - c.PadTop + ky * c.DilationH;
                                int ix = ox * c.StrideW - c.PadLeft + kx * c.DilationW;
                                if (c.PaddingMode == PaddingMode.Zero)
                                {
                                    if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) continue;
                                }
                                else { iy = MapIndex(iy, s.H, c.PaddingMode); ix = MapIndex(ix, s.W, c.PaddingMode); }
                                double w = c.Weights[((k * cg + ci) * c.KernelH + ky) * c.KernelW + kx];
                                acc += w * x[((g * cg + ci) * s.H + iy) * s.W + ix];
                            }
                    y[(k * o.H + oy) * o.W + ox] = c.Activation.Apply((float)acc);
                }
        }
        return y;
    }

    public static float[] ConvTranspose(ConvTranspose2d t, float[] x, Shape s, Shape o)
    {
        // Scatter form, straight from the definition: every input pixel adds its weighted kernel to the output.
        var acc = new double[o.Size];
        int cg = s.C / t.Groups, kg = t.OutChannels / t.Groups;
        for (int ci = 0; ci < s.C; ci++)
        {
            int g = ci / cg;
            for (int iy = 0; iy < s.H; iy++)
                for (int ix = 0; ix < s.W; ix++)
                {
                    double v = x[(ci * s.H + iy) * s.W + ix];
                    for (int kk = 0; kk < kg; kk++)
                        for (int ky = 0; ky < t.KernelH; ky++)
                            for (int kx = 0; kx < t.KernelW; kx++)
                            {
                                int oy = iy * t.StrideH - t.PadTop + ky * t.DilationH;
                                int ox = ix * t.StrideW - t.PadLeft + kx * t.DilationW;
                                if (oy < 0 || oy >= o.H || ox < 0 || ox >= o.W) continue;
                                int k = g * kg + kk;
                                acc[(k * o.H + oy) * o.W + ox] += v * t.Weights[((ci * kg + kk) * t.KernelH + ky) * t.KernelW + kx];
                            }
                }
        }
        var y = new float[o.Size];
        for (int k = 0; k < o.C; k++)
            for (int p = 0; p < o.H * o.W; p++)
                y[k * o.H * o.W + p] = t.Activation.Apply((float)(acc[k * o.H * o.W + p] + (t.Bias?[k] ?? 0)));
        return y;
    }

    public static float[] DenseRef(Dense d, float[] x)
    {
        var y = new float[d.OutFeatures];
        for (int k = 0; k < d.OutFeatures; k++)
        {
            double acc = d.Bias?[k] ?? 0;
            for (int i = 0; i < x.Length; i++) acc += (double)d.Weights[(long)k * x.Length + i] * x[i];
            y[k] = d.Activation.Apply((float)acc);
        }
        return y;
    }

    public static float[] Pool(Pool2d p, float[] x, Shape s, Shape o)
    {
        var y = new float[o.Size];
        for (int c = 0; c < o.C; c++)
            for (int oy = 0; oy < o.H; oy++)
                for (int ox = 0; ox < o.W; ox++)
                {
                    double sum = 0, max = double.NegativeInfinity;
                    int n = 0, cells = 0;
                    for (int ky = 0; ky < p.KernelH; ky++)
                        for (int kx = 0; kx < p.KernelW; kx++)
                        {
                            int iy = oy * p.StrideH - p.PadTop + ky, ix = ox * p.StrideW - p.PadLeft + kx;
                            // Cells inside the padded input count for count_include_pad; cells past it never do.
                            if (iy < s.H + p.PadBottom && ix < s.W + p.PadRight) cells++;
                            if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) continue;
                            double v = x[(c * s.H + iy) * s.W + ix];
                            sum += v; max = Math.Max(max, v); n++;
                        }
                    y[(c * o.H + oy) * o.W + ox] = p.Kind == PoolKind.Max ? (float)max : (float)(sum / (p.CountIncludePad ? cells : n));
                }
        return y;
    }

    public static float[] GlobalPool(GlobalPool2d g, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        var y = new float[s.C];
        for (int c = 0; c < s.C; c++)
        {
            var seg = x.AsSpan(c * hw, hw).ToArray();
            y[c] = g.Kind == PoolKind.Max ? seg.Max() : (float)(seg.Sum(v => (double)v) / hw);
        }
        return y;
    }

    public static float[] PReluRef(PRelu p, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        return x.Select((v, i) => v >= 0 ? v : v * p.Slopes[p.Slopes.Length == 1 ? 0 : i / hw]).ToArray();
    }

    public static float[] BatchNormRef(BatchNorm bn, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / hw;
            double v = (x[i] - bn.Mean[c]) / Math.Sqrt(bn.Variance[c] + bn.Epsilon) * bn.Scale[c] + bn.Shift[c];
            y[i] = bn.Activation.Apply((float)v);
        }
        return y;
    }

    /// <summary>numpy broadcasting over (D,H,W): the output takes the larger size of each dimension; an operand of size 1
    /// along a dimension repeats its value.</summary>

    public static float[] ConcatRef(Concat cat, float[][] x, TensorShape[] s, TensorShape o)
    {
        int axis = cat.Axis < 0 ? cat.Axis + o.Rank : cat.Axis;
        var y = new float[o.ElementCount];
        int at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            for (long e = 0; e < x[i].Length; e++)
            {
                var idx = Index(e, s[i]);
                idx[axis] += at;
                y[Flat(idx, o)] = x[i][e];
            }
            at += s[i][axis];
        }
        return y;
    }

    public static float[] SoftmaxRef(Softmax sm, float[] x, TensorShape s)
    {
        int axis = sm.Axis < 0 ? sm.Axis + s.Rank : sm.Axis;
        long inner = s.Product(axis + 1, s.Rank), outer = s.Product(0, axis);
        int c = s[axis];
        var y = new float[x.Length];
        for (long o = 0; o < outer; o++)
            for (long p = 0; p < inner; p++)
            {
                long b = o * c * inner + p;
                double max = double.NegativeInfinity;
                for (int k = 0; k < c; k++) max = Math.Max(max, x[b + k * inner]);
                double sum = 0;
                for (int k = 0; k < c; k++) sum += Math.Exp(x[b + k * inner] - max);
                for (int k = 0; k < c; k++)
                    y[b + k * inner] = (float)(sm.Log ? x[b + k * inner] - max - Math.Log(sum) : Math.Exp(x[b + k * inner] - max) / sum);
            }
        return y;
    }

    public static float[] TransposeRef(Transpose t, float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[x.Length];
        for (long i = 0; i < y.Length; i++)
        {
            var oi = Index(i, o);
            var si = new int[s.Rank];
            for (int k = 0; k < oi.Length; k++) si[t.Perm[k]] = oi[k];
            y[i] = x[Flat(si, s)];
        }
        return y;
    }

    public static float[] UpsampleRef(Upsample u, float[] x, Shape s, Shape o)
    {
        var y = new float[o.Size];
        double sy = u.OutH.HasValue ? (double)o.H / s.H : u.ScaleH, sx = u.OutW.HasValue ? (double)o.W / s.W : u.ScaleW;
        double Src(int oc, int inSize, int outSize, double scale) => u.Coordinates switch
        {
            CoordinateMode.AlignCorners => outSize > 1 ? oc * (inSize - 1.0) / (outSize - 1.0) : 0,
            CoordinateMode.Asymmetric => oc / scale,
            _ => (oc + 0.5) / scale - 0.5,
        };
        for (int c = 0; c < o.C; c++)
            for (int oy = 0; oy < o.H; oy++)
                for (int ox = 0; ox < o.W; ox++)
                {
                    float v;
                    if (u.Mode == UpsampleMode.Nearest)
                    {
                        int iy = Math.Min((int)Math.Floor(oy / sy), s.H - 1), ix = Math.Min((int)Math.Floor(ox / sx), s.W - 1);
                        v = x[(c * s.H + iy) * s.W + ix];
                    }
                    else
                    {
                        double fy = Math.Clamp(Src(oy, s.H, o.H, sy), 0, s.H - 1), fx = Math.Clamp(Src(ox, s.W, o.W, sx), 0, s.W - 1);
                        int y0 = (int)Math.Floor(fy), x0 = (int)Math.Floor(fx);
                        int y1 = Math.Min(y0 + 1, s.H - 1), x1 = Math.Min(x0 + 1, s.W - 1);
                        double ly = fy - y0, lx = fx - x0;
                        double At(int yy, int xx) => x[(c * s.H + yy) * s.W + xx];
                        v = (float)((At(y0, x0) * (1 - lx) + At(y0, x1) * lx) * (1 - ly) + (At(y1, x0) * (1 - lx) + At(y1, x1) * lx) * ly);
                    }
                    y[(c * o.H + oy) * o.W + ox] = v;
                }
        return y;
    }

    /// <summary>Channel c of the output from input channels 2c (fx) and 2c+1 (fy): strength or direction atan2(fy, fx),
    /// with the layer's convention of 0 where fx = fy = 0 and π (not −π) on the negative fx axis.</summary>
    public static float[] GradientRef(Gradient g, float[] x, Shape o)
    {
        int hw = o.H * o.W;
        var y = new float[o.Size];
        for (int c = 0; c < o.C; c++)
            for (int p = 0; p < hw; p++)
            {
                double fx = x[2 * c * hw + p], fy = x[(2 * c + 1) * hw + p];
                y[c * hw + p] = (float)(g.Mode == GradientMode.Magnitude
                    ? Math.Sqrt(fx * fx + fy * fy)
                    : fy == 0 ? (fx < 0 ? Math.PI : 0) : Math.Atan2(fy, fx));
            }
        return y;
    }
}
