// Element-wise layers on tensors of any rank: standalone activations, PReLU, and binary operations with numpy
// broadcasting (residual additions). GPU side: shaders/eltwise.comp (same shape, per channel, scalar) and
// shaders/broadcast.comp (any other broadcast).
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Binary element-wise operations (Equal gives 1 where the values are equal, else 0; Pow follows ONNX: a negative base needs an integer exponent).</summary>
public enum BinaryOp
{
    Add = 1, Mul = 2, Sub = 3, Div = 4, Max = 6, Min = 7, Equal = 8, Pow = 9,
    /// <summary>Comparisons and logic on the float path: 1 where true, else 0 (inputs of And/Or/Xor are masks, non-zero true).</summary>
    Less = 10, Greater = 11, LessOrEqual = 12, GreaterOrEqual = 13, And = 14, Or = 15, Xor = 16,
}

[PushConstants("eltwise", "eltwise_ext")]
[StructLayout(LayoutKind.Sequential)]
internal struct EltwisePush { public int Count, HW, C; }

/// <summary>An activation function applied to every element (usually fused into the layer before it).</summary>
public sealed record ActivationLayer(Activation Activation) : Layer
{
    public override string TypeName => Activation.Kind == ActivationKind.Clip && Activation.Alpha == 0 && Activation.Beta == 6 ? "ReLU6" : Activation.Kind.ToString();

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        if (Activation.Kind == ActivationKind.Clip && Activation.Alpha > Activation.Beta)
            throw new ArgumentException($"{node}: Clip minimum {Activation.Alpha} is above its maximum {Activation.Beta}.");
        return inputs[0];
    }

    internal override void Compile(LayerCompiler c, NodeIO io) =>
        Emit(c, io.Inputs[0], io.Inputs[0], io.Output, io.OutputShape, 0, 0, Activation);

    /// <summary>Channels (axis 1) and elements per channel of a tensor, for per-channel operands.</summary>
    internal static (int C, int HW) Channels(TensorShape s) =>
        s.Rank >= 2 ? (s[1], checked((int)s.Product(2, s.Rank))) : (1, checked((int)s.ElementCount));

    internal static void Emit(LayerCompiler c, BufferSlice a, BufferSlice b, BufferSlice output, TensorShape shape, int op, int bmode, Activation act)
    {
        var (k, al, be) = act.ExtendedSpec;
        bool ext = !act.Fusable || op >= (int)BinaryOp.Max;   // see binary_op.glsl: only + − × ÷ and PReLU in eltwise
        var kernel = c.Kernel(ext ? "eltwise_ext" : "eltwise", 3, (uint)Marshal.SizeOf<EltwisePush>(), op, bmode, k, al, be);
        var (x, y) = LayerCompiler.Grid((shape.ElementCount + 255) / 256);
        var (ch, hw) = Channels(shape);
        c.Dispatch(kernel, new[] { a, b, output }, new EltwisePush { Count = checked((int)shape.ElementCount), HW = hw, C = ch }, x, y);
    }
}

/// <summary>PReLU: x for x ≥ 0, slope[c]·x otherwise; one slope per channel (axis 1) or one for all.</summary>
public sealed record PRelu(float[] Slopes) : Layer
{
    public override string TypeName => "PReLU";
    public override long ParameterCount => Slopes.Length;

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "PReLU", inputs, 1);
        var (ch, _) = ActivationLayer.Channels(inputs[0]);
        if (Slopes.Length != 1 && (Slopes.Length != ch || inputs[0].Rank < 2))
            throw new ArgumentException($"{node}: PReLU has {Slopes.Length} slopes for an input {inputs[0]}; expected 1 or one per channel ({ch}).");
        return inputs[0];
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var slopes = c.Upload(Slopes, io.Name + " slopes");
        ActivationLayer.Emit(c, io.Inputs[0], slopes, io.Output, io.OutputShape, 5, Slopes.Length == 1 ? 2 : 1, Activation.None);
    }
}

[PushConstants("broadcast", "broadcast_ext")]
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BroadcastPush
{
    public int Count, Rank, Pad0, Pad1;
    public fixed int Dims[8];
    public fixed int AStride[8];
    public fixed int BStride[8];
}

/// <summary>
/// A binary operation of two tensors with numpy broadcasting at any rank: the shapes are aligned at their last axes,
/// along each axis the two sizes are equal or one of them is 1, and the output takes the larger. The common cases
/// (second input of the same shape, one value per channel, or one value) run on eltwise.comp; any other combination on
/// broadcast.comp. Add is the residual connection of ResNet. An activation may follow (fused). With
/// <see cref="Operand"/> the second tensor is fixed values (same shape, one per channel, or one), kept with the
/// weights: the layer then takes one input, and a convolution before it absorbs a per-channel or scalar Add, Sub, Mul
/// or Div when a session compiles it.
/// </summary>
public sealed record Binary(BinaryOp Op) : Layer
{
    public Activation Activation { get; init; }
    /// <summary>Fixed second operand (null: the second input).</summary>
    public float[]? Operand { get; init; }
    public override string TypeName => Op.ToString();
    public override int InputCount => Operand == null ? 2 : 1;
    public override long ParameterCount => Operand?.Length ?? 0;
    public override string Describe() => (Operand == null ? "" : Operand.Length == 1 ? $"{Operand[0]:G4}" : $"{Operand.Length} values") +
                                         (Activation.IsNone ? "" : (Operand == null ? "" : " ") + "+" + Activation);

    /// <summary>The shape of the fixed operand next to input a: a itself, one value per channel, or a scalar.</summary>
    internal TensorShape OperandShape(TensorShape a)
    {
        if (Operand!.Length == a.ElementCount) return a;
        if (Operand.Length == 1) return TensorShape.Scalar;
        var d = new int[a.Rank];
        Array.Fill(d, 1);
        d[1] = a[1];
        return new TensorShape(d);
    }

    /// <summary>The numpy broadcast of two shapes, or null when they do not broadcast.</summary>
    public static TensorShape? BroadcastShape(TensorShape a, TensorShape b)
    {
        int r = Math.Max(a.Rank, b.Rank);
        var d = new int[r];
        for (int k = 0; k < r; k++)
        {
            int x = k - (r - a.Rank) >= 0 ? a[k - (r - a.Rank)] : 1;
            int y = k - (r - b.Rank) >= 0 ? b[k - (r - b.Rank)] : 1;
            if (x != y && x != 1 && y != 1) return null;
            d[k] = x == 1 ? y : x;
        }
        return new TensorShape(d);
    }

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        if (Operand != null)
        {
            CheckInputCount(node, TypeName, inputs, 1);
            var x = inputs[0];
            int ch = x.Rank >= 2 ? x[1] : -1;
            if (Operand.Length != x.ElementCount && Operand.Length != ch && Operand.Length != 1)
                throw new ArgumentException($"{node}: {TypeName} has {Operand.Length} fixed operand values for input {x}: expected {x.ElementCount}, {(ch > 0 ? $"{ch} (one per channel) " : "")}or 1.");
            return x;
        }
        CheckInputCount(node, TypeName, inputs, 2);
        return BroadcastShape(inputs[0], inputs[1]) ??
               throw new ArgumentException($"{node}: {TypeName} cannot broadcast {inputs[0]} with {inputs[1]}: aligned at the last axis, each dimension must be equal or 1 in one of them.");
    }

    /// <summary>eltwise.comp's mode for b next to a (the output being a's shape): 0 same shape, 1 one value per channel
    /// (axis 1), 2 one value; -1 when only the general kernel fits.</summary>
    internal static int BroadcastMode(TensorShape a, TensorShape b)
    {
        if (a == b || (a.ElementCount == b.ElementCount && b.ElementCount == 1)) return 0;
        if (b.ElementCount == 1) return 2;
        if (a.Rank < 2 || b.Rank > a.Rank) return -1;
        int off = a.Rank - b.Rank;
        for (int k = 0; k < b.Rank; k++)
            if (b[k] != 1 && !(k + off == 1 && b[k] == a[1])) return -1;
        return 1;
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => output.ElementCount;

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        if (Operand != null)
        {
            var s = io.InputShapes[0];
            ActivationLayer.Emit(c, io.Inputs[0], c.Upload(Operand, io.Name + " operand"), io.Output, io.OutputShape, (int)Op, BroadcastMode(s, OperandShape(s)), Activation);
            return;
        }
        var (a, b, o) = (io.InputShapes[0], io.InputShapes[1], io.OutputShape);
        int mode = BroadcastMode(a, b);
        if (mode >= 0 && a == o)
        {
            ActivationLayer.Emit(c, io.Inputs[0], io.Inputs[1], io.Output, o, (int)Op, mode, Activation);
            return;
        }
        EmitBroadcast(c, io.Name, io.Inputs[0], io.Inputs[1], io.Output, a, b, o);
    }

    /// <summary>General broadcasting: strides of 0 along the axes an operand broadcasts; axes that broadcast alike merged.</summary>
    private unsafe void EmitBroadcast(LayerCompiler c, string node, BufferSlice ba, BufferSlice bb, BufferSlice bo, TensorShape a, TensorShape b, TensorShape o)
    {
        var (d, st) = StridedAxes.Merge(o.Dims, StridedAxes.BroadcastStrides(a, o), StridedAxes.BroadcastStrides(b, o));
        var (ma, mb) = (st[0], st[1]);
        var push = new BroadcastPush { Count = checked((int)o.ElementCount), Rank = d.Count };
        for (int k = 0; k < d.Count; k++)
        {
            push.Dims[k] = checked((int)d[k]);
            push.AStride[k] = checked((int)ma[k]);
            push.BStride[k] = checked((int)mb[k]);
        }
        var (k2, al, be) = Activation.Spec;
        var kernel = c.Kernel(Op >= BinaryOp.Max ? "broadcast_ext" : "broadcast", 3, (uint)sizeof(BroadcastPush), (int)Op, k2, al, be);
        var (x, y) = LayerCompiler.Grid((o.ElementCount + 63) / 64);
        c.Dispatch(kernel, new[] { ba, bb, bo }, push, x, y);
    }
}
