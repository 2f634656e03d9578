// Convolutions and transposed convolutions whose weights (and bias) are tensors of the network rather than constants:
// dynamic filters, the cross-correlation of tracking heads (a template's features as depthwise weights), weights fed
// as graph inputs. GPU side: shaders/conv_weight_pack.comp packs them on the GPU into the layouts conv2d.comp and
// conv_transpose2d.comp read; depthwise convolutions read them as they are (shaders/depthwise_conv2d.comp).
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>
/// <see cref="Window"/> (a <see cref="Conv2d"/> with no weights: kernel, stride, padding, dilation, groups, activation,
/// and a constant bias if it has one) applied with the weights of input 1, [K, D/groups, Fh, Fw] ([K, D/groups, Fw] for
/// a 1-D convolution), and the bias of input 2 ([K]) when there are three inputs.
/// </summary>
public sealed record RuntimeConv(Conv2d Window) : Layer
{
    public override string TypeName => "Conv";
    public override int InputCount => -1;
    public override string Describe() => Window.Describe() + " weights at run time";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        if (inputs.Count is not (2 or 3))
            throw new ArgumentException($"{node}: a Conv with run-time weights takes the input, the weights and optionally the bias; got {inputs.Count} input(s).");
        if (Window.Weights.Length != 0)
            throw new ArgumentException($"{node}: a Conv with run-time weights holds no constant weights ({Window.Weights.Length} given).");
        if (inputs.Count == 3 && Window.Bias != null)
            throw new ArgumentException($"{node}: the bias is both a constant and input 2.");
        var output = Window.WindowShape(inputs[0], node);
        int cg = inputs[0][1] / Window.Groups;
        var expected = inputs[0].Rank == 3 ? new TensorShape(Window.OutChannels, cg, Window.KernelW)
                                           : new TensorShape(Window.OutChannels, cg, Window.KernelH, Window.KernelW);
        if (inputs[1] != expected)
            throw new ArgumentException($"{node}: Conv weights are {inputs[1]}; K={Window.OutChannels} filters of D/groups={cg} × {Window.KernelH} × {Window.KernelW} for input {inputs[0]} need {expected}.");
        if (inputs.Count == 3 && inputs[2] != new TensorShape(Window.OutChannels))
            throw new ArgumentException($"{node}: Conv bias is {inputs[2]}; {Window.OutChannels} filters need [{Window.OutChannels}].");
        if (Window.Bias != null) CheckLength(node, "Conv bias", Window.Bias.Length, Window.OutChannels);
        return output;
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => Window.MultiplyAdds(inputs, output);

    /// <summary>The conv2d.comp layout of the packed weights: channel block, blocks per group, floats of weights and of bias.</summary>
    private (int Cb, int Bpg, long WeightFloats, long BiasFloats) Packing(LayerCompiler c, int cg)
    {
        int kg = Window.OutChannels / Window.Groups;
        int cb = Conv2d.ChooseChannelBlock(kg, c.MaxChannelBlock);
        int bpg = (kg + cb - 1) / cb;
        long blocks = (long)Window.Groups * bpg;
        return (cb, bpg, blocks * Window.KernelH * Window.KernelW * cg * cb, blocks * cb);
    }

    private static bool Depthwise(int cg) => cg == 1;

    internal override ulong ScratchBytes(LayerCompiler c, IReadOnlyList<TensorShape> inputs, TensorShape output)
    {
        int cg = inputs[0][1] / Window.Groups;
        if (Depthwise(cg)) return 0;
        var (_, _, wf, bf) = Packing(c, cg);
        return RuntimeWeights.ScratchBytes(c, wf, bf);
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var w = Window;
        var (n, s) = ImageView(io.Name, "Conv", io.InputShapes[0]);
        var (_, o) = ImageView(io.Name, "Conv", io.OutputShape);
        int cg = s.C / w.Groups, kg = w.OutChannels / w.Groups;
        c.CheckBinding(io.Name, "the input", (ulong)io.InputShapes[0].ElementCount * 4);
        c.CheckBinding(io.Name, "the output", (ulong)io.OutputShape.ElementCount * 4);
        bool biasInput = io.Inputs.Length == 3;
        if (Depthwise(cg))
        {
            // The depthwise kernel reads [K][Fh][Fw] and K biases: the run-time tensors as they are.
            var bias = biasInput ? io.Inputs[2] : c.Upload(w.Bias ?? new float[w.OutChannels], io.Name + " bias");
            Conv2d.EmitDepthwiseDispatch(c, w, io.Inputs[0], io.Inputs[1], bias, io.Output, n, s, o);
            return;
        }
        var (cb, bpg, wf, bf) = Packing(c, cg);
        var (packedWeights, packedBias) = RuntimeWeights.Pack(c, io, cb, bpg, cg, kg, w.KernelH * w.KernelW, wf, bf, w.Bias, transposed: false);
        Conv2d.EmitGemmDispatch(c, io.Inputs[0], io.Output, packedWeights, packedBias, 0, w.Groups * bpg, n, s, o, cb, bpg, cg, kg,
            w.KernelH, w.KernelW, w.StrideH, w.StrideW, w.DilationH, w.DilationW, w.PadTop, w.PadLeft, w.PaddingMode, w.Activation);
    }
}

/// <summary>
/// <see cref="Window"/> (a <see cref="ConvTranspose2d"/> with no weights) applied with the weights of input 1,
/// [D, K/groups, Fh, Fw] ([D, K/groups, Fw] for 1-D), and the bias of input 2 ([K]) when there are three inputs.
/// </summary>
public sealed record RuntimeConvTranspose(ConvTranspose2d Window) : Layer
{
    public override string TypeName => "ConvTranspose";
    public override int InputCount => -1;
    public override string Describe() => Window.Describe() + " weights at run time";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        if (inputs.Count is not (2 or 3))
            throw new ArgumentException($"{node}: a ConvTranspose with run-time weights takes the input, the weights and optionally the bias; got {inputs.Count} input(s).");
        if (Window.Weights.Length != 0)
            throw new ArgumentException($"{node}: a ConvTranspose with run-time weights holds no constant weights ({Window.Weights.Length} given).");
        if (inputs.Count == 3 && Window.Bias != null)
            throw new ArgumentException($"{node}: the bias is both a constant and input 2.");
        var output = Window.WindowShape(inputs[0], node);
        int d = inputs[0][1], kg = Window.OutChannels / Window.Groups;
        var expected = inputs[0].Rank == 3 ? new TensorShape(d, kg, Window.KernelW) : new TensorShape(d, kg, Window.KernelH, Window.KernelW);
        if (inputs[1] != expected)
            throw new ArgumentException($"{node}: ConvTranspose weights are {inputs[1]}; D={d} input channels × K/groups={kg} × {Window.KernelH} × {Window.KernelW} need {expected}.");
        if (inputs.Count == 3 && inputs[2] != new TensorShape(Window.OutChannels))
            throw new ArgumentException($"{node}: ConvTranspose bias is {inputs[2]}; {Window.OutChannels} output channels need [{Window.OutChannels}].");
        if (Window.Bias != null) CheckLength(node, "ConvTranspose bias", Window.Bias.Length, Window.OutChannels);
        return output;
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => Window.MultiplyAdds(inputs, output);

    /// <summary>conv_transpose2d.comp's layout: blocks of 4 output channels (K/4 per group), tap-major over D/groups.</summary>
    private (int Kq, long WeightFloats, long BiasFloats) Packing(int cg)
    {
        int kq = (Window.OutChannels / Window.Groups + 3) / 4;
        long blocks = (long)Window.Groups * kq;
        return (kq, blocks * Window.KernelH * Window.KernelW * cg * 4, blocks * 4);
    }

    internal override ulong ScratchBytes(LayerCompiler c, IReadOnlyList<TensorShape> inputs, TensorShape output)
    {
        var (_, wf, bf) = Packing(inputs[0][1] / Window.Groups);
        return RuntimeWeights.ScratchBytes(c, wf, bf);
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var w = Window;
        var (n, s) = ImageView(io.Name, "ConvTranspose", io.InputShapes[0]);
        var (_, o) = ImageView(io.Name, "ConvTranspose", io.OutputShape);
        int cg = s.C / w.Groups, kg = w.OutChannels / w.Groups;
        var (kq, wf, bf) = Packing(cg);
        var (packedWeights, packedBias) = RuntimeWeights.Pack(c, io, 4, kq, cg, kg, w.KernelH * w.KernelW, wf, bf, w.Bias, transposed: true);
        w.EmitDispatch(c, io.Inputs[0], packedWeights, packedBias, io.Output, n, s, o);
    }
}

/// <summary>The GPU packing of run-time weights into scratch memory (shaders/conv_weight_pack.comp).</summary>
internal static class RuntimeWeights
{
    [PushConstants("conv_weight_pack")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct PackPush { public int Cb, Cg, Taps, Kg, BlocksPerGroup, WeightCount, BiasCount, HasBias, Transposed; }

    private static ulong Align(ulong bytes, LayerCompiler c)
    {
        ulong a = Math.Max(16UL, c.Ctx.DeviceInfo.MinStorageBufferOffsetAlignment);
        return (bytes + a - 1) / a * a;
    }

    /// <summary>Packed weights, then (at the device's offset alignment) the packed bias.</summary>
    public static ulong ScratchBytes(LayerCompiler c, long weightFloats, long biasFloats) => Align((ulong)weightFloats * 4, c) + (ulong)biasFloats * 4;

    /// <summary>
    /// Emits the pack of input 1 (and the bias: input 2, else <paramref name="constantBias"/>, else zeros) into the
    /// scratch region as blocks of <paramref name="cb"/> output channels, <paramref name="bpg"/> blocks per group, each
    /// tap-major over the group's <paramref name="cg"/> input channels; returns the two packed slices.
    /// </summary>
    public static (BufferSlice Weights, BufferSlice Bias) Pack(LayerCompiler c, NodeIO io, int cb, int bpg, int cg, int kg, int taps,
        long weightFloats, long biasFloats, float[]? constantBias, bool transposed)
    {
        c.CheckBinding(io.Name, "the packed weights", (ulong)weightFloats * 4);
        var weights = io.Scratch.Sub(0, (ulong)weightFloats * 4);
        var bias = io.Scratch.Sub(Align((ulong)weightFloats * 4, c), (ulong)biasFloats * 4);
        bool biasInput = io.Inputs.Length == 3;
        var biasSource = biasInput ? io.Inputs[2] : c.Upload(constantBias ?? new float[1], io.Name + " bias");
        var kernel = c.Kernel("conv_weight_pack", 4, (uint)Marshal.SizeOf<PackPush>());
        var (gx, gy) = LayerCompiler.Grid((weightFloats + biasFloats + 63) / 64);
        c.Dispatch(kernel, new[] { io.Inputs[1], biasSource, weights, bias },
            new PackPush
            {
                Cb = cb, Cg = cg, Taps = taps, Kg = kg, BlocksPerGroup = bpg, WeightCount = checked((int)weightFloats), BiasCount = checked((int)biasFloats),
                HasBias = biasInput || constantBias != null ? 1 : 0, Transposed = transposed ? 1 : 0,
            }, gx, gy, writeMask: 0b1100);
        return (weights, bias);
    }
}
