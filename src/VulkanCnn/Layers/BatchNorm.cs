// Inference batch normalisation: y = γ·(x − μ)/sqrt(σ² + ε) + β per channel. Folded into the preceding convolution
// by the graph optimiser when there is one; otherwise shaders/channel_affine.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Batch normalisation with running statistics (inference form).</summary>
public sealed record BatchNorm : Layer
{
    public required float[] Scale { get; init; }
    public required float[] Shift { get; init; }
    public required float[] Mean { get; init; }
    public required float[] Variance { get; init; }
    public float Epsilon { get; init; } = 1e-5f;
    public Activation Activation { get; init; }

    public override string TypeName => "BatchNorm";
    /// <summary>γ and β are learned; μ and σ² are running statistics (PyTorch counts them as buffers, not parameters).</summary>
    public override long ParameterCount => Scale.Length + Shift.Length;

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "BatchNorm", inputs, 1);
        if (inputs[0].Rank < 2)
            throw new ArgumentException($"{node}: BatchNorm needs a channel axis (rank 2 or more); got {inputs[0]}.");
        int c = inputs[0][1];
        CheckLength(node, "BatchNorm scale", Scale.Length, c);
        CheckLength(node, "BatchNorm shift", Shift.Length, c);
        CheckLength(node, "BatchNorm mean", Mean.Length, c);
        CheckLength(node, "BatchNorm variance", Variance.Length, c);
        for (int i = 0; i < c; i++)
            if (Variance[i] + Epsilon <= 0)
                throw new ArgumentException($"{node}: BatchNorm variance[{i}] = {Variance[i]} plus epsilon {Epsilon} is not positive.");
        return inputs[0];
    }

    /// <summary>Per-channel (multiplier, offset) such that y = x·m + o.</summary>
    public (float[] Mul, float[] Add) Affine()
    {
        var m = new float[Scale.Length];
        var a = new float[Scale.Length];
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = (float)(Scale[i] / Math.Sqrt((double)Variance[i] + Epsilon));
            a[i] = (float)(Shift[i] - (double)Mean[i] * m[i]);
        }
        return (m, a);
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => output.ElementCount;

    [PushConstants("channel_affine")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int Count, HW, C; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var (m, a) = Affine();
        var packed = new float[m.Length * 2];
        for (int i = 0; i < m.Length; i++) { packed[2 * i] = m[i]; packed[2 * i + 1] = a[i]; }
        var ss = c.Upload(packed, io.Name + " affine");
        var (k, al, be) = Activation.Spec;
        var kernel = c.Kernel("channel_affine", 3, (uint)Marshal.SizeOf<Push>(), k, al, be);
        var o = io.OutputShape;
        var (ch, hw) = ActivationLayer.Channels(o);
        long perItem = (long)ch * hw, items = o.ElementCount / Math.Max(1, perItem);
        var (x, y) = LayerCompiler.Grid((perItem + 63) / 64);
        c.Dispatch(kernel, new[] { io.Inputs[0], ss, io.Output }, new Push { Count = checked((int)perItem), HW = hw, C = ch }, x, y, checked((uint)items));
    }
}
