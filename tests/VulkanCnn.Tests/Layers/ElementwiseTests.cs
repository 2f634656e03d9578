// Element-wise layers on the GPU against the C# reference: every activation (with extreme inputs), PReLU, and the
// binary operations with same-shape, per-channel and scalar broadcasting and a fused activation.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class ElementwiseTests : GpuTest
{
    public static IEnumerable<Activation> AllActivations()
    {
        yield return Activation.Relu;
        yield return Activation.LeakyRelu(0.1f);
        yield return Activation.Relu6;
        yield return Activation.Clip(-0.75f, 2.5f);
        yield return Activation.Sigmoid;
        yield return Activation.HardSigmoid();
        yield return Activation.HardSwish;
        yield return Activation.Silu;
        yield return Activation.Tanh;
        yield return Activation.Elu(0.7f);
        yield return Activation.Selu();
        yield return Activation.Softplus;
        yield return Activation.Abs;
        foreach (var k in new[] { ActivationKind.Erf, ActivationKind.Gelu, ActivationKind.GeluTanh, ActivationKind.Mish, ActivationKind.Softsign,
                                  ActivationKind.Floor, ActivationKind.Ceil, ActivationKind.Round, ActivationKind.Sign, ActivationKind.Not })
            yield return new Activation(k);
        yield return Activation.Neg;
        yield return Activation.Affine(0.75f, -0.25f);
    }

    /// <summary>Functions that overflow or are undefined on part of the line: tested on inputs where they are finite.</summary>
    public static IEnumerable<Activation> MathActivations()
    {
        yield return Activation.Exp;
        yield return Activation.Reciprocal;
        yield return Activation.Sqrt;
        yield return new Activation(ActivationKind.Log);
    }

    [TestCaseSource(nameof(MathActivations))]
    public void MathActivationMatchesReference(Activation act)
    {
        var rng = new Random((int)act.Kind + 200);
        var s = new Shape(3, 11, 13);
        // Exp on [-8, 8]; Reciprocal and Sqrt on [0.05, 8.05].
        var x = TestData.Random(rng, s.Size, 8f).Select(v => act.Kind == ActivationKind.Exp ? v : 0.05f + Math.Abs(v)).ToArray();
        CheckLayer(new ActivationLayer(act), new[] { s }, rng, $"activation {act.Kind}", inputs: new[] { x });
    }

    [Test]
    public void EveryActivationKindIsCovered()
    {
        var kinds = AllActivations().Concat(MathActivations()).Select(a => a.Kind).ToHashSet();
        foreach (var k in Enum.GetValues<ActivationKind>().Where(k => k != ActivationKind.None))
            Assert.That(kinds, Does.Contain(k), $"no test for {k}");
    }

    [TestCaseSource(nameof(AllActivations))]
    public void ActivationMatchesReference(Activation act)
    {
        var rng = new Random((int)act.Kind + 100);
        var s = new Shape(3, 11, 13);   // 429 elements: two workgroups of 256, not a multiple of the 4 per invocation
        var x = TestData.Random(rng, s.Size, 8f);
        // Large magnitudes: exp overflow in sigmoid/tanh/SiLU/ELU must not produce NaN or a wrong sign.
        float[] extremes = { 30f, -30f, 100f, -100f, 88.7f, -88.7f, 0f, 1e-4f, -1e-4f, 3f, -3f, 6f, -6f };
        extremes.CopyTo(x, 0);
        double err = CheckLayer(new ActivationLayer(act), new[] { s }, rng, $"activation {act.Kind} {act} (alpha {act.Alpha}, beta {act.Beta})", inputs: new[] { x });
        TestContext.Out.WriteLine($"{act.Kind}: max |diff| {err:G3}");
    }

    [Test]
    public void TanhAndSigmoidSaturateWithoutNaN()
    {
        // Independent of the reference: the limits at ±30 are ±1 and 1/0 to within float precision.
        var s = new Shape(1, 1, 4);
        float[] x = { 30f, -30f, 100f, -100f };
        var t = RunGpu(Single(new ActivationLayer(Activation.Tanh), s), x)[0];
        Assert.That(t, Is.EqualTo(new[] { 1f, -1f, 1f, -1f }).Within(1e-6f));
        var sg = RunGpu(Single(new ActivationLayer(Activation.Sigmoid), s), x)[0];
        Assert.That(sg[0], Is.EqualTo(1f).Within(1e-6f));
        Assert.That(sg[1], Is.EqualTo(0f).Within(1e-12f));
        Assert.That(sg[2], Is.EqualTo(1f).Within(1e-6f));
        Assert.That(sg[3], Is.EqualTo(0f).Within(1e-12f));
    }

    private static Network Single(Layer layer, params Shape[] shapes)
    {
        var b = new NetworkBuilder();
        var ins = shapes.Select((s, i) => b.Input(s, $"in{i}")).ToArray();
        b.Add(layer, "layer", ins).Output();
        return b.Build();
    }

    [Test]
    public void PReluPerChannelAndSingleSlope([Values(1, 6)] int slopes)
    {
        var rng = new Random(40 + slopes);
        var s = new Shape(6, 5, 9);
        var p = new PRelu(TestData.Random(rng, slopes, 0.8f));
        CheckLayer(p, new[] { s }, rng, $"PReLU with {slopes} slope(s)");
        Assert.Throws<ArgumentException>(() => new PRelu(new float[4]).OutputShape(new TensorShape[] { s }, "p"));
    }

    [Test]
    public void BinaryMatchesReference(
        [Values(BinaryOp.Add, BinaryOp.Mul, BinaryOp.Sub, BinaryOp.Div, BinaryOp.Max, BinaryOp.Min)] BinaryOp op,
        [Values("same", "channel", "scalar")] string broadcast,
        [Values(false, true)] bool relu)
    {
        var rng = new Random((int)op * 31 + broadcast.Length * 7 + (relu ? 1 : 0));
        var a = new Shape(5, 7, 9);
        var bs = broadcast switch { "same" => a, "channel" => new Shape(5, 1, 1), _ => new Shape(1, 1, 1) };
        // Divisors bounded away from zero: ±[0.5, 1.5].
        var bx = TestData.Random(rng, bs.Size).Select(v => op == BinaryOp.Div ? MathF.CopySign(0.5f + MathF.Abs(v), v) : v).ToArray();
        var layer = new Binary(op) { Activation = relu ? Activation.Relu : Activation.None };
        CheckLayer(layer, new[] { a, bs }, rng, $"{op} with {broadcast} broadcast, relu={relu}", inputs: new[] { null, bx });
    }

    [Test]
    public void FixedOperandMatchesReference([Values(BinaryOp.Sub, BinaryOp.Div, BinaryOp.Pow)] BinaryOp op, [Values(1, 5, 315)] int values)
    {
        var rng = new Random((int)op * 7 + values);
        var v = TestData.Random(rng, values).Select(u => op == BinaryOp.Div ? 0.5f + MathF.Abs(u) : op == BinaryOp.Pow ? MathF.Round(u * 3) : u).ToArray();
        CheckLayer(new Binary(op) { Operand = v, Activation = Activation.Relu }, new[] { new Shape(5, 7, 9) }, rng, $"{op} by {values} fixed values");
    }

    [Test]
    public void ScalarAndPerChannelAffineFoldIntoTheConvolution([Values(BinaryOp.Add, BinaryOp.Sub, BinaryOp.Mul, BinaryOp.Div)] BinaryOp op, [Values(1, 4)] int values)
    {
        var rng = new Random((int)op * 3 + values);
        var b = new NetworkBuilder();
        var conv = b.Input(3, 6, 7).Conv(4, 3, TestData.Random(rng, 4 * 3 * 9), TestData.Random(rng, 4), padding: 1, name: "conv");
        var v = TestData.Random(rng, values).Select(u => 0.5f + MathF.Abs(u)).ToArray();
        b.Add(new Binary(op) { Operand = v }, "affine", conv).Relu("relu").Output();
        var net = b.Build();
        var x = TestData.Random(rng, 3 * 6 * 7);
        using var session = new Session(Ctx, net);
        Assert.That(session.Network.Nodes.Count, Is.EqualTo(2), "conv, affine and ReLU should be one node");
        session.SetInput(x);
        session.Run();
        var y = new float[4 * 6 * 7];
        session.GetOutput(y);
        TestData.AssertClose(CpuReference.Run(net, x)[0], y, $"conv then {op} by {values} values, folded");
    }

    [Test]
    public void EqualAndPowMatchReference([Values("same", "scalar")] string broadcast)
    {
        var rng = new Random(broadcast.Length);
        var a = new Shape(3, 5, 7);
        var bs = broadcast == "same" ? a : new Shape(1, 1, 1);
        // Equal: values on a coarse grid so that equal pairs occur. Pow: positive bases with any exponent, negative bases
        // with integer exponents (odd and even).
        var x = TestData.Random(rng, a.Size).Select(v => MathF.Round(v * 2)).ToArray();
        var y = TestData.Random(rng, bs.Size).Select(v => MathF.Round(v * 2)).ToArray();
        CheckLayer(new Binary(BinaryOp.Equal), new[] { a, bs }, rng, $"Equal {broadcast}", inputs: new[] { x, y });
        var bases = TestData.Random(rng, a.Size, 3f);
        var exps = TestData.Random(rng, bs.Size, 3f);
        for (int i = 0; i < bases.Length; i++)
            if (bases[i] < 0) exps[i % exps.Length] = MathF.Round(exps[i % exps.Length]);
        for (int i = 0; i < bases.Length; i++)
            if (bases[i] < 0 && exps[i % exps.Length] != MathF.Floor(exps[i % exps.Length])) bases[i] = -bases[i];
        CheckLayer(new Binary(BinaryOp.Pow), new[] { a, bs }, rng, $"Pow {broadcast}", inputs: new[] { bases, exps });
    }

    [Test]
    public void BinaryActivationFusedByTheOptimiserMatchesReference()
    {
        // add → LeakyReLU as two nodes: the optimiser fuses them; the result must equal the unfused reference.
        var rng = new Random(77);
        var net = BuildSubLeaky();
        var xs = new[] { TestData.Random(rng, 120), TestData.Random(rng, 4) };
        using var session = new Session(Ctx, net);
        Assert.That(session.Network.Nodes.Count, Is.EqualTo(3), "sub and LeakyReLU fused into one node");
        for (int i = 0; i < 2; i++) session.SetInput(xs[i], i);
        session.Run();
        var actual = new float[120];
        session.GetOutput(actual);
        TestData.AssertClose(CpuReference.Run(net, xs)[0], actual, "sub + LeakyReLU(0.2) fused");
    }

    private static Network BuildSubLeaky()
    {
        var b = new NetworkBuilder();
        var x = b.Input(4, 6, 5, "x");
        var y = b.Input(4, 1, 1, "y");
        b.Add(new Binary(BinaryOp.Sub), "sub", x, y).Activate(Activation.LeakyRelu(0.2f), "leaky").Output();
        return b.Build();
    }

    /// <summary>General numpy broadcasting (broadcast.comp): either operand may repeat along any dimension.</summary>
    [TestCase(5, 7, 9, 1, 7, 9)]
    [TestCase(5, 1, 9, 1, 7, 1)]
    [TestCase(1, 7, 9, 5, 1, 1)]
    [TestCase(5, 7, 1, 5, 1, 9)]
    [TestCase(1, 1, 9, 5, 7, 1)]
    public void GeneralBroadcastMatchesReference(int ac, int ah, int aw, int bc, int bh, int bw)
    {
        var rng = new Random(ac * 100 + ah * 10 + bw);
        foreach (var op in new[] { BinaryOp.Add, BinaryOp.Sub, BinaryOp.Mul, BinaryOp.Max })
        {
            var (a, bs) = (new Shape(ac, ah, aw), new Shape(bc, bh, bw));
            var layer = new Binary(op) { Activation = op == BinaryOp.Sub ? Activation.Relu : Activation.None };
            Assert.That(layer.OutputShape(new TensorShape[] { a, bs }, "b"), Is.EqualTo(new Shape(Math.Max(ac, bc), Math.Max(ah, bh), Math.Max(aw, bw))));
            CheckLayer(layer, new[] { a, bs }, rng, $"{op} of {a} and {bs} (W×H×D)");
        }
    }

    [Test]
    public void BinaryRejectsShapesThatDoNotBroadcast()
    {
        var b = new NetworkBuilder();
        var x = b.Input(4, 6, 5, "x");
        var y = b.Input(3, 1, 1, "y");
        var e = Assert.Throws<ArgumentException>(() => b.Add(new Binary(BinaryOp.Add), "badadd", x, y))!;
        Assert.That(e.Message, Does.Contain("badadd").And.Contain("[1,3,1,1]").And.Contain("[1,4,6,5]"));
    }
}

/// <summary>An activation applied to each element.</summary>
internal sealed class ActivationLayerReference : LayerReference<ActivationLayer>
{
    public override float[] Compute(ActivationLayer a, float[][] x, TensorShape[] s, TensorShape o) =>
        x[0].Select(a.Activation.Apply).ToArray();
}

/// <summary>PReLU with one slope, or one per channel.</summary>
internal sealed class PReluReference : LayerReference<PRelu>
{
    public override float[] Compute(PRelu pr, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], ChannelView(s[0]), ChannelView(o), (xi, si, _) => PReluRef(pr, xi, si));

    public static float[] PReluRef(PRelu p, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        return x.Select((v, i) => v >= 0 ? v : v * p.Slopes[p.Slopes.Length == 1 ? 0 : i / hw]).ToArray();
    }
}

/// <summary>Binary operators with numpy broadcasting, against a second input or a constant operand.</summary>
internal sealed class BinaryReference : LayerReference<Binary>
{
    public override float[] Compute(Binary b, float[][] x, TensorShape[] s, TensorShape o) =>
        b.Operand != null
            ? BroadcastRef(b, x[0], s[0], b.Operand, b.OperandShape(s[0]), o)
            : BroadcastRef(b, x[0], s[0], x[1], s[1], o);

    /// <summary>numpy broadcasting: output index aligned at the last axis, size-1 axes read at 0.</summary>
    public static float[] BroadcastRef(Binary b, float[] x, TensorShape sx, float[] u, TensorShape su, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var oi = Index(i, o);
            float xv = x[BroadcastSource(oi, sx, o.Rank)], v = u[BroadcastSource(oi, su, o.Rank)];
            y[i] = b.Activation.Apply(BinaryValue(b.Op, xv, v));
        }
        return y;
    }

    private static float BinaryValue(BinaryOp op, float xv, float v) => op switch
    {
        BinaryOp.Add => xv + v,
        BinaryOp.Sub => xv - v,
        BinaryOp.Mul => xv * v,
        BinaryOp.Div => xv / v,
        BinaryOp.Max => float.IsNaN(xv) || float.IsNaN(v) ? float.NaN : Math.Max(xv, v),
        BinaryOp.Min => float.IsNaN(xv) || float.IsNaN(v) ? float.NaN : Math.Min(xv, v),
        BinaryOp.Less => xv < v ? 1 : 0,
        BinaryOp.Greater => xv > v ? 1 : 0,
        BinaryOp.LessOrEqual => xv <= v ? 1 : 0,
        BinaryOp.GreaterOrEqual => xv >= v ? 1 : 0,
        BinaryOp.And => xv != 0 && v != 0 ? 1 : 0,
        BinaryOp.Or => xv != 0 || v != 0 ? 1 : 0,
        BinaryOp.Xor => (xv != 0) != (v != 0) ? 1 : 0,
        BinaryOp.Equal => xv == v ? 1 : 0,
        BinaryOp.Pow => v == 0 ? 1 : xv < 0 && v != Math.Floor(v) ? float.NaN : (float)Math.Pow(xv, v),
        _ => throw new NotSupportedException(op.ToString()),
    };
}
