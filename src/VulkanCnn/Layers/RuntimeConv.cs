// Convolution whose weights (and bias) are tensors of the network rather than constants: dynamic filters, the
// cross-correlation of tracking heads (a template's features as depthwise weights), weights fed as graph inputs.
// GPU side: shaders/conv_weight_pack.comp packs them on the GPU for conv2d.comp; depthwise convolutions read them as
// they are (shaders/depthwise_conv2d.comp).
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

    [StructLayout(LayoutKind.Sequential)]
    internal struct PackPush { public int Cb, Cg, Taps, Kg, BlocksPerGroup, WeightCount, BiasCount, HasBias; }

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

    private static ulong Align(ulong bytes, LayerCompiler c)
    {
        ulong a = Math.Max(16UL, c.Ctx.DeviceInfo.MinStorageBufferOffsetAlignment);
        return (bytes + a - 1) / a * a;
    }

    internal override ulong ScratchBytes(LayerCompiler c, IReadOnlyList<TensorShape> inputs, TensorShape output)
    {
        int cg = inputs[0][1] / Window.Groups;
        if (Depthwise(cg)) return 0;
        var (_, _, wf, bf) = Packing(c, cg);
        return Align((ulong)wf * 4, c) + (ulong)bf * 4;
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
        c.CheckBinding(io.Name, "the packed weights", (ulong)wf * 4);
        ulong weightBytes = Align((ulong)wf * 4, c);
        var packedWeights = io.Scratch.Sub(0, (ulong)wf * 4);
        var packedBias = io.Scratch.Sub(weightBytes, (ulong)bf * 4);
        // Input 2, or the constant bias, or nothing: the pack kernel zero-fills where there is no bias.
        var biasSource = biasInput ? io.Inputs[2] : c.Upload(w.Bias ?? new float[1], io.Name + " bias");
        var pack = c.Kernel("conv_weight_pack", 4, (uint)Marshal.SizeOf<PackPush>());
        var (gx, gy) = LayerCompiler.Grid((wf + bf + 63) / 64);
        c.Dispatch(pack, new[] { io.Inputs[1], biasSource, packedWeights, packedBias },
            new PackPush { Cb = cb, Cg = cg, Taps = w.KernelH * w.KernelW, Kg = kg, BlocksPerGroup = bpg, WeightCount = checked((int)wf), BiasCount = checked((int)bf),
                           HasBias = biasInput || w.Bias != null ? 1 : 0 }, gx, gy, writeMask: 0b1100);
        Conv2d.EmitGemmDispatch(c, io.Inputs[0], io.Output, packedWeights, packedBias, 0, w.Groups * bpg, n, s, o, cb, bpg, cg, kg,
            w.KernelH, w.KernelW, w.StrideH, w.StrideW, w.DilationH, w.DilationW, w.PadTop, w.PadLeft, w.PaddingMode, w.Activation);
    }
}
