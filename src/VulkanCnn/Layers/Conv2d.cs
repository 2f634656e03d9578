// 2-D convolution: K filters of Fh×Fw×(D/groups), stride, per-side padding (zero, replicate, reflect), dilation,
// groups, optional bias and fused activation, on a batch [N, D, H, W] (or a 1-D batch [N, D, L]). GPU side:
// shaders/conv2d.comp (the batch is workgroup z), shaders/depthwise_conv2d.comp, Winograd.cs.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>
/// Convolution layer. Weights are in PyTorch/ONNX order [K][D/groups][Fh][Fw]; bias has K values.
/// This computes cross-correlation, as CNN frameworks do; the classical filters mirror their masks first.
/// </summary>
public sealed record Conv2d : Layer
{
    public required int OutChannels { get; init; }
    public required int KernelH { get; init; }
    public required int KernelW { get; init; }
    public int StrideH { get; init; } = 1;
    public int StrideW { get; init; } = 1;
    public int PadTop { get; init; }
    public int PadLeft { get; init; }
    public int PadBottom { get; init; }
    public int PadRight { get; init; }
    public int DilationH { get; init; } = 1;
    public int DilationW { get; init; } = 1;
    public int Groups { get; init; } = 1;
    public PaddingMode PaddingMode { get; init; } = PaddingMode.Zero;
    public Rounding Rounding { get; init; } = Rounding.Exact;
    public Activation Activation { get; init; }
    /// <summary>[K][D/groups][Fh][Fw] floats.</summary>
    public required float[] Weights { get; init; }
    /// <summary>K floats, or null for no bias.</summary>
    public float[]? Bias { get; init; }

    public override string TypeName => "Conv";

    public int InChannelsPerGroup => Weights.Length / Math.Max(1, OutChannels * KernelH * KernelW);

    public override long ParameterCount => Weights.LongLength + (Bias?.LongLength ?? 0);

    public override string Describe()
    {
        var s = $"{KernelW}x{KernelH}/{StrideW}";
        if (PadTop != 0 || PadLeft != 0 || PadBottom != 0 || PadRight != 0)
            s += PadTop == PadBottom && PadLeft == PadRight && PadTop == PadLeft ? $" p{PadTop}" : $" p{PadTop},{PadLeft},{PadBottom},{PadRight}";
        if (PaddingMode != PaddingMode.Zero) s += " " + PaddingMode.ToString().ToLowerInvariant();
        if (DilationH != 1 || DilationW != 1) s += $" d{DilationH}";
        if (Groups != 1) s += $" g{Groups}";
        if (!Activation.IsNone) s += " +" + Activation;
        return s;
    }

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Conv", inputs, 1);
        var output = WindowShape(inputs[0], node);
        int cg = inputs[0][1] / Groups;
        CheckLength(node, $"Conv weights (K={OutChannels} × D/groups={cg} × {KernelH} × {KernelW})", Weights.Length, (long)OutChannels * cg * KernelH * KernelW);
        if (Bias != null) CheckLength(node, "Conv bias", Bias.Length, OutChannels);
        return output;
    }

    /// <summary>The output shape for <paramref name="input"/> by the window settings alone (the weights not looked at).</summary>
    internal TensorShape WindowShape(TensorShape input, string node)
    {
        var (n, s) = ImageView(node, "Conv", input);
        if (input.Rank == 3 && (KernelH != 1 || StrideH != 1 || DilationH != 1 || PadTop != 0 || PadBottom != 0))
            throw new ArgumentException($"{node}: a 1-D Conv (input {input}) needs kernel height, stride, dilation 1 and no height padding; got F={KernelH}x{KernelW}, S={StrideH}, pads {PadTop},{PadBottom}.");
        if (n > 65535) throw new NotSupportedException($"{node}: Conv batch {n} exceeds 65,535.");
        CheckNotEmpty(node, s);
        if (OutChannels <= 0 || KernelH <= 0 || KernelW <= 0 || StrideH <= 0 || StrideW <= 0 || DilationH <= 0 || DilationW <= 0 || Groups <= 0)
            throw new ArgumentException($"{node}: Conv needs positive sizes (K={OutChannels}, F={KernelH}x{KernelW}, S={StrideH}x{StrideW}, dilation={DilationH}x{DilationW}, groups={Groups}).");
        if (PadTop < 0 || PadLeft < 0 || PadBottom < 0 || PadRight < 0)
            throw new ArgumentException($"{node}: Conv padding must not be negative ({PadTop},{PadLeft},{PadBottom},{PadRight}).");
        if (s.C % Groups != 0 || OutChannels % Groups != 0)
            throw new ArgumentException($"{node}: Conv with {Groups} groups needs input channels ({s.C}) and filters ({OutChannels}) divisible by {Groups}.");
        if (PaddingMode == PaddingMode.Wrap)
            throw new ArgumentException($"{node}: Conv does not pad in wrap mode; put a Pad layer (mode wrap) before a convolution without padding.");
        if (PaddingMode == PaddingMode.Reflect && (PadTop >= s.H || PadBottom >= s.H || PadLeft >= s.W || PadRight >= s.W))
            throw new ArgumentException($"{node}: reflect padding ({PadTop},{PadLeft},{PadBottom},{PadRight}) must be smaller than the input {s.W}x{s.H}.");
        int oh = SlideOutput(node, "Conv", "height", s.H, KernelH, PadTop, PadBottom, StrideH, DilationH, Rounding);
        int ow = SlideOutput(node, "Conv", "width", s.W, KernelW, PadLeft, PadRight, StrideW, DilationW, Rounding);
        return ImageTensor(n, new Shape(OutChannels, oh, ow), input.Rank);
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) =>
        output.ElementCount * (inputs[0][1] / Groups) * KernelH * KernelW;

    [PushConstants("conv2d_c*")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push
    {
        public int C, H, W, K, OH, OW, PadTop, PadLeft, Cg, Kg, BlocksPerGroup, BlockOffset, DispatchBlocks;
    }

    [PushConstants("depthwise_conv2d", "depthwise_conv2d_window")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct DepthwisePush { public int C, H, W, K, OH, OW, PadTop, PadLeft; }

    /// <summary>One input channel per group: shaders/depthwise_conv2d.comp (no channel blocking to waste).</summary>
    private void EmitDepthwise(LayerCompiler c, NodeIO io, int n, Shape s, Shape o)
    {
        var weights = c.Upload(Weights, io.Name + " weights");
        var bias = c.Upload(Bias ?? new float[OutChannels], io.Name + " bias");
        EmitDepthwiseDispatch(c, this, io.Inputs[0], weights, bias, io.Output, n, s, o);
    }

    /// <summary>The depthwise dispatch of <paramref name="conv"/>'s window over weights [K][Fh][Fw] and K biases.</summary>
    internal static void EmitDepthwiseDispatch(LayerCompiler c, Conv2d conv, BufferSlice input, BufferSlice weights, BufferSlice bias, BufferSlice output, int n, Shape s, Shape o)
    {
        var (ak, al, be) = conv.Activation.Spec;
        var kernel = c.Kernel(c.DepthwiseShader, 4, (uint)Marshal.SizeOf<DepthwisePush>(),
            c.Lanes, conv.KernelH, conv.KernelW, conv.StrideH, conv.StrideW, conv.DilationH, conv.DilationW, (int)conv.PaddingMode, ak, al, be, conv.OutChannels / s.C);
        long quads = (long)(o.W + 3) / 4 * o.H;
        var (gx, gz) = LayerCompiler.Grid((quads + c.Lanes - 1) / c.Lanes);
        c.Dispatch(kernel, new[] { input, weights, bias, output },
            new DepthwisePush { C = s.C, H = s.H, W = s.W, K = o.C, OH = o.H, OW = o.W, PadTop = conv.PadTop, PadLeft = conv.PadLeft }, gx, checked((uint)(n * o.C)), gz);
    }

    /// <summary>
    /// Output channels per workgroup: the largest block up to the device's limit (LayerCompiler.MaxChannelBlock) that
    /// wastes the fewest padded channels. Blocks are 4, 8, 16 or 32: one compiled variant each.
    /// </summary>
    internal static int ChooseChannelBlock(int kg, int max)
    {
        int best = 4;
        long bestTotal = long.MaxValue;
        foreach (int cb in new[] { 32, 16, 8, 4 })
        {
            if (cb > max) continue;
            long total = (kg + cb - 1) / cb * cb;
            if (total < bestTotal) { best = cb; bestTotal = total; }
        }
        return best;
    }

    /// <summary>True when this layer runs as Winograd F(2x2,3x3): 3x3, stride 1, no dilation or groups, enough
    /// channels for the transforms to pay for themselves, and few enough padded tiles (see Winograd.Pays).</summary>
    internal bool UsesWinograd(LayerCompiler c, int n, Shape s, Shape o) =>
        (n == 1 || ImagesAligned(c, s, o)) && c.Winograd && KernelH == 3 && KernelW == 3 && StrideH == 1 && StrideW == 1 && DilationH == 1 && DilationW == 1 &&
        Groups == 1 && s.C >= 16 && OutChannels >= 16 && Winograd.Pays(c, o) && Winograd.Fits(c, s, o);

    /// <summary>Each image of a batch starts at an offset a storage-buffer binding may take on this device (its input
    /// and output sizes are multiples of minStorageBufferOffsetAlignment), so per-image kernels can bind it alone.</summary>
    private static bool ImagesAligned(LayerCompiler c, Shape s, Shape o)
    {
        ulong a = Math.Max(4UL, c.Ctx.DeviceInfo.MinStorageBufferOffsetAlignment);
        return (ulong)s.Size * 4 % a == 0 && (ulong)o.Size * 4 % a == 0;
    }

    internal override ulong ScratchBytes(LayerCompiler c, IReadOnlyList<TensorShape> inputs, TensorShape output)
    {
        var (n, s) = ImageView("", "Conv", inputs[0]);
        var (_, o) = ImageView("", "Conv", output);
        return UsesWinograd(c, n, s, o) ? Winograd.ScratchBytes(c, s, o) : 0;
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var (n, s) = ImageView(io.Name, "Conv", io.InputShapes[0]);
        var (_, o) = ImageView(io.Name, "Conv", io.OutputShape);
        int cg = s.C / Groups, kg = OutChannels / Groups;
        c.CheckBinding(io.Name, "the input", (ulong)io.InputShapes[0].ElementCount * 4);
        c.CheckBinding(io.Name, "the output", (ulong)io.OutputShape.ElementCount * 4);
        if (UsesWinograd(c, n, s, o))
        {
            // A batch runs image by image through the transforms, each image's input and output bound at its own offset.
            ulong inBytes = (ulong)s.Size * 4, outBytes = (ulong)o.Size * 4;
            for (int b = 0; b < n; b++)
                Winograd.Emit(c, n == 1 ? io : new NodeIO
                {
                    Name = io.Name, Inputs = new[] { io.Inputs[0].Sub((ulong)b * inBytes, inBytes) }, InputShapes = io.InputShapes,
                    Output = io.Output.Sub((ulong)b * outBytes, outBytes), OutputShape = io.OutputShape, Scratch = io.Scratch,
                }, this, s, o);
            return;
        }
        if (cg == 1)
        {
            EmitDepthwise(c, io, n, s, o);
            return;
        }
        EmitGemm(c, io.Name, io.Inputs[0], io.Output, n, s, o, Groups, cg, kg, KernelH, KernelW, StrideH, StrideW, DilationH, DilationW,
            PadTop, PadLeft, PaddingMode, Activation, Weights, Bias, (k, cc, ky, kx) => ((k * cg + cc) * KernelH + ky) * KernelW + kx);
    }

    /// <summary>
    /// Packs weights for conv2d.comp and emits its dispatches. Used by Conv2d and Dense. <paramref name="weightIndex"/>
    /// maps (output channel, input channel within group, ky, kx) to the source array.
    /// </summary>
    internal static void EmitGemm(LayerCompiler c, string node, BufferSlice input, BufferSlice output, int batch, Shape s, Shape o,
        int groups, int cg, int kg, int kh, int kw, int sh, int sw, int dh, int dw, int padTop, int padLeft, PaddingMode mode,
        Activation act, float[] weights, float[]? bias, Func<int, int, int, int, int> weightIndex, bool channelLast = false)
    {
        int cb = ChooseChannelBlock(kg, c.MaxChannelBlock);
        int q = cb / 4;
        int bpg = (kg + cb - 1) / cb;
        int blocks = groups * bpg;
        long taps = (long)kh * kw * cg;
        long blockFloats = taps * cb;
        var packed = new float[blocks * blockFloats];
        for (int g = 0; g < groups; g++)
            for (int b = 0; b < bpg; b++)
            {
                long baseIdx = (g * bpg + b) * blockFloats;
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++)
                        for (int cc = 0; cc < cg; cc++)
                        {
                            long t = baseIdx + ((ky * kw + kx) * (long)cg + cc) * cb;
                            for (int j = 0; j < cb; j++)
                            {
                                int kk = b * cb + j;
                                if (kk < kg) packed[t + j] = weights[weightIndex(g * kg + kk, cc, ky, kx)];
                            }
                        }
            }
        var packedBias = new float[blocks * cb];
        if (bias != null)
            for (int g = 0; g < groups; g++)
                for (int kk = 0; kk < kg; kk++)
                    packedBias[(g * bpg) * cb + kk] = bias[g * kg + kk];
        var biasSlice = c.Upload(packedBias, node + " bias");

        // Weights larger than one binding are split into chunks of whole channel blocks, one dispatch each.
        ulong blockBytes = (ulong)blockFloats * 4;
        int chunk = (int)Math.Max(1, Math.Min(blocks, (long)(c.MaxBindingBytes / blockBytes)));
        if (blockBytes > c.MaxBindingBytes)
            throw new ArgumentException($"{node}: one block of {cb} filters needs {blockBytes:N0} bytes, more than the device's {c.MaxBindingBytes:N0}-byte binding limit.");
        for (int first = 0; first < blocks; first += chunk)
        {
            int n = Math.Min(chunk, blocks - first);
            var w = c.Upload(packed.AsSpan((int)(first * blockFloats), (int)(n * blockFloats)), $"{node} weights");
            EmitGemmDispatch(c, input, output, w, biasSlice, first, n, batch, s, o, cb, bpg, cg, kg, kh, kw, sh, sw, dh, dw, padTop, padLeft, mode, act, channelLast);
        }
    }

    /// <summary>
    /// One conv2d.comp dispatch over channel blocks [<paramref name="first"/>, first + <paramref name="count"/>) of
    /// weights packed as <see cref="EmitGemm"/> packs them (blocks of <paramref name="cb"/> filters, tap-major), with
    /// the packed bias of all blocks. Run-time weights (RuntimeConv) are packed on the GPU into the same layout.
    /// </summary>
    internal static void EmitGemmDispatch(LayerCompiler c, BufferSlice input, BufferSlice output, BufferSlice weights, BufferSlice bias,
        int first, int count, int batch, Shape s, Shape o, int cb, int bpg, int cg, int kg, int kh, int kw, int sh, int sw, int dh, int dw,
        int padTop, int padLeft, PaddingMode mode, Activation act, bool channelLast = false)
    {
        int ohw = o.H * o.W;
        // Output pixels per lane: more amortise the weight loads, fewer keep small maps' lanes busy (the threshold
        // for 4 is per device, see LayerCompiler.FourPixelsPerLaneFrom); a dense-like 1x1 output takes 1.
        int ppl = ohw >= c.FourPixelsPerLaneFrom ? 4 : ohw >= 2 * c.Lanes ? 2 : 1;
        var (actKind, alpha, beta) = act.Spec;
        var kernel = c.Kernel($"conv2d_c{cb}p{ppl}{(channelLast ? "_cl" : "")}", 4, (uint)Marshal.SizeOf<Push>(),
            c.Lanes, 0, 0, kh, kw, sh, sw, dh, dw, (int)mode, actKind, alpha, beta, c.Lanes);
        long pixelGroups = (ohw + (long)c.Lanes * ppl - 1) / ((long)c.Lanes * ppl);
        var push = new Push
        {
            C = s.C, H = s.H, W = s.W, K = o.C, OH = o.H, OW = o.W, PadTop = padTop, PadLeft = padLeft,
            Cg = cg, Kg = kg, BlocksPerGroup = bpg, BlockOffset = first, DispatchBlocks = count,
        };
        var (gx, gy) = LayerCompiler.Grid(pixelGroups * count);
        c.Dispatch(kernel, new[] { input, weights, bias, output }, push, gx, gy, (uint)batch);
    }
}
