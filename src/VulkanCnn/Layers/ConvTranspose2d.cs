// Transposed convolution (learned upsampling in segmentation decoders). GPU side: shaders/conv_transpose2d.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>
/// Transposed convolution. Weights are [D][K/groups][Fh][Fw] (PyTorch ConvTranspose2d / ONNX ConvTranspose).
/// Output size: (W − 1)·S − Pl − Pr + dilation·(F − 1) + 1 + outputPadding.
/// </summary>
public sealed record ConvTranspose2d : Layer
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
    public int OutputPadH { get; init; }
    public int OutputPadW { get; init; }
    public int DilationH { get; init; } = 1;
    public int DilationW { get; init; } = 1;
    public int Groups { get; init; } = 1;
    public Activation Activation { get; init; }
    public required float[] Weights { get; init; }
    public float[]? Bias { get; init; }

    public override string TypeName => "ConvTranspose";
    public override long ParameterCount => Weights.LongLength + (Bias?.LongLength ?? 0);
    public override string Describe() => $"{KernelW}x{KernelH}/{StrideW}" + (PadTop > 0 ? $" p{PadTop}" : "");

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "ConvTranspose", inputs, 1);
        var output = WindowShape(inputs[0], node);
        int c = inputs[0][1];
        CheckLength(node, $"ConvTranspose weights (D={c} × K/groups={OutChannels / Groups} × {KernelH} × {KernelW})", Weights.Length, (long)c * (OutChannels / Groups) * KernelH * KernelW);
        if (Bias != null) CheckLength(node, "ConvTranspose bias", Bias.Length, OutChannels);
        return output;
    }

    /// <summary>The output shape for <paramref name="input"/> by the window settings alone (the weights not looked at).</summary>
    internal TensorShape WindowShape(TensorShape input, string node)
    {
        var (n, s) = ImageView(node, "ConvTranspose", input);
        if (input.Rank == 3 && (KernelH != 1 || StrideH != 1 || PadTop != 0 || PadBottom != 0 || OutputPadH != 0))
            throw new ArgumentException($"{node}: a 1-D ConvTranspose (input {input}) needs kernel height and stride 1 and no height padding.");
        if (n > 65535) throw new NotSupportedException($"{node}: ConvTranspose batch {n} exceeds 65,535.");
        CheckNotEmpty(node, s);
        if (OutChannels <= 0 || KernelH <= 0 || KernelW <= 0 || StrideH <= 0 || StrideW <= 0 || Groups <= 0 || DilationH <= 0 || DilationW <= 0)
            throw new ArgumentException($"{node}: ConvTranspose needs positive sizes (K={OutChannels}, F={KernelH}x{KernelW}, S={StrideH}x{StrideW}, groups={Groups}).");
        if (s.C % Groups != 0 || OutChannels % Groups != 0)
            throw new ArgumentException($"{node}: ConvTranspose with {Groups} groups needs input ({s.C}) and output ({OutChannels}) channels divisible by {Groups}.");
        int oh = (s.H - 1) * StrideH - PadTop - PadBottom + DilationH * (KernelH - 1) + 1 + OutputPadH;
        int ow = (s.W - 1) * StrideW - PadLeft - PadRight + DilationW * (KernelW - 1) + 1 + OutputPadW;
        if (oh <= 0 || ow <= 0) throw new ArgumentException($"{node}: ConvTranspose output {ow}x{oh} is empty.");
        return ImageTensor(n, new Shape(OutChannels, oh, ow), input.Rank);
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) =>
        inputs[0].ElementCount * (OutChannels / Groups) * KernelH * KernelW;

    [PushConstants("conv_transpose2d")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, H, W, K, OH, OW, PadTop, PadLeft, Cg, Kg, KgQ, Batches; }

    /// <summary>
    /// Kernel equal to the stride (square), no padding, dilation or groups: the 2×2/2 upsampling of segmentation decoders
    /// (PP-OCR's DB head). Each output pixel then takes exactly one tap per input channel, so the layer is a 1×1
    /// convolution to K·s² channels (the fast convolution kernels) followed by a pixel shuffle (DepthToSpace, CRD order).
    /// </summary>
    private bool SubPixel => KernelH == StrideH && KernelW == StrideW && StrideH == StrideW && StrideH > 1 && Groups == 1 &&
                             PadTop == 0 && PadLeft == 0 && PadBottom == 0 && PadRight == 0 && OutputPadH == 0 && OutputPadW == 0 &&
                             DilationH == 1 && DilationW == 1;

    internal override ulong ScratchBytes(LayerCompiler c, IReadOnlyList<TensorShape> inputs, TensorShape output) =>
        SubPixel ? (ulong)output.ElementCount * 4 : 0;

    private void CompileSubPixel(LayerCompiler c, NodeIO io)
    {
        var (n, s) = ImageView(io.Name, "ConvTranspose", io.InputShapes[0]);
        int f = StrideH, f2 = f * f, k = OutChannels;
        // 1×1 weights [k·f² + dy·f + dx][c] = W[c][k][dy][dx]; the bias repeats per block position.
        var w = new float[k * f2 * s.C];
        for (int ci = 0; ci < s.C; ci++)
            for (int kk = 0; kk < k; kk++)
                for (int d = 0; d < f2; d++)
                    w[(kk * f2 + d) * s.C + ci] = Weights[(ci * k + kk) * f2 + d];
        float[]? bias = null;
        if (Bias != null)
        {
            bias = new float[k * f2];
            for (int kk = 0; kk < k; kk++) Array.Fill(bias, Bias[kk], kk * f2, f2);
        }
        var mid = TensorShape.Image(n, k * f2, s.H, s.W);
        var scratch = io.Scratch.Sub(0, (ulong)mid.ElementCount * 4);
        var conv = new Conv2d { OutChannels = k * f2, KernelH = 1, KernelW = 1, Weights = w, Bias = bias, Activation = Activation };
        conv.Compile(c, new NodeIO { Name = io.Name, Inputs = io.Inputs, InputShapes = io.InputShapes, Output = scratch, OutputShape = mid });
        new DepthToSpace(f, Crd: true).Compile(c, new NodeIO { Name = io.Name, Inputs = new[] { scratch }, InputShapes = new[] { mid }, Output = io.Output, OutputShape = io.OutputShape });
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        if (SubPixel) { CompileSubPixel(c, io); return; }
        var (n, s) = ImageView(io.Name, "ConvTranspose", io.InputShapes[0]);
        var (_, o) = ImageView(io.Name, "ConvTranspose", io.OutputShape);
        int cg = s.C / Groups, kg = OutChannels / Groups, kq = (kg + 3) / 4;
        // Pack to [g][kq][ky][kx][cg] vec4 (4 output channels per vec4).
        var packed = new float[Groups * kq * KernelH * KernelW * cg * 4];
        for (int g = 0; g < Groups; g++)
            for (int q = 0; q < kq; q++)
                for (int ky = 0; ky < KernelH; ky++)
                    for (int kx = 0; kx < KernelW; kx++)
                        for (int ci = 0; ci < cg; ci++)
                            for (int e = 0; e < 4; e++)
                            {
                                int kk = q * 4 + e;
                                if (kk >= kg) continue;
                                int src = (((g * cg + ci) * kg + kk) * KernelH + ky) * KernelW + kx;
                                packed[((((g * kq + q) * KernelH + ky) * KernelW + kx) * cg + ci) * 4 + e] = Weights[src];
                            }
        var bias = new float[Groups * kq * 4];
        if (Bias != null)
            for (int g = 0; g < Groups; g++)
                for (int kk = 0; kk < kg; kk++) bias[(g * kq) * 4 + kk] = Bias[g * kg + kk];
        c.CheckBinding(io.Name, "the weights", (ulong)packed.Length * 4);
        var w = c.Upload(packed, io.Name + " weights");
        var b = c.Upload(bias, io.Name + " bias");
        EmitDispatch(c, io.Inputs[0], w, b, io.Output, n, s, o);
    }

    /// <summary>The conv_transpose2d.comp dispatch over weights packed as [g][K/4][Fh][Fw][D/groups] vec4 and their bias.</summary>
    internal void EmitDispatch(LayerCompiler c, BufferSlice input, BufferSlice weights, BufferSlice bias, BufferSlice output, int n, Shape s, Shape o)
    {
        int cg = s.C / Groups, kg = OutChannels / Groups, kq = (kg + 3) / 4;
        var (ak, al, be) = Activation.Spec;
        var k = c.Kernel("conv_transpose2d", 4, (uint)Marshal.SizeOf<Push>(), KernelH, KernelW, StrideH, StrideW, DilationH, DilationW, ak, al, be);
        var (gx, gz) = LayerCompiler.Grid((o.H * o.W + 63) / 64);
        c.Dispatch(k, new[] { input, weights, bias, output },
            new Push { C = s.C, H = s.H, W = s.W, K = o.C, OH = o.H, OW = o.W, PadTop = PadTop, PadLeft = PadLeft, Cg = cg, Kg = kg, KgQ = kq, Batches = n },
            gx, checked((uint)(n * Groups * kq)), gz);
    }
}
