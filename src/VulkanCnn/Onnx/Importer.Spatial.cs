// Convolutions, pooling and resizing: the image operators, with their window attributes (pads, strides, dilations, auto_pad).
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

internal sealed partial class Importer
{
    // ---------------------------------------------------------------- layers

    private Rt Spatial4(string what)
    {
        var x = RtIn(0);
        if (x.Dims.Length is not (3 or 4))
            throw new UnsupportedException($"{what} of a rank-{x.Dims.Length} tensor [{string.Join(",", x.Dims)}]; 2-D images [N,C,H,W] and 1-D sequences [N,C,L] are supported{(x.Dims.Length == 5 ? " (3-D is not)" : "")}");
        return x;
    }

    private (int[] Kernel, int[] Strides, int[] Dil, int[] Pads) Window(int kh, int kw, int h, int w, bool transposed = false)
    {
        var strides = AttrInts("strides") ?? new long[] { 1, 1 };
        var dil = AttrInts("dilations") ?? new long[] { 1, 1 };
        var pads = AttrInts("pads") ?? new long[] { 0, 0, 0, 0 };
        // A 1-D window (rank-3 input) is a 2-D one of height 1.
        if (strides.Length == 1) strides = new[] { 1L, strides[0] };
        if (dil.Length == 1) dil = new[] { 1L, dil[0] };
        if (pads.Length == 2) pads = new[] { 0L, pads[0], 0L, pads[1] };
        if (strides.Length != 2 || dil.Length != 2 || pads.Length != 4)
            throw new ArgumentException($"strides [{string.Join(",", strides)}], dilations [{string.Join(",", dil)}] and pads [{string.Join(",", pads)}] must have 2, 2 and 4 values for a 2-D window.");
        var s = Int32s(strides, "strides");
        var d = Int32s(dil, "dilations");
        var p = Int32s(pads, "pads");   // top, left, bottom, right
        if (s.Any(v => v < 1) || d.Any(v => v < 1) || p.Any(v => v < 0))
            throw new ArgumentException($"strides [{string.Join(",", s)}] and dilations [{string.Join(",", d)}] must be at least 1 and pads [{string.Join(",", p)}] at least 0.");
        string autoPad = AttrString("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET": break;
            case "VALID": p = new int[4]; break;
            case "SAME_UPPER": case "SAME_LOWER":
                if (transposed) break;   // handled by the caller
                int[] size = { h, w }, k = { kh, kw };
                for (int a = 0; a < 2; a++)
                {
                    long o = ((long)size[a] + s[a] - 1) / s[a];
                    long total = Math.Max(0, (o - 1) * s[a] + (k[a] - 1L) * d[a] + 1 - size[a]);
                    if (total > int.MaxValue) throw new ArgumentException($"auto_pad {autoPad} needs {total:N0} pixels of padding on axis {a}.");
                    int small = (int)(total / 2), big = (int)total - small;
                    p[a] = autoPad == "SAME_UPPER" ? small : big;
                    p[a + 2] = autoPad == "SAME_UPPER" ? big : small;
                }
                break;
            default: throw new ArgumentException($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID.");
        }
        return (new[] { kh, kw }, s, d, p);
    }

    /// <summary>A Conv: constant weights and bias become a <see cref="Conv2d"/>; weights or a bias that the graph computes
    /// (or takes as inputs) become inputs of a <see cref="RuntimeConv"/> with the same window.</summary>
    private void ConvOp()
    {
        var x = Spatial4("Conv");
        bool runtime = In(1) is Rt || In(2) is Rt;
        var wDims = runtime ? RtIn(1, "weights").Dims : CstIn(1, "weights").Dims;
        if (wDims.Length != x.Dims.Length) throw new UnsupportedException($"weights of shape [{string.Join(",", wDims)}] for input [{string.Join(",", x.Dims)}]; 1-D and 2-D convolutions are supported");
        var wd = Image4(wDims);
        var xd = Image4(x.Dims);
        var (k, s, d, p) = Window(wd[2], wd[3], xd[2], xd[3]);
        var ks = AttrInts("kernel_shape");
        if (ks != null && ks.Length == 1) ks = new[] { 1L, ks[0] };
        if (ks != null && (ks.Length != 2 || ks[0] != k[0] || ks[1] != k[1]))
            throw new ArgumentException($"kernel_shape [{string.Join(",", ks)}] does not match the weights [{string.Join(",", wDims)}].");
        var layer = new Conv2d
        {
            OutChannels = wd[0], KernelH = k[0], KernelW = k[1], StrideH = s[0], StrideW = s[1], DilationH = d[0], DilationW = d[1],
            PadTop = p[0], PadLeft = p[1], PadBottom = p[2], PadRight = p[3], Groups = AttrInt32("group", 1), Rounding = Rounding.Floor,
            Weights = runtime ? Array.Empty<float>() : CstIn(1, "weights").T.ToFloats(), Bias = In(2) is Cst b ? b.T.ToFloats() : null,
        };
        var node = !runtime ? _b.Add(layer, Unique(Out), x.Node)
            : _b.Add(new RuntimeConv(layer), Unique(Out), In(2) is Rt ? new[] { x.Node, RtIn(1).Node, RtIn(2, "bias").Node } : new[] { x.Node, RtIn(1).Node });
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }

    /// <summary>[N, C, L] (and 1-D weights) as [N, C, 1, L]; rank-4 dims as they are.</summary>
    private static int[] Image4(int[] d) => d.Length == 3 ? new[] { d[0], d[1], 1, d[2] } : d;

    private void ConvTransposeOp()
    {
        var xr = Spatial4("ConvTranspose");
        bool runtime = In(1) is Rt || In(2) is Rt;
        var w = runtime ? null : CstIn(1, "weights");
        var b = runtime ? In(2) as Cst : OptCst(2, "bias");
        var wDims = runtime ? RtIn(1, "weights").Dims : w!.Dims;
        if (wDims.Length != xr.Dims.Length) throw new UnsupportedException($"weights of shape [{string.Join(",", wDims)}] for input [{string.Join(",", xr.Dims)}]; 1-D and 2-D transposed convolutions are supported");
        var x = new { xr.Node, Dims = Image4(xr.Dims) };
        var wdims = Image4(wDims);
        int group = AttrInt32("group", 1);
        var (k, s, d, p) = Window(wdims[2], wdims[3], x.Dims[2], x.Dims[3], transposed: true);
        var opa = AttrInts("output_padding") ?? new long[] { 0, 0 };
        if (opa.Length == 1) opa = new[] { 0L, opa[0] };
        if (opa.Length != 2) throw new ArgumentException($"output_padding [{string.Join(",", opa)}] must have one value per spatial axis.");
        var op = Int32s(opa, "output_padding");
        var outShape = AttrInts("output_shape");
        string autoPad = AttrString("auto_pad", "NOTSET");
        if (outShape != null || autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            // The padding that gives the requested size (ONNX ConvTranspose's rule; SAME: input size × stride).
            if (outShape != null && outShape.Length < 2) throw new ArgumentException($"output_shape [{string.Join(",", outShape)}] needs a size per spatial axis.");
            long[] target = outShape != null ? outShape.Skip(outShape.Length - 2).ToArray() : new[] { (long)x.Dims[2] * s[0], (long)x.Dims[3] * s[1] };
            for (int a = 0; a < 2; a++)
            {
                long total = (long)s[a] * (x.Dims[2 + a] - 1) + op[a] + (k[a] - 1L) * d[a] + 1 - target[a];
                if (total < 0) throw new UnsupportedException($"output_shape [{string.Join(",", target)}] needs negative padding ({total}) on axis {a}");
                if (total > int.MaxValue) throw new ArgumentException($"output_shape [{string.Join(",", target)}] needs {total:N0} pixels of padding on axis {a}.");
                bool upper = autoPad == "SAME_UPPER";
                p[a] = (int)(upper ? total / 2 : total - total / 2);
                p[a + 2] = (int)total - p[a];
            }
        }
        var layer = new ConvTranspose2d
        {
            OutChannels = (long)wdims[1] * group is var oc and >= 1 and <= int.MaxValue ? (int)oc : throw new ArgumentException($"group {group} × {wdims[1]} output channels per group is not a channel count."), KernelH = k[0], KernelW = k[1], StrideH = s[0], StrideW = s[1], DilationH = d[0], DilationW = d[1],
            PadTop = p[0], PadLeft = p[1], PadBottom = p[2], PadRight = p[3], OutputPadH = op[0], OutputPadW = op[1], Groups = group,
            Weights = w?.T.ToFloats() ?? Array.Empty<float>(), Bias = b?.T.ToFloats(),
        };
        var node = !runtime ? _b.Add(layer, Unique(Out), x.Node)
            : _b.Add(new RuntimeConvTranspose(layer), Unique(Out), In(2) is Rt ? new[] { x.Node, RtIn(1).Node, RtIn(2).Node } : new[] { x.Node, RtIn(1).Node });
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }

    private void PoolOp(bool max)
    {
        var x = Spatial4(_node.OpType);
        if (_node.Output.Count > 1 && _node.Output[1] != "") throw new UnsupportedException("the Indices output is not supported");
        var ks = AttrInts("kernel_shape") ?? throw new ArgumentException("kernel_shape is missing.");
        if (ks.Length == 1 && x.Dims.Length == 3) ks = new[] { 1L, ks[0] };
        if (ks.Length != 2) throw new UnsupportedException($"kernel_shape [{string.Join(",", ks)}]; only 1-D and 2-D pooling is supported");
        var xd = Image4(x.Dims);
        var (k, s, d, p) = Window((int)ks[0], (int)ks[1], xd[2], xd[3]);
        if (d[0] != 1 || d[1] != 1) throw new UnsupportedException($"pooling dilations [{d[0]},{d[1]}] are not supported");
        var layer = new Pool2d
        {
            Kind = max ? PoolKind.Max : PoolKind.Average, KernelH = k[0], KernelW = k[1], StrideH = s[0], StrideW = s[1],
            PadTop = p[0], PadLeft = p[1], PadBottom = p[2], PadRight = p[3],
            Rounding = AttrInt("ceil_mode", 0) != 0 ? Rounding.Ceil : Rounding.Floor, CountIncludePad = AttrInt("count_include_pad", 0) != 0,
        };
        var node = _b.Add(layer, Unique(Out), x.Node);
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }

    private void ResizeOp(bool upsampleOp)
    {
        var x = Spatial4(_node.OpType);
        string mode = AttrString("mode", "nearest");
        float[]? scales = null;
        int[]? sizes = null;
        string coord, nearest;
        if (upsampleOp)
        {
            scales = _opset < 9 ? AttrFloats("scales") ?? LegacyUpsampleScales() : CstIn(1, "scales").T.ToFloats();
            coord = "asymmetric"; nearest = "floor";
        }
        else
        {
            if (Attr("axes") != null) throw new UnsupportedException("the axes attribute is not supported");
            if (AttrInt("antialias", 0) != 0) throw new UnsupportedException("antialias is not supported");
            int si = _opset < 11 ? 1 : 2;
            var sc = OptCst(si, "scales");
            if (sc != null && sc.V.Length > 0) scales = sc.T.ToFloats();
            var sz = _opset >= 11 ? OptCst(3, "sizes") : null;
            if (sz != null && sz.V.Length > 0) sizes = Int32s(sz.T.ToInt64s(), "sizes");
            coord = AttrString("coordinate_transformation_mode", _opset < 11 ? "asymmetric" : "half_pixel");
            // Resize-10 has no nearest_mode: ONNX Runtime rounds as Upsample does ("simple": floor when scaling up).
            nearest = _opset < 11 ? "simple" : AttrString("nearest_mode", "round_prefer_floor");
        }
        if (scales == null && sizes == null) throw new ArgumentException("neither scales nor sizes is given.");
        if (scales != null && (scales.Length != 4 || scales[0] != 1 || scales[1] != 1))
            throw new UnsupportedException($"scales [{string.Join(",", scales)}]; only the two spatial axes may be scaled");
        if (x.Dims.Length != 4) throw new UnsupportedException($"{_node.OpType} of [{string.Join(",", x.Dims)}]; images [N,C,H,W] are supported");
        if (sizes != null && (sizes.Length != 4 || sizes[0] != x.Dims[0] || sizes[1] != x.Dims[1]))
            throw new UnsupportedException($"sizes [{string.Join(",", sizes)}]; only the two spatial axes may be resized");
        int oh = sizes?[2] ?? (int)Math.Floor(x.Dims[2] * scales![2]);
        int ow = sizes?[3] ?? (int)Math.Floor(x.Dims[3] * scales![3]);
        float sh = sizes != null ? (float)oh / x.Dims[2] : scales![2], sw = sizes != null ? (float)ow / x.Dims[3] : scales![3];
        UpsampleMode um;
        CoordinateMode cm;
        if (mode == "nearest")
        {
            um = UpsampleMode.Nearest;
            cm = CoordinateMode.Asymmetric;
            // The engine's nearest is floor(o / scale). Half-pixel with rounding gives the same for integer up-scales.
            bool integral = sh >= 1 && sw >= 1 && sh == MathF.Floor(sh) && sw == MathF.Floor(sw) && oh == x.Dims[2] * (int)sh && ow == x.Dims[3] * (int)sw;
            bool ok = coord == "asymmetric" && (nearest == "floor" || nearest == "simple" && sh >= 1 && sw >= 1)
                      || coord is "half_pixel" or "pytorch_half_pixel" && nearest is "round_prefer_floor" or "round_prefer_ceil" && integral;
            if (!ok) throw new UnsupportedException($"nearest resize with coordinate_transformation_mode '{coord}' and nearest_mode '{nearest}' at scales {sh}, {sw}; supported: asymmetric with floor, or half_pixel with rounding at integer up-scales");
        }
        else if (mode is "linear" or "bilinear")
        {
            um = UpsampleMode.Bilinear;
            cm = coord switch
            {
                "half_pixel" => CoordinateMode.HalfPixel,
                "pytorch_half_pixel" when oh > 1 && ow > 1 => CoordinateMode.HalfPixel,
                "align_corners" => CoordinateMode.AlignCorners,
                "asymmetric" => CoordinateMode.Asymmetric,
                _ => throw new UnsupportedException($"linear resize with coordinate_transformation_mode '{coord}' to {ow}x{oh} is not supported"),
            };
        }
        else throw new UnsupportedException($"resize mode '{mode}' is not supported (nearest and linear are)");
        var layer = sizes != null
            ? new Upsample { Mode = um, Coordinates = cm, OutH = oh, OutW = ow }
            : new Upsample { Mode = um, Coordinates = cm, ScaleH = sh, ScaleW = sw };
        var node = _b.Add(layer, Unique(Out), x.Node);
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }

    private void GlobalPoolOp(PoolKind kind)
    {
        var x = Spatial4("global pooling");
        var d = x.Dims.ToArray();
        for (int k = 2; k < d.Length; k++) d[k] = 1;
        SetRt(new GlobalPool2d { Kind = kind }, d, x.Node);
    }

    private void DepthToSpaceOp()
    {
        var x = Spatial4("DepthToSpace");
        string mode = AttrString("mode", "DCR");
        if (mode is not ("DCR" or "CRD")) throw new ArgumentException($"mode '{mode}' is not DCR or CRD.");
        var node = _b.Add(new DepthToSpace(AttrInt32("blocksize", 0), mode == "CRD"), Unique(Out), x.Node);
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }

    private void SpaceToDepthOp()
    {
        var x = Spatial4("SpaceToDepth");
        var node = _b.Add(new SpaceToDepth(AttrInt32("blocksize", 0)), Unique(Out), x.Node);
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }
}
