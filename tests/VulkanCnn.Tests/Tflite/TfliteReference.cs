// A plain C# interpreter of TFLite models, NHWC throughout, written from TFLite's operator definitions (reference
// kernels' formulas: ComputeOutSize / ComputePaddingWithOffset padding, resize's clamped neighbours, pools over the
// in-bounds cells only). It shares only the flatbuffer reader with the importer: no layer, no layout change, no
// weight re-ordering, so it is an independent oracle for the GPU result of an imported model.
using VulkanCnn.Tflite;

namespace VulkanCnn.Tests.Tflite;

public static class TfliteReference
{
    private sealed record T(int[] S, float[] D)
    {
        public int this[int i] => S[i];
    }

    /// <summary>Runs <paramref name="m"/> on the given inputs (NHWC, in input order) and returns every output.</summary>
    public static float[][] Run(TfliteModel m, params float[][] inputs)
    {
        var v = new T?[m.Tensors.Count];
        foreach (var t in m.Tensors)
        {
            var bytes = m.Data(t).Span;
            if (bytes.Length == 0) continue;
            int n = t.Shape.Aggregate(1, (a, d) => a * d);
            var d = new float[n];
            for (int i = 0; i < n; i++)
                d[i] = t.Type switch
                {
                    TfliteType.Float32 => BitConverter.ToSingle(bytes.Slice(4 * i, 4)),
                    TfliteType.Float16 => (float)BitConverter.ToHalf(bytes.Slice(2 * i, 2)),
                    TfliteType.Int32 => BitConverter.ToInt32(bytes.Slice(4 * i, 4)),
                    _ => throw new NotSupportedException($"reference: constant type {t.Type}"),
                };
            v[t.Index] = new T(t.Shape, d);
        }
        for (int i = 0; i < m.Inputs.Count; i++) v[m.Inputs[i]] = new T(m.Tensors[m.Inputs[i]].Shape, inputs[i]);
        foreach (var op in m.Operators)
        {
            T In(int i) => v[op.Inputs[i]] ?? throw new InvalidOperationException($"operator {op.Index}: input {i} not computed");
            var outShape = m.Tensors[op.Outputs[0]].Shape;
            var o = op.Options;
            T r = op.Code.Name switch
            {
                "DEQUANTIZE" => In(0),
                "CONV_2D" => Conv(In(0), In(1), op.Inputs.Length > 2 && op.Inputs[2] >= 0 ? In(2) : null, o!.Value.Byte(0) == 0, o.Value.Int(2, 1), o.Value.Int(1, 1),
                                  o.Value.Int(5, 1), o.Value.Int(4, 1), o.Value.Byte(3), 0),
                "DEPTHWISE_CONV_2D" => Conv(In(0), In(1), op.Inputs.Length > 2 && op.Inputs[2] >= 0 ? In(2) : null, o!.Value.Byte(0) == 0, o.Value.Int(2, 1), o.Value.Int(1, 1),
                                  o.Value.Int(6, 1), o.Value.Int(5, 1), o.Value.Byte(4), o.Value.Int(3, 1)),
                "TRANSPOSE_CONV" => TransposeConv(In(2), In(1), op.Inputs.Length > 3 && op.Inputs[3] >= 0 ? In(3) : null, outShape, o!.Value.Byte(0) == 0, o.Value.Int(2, 1), o.Value.Int(1, 1), o.Value.Byte(3)),
                "Convolution2DTransposeBias" => TransposeConv(In(0), In(1), In(2), outShape, BitConverter.ToInt32(op.CustomOptions.Span[..4]) == 1,
                                  BitConverter.ToInt32(op.CustomOptions.Span.Slice(8, 4)), BitConverter.ToInt32(op.CustomOptions.Span.Slice(4, 4)), 0),
                "MAX_POOL_2D" or "AVERAGE_POOL_2D" => Pool(In(0), op.Code.Name == "MAX_POOL_2D", o!.Value.Byte(0) == 0, o.Value.Int(2, 1), o.Value.Int(1, 1), o.Value.Int(4), o.Value.Int(3), o.Value.Byte(5)),
                "ADD" => Broadcast(In(0), In(1), (a, b) => a + b, o?.Byte(0) ?? 0),
                "SUB" => Broadcast(In(0), In(1), (a, b) => a - b, o?.Byte(0) ?? 0),
                "MUL" => Broadcast(In(0), In(1), (a, b) => a * b, o?.Byte(0) ?? 0),
                "DIV" => Broadcast(In(0), In(1), (a, b) => a / b, o?.Byte(0) ?? 0),
                "PRELU" => Broadcast(In(0), In(1), (x, a) => x >= 0 ? x : x * a, 0),
                "RELU" => Map(In(0), x => Math.Max(x, 0)),
                "RELU6" => Map(In(0), x => Math.Min(Math.Max(x, 0), 6)),
                "LOGISTIC" => Map(In(0), x => 1f / (1f + MathF.Exp(-x))),
                "TANH" => Map(In(0), MathF.Tanh),
                "HARD_SWISH" => Map(In(0), x => x * Math.Min(Math.Max(x + 3, 0), 6) / 6),
                "RESIZE_BILINEAR" => Resize(In(0), (int)In(1).D[0], (int)In(1).D[1], o?.Bool(2) ?? false, o?.Bool(3) ?? false),
                "MEAN" => Mean(In(0), In(1).D.Select(a => (int)a).ToArray(), outShape),
                "PAD" => Pad(In(0), In(1).D.Select(a => (int)a).ToArray()),
                "CONCATENATION" => Concat(op.Inputs.Select(i => v[i]!).ToArray(), o!.Value.Int(0), o.Value.Byte(1)),
                "RESHAPE" => new T(outShape, In(0).D),
                _ => throw new NotSupportedException($"reference: operator {op.Code.Name}"),
            };
            if (r.D.Length != outShape.Aggregate(1, (a, d) => a * d))
                throw new InvalidOperationException($"reference: operator {op.Index} ({op.Code.Name}) computed {r.D.Length} values for [{string.Join(",", outShape)}]");
            v[op.Outputs[0]] = new T(outShape, r.D);
        }
        return m.Outputs.Select(i => v[i]!.D).ToArray();
    }

    private static float Act(float x, int code) => code switch
    {
        0 => x,
        1 => Math.Max(x, 0),
        2 => Math.Min(Math.Max(x, -1), 1),
        3 => Math.Min(Math.Max(x, 0), 6),
        4 => MathF.Tanh(x),
        _ => throw new NotSupportedException($"reference: activation {code}"),
    };

    // TFLite's ComputeOutSize and ComputePaddingWithOffset (the front padding).
    private static int OutSize(bool same, int input, int k, int s, int d) =>
        same ? (input + s - 1) / s : (input - ((k - 1) * d + 1) + s) / s;

    private static int FrontPad(int s, int d, int input, int k, int output) =>
        Math.Max((output - 1) * s + (k - 1) * d + 1 - input, 0) / 2;

    private static T Conv(T x, T f, T? bias, bool same, int sh, int sw, int dh, int dw, int act, int depthMultiplier)
    {
        int n = x[0], h = x[1], w = x[2], c = x[3], kh = f[1], kw = f[2];
        bool depthwise = depthMultiplier > 0;
        int oc = depthwise ? f[3] : f[0], fi = f[3];
        int oh = OutSize(same, h, kh, sh, dh), ow = OutSize(same, w, kw, sw, dw);
        int pt = FrontPad(sh, dh, h, kh, oh), pl = FrontPad(sw, dw, w, kw, ow);
        int groups = depthwise ? c : c / fi, perGroup = oc / groups;
        var y = new float[n * oh * ow * oc];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int o = 0; o < oc; o++)
                    {
                        double s = bias?.D[o] ?? 0;
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int iy = oy * sh - pt + ky * dh;
                            if (iy < 0 || iy >= h) continue;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int ix = ox * sw - pl + kx * dw;
                                if (ix < 0 || ix >= w) continue;
                                int pix = ((b * h + iy) * w + ix) * c;
                                if (depthwise) s += x.D[pix + o / depthMultiplier] * f.D[(ky * kw + kx) * oc + o];
                                else
                                {
                                    int g = o / perGroup;
                                    for (int i = 0; i < fi; i++) s += x.D[pix + g * fi + i] * f.D[((o * kh + ky) * kw + kx) * fi + i];
                                }
                            }
                        }
                        y[((b * oh + oy) * ow + ox) * oc + o] = Act((float)s, act);
                    }
        return new T(new[] { n, oh, ow, oc }, y);
    }

    private static T TransposeConv(T x, T f, T? bias, int[] outShape, bool same, int sh, int sw, int act)
    {
        int n = x[0], h = x[1], w = x[2], c = x[3], oc = f[0], kh = f[1], kw = f[2];
        int oh = outShape[1], ow = outShape[2];
        // TFLite: the padding of a forward convolution from the output size back (ComputePaddingHeightWidth(out...)).
        int pt = FrontPad(sh, 1, oh, kh, OutSize(same, oh, kh, sh, 1)), pl = FrontPad(sw, 1, ow, kw, OutSize(same, ow, kw, sw, 1));
        var acc = new double[n * oh * ow * oc];
        for (int b = 0; b < n; b++)
            for (int iy = 0; iy < h; iy++)
                for (int ix = 0; ix < w; ix++)
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int oy = iy * sh - pt + ky, ox = ix * sw - pl + kx;
                            if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                            for (int o = 0; o < oc; o++)
                            {
                                double s = 0;
                                for (int i = 0; i < c; i++) s += x.D[((b * h + iy) * w + ix) * c + i] * f.D[((o * kh + ky) * kw + kx) * c + i];
                                acc[((b * oh + oy) * ow + ox) * oc + o] += s;
                            }
                        }
        var y = new float[acc.Length];
        for (int i = 0; i < y.Length; i++) y[i] = Act((float)(acc[i] + (bias?.D[i % oc] ?? 0)), act);
        return new T(new[] { n, oh, ow, oc }, y);
    }

    private static T Pool(T x, bool max, bool same, int sh, int sw, int fh, int fw, int act)
    {
        int n = x[0], h = x[1], w = x[2], c = x[3];
        int oh = OutSize(same, h, fh, sh, 1), ow = OutSize(same, w, fw, sw, 1);
        int pt = FrontPad(sh, 1, h, fh, oh), pl = FrontPad(sw, 1, w, fw, ow);
        var y = new float[n * oh * ow * c];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double s = 0; float m = float.NegativeInfinity; int count = 0;
                        for (int ky = 0; ky < fh; ky++)
                            for (int kx = 0; kx < fw; kx++)
                            {
                                int iy = oy * sh - pt + ky, ix = ox * sw - pl + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                float v = x.D[((b * h + iy) * w + ix) * c + ch];
                                s += v; m = Math.Max(m, v); count++;
                            }
                        y[((b * oh + oy) * ow + ox) * c + ch] = Act(max ? m : (float)(s / count), act);
                    }
        return new T(new[] { n, oh, ow, c }, y);
    }

    private static T Map(T x, Func<float, float> f) => new(x.S, x.D.Select(f).ToArray());

    // numpy broadcasting, shapes aligned at the last axis.
    private static T Broadcast(T a, T b, Func<float, float, float> f, int act)
    {
        int r = Math.Max(a.S.Length, b.S.Length);
        int[] pa = Enumerable.Repeat(1, r - a.S.Length).Concat(a.S).ToArray(), pb = Enumerable.Repeat(1, r - b.S.Length).Concat(b.S).ToArray();
        var s = pa.Zip(pb, Math.Max).ToArray();
        int total = s.Aggregate(1, (p, d) => p * d);
        var y = new float[total];
        var idx = new int[r];
        for (int i = 0; i < total; i++)
        {
            int rem = i;
            for (int k = r - 1; k >= 0; k--) { idx[k] = rem % s[k]; rem /= s[k]; }
            int ia = 0, ib = 0;
            for (int k = 0; k < r; k++)
            {
                ia = ia * pa[k] + (pa[k] == 1 ? 0 : idx[k]);
                ib = ib * pb[k] + (pb[k] == 1 ? 0 : idx[k]);
            }
            y[i] = Act(f(a.D[ia], b.D[ib]), act);
        }
        return new T(s, y);
    }

    private static T Resize(T x, int oh, int ow, bool align, bool half)
    {
        int n = x[0], h = x[1], w = x[2], c = x[3];
        float hs = align && oh > 1 ? (h - 1f) / (oh - 1) : (float)h / oh;
        float ws = align && ow > 1 ? (w - 1f) / (ow - 1) : (float)w / ow;
        var y = new float[n * oh * ow * c];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
            {
                float iy = half ? (oy + 0.5f) * hs - 0.5f : oy * hs;
                int y0 = Math.Max((int)MathF.Floor(iy), 0), y1 = Math.Min((int)MathF.Ceiling(iy), h - 1);
                for (int ox = 0; ox < ow; ox++)
                {
                    float ix = half ? (ox + 0.5f) * ws - 0.5f : ox * ws;
                    int x0 = Math.Max((int)MathF.Floor(ix), 0), x1 = Math.Min((int)MathF.Ceiling(ix), w - 1);
                    float dy = iy - y0, dx = ix - x0;
                    for (int ch = 0; ch < c; ch++)
                    {
                        float At(int yy, int xx) => x.D[((b * h + yy) * w + xx) * c + ch];
                        y[((b * oh + oy) * ow + ox) * c + ch] = At(y0, x0) * (1 - dy) * (1 - dx) + At(y1, x0) * dy * (1 - dx) + At(y0, x1) * (1 - dy) * dx + At(y1, x1) * dy * dx;
                    }
                }
            }
        return new T(new[] { n, oh, ow, c }, y);
    }

    private static T Mean(T x, int[] axes, int[] outShape)
    {
        int r = x.S.Length;
        var reduced = axes.Select(a => a < 0 ? a + r : a).ToHashSet();
        var sums = new double[outShape.Aggregate(1, (p, d) => p * d)];
        var idx = new int[r];
        int count = x.D.Length / sums.Length;
        for (int i = 0; i < x.D.Length; i++)
        {
            int rem = i;
            for (int k = r - 1; k >= 0; k--) { idx[k] = rem % x.S[k]; rem /= x.S[k]; }
            int o = 0;
            for (int k = 0; k < r; k++) if (!reduced.Contains(k)) o = o * x.S[k] + idx[k];
            sums[o] += x.D[i];
        }
        return new T(outShape, sums.Select(s => (float)(s / count)).ToArray());
    }

    private static T Pad(T x, int[] p)
    {
        int r = x.S.Length;
        var s = Enumerable.Range(0, r).Select(k => x.S[k] + p[2 * k] + p[2 * k + 1]).ToArray();
        var y = new float[s.Aggregate(1, (a, d) => a * d)];
        var idx = new int[r];
        for (int i = 0; i < x.D.Length; i++)
        {
            int rem = i;
            for (int k = r - 1; k >= 0; k--) { idx[k] = rem % x.S[k]; rem /= x.S[k]; }
            int o = 0;
            for (int k = 0; k < r; k++) o = o * s[k] + idx[k] + p[2 * k];
            y[o] = x.D[i];
        }
        return new T(s, y);
    }

    private static T Concat(T[] xs, int axis, int act)
    {
        int r = xs[0].S.Length;
        if (axis < 0) axis += r;
        int outer = xs[0].S.Take(axis).Aggregate(1, (a, d) => a * d), inner = xs[0].S.Skip(axis + 1).Aggregate(1, (a, d) => a * d);
        var s = xs[0].S.ToArray();
        s[axis] = xs.Sum(t => t.S[axis]);
        var y = new List<float>();
        for (int o = 0; o < outer; o++)
            foreach (var t in xs)
                for (int j = 0; j < t.S[axis] * inner; j++) y.Add(Act(t.D[o * t.S[axis] * inner + j], act));
        return new T(s, y.ToArray());
    }
}
