// Element-wise layers: standalone activations, PReLU, and binary operations with channel broadcasting
// (residual additions). GPU side: shaders/eltwise.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>Binary element-wise operations (Equal gives 1 where the values are equal, else 0; Pow follows ONNX: a negative base needs an integer exponent).</summary>
public enum BinaryOp { Add = 1, Mul = 2, Sub = 3, Div = 4, Max = 6, Min = 7, Equal = 8, Pow = 9 }

[StructLayout(LayoutKind.Sequential)]
internal struct EltwisePush { public int Count, HW; }

/// <summary>An activation function applied to every element (usually fused into the layer before it).</summary>
public sealed record ActivationLayer(Activation Activation) : Layer
{
    public override string TypeName => Activation.Kind == ActivationKind.Clip && Activation.Alpha == 0 && Activation.Beta == 6 ? "ReLU6" : Activation.Kind.ToString();

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        if (Activation.Kind == ActivationKind.Clip && Activation.Alpha > Activation.Beta)
            throw new ArgumentException($"{node}: Clip minimum {Activation.Alpha} is above its maximum {Activation.Beta}.");
        return inputs[0];
    }

    internal override void Compile(LayerCompiler c, NodeIO io) =>
        Emit(c, io.Inputs[0], io.Inputs[0], io.Output, io.OutputShape, 0, 0, Activation);

    internal static void Emit(LayerCompiler c, Vulkan.BufferSlice a, Vulkan.BufferSlice b, Vulkan.BufferSlice output, Shape shape, int op, int bmode, Activation act)
    {
        var (k, al, be) = act.Spec;
        var kernel = c.Kernel("eltwise", 3, (uint)Marshal.SizeOf<EltwisePush>(), op, bmode, k, al, be);
        var (x, y) = LayerCompiler.Grid((shape.Size + 255) / 256);
        c.Dispatch(kernel, new[] { a, b, output }, new EltwisePush { Count = checked((int)shape.Size), HW = shape.H * shape.W }, x, y);
    }
}

/// <summary>PReLU: x for x ≥ 0, slope[c]·x otherwise; one slope per channel (or one for all).</summary>
public sealed record PRelu(float[] Slopes) : Layer
{
    public override string TypeName => "PReLU";
    public override long ParameterCount => Slopes.Length;

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "PReLU", inputs, 1);
        if (Slopes.Length != 1 && Slopes.Length != inputs[0].C)
            throw new ArgumentException($"{node}: PReLU has {Slopes.Length} slopes; expected 1 or one per channel ({inputs[0].C}).");
        return inputs[0];
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var slopes = c.Upload(Slopes, io.Name + " slopes");
        ActivationLayer.Emit(c, io.Inputs[0], slopes, io.Output, io.OutputShape, 5, Slopes.Length == 1 ? 2 : 1, Activation.None);
    }
}

[StructLayout(LayoutKind.Sequential)]
internal struct BroadcastPush { public int C, H, W, AC, AH, AW, BC, BH, BW; }

/// <summary>
/// A binary operation of two tensors with numpy broadcasting over (D,H,W): along each dimension the two sizes are
/// equal or one of them is 1, and the output takes the larger. The common cases (second input of the same shape, one
/// value per channel (D,1,1), or one value) run on eltwise.comp; any other combination on broadcast.comp.
/// Add is the residual connection of ResNet. An activation may follow (fused). With <see cref="Operand"/> the second
/// tensor is fixed values (same shape, one per channel, or one), kept with the weights: the layer then takes one input,
/// and a convolution before it absorbs a per-channel or scalar Add, Sub, Mul or Div when a session compiles it.
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

    /// <summary>The shape of the fixed operand next to input a.</summary>
    internal Shape OperandShape(Shape a) => Operand!.Length == a.Size ? a : Operand.Length == a.C ? new Shape(a.C, 1, 1) : new Shape(1, 1, 1);

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        if (Operand != null)
        {
            CheckInputCount(node, TypeName, inputs, 1);
            var x = inputs[0];
            if (Operand.Length != x.Size && Operand.Length != x.C && Operand.Length != 1)
                throw new ArgumentException($"{node}: {TypeName} has {Operand.Length} fixed operand values for input {x} (W×H×D): expected {x.Size}, {x.C} or 1.");
            return x;
        }
        CheckInputCount(node, TypeName, inputs, 2);
        var (a, b) = (inputs[0], inputs[1]);
        if (BroadcastMode(a, b) >= 0) return a;
        static bool Fits(int x, int y) => x == y || x == 1 || y == 1;
        if (!Fits(a.C, b.C) || !Fits(a.H, b.H) || !Fits(a.W, b.W))
            throw new ArgumentException($"{node}: {TypeName} cannot broadcast {a} with {b} (W×H×D): each dimension must be equal or 1 in one of them.");
        return new Shape(Math.Max(a.C, b.C), Math.Max(a.H, b.H), Math.Max(a.W, b.W));
    }

    internal static int BroadcastMode(Shape a, Shape b)
    {
        if (a == b) return 0;
        if (b.H == 1 && b.W == 1 && b.C == a.C) return 1;
        if (b.C == 1 && b.H == 1 && b.W == 1) return 2;
        return -1;
    }

    public override long MultiplyAdds(IReadOnlyList<Shape> inputs, Shape output) => output.Size;

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
        // General broadcasting: strides of 0 along the dimensions an operand broadcasts.
        var (k, al, be) = Activation.Spec;
        var kernel = c.Kernel("broadcast", 3, (uint)Marshal.SizeOf<BroadcastPush>(), (int)Op, k, al, be);
        var (x, y) = LayerCompiler.Grid((o.Size + 63) / 64);
        c.Dispatch(kernel, new[] { io.Inputs[0], io.Inputs[1], io.Output }, new BroadcastPush
        {
            C = o.C, H = o.H, W = o.W,
            AC = a.C == 1 ? 0 : a.H * a.W, AH = a.H == 1 ? 0 : a.W, AW = a.W == 1 ? 0 : 1,
            BC = b.C == 1 ? 0 : b.H * b.W, BH = b.H == 1 ? 0 : b.W, BW = b.W == 1 ? 0 : 1,
        }, x, y);
    }
}
