// The TFLite operator converters: each reads its operator's inputs and builtin options (schema.fbs field ids in the
// comments) and adds the equivalent layer, with rank-4 tensors NCHW inside (TfliteImporter.cs).
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Tflite;

internal sealed partial class TfliteConverter
{
    private Rt Image(int i, string what)
    {
        var x = RtIn(i);
        if (x.Dims.Length != 4) throw new NotSupportedException($"{what} of {InT(i)}; images [N,H,W,C] are supported");
        return x;
    }

    /// <summary>TFLite's SAME / VALID padding of one axis: (before, after) for a window of size k, stride s, dilation d.</summary>
    internal static (int Before, int After) SamePadding(bool same, int input, int k, int s, int d)
    {
        if (!same) return (0, 0);
        int output = (input + s - 1) / s;
        int total = Math.Max((output - 1) * s + (k - 1) * d + 1 - input, 0);
        return (total / 2, total - total / 2);
    }

    private static bool IsSame(byte padding) => padding switch
    {
        0 => true,
        1 => false,
        _ => throw new ArgumentException($"padding {padding} is neither SAME (0) nor VALID (1)."),
    };

    private static void CheckWindow(int stride, int dilation, string what)
    {
        if (stride < 1 || dilation < 1) throw new ArgumentException($"{what}: stride {stride} and dilation {dilation} must be at least 1.");
    }

    /// <summary>CONV_2D (Conv2DOptions: padding 0, stride_w 1, stride_h 2, activation 3, dilation_w 4, dilation_h 5) and
    /// DEPTHWISE_CONV_2D (DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, depth_multiplier 3, activation 4,
    /// dilation_w 5, dilation_h 6). Filters [O,KH,KW,I] (depthwise [1,KH,KW,C·M]) become [O][I][KH][KW].</summary>
    private void Conv2dOp(bool depthwise)
    {
        var x = Image(0, "a convolution");
        var w = CstIn(1, "the filter");
        var b = In(2) == null ? null : CstIn(2, "the bias");
        if (w.Dims.Length != 4) throw new ArgumentException($"the filter {InT(1)} must have rank 4.");
        int o = w.Dims[0], kh = w.Dims[1], kw = w.Dims[2], wi = w.Dims[3], cin = x.Dims[3];
        bool same = IsSame(OptByte(0));
        int sw = OptInt(1, 1), sh = OptInt(2, 1);
        byte act = OptByte(depthwise ? (byte)4 : (byte)3);
        int dw = OptInt(depthwise ? 5 : 4, 1), dh = OptInt(depthwise ? 6 : 5, 1);
        CheckWindow(sh, dh, "height"); CheckWindow(sw, dw, "width");
        int outC, groups;
        float[] weights;
        var f = w.F;
        if (depthwise)
        {
            if (o != 1 || wi % cin != 0) throw new ArgumentException($"the depthwise filter {InT(1)} must be [1,KH,KW,C·M] for {cin} input channels.");
            outC = wi; groups = cin;
            weights = new float[outC * kh * kw];
            for (int oc = 0; oc < outC; oc++)
                for (int y = 0; y < kh; y++)
                    for (int xx = 0; xx < kw; xx++)
                        weights[(oc * kh + y) * kw + xx] = f[(y * kw + xx) * outC + oc];
        }
        else
        {
            if (cin % wi != 0 || o % (cin / wi) != 0) throw new ArgumentException($"the filter {InT(1)} has {wi} input channels; the input has {cin}, which is not a multiple.");
            outC = o; groups = cin / wi;
            weights = new float[o * wi * kh * kw];
            for (int oc = 0; oc < o; oc++)
                for (int ic = 0; ic < wi; ic++)
                    for (int y = 0; y < kh; y++)
                        for (int xx = 0; xx < kw; xx++)
                            weights[((oc * wi + ic) * kh + y) * kw + xx] = f[((oc * kh + y) * kw + xx) * wi + ic];
        }
        if (b != null && b.V.Length != outC) throw new ArgumentException($"the bias {InT(2)} has {b.V.Length} values for {outC} output channels.");
        var (pt, pb) = SamePadding(same, x.Dims[1], kh, sh, dh);
        var (pl, pr) = SamePadding(same, x.Dims[2], kw, sw, dw);
        SetRt(new Conv2d
        {
            OutChannels = outC, KernelH = kh, KernelW = kw, StrideH = sh, StrideW = sw, DilationH = dh, DilationW = dw,
            PadTop = pt, PadBottom = pb, PadLeft = pl, PadRight = pr, Groups = groups, Rounding = Rounding.Floor,
            Weights = weights, Bias = b?.F, Activation = Fused(act),
        }, x.Node);
    }

    /// <summary>A transposed convolution of <paramref name="x"/> by filters [O,KH,KW,I] to the declared output size, with
    /// TFLite's padding rule: the padding a forward convolution from the output size back to the input size would have
    /// (SAME: half the excess in front, VALID: none in front), the rest cropped at the end.</summary>
    private void TransposeConv(Rt x, Cst w, Cst? b, bool same, int sh, int sw, Activation act)
    {
        if (w.Dims.Length != 4 || w.Dims[3] != x.Dims[3])
            throw new ArgumentException($"the filter [{string.Join(",", w.Dims)}] must be [O,KH,KW,{x.Dims[3]}] for the input {Fmt(x.Dims)}.");
        int o = w.Dims[0], kh = w.Dims[1], kw = w.Dims[2], ci = w.Dims[3];
        CheckWindow(sh, 1, "height"); CheckWindow(sw, 1, "width");
        var t = OutT;
        if (t.Shape.Length != 4) throw new ArgumentException($"the output {t} must have rank 4.");
        int oh = t.Shape[1], ow = t.Shape[2];
        int th = (x.Dims[1] - 1) * sh + kh - oh, tw = (x.Dims[2] - 1) * sw + kw - ow;
        if (th < 0 || tw < 0)
            throw new NotSupportedException($"an output of {oh}×{ow} larger than the transposed convolution covers ({oh + th}×{ow + tw})");
        // TFLite pads as a forward convolution from the output size (oh) would: SAME gives ceil(oh/s) positions.
        int pt = same ? Math.Max(((oh + sh - 1) / sh - 1) * sh + kh - oh, 0) / 2 : 0;
        int pl = same ? Math.Max(((ow + sw - 1) / sw - 1) * sw + kw - ow, 0) / 2 : 0;
        if (pt > th || pl > tw)
            throw new NotSupportedException($"an input of {x.Dims[1]}×{x.Dims[2]} that does not cover the {oh}×{ow} output after TFLite's padding ({pt}, {pl})");
        var f = w.F;
        var weights = new float[ci * o * kh * kw];   // [I][O][KH][KW]
        for (int oc = 0; oc < o; oc++)
            for (int y = 0; y < kh; y++)
                for (int xx = 0; xx < kw; xx++)
                    for (int ic = 0; ic < ci; ic++)
                        weights[((ic * o + oc) * kh + y) * kw + xx] = f[((oc * kh + y) * kw + xx) * ci + ic];
        if (b != null && b.V.Length != o) throw new ArgumentException($"the bias has {b.V.Length} values for {o} output channels.");
        SetRt(new ConvTranspose2d
        {
            OutChannels = o, KernelH = kh, KernelW = kw, StrideH = sh, StrideW = sw,
            PadTop = pt, PadBottom = th - pt, PadLeft = pl, PadRight = tw - pl, Weights = weights, Bias = b?.F, Activation = act,
        }, x.Node);
    }

    /// <summary>TRANSPOSE_CONV: inputs output_shape, filter, input, optional bias (TransposeConvOptions: padding 0,
    /// stride_w 1, stride_h 2, activation 3).</summary>
    private void TransposeConvOp()
    {
        var shape = CstIn(0, "the output shape").I;
        if (!shape.SequenceEqual(OutT.Shape)) throw new ArgumentException($"the output shape {Fmt(shape)} differs from the declared {OutT}.");
        TransposeConv(Image(2, "a transposed convolution"), CstIn(1, "the filter"), In(3) == null ? null : CstIn(3, "the bias"),
            IsSame(OptByte(0)), OptInt(2, 1), OptInt(1, 1), Fused(OptByte(3)));
    }

    /// <summary>MediaPipe's custom Convolution2DTransposeBias: input, filter, bias; its custom options are the bytes of
    /// TfLiteTransposeConvParams (int32 padding: 1 SAME, 2 VALID; int32 stride_width; int32 stride_height).</summary>
    private void TransposeConvBiasOp()
    {
        var opt = _op.CustomOptions.Span;
        if (opt.Length < 12) throw new ArgumentException($"the custom options have {opt.Length} bytes; TfLiteTransposeConvParams needs 12.");
        int padding = BitConverter.ToInt32(opt[..4]), sw = BitConverter.ToInt32(opt.Slice(4, 4)), sh = BitConverter.ToInt32(opt.Slice(8, 4));
        if (padding is not (1 or 2)) throw new ArgumentException($"padding {padding} is neither SAME (1) nor VALID (2).");
        TransposeConv(Image(0, "a transposed convolution"), CstIn(1, "the filter"), CstIn(2, "the bias"), padding == 1, sh, sw, Activation.None);
    }

    /// <summary>MAX_POOL_2D, AVERAGE_POOL_2D (Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3,
    /// filter_height 4, activation 5). SAME padding leaves padded cells out of both the maximum and the average.</summary>
    private void PoolOp(PoolKind kind)
    {
        var x = Image(0, "pooling");
        bool same = IsSame(OptByte(0));
        int sw = OptInt(1, 1), sh = OptInt(2, 1), fw = OptInt(3), fh = OptInt(4);
        var act = Fused(OptByte(5));
        CheckWindow(sh, 1, "height"); CheckWindow(sw, 1, "width");
        if (fw < 1 || fh < 1 || (!same && (fh > x.Dims[1] || fw > x.Dims[2])))
            throw new ArgumentException($"the {fh}×{fw} filter does not fit the input {Fmt(x.Dims)}.");
        if (!same && fh == x.Dims[1] && fw == x.Dims[2])
        {
            // A window over the whole image: the global pooling kernel.
            var g = _b.Add(new GlobalPool2d { Kind = kind }, Unique(OutT.Name + (act.IsNone ? "" : "_pool")), x.Node);
            if (act.IsNone) { SetAs(g); return; }
            SetRt(new ActivationLayer(act), g);
            return;
        }
        var (pt, pb) = SamePadding(same, x.Dims[1], fh, sh, 1);
        var (pl, pr) = SamePadding(same, x.Dims[2], fw, sw, 1);
        var pool = new Pool2d
        {
            Kind = kind, KernelH = fh, KernelW = fw, StrideH = sh, StrideW = sw, PadTop = pt, PadBottom = pb, PadLeft = pl, PadRight = pr,
            Rounding = Rounding.Floor, CountIncludePad = false,
        };
        if (act.IsNone) { SetRt(pool, x.Node); return; }
        SetRt(new ActivationLayer(act), _b.Add(pool, Unique(OutT.Name + "_pool"), x.Node));
    }

    /// <summary>Records <paramref name="node"/> as the operator's output after checking its shape.</summary>
    private void SetAs(Node node)
    {
        var t = OutT;
        var inner = node.Shape.ToArray();
        var dims = inner.Length == 4 ? new[] { inner[0], inner[2], inner[3], inner[1] } : inner;
        if (!dims.SequenceEqual(t.Shape)) throw new ArgumentException($"the output {t} is declared {Fmt(t.Shape)}; the operator computes {Fmt(dims)}.");
        _vals[_op.Outputs[0]] = new Rt(node, dims);
    }

    private void Act(Activation a) => SetRt(new ActivationLayer(a), RtIn(0).Node);

    /// <summary>ADD, SUB, MUL, DIV (options: activation 0) with numpy broadcasting in TFLite order. Operands of rank below
    /// 4 next to a rank-4 one are aligned at TFLite's last axis (the channels) before the layout change.</summary>
    private void BinaryOp(BinaryOp op, bool fused)
    {
        var act = fused ? Fused(OptByte(0)) : Activation.None;
        var a = OperandNode(0);
        var b = OperandNode(1);
        SetRt(new Binary(op) { Activation = act }, a, b);
    }

    /// <summary>An operand of an element-wise operator in the internal layout: rank-4 as it is, a constant of lower rank
    /// next to a rank-4 operand padded to rank 4 (NHWC) first.</summary>
    private Node OperandNode(int i)
    {
        int other = _m.Tensors[_op.Inputs[1 - i]].Shape.Length;
        var v = In(i);
        if (v is Cst c)
        {
            if (other == 4 && c.Dims.Length < 4)
                c = c with { Dims = Enumerable.Repeat(1, 4 - c.Dims.Length).Concat(c.Dims).ToArray() };
            else if (other != 4 && c.Dims.Length == 4 && c.V.Length > 1)
                throw new NotSupportedException($"broadcasting the rank-4 constant {InT(i)} against a rank-{other} operand");
            return ConstNode(c, InT(i).Name);
        }
        var r = RtIn(i);
        bool otherConst = In(1 - i) is Cst;   // a constant operand is padded to this one's rank
        if (!otherConst && (r.Dims.Length == 4) != (other == 4) && r.Dims.Length != 0 && r.Dims.Aggregate(1, (p, d) => p * d) != 1)
            throw new NotSupportedException($"broadcasting {InT(i)} against a rank-{other} operand (run-time operands of rank 4 broadcast with rank-4 ones only)");
        return r.Node;
    }

    /// <summary>PRELU: x, alpha; alpha broadcast over NHWC and constant: one slope, or one per channel.</summary>
    private void PreluOp()
    {
        var x = RtIn(0);
        var alpha = CstIn(1, "alpha");
        int ch = x.Dims.Length > 0 ? x.Dims[^1] : 1;
        var av = alpha.F;
        float[] slopes;
        if (av.Length == 1) slopes = av;
        else if (alpha.Dims.Length > 0 && alpha.Dims[^1] == ch && av.Length == ch) slopes = av;
        else if (alpha.Dims.Length > 0 && alpha.Dims[^1] == ch && av.Length % ch == 0 && Enumerable.Range(0, av.Length).All(k => av[k] == av[k % ch]))
            slopes = av.Take(ch).ToArray();   // repeated over H, W: still one slope per channel
        else throw new NotSupportedException($"alpha {InT(1)} varies along other axes than the channels of {InT(0)}");
        if (x.Dims.Length != 4 && slopes.Length > 1)
            throw new NotSupportedException($"per-channel PReLU of the rank-{x.Dims.Length} tensor {InT(0)}; rank 4 is supported");
        SetRt(new PRelu(slopes), x.Node);
    }

    /// <summary>RESIZE_BILINEAR (ResizeBilinearOptions: align_corners 2, half_pixel_centers 3): x, size [new_h, new_w].
    /// TFLite's half-pixel source coordinate (y + 0.5)·in/out − 0.5 with neighbours clamped to the image is the
    /// layer's HalfPixel mode; align_corners scales by (in−1)/(out−1); neither flag: y·in/out (Asymmetric).</summary>
    private void ResizeOp(UpsampleMode mode)
    {
        var x = Image(0, "a resize");
        var size = CstIn(1, "the size").I;
        if (size.Length != 2 || size[0] < 1 || size[1] < 1) throw new ArgumentException($"the size {Fmt(size)} must be two positive numbers.");
        bool align = Options is { } o && o.Bool(2), half = Options is { } p && p.Bool(3);
        if (align && half) throw new ArgumentException("align_corners and half_pixel_centers are both set.");
        SetRt(new Upsample
        {
            Mode = mode, OutH = size[0], OutW = size[1],
            Coordinates = align ? CoordinateMode.AlignCorners : half ? CoordinateMode.HalfPixel : CoordinateMode.Asymmetric,
        }, x.Node);
    }

    /// <summary>TFLite axis of a rank-4 tensor → the internal NCHW axis.</summary>
    private static int Inner(int tfAxis) => tfAxis switch { 0 => 0, 1 => 2, 2 => 3, _ => 1 };

    /// <summary>MEAN (ReducerOptions: keep_dims 0): x, constant axes.</summary>
    private void MeanOp()
    {
        var x = RtIn(0);
        int r = x.Dims.Length;
        var axes = CstIn(1, "the axes").I.Select(a => a < 0 ? a + r : a).ToArray();
        if (axes.Any(a => a < 0 || a >= r)) throw new ArgumentException($"the axes {Fmt(axes)} lie outside the rank-{r} input.");
        bool keep = Options is { } o && o.Bool(0);
        var inner = r == 4 ? axes.Select(Inner).ToArray() : axes;
        var node = _b.Add(new Reduce(ReduceKind.Mean, inner.Distinct().OrderBy(a => a).ToArray()) { KeepDims = keep }, Unique(OutT.Name + "_mean"), x.Node);
        if (r == 4 && !keep)
        {
            // The kept axes in internal order (N, C, H, W filtered) may differ from TFLite's order (N, H, W, C filtered).
            var keptInner = new[] { 0, 3, 1, 2 }.Where(a => !axes.Contains(a)).ToList();
            var keptTf = Enumerable.Range(0, 4).Where(a => !axes.Contains(a)).ToList();
            if (!keptInner.SequenceEqual(keptTf))
                node = _b.Add(new Transpose(keptTf.Select(a => keptInner.IndexOf(a)).ToArray()), Unique(OutT.Name + "_order"), node);
        }
        SetAsDims(node, OutT.Shape);
    }

    /// <summary>Records <paramref name="node"/> (internal layout) as the output, whose TFLite shape is <paramref name="dims"/>.</summary>
    private void SetAsDims(Node node, int[] dims)
    {
        var inner = node.Shape.ToArray();
        var expect = dims.Length == 4 ? new[] { dims[0], dims[3], dims[1], dims[2] } : dims;
        if (!inner.SequenceEqual(expect)) throw new ArgumentException($"the output {OutT} is declared {Fmt(dims)}; the operator computes {Fmt(inner)} (internal layout).");
        _vals[_op.Outputs[0]] = new Rt(node, dims.ToArray());
    }

    /// <summary>PAD: x, constant paddings [rank, 2] in TFLite axis order; zeros.</summary>
    private void PadOp()
    {
        var x = RtIn(0);
        int r = x.Dims.Length;
        var p = CstIn(1, "the paddings");
        var pv = p.I;
        if (pv.Length != 2 * r) throw new ArgumentException($"the paddings {InT(1)} have {pv.Length} values for a rank-{r} input; expected {2 * r}.");
        if (pv.Any(v => v < 0)) throw new ArgumentException($"the paddings {Fmt(pv)} must not be negative.");
        var before = new int[r];
        var after = new int[r];
        for (int a = 0; a < r; a++)
        {
            int k = r == 4 ? Inner(a) : a;
            before[k] = pv[2 * a];
            after[k] = pv[2 * a + 1];
        }
        SetRt(new Pad(before, after), x.Node);
    }

    /// <summary>CONCATENATION (ConcatenationOptions: axis 0, activation 1).</summary>
    private void ConcatOp()
    {
        var xs = Enumerable.Range(0, _op.Inputs.Length).Select(RtIn).ToArray();
        int r = xs[0].Dims.Length;
        int axis = OptInt(0);
        if (axis < 0) axis += r;
        if (axis < 0 || axis >= r) throw new ArgumentException($"axis {OptInt(0)} lies outside rank {r}.");
        var act = Fused(OptByte(1));
        var concat = new Concat { Axis = r == 4 ? Inner(axis) : axis };
        if (act.IsNone) { SetRt(concat, xs.Select(x => x.Node).ToArray()); return; }
        SetRt(new ActivationLayer(act), _b.Add(concat, Unique(OutT.Name + "_concat"), xs.Select(x => x.Node).ToArray()));
    }

    /// <summary>RESHAPE: to the declared output shape (ReshapeOptions.new_shape or the shape input only restate it). A
    /// rank-4 tensor goes back to NHWC order first, and a rank-4 result to NCHW after, unless only size-1 axes move.</summary>
    private void ReshapeOp()
    {
        var x = RtIn(0);
        var target = OutT.Shape;
        if (target.Length == 0 || target.Any(d => d <= 0)) throw new ArgumentException($"the output {OutT} needs a fixed shape.");
        if (target.Aggregate(1L, (a, d) => a * d) != x.Dims.Aggregate(1L, (a, d) => a * d))
            throw new ArgumentException($"reshaping {Fmt(x.Dims)} to {Fmt(target)} changes the number of values.");
        var node = x.Node;
        if (x.Dims.Length == 4) node = _b.Add(new Transpose(0, 2, 3, 1), Unique(OutT.Name + "_nhwc"), node);
        node = _b.Add(new Reshape(new TensorShape(target)), Unique(OutT.Name + (target.Length == 4 ? "_flat" : "")), node);
        if (target.Length == 4) node = _b.Add(new Transpose(0, 3, 1, 2), Unique(OutT.Name), node);
        SetAsDims(node, target);
    }

    /// <summary>DEQUANTIZE of float16 constants (weights stored at half size): folded to float32 at load.</summary>
    private void DequantizeOp()
    {
        var t = InT(0);
        if (t.Type != TfliteType.Float16 || In(0) is not Cst c)
            throw new NotSupportedException($"DEQUANTIZE of {t}; only float16 constants (folded at load) are supported");
        if (!OutT.Shape.SequenceEqual(c.Dims))
            throw new ArgumentException($"the output {OutT} is declared {Fmt(OutT.Shape)}; the input {t} has {Fmt(c.Dims)}.");
        _vals[_op.Outputs[0]] = c;
    }
}
