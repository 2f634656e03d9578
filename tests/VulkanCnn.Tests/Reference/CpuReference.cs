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

    public static float[] Apply(Layer layer, float[][] x, Shape[] s, Shape o) => layer switch
    {
        Conv2d c => Conv(c, x[0], s[0], o),
        ConvTranspose2d t => ConvTranspose(t, x[0], s[0], o),
        Dense d => DenseRef(d, x[0]),
        Pool2d p => Pool(p, x[0], s[0], o),
        GlobalPool2d g => GlobalPool(g, x[0], s[0]),
        ActivationLayer a => x[0].Select(a.Activation.Apply).ToArray(),
        PRelu pr => PReluRef(pr, x[0], s[0]),
        BatchNorm bn => BatchNormRef(bn, x[0], s[0]),
        Binary b when b.Operand != null => BinaryRef(b, x[0], s[0], b.Operand, b.OperandShape(s[0])),
        Binary b => BinaryRef(b, x[0], s[0], x[1], s[1]),
        Concat cat => ConcatRef(cat, x, s, o),
        Flatten or Identity or Reshape => (float[])x[0].Clone(),
        Constant k => (float[])k.Values.Clone(),
        Transpose t => TransposeRef(t, x[0], s[0]),
        Softmax sm => SoftmaxRef(sm, x[0], s[0]),
        Upsample u => UpsampleRef(u, x[0], s[0], o),
        Gradient g => GradientRef(g, x[0], o),
        Slice sl => SliceRef(sl, x[0], s[0], o),
        Pad pd => PadRef(pd, x[0], s[0], o),
        Lrn l => LrnRef(l, x[0], s[0]),
        InstanceNorm n => InstanceNormRef(n, x[0], s[0]),
        Reduce r => ReduceRef(r, x[0], s[0], o),
        MatMul mm => MatMulRef(mm, x[0], x[1]),
        DepthToSpace d => DepthToSpaceRef(d, x[0], s[0], o),
        SpaceToDepth d => SpaceToDepthRef(d, x[0], s[0], o),
        _ => throw new NotSupportedException(layer.GetType().Name),
    };

    public static float[] SliceRef(Slice sl, float[] x, Shape s, Shape o)
    {
        var y = new float[o.Size];
        for (int d = 0; d < o.C; d++)
            for (int h = 0; h < o.H; h++)
                for (int w = 0; w < o.W; w++)
                    y[(d * o.H + h) * o.W + w] = x[((sl.StartD + d * sl.StepD) * s.H + sl.StartH + h * sl.StepH) * s.W + sl.StartW + w * sl.StepW];
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

    public static float[] MatMulRef(MatMul mm, float[] a, float[] b)
    {
        var c = new float[(long)mm.Batch * mm.M * mm.N];
        for (int t = 0; t < mm.Batch; t++)
            for (int i = 0; i < mm.M; i++)
                for (int j = 0; j < mm.N; j++)
                {
                    double acc = 0;
                    for (int k = 0; k < mm.K; k++)
                        acc += (double)a[(t * mm.M + i) * mm.K + k] * b[((mm.ShareB ? 0 : t) * mm.K + k) * mm.N + j];
                    c[(t * mm.M + i) * mm.N + j] = (float)acc;
                }
        return c;
    }

    public static float[] ReduceRef(Reduce r, float[] x, Shape s, Shape o)
    {
        var y = new float[o.Size];
        for (int a = 0; a < o.C; a++)
            for (int b = 0; b < o.H; b++)
                for (int c = 0; c < o.W; c++)
                {
                    double acc = r.Kind switch { ReduceKind.Max => double.NegativeInfinity, ReduceKind.Min => double.PositiveInfinity, ReduceKind.Prod => 1, _ => 0 };
                    int n = 0;
                    for (int d = 0; d < (r.AxisD ? s.C : 1); d++)
                        for (int h = 0; h < (r.AxisH ? s.H : 1); h++)
                            for (int w = 0; w < (r.AxisW ? s.W : 1); w++, n++)
                            {
                                double v = x[((a + d) * s.H + b + h) * s.W + c + w];
                                acc = r.Kind switch
                                {
                                    ReduceKind.Max => Math.Max(acc, v),
                                    ReduceKind.Min => Math.Min(acc, v),
                                    ReduceKind.Prod => acc * v,
                                    ReduceKind.L1 => acc + Math.Abs(v),
                                    ReduceKind.L2 or ReduceKind.SumSquare => acc + v * v,
                                    _ => acc + v,
                                };
                            }
                    y[(a * o.H + b) * o.W + c] = (float)(r.Kind switch { ReduceKind.Mean => acc / n, ReduceKind.L2 => Math.Sqrt(acc), _ => acc });
                }
        return y;
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

    public static float[] PadRef(Pad p, float[] x, Shape s, Shape o)
    {
        var y = new float[o.Size];
        for (int d = 0; d < o.C; d++)
            for (int h = 0; h < o.H; h++)
                for (int w = 0; w < o.W; w++)
                {
                    int id = d - p.BeforeD, ih = h - p.BeforeH, iw = w - p.BeforeW;
                    bool inside = id >= 0 && id < s.C && ih >= 0 && ih < s.H && iw >= 0 && iw < s.W;
                    y[(d * o.H + h) * o.W + w] = p.Mode == PaddingMode.Zero
                        ? inside ? x[(id * s.H + ih) * s.W + iw] : p.Value
                        : x[(MapIndex(id, s.C, p.Mode) * s.H + MapIndex(ih, s.H, p.Mode)) * s.W + MapIndex(iw, s.W, p.Mode)];
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
    public static float[] BinaryRef(Binary b, float[] x, Shape s, float[] u, Shape su)
    {
        var o = new Shape(Math.Max(s.C, su.C), Math.Max(s.H, su.H), Math.Max(s.W, su.W));
        var y = new float[o.Size];
        for (int c = 0; c < o.C; c++)
            for (int h = 0; h < o.H; h++)
                for (int w = 0; w < o.W; w++)
                {
                    float xv = x[((s.C == 1 ? 0 : c) * s.H + (s.H == 1 ? 0 : h)) * s.W + (s.W == 1 ? 0 : w)];
                    float v = u[((su.C == 1 ? 0 : c) * su.H + (su.H == 1 ? 0 : h)) * su.W + (su.W == 1 ? 0 : w)];
                    float r = b.Op switch
                    {
                        BinaryOp.Add => xv + v,
                        BinaryOp.Mul => xv * v,
                        BinaryOp.Sub => xv - v,
                        BinaryOp.Div => xv / v,
                        BinaryOp.Equal => xv == v ? 1 : 0,
                        BinaryOp.Pow => (float)Math.Pow(xv, v),
                        BinaryOp.Max => Math.Max(xv, v),
                        BinaryOp.Min => Math.Min(xv, v),
                        _ => throw new NotSupportedException(b.Op.ToString()),
                    };
                    y[(c * o.H + h) * o.W + w] = b.Activation.Apply(r);
                }
        return y;
    }

    public static float[] ConcatRef(Concat cat, float[][] x, Shape[] s, Shape o)
    {
        var y = new float[o.Size];
        int at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            for (int c = 0; c < s[i].C; c++)
                for (int h = 0; h < s[i].H; h++)
                    for (int w = 0; w < s[i].W; w++)
                    {
                        int oc = c, oh = h, ow = w;
                        if (cat.Axis == ConcatAxis.Channels) oc += at; else if (cat.Axis == ConcatAxis.Height) oh += at; else ow += at;
                        y[(oc * o.H + oh) * o.W + ow] = x[i][(c * s[i].H + h) * s[i].W + w];
                    }
            at += cat.Axis == ConcatAxis.Channels ? s[i].C : cat.Axis == ConcatAxis.Height ? s[i].H : s[i].W;
        }
        return y;
    }

    public static float[] SoftmaxRef(Softmax sm, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        var y = new float[x.Length];
        for (int p = 0; p < hw; p++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < s.C; c++) max = Math.Max(max, x[c * hw + p]);
            double sum = 0;
            for (int c = 0; c < s.C; c++) sum += Math.Exp(x[c * hw + p] - max);
            for (int c = 0; c < s.C; c++)
                y[c * hw + p] = (float)(sm.Log ? x[c * hw + p] - max - Math.Log(sum) : Math.Exp(x[c * hw + p] - max) / sum);
        }
        return y;
    }

    public static float[] TransposeRef(Transpose t, float[] x, Shape s)
    {
        int[] d = { s.C, s.H, s.W }, p = t.Perm;
        var y = new float[x.Length];
        var i = new int[3];
        int k = 0;
        for (int a = 0; a < d[p[0]]; a++)
            for (int b = 0; b < d[p[1]]; b++)
                for (int c = 0; c < d[p[2]]; c++)
                {
                    i[p[0]] = a; i[p[1]] = b; i[p[2]] = c;
                    y[k++] = x[(i[0] * d[1] + i[1]) * d[2] + i[2]];
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
