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
    Erf = 18,
    /// <summary>GELU, exact: x·(1 + erf(x/√2))/2.</summary>
    Gelu = 19,
    /// <summary>GELU, tanh approximation: x·(1 + tanh(√(2/π)·(x + 0.044715x³)))/2.</summary>
    GeluTanh = 20,
    /// <summary>Mish: x·tanh(softplus(x)).</summary>
    Mish = 21,
    /// <summary>Softsign: x/(1 + |x|).</summary>
    Softsign = 22,
    Floor = 23, Ceil = 24,
    /// <summary>Round half to even (ONNX Round).</summary>
    Round = 25,
    Sign = 26, Log = 27,
    /// <summary>Logical not of a 0/1 mask: 1 where x is 0, else 0.</summary>
    Not = 28,
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
        ActivationKind.Erf => (float)ErfReference(v),
        ActivationKind.Gelu => (float)(0.5 * v * (1 + ErfReference(v / Math.Sqrt(2)))),
        ActivationKind.GeluTanh => (float)(0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * (double)v * v * v)))),
        ActivationKind.Mish => (float)(v * Math.Tanh(Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs((double)v))))),
        ActivationKind.Softsign => v / (1 + MathF.Abs(v)),
        ActivationKind.Floor => MathF.Floor(v),
        ActivationKind.Ceil => MathF.Ceiling(v),
        ActivationKind.Round => MathF.Round(v, MidpointRounding.ToEven),
        ActivationKind.Sign => MathF.Sign(v) == 0 || float.IsNaN(v) ? (float.IsNaN(v) ? v : 0) : MathF.Sign(v),
        ActivationKind.Log => MathF.Log(v),
        ActivationKind.Not => v == 0 ? 1 : 0,
        _ => v,
    };

    /// <summary>
    /// erf in double precision, from its definitions: the Maclaurin series below |x| = 3 (terms stay below 200, so
    /// about 13 digits survive), and 1 − erfc by its asymptotic expansion beyond (erfc(3) ≈ 2.2e-5, four terms).
    /// </summary>
    internal static double ErfReference(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x);
        double r;
        if (a < 3)
        {
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double u = 1 / (2 * a * a);
            double series = 1 - u + 3 * u * u - 15 * u * u * u + 105 * u * u * u * u;
            r = 1 - Math.Exp(-a * a) / (a * Math.Sqrt(Math.PI)) * series;
        }
        return x < 0 ? -r : r;
    }

    /// <summary>
    /// Whether a layer can apply it to its own outputs. Kinds from Erf on exist only in the standalone activation kernel
    /// (eltwise_ext): in every other kernel their code would cost each activation on SwiftShader, which keeps the code of
    /// all specialisation values.
    /// </summary>
    public bool Fusable => Kind < ActivationKind.Erf;

    /// <summary>Specialisation constants (ACT, ALPHA bits, BETA bits) of a fusable activation.</summary>
    internal (int, int, int) Spec => Fusable ? ExtendedSpec
        : throw new ArgumentException($"Activation {Kind} cannot be fused into a layer; add it as a separate ActivationLayer.");

    /// <summary>Specialisation constants of any activation, for the standalone kernel.</summary>
    internal (int, int, int) ExtendedSpec => ((int)Kind, BitConverter.SingleToInt32Bits(Alpha), BitConverter.SingleToInt32Bits(Beta));

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
