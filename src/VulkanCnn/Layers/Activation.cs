// Activation functions: fused into the layer that produces their input, or standing alone.
namespace VulkanCnn.Layers;

/// <summary>Activation functions that can stand alone or be fused into the layer that produces their input.</summary>
public enum ActivationKind
{
    None = 0, Relu = 1, LeakyRelu = 2, Clip = 3, Sigmoid = 4, HardSigmoid = 5, HardSwish = 6, Silu = 7, Tanh = 8, Elu = 9,
    /// <summary>SELU: Beta·x for x > 0, Beta·Alpha·(eˣ − 1) otherwise (Beta is ONNX's gamma).</summary>
    Selu = 10,
    Softplus = 11, Exp = 12, Abs = 13, Neg = 14, Reciprocal = 15, Sqrt = 16,
    /// <summary>Alpha·x + Beta (a scalar multiply-add after another operation, fused by the optimiser).</summary>
    Affine = 17,
}

/// <summary>An activation with its parameters: LeakyRelu/Elu use Alpha; Clip clamps to [Alpha, Beta];
/// HardSigmoid computes clamp(Alpha·x + Beta, 0, 1).</summary>
public readonly record struct Activation(ActivationKind Kind, float Alpha = 0, float Beta = 0)
{
    public static Activation None => new(ActivationKind.None);
    public static Activation Relu => new(ActivationKind.Relu);
    public static Activation Relu6 => new(ActivationKind.Clip, 0, 6);
    public static Activation Sigmoid => new(ActivationKind.Sigmoid);
    public static Activation Tanh => new(ActivationKind.Tanh);
    public static Activation HardSwish => new(ActivationKind.HardSwish);
    public static Activation Silu => new(ActivationKind.Silu);
    public static Activation LeakyRelu(float alpha = 0.01f) => new(ActivationKind.LeakyRelu, alpha);
    public static Activation Clip(float min, float max) => new(ActivationKind.Clip, min, max);
    public static Activation HardSigmoid(float alpha = 0.2f, float beta = 0.5f) => new(ActivationKind.HardSigmoid, alpha, beta);
    public static Activation Elu(float alpha = 1f) => new(ActivationKind.Elu, alpha);
    public static Activation Selu(float alpha = 1.67326319f, float gamma = 1.05070102f) => new(ActivationKind.Selu, alpha, gamma);
    public static Activation Softplus => new(ActivationKind.Softplus);
    public static Activation Exp => new(ActivationKind.Exp);
    public static Activation Abs => new(ActivationKind.Abs);
    public static Activation Neg => new(ActivationKind.Neg);
    public static Activation Reciprocal => new(ActivationKind.Reciprocal);
    public static Activation Sqrt => new(ActivationKind.Sqrt);
    public static Activation Affine(float scale, float shift) => new(ActivationKind.Affine, scale, shift);

    public bool IsNone => Kind == ActivationKind.None;

    /// <summary>The same function on the CPU (used by the reference implementation and for constant folding).</summary>
    public float Apply(float v) => Kind switch
    {
        ActivationKind.Relu => MathF.Max(v, 0),
        ActivationKind.LeakyRelu => v >= 0 ? v : v * Alpha,
        ActivationKind.Clip => Math.Clamp(v, Alpha, Beta),
        ActivationKind.Sigmoid => 1f / (1f + MathF.Exp(-v)),
        ActivationKind.HardSigmoid => Math.Clamp(v * Alpha + Beta, 0f, 1f),
        ActivationKind.HardSwish => v * Math.Clamp(v / 6f + 0.5f, 0f, 1f),
        ActivationKind.Silu => v / (1f + MathF.Exp(-v)),
        ActivationKind.Tanh => MathF.Tanh(v),
        ActivationKind.Elu => v >= 0 ? v : Alpha * (MathF.Exp(v) - 1),
        ActivationKind.Selu => v > 0 ? Beta * v : Beta * Alpha * (MathF.Exp(v) - 1),
        ActivationKind.Softplus => MathF.Max(v, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(v))),
        ActivationKind.Exp => MathF.Exp(v),
        ActivationKind.Abs => MathF.Abs(v),
        ActivationKind.Neg => -v,
        ActivationKind.Reciprocal => 1 / v,
        ActivationKind.Sqrt => MathF.Sqrt(v),
        ActivationKind.Affine => v * Alpha + Beta,
        _ => v,
    };

    /// <summary>Specialisation constants (ACT, ALPHA bits, BETA bits).</summary>
    internal (int, int, int) Spec => ((int)Kind, BitConverter.SingleToInt32Bits(Alpha), BitConverter.SingleToInt32Bits(Beta));

    public override string ToString() => Kind switch
    {
        ActivationKind.None => "",
        ActivationKind.Clip when Alpha == 0 && Beta == 6 => "ReLU6",
        ActivationKind.Clip => $"Clip({Alpha},{Beta})",
        ActivationKind.LeakyRelu => $"LeakyReLU({Alpha})",
        ActivationKind.Relu => "ReLU",
        ActivationKind.Selu => $"Selu({Alpha},{Beta})",
        ActivationKind.Affine => $"Affine({Alpha:G4},{Beta:G4})",
        _ => Kind.ToString(),
    };
}
