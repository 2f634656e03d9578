// Conv2d on the GPU against the C# reference: seeded random shapes, non-square kernels, strides, dilation, groups,
// every padding mode, fused activations; shape rules and errors from the notes.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class Conv2dTests : GpuTest
{
    private static Conv2d RandomConv(Random rng, int cin, int k, int fh, int fw, int groups, bool bias, Activation act,
                                     int sh = 1, int sw = 1, int pt = 0, int pl = 0, int pb = 0, int pr = 0, int dh = 1, int dw = 1,
                                     PaddingMode mode = PaddingMode.Zero, Rounding rounding = Rounding.Floor) => new()
    {
        OutChannels = k, KernelH = fh, KernelW = fw, StrideH = sh, StrideW = sw, PadTop = pt, PadLeft = pl, PadBottom = pb, PadRight = pr,
        DilationH = dh, DilationW = dw, Groups = groups, PaddingMode = mode, Rounding = rounding, Activation = act,
        Weights = TestData.Random(rng, (long)k * (cin / groups) * fh * fw, 0.5f),
        Bias = bias ? TestData.Random(rng, k, 0.5f) : null,
    };

    private static void Check(Conv2d conv, Shape input, Random rng, string what)
    {
        var b = new NetworkBuilder();
        b.Input(input).Then(conv, "conv").Output();
        var net = b.Build();
        var x = TestData.Random(rng, input.Size);
        var expected = CpuReference.Run(net, x)[0];
        var actual = RunGpu(net, x)[0];
        TestData.AssertClose(expected, actual, $"{what}: input {input} (W×H×D), {conv.Describe()} K={conv.OutChannels} mode={conv.PaddingMode}");
    }

    [Test]
    public void MatchesReferenceOnRandomConfigurations([Range(0, 23)] int seed)
    {
        var rng = new Random(1000 + seed);
        int groups = seed % 6 == 0 ? 2 : seed % 6 == 1 ? 3 : 1;
        int cin = groups * rng.Next(1, 7);
        int k = groups * rng.Next(1, 11);
        int fh = rng.Next(1, 6), fw = rng.Next(1, 6);
        int sh = rng.Next(1, 4), sw = rng.Next(1, 4);
        int dh = seed % 5 == 0 ? 2 : 1, dw = seed % 7 == 0 ? 3 : 1;
        var mode = (PaddingMode)(seed % 3);
        int pmax = mode == PaddingMode.Zero ? 3 : 2;
        int pt = rng.Next(0, pmax), pl = rng.Next(0, pmax), pb = rng.Next(0, pmax), pr = rng.Next(0, pmax);
        int h = rng.Next(Math.Max(3, dh * (fh - 1) + 1), 20), w = rng.Next(Math.Max(3, dw * (fw - 1) + 1), 24);
        var act = (seed % 4) switch { 0 => Activation.None, 1 => Activation.Relu, 2 => Activation.LeakyRelu(0.1f), _ => Activation.Sigmoid };
        var conv = RandomConv(rng, cin, k, fh, fw, groups, seed % 2 == 0, act, sh, sw, pt, pl, pb, pr, dh, dw, mode);
        Check(conv, new Shape(cin, h, w), rng, $"seed {seed}");
    }

    [Test]
    public void WideLayersUseFullChannelBlocks()
    {
        // 64 filters of 3x3x32 on 17x23 (more pixels than one workgroup, channel blocks of 16), plus a 1x1 layer.
        var rng = new Random(5);
        Check(RandomConv(rng, 32, 64, 3, 3, 1, true, Activation.Relu, pt: 1, pl: 1, pb: 1, pr: 1), new Shape(32, 17, 23), rng, "3x3 wide");
        Check(RandomConv(rng, 48, 40, 1, 1, 1, false, Activation.None), new Shape(48, 9, 31), rng, "1x1");
        Check(RandomConv(rng, 16, 24, 3, 3, 1, true, Activation.Relu6, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1), new Shape(16, 30, 30), rng, "3x3 s2");
    }

    [Test]
    public void Depthwise()
    {
        var rng = new Random(6);
        Check(RandomConv(rng, 12, 12, 3, 3, 12, true, Activation.Relu, pt: 1, pl: 1, pb: 1, pr: 1), new Shape(12, 15, 14), rng, "depthwise 3x3");
        Check(RandomConv(rng, 8, 16, 5, 5, 8, false, Activation.None, sh: 2, sw: 2, pt: 2, pl: 2, pb: 2, pr: 2), new Shape(8, 19, 21), rng, "depthwise x2 5x5 s2");
        // The sliding-window path (stride 1) with every padding mode, a wide non-square mask, and dilation.
        Check(RandomConv(rng, 3, 3, 3, 7, 3, true, Activation.None, pt: 1, pl: 3, pb: 1, pr: 3, mode: PaddingMode.Replicate), new Shape(3, 11, 13), rng, "depthwise 3x7 replicate");
        Check(RandomConv(rng, 2, 2, 5, 5, 2, false, Activation.None, pt: 2, pl: 2, pb: 2, pr: 2, mode: PaddingMode.Reflect), new Shape(2, 9, 10), rng, "depthwise 5x5 reflect");
        Check(RandomConv(rng, 4, 4, 3, 3, 4, true, Activation.Relu, pt: 2, pl: 2, pb: 2, pr: 2, dh: 2, dw: 2), new Shape(4, 12, 15), rng, "depthwise 3x3 dilation 2");
        Check(RandomConv(rng, 5, 5, 21, 21, 5, false, Activation.None, pt: 10, pl: 10, pb: 10, pr: 10, mode: PaddingMode.Replicate), new Shape(5, 23, 26), rng, "depthwise 21x21 replicate");
    }

    [Test]
    public void NotesParameterCounts()
    {
        // 10 filters of 5x5x3: 76 parameters each, 760 in all; 16 filters of 5x5x10: 251 each, 4,016 in all.
        var rng = new Random(1);
        Assert.That(RandomConv(rng, 3, 10, 5, 5, 1, true, default).ParameterCount, Is.EqualTo(760));
        Assert.That(RandomConv(rng, 10, 16, 5, 5, 1, true, default).ParameterCount, Is.EqualTo(4016));
    }

    [Test]
    public void NotesOutputSizeFormula()
    {
        // W' = (W - F + 2P)/S + 1: 32x32x3 with 10 filters 5x5, S=1, P=2 keeps 32x32; F=3, P=1 keeps the size; S=2 halves.
        var rng = new Random(2);
        Assert.That(RandomConv(rng, 3, 10, 5, 5, 1, true, default, pt: 2, pl: 2, pb: 2, pr: 2, rounding: Rounding.Exact)
            .OutputShape(new TensorShape[] { new Shape(3, 32, 32) }, "c"), Is.EqualTo(new Shape(10, 32, 32)));
        Assert.That(RandomConv(rng, 3, 10, 3, 3, 1, true, default, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, rounding: Rounding.Exact)
            .OutputShape(new TensorShape[] { new Shape(3, 7, 7) }, "c"), Is.EqualTo(new Shape(10, 4, 4)));
        // The notes' 7x7 input, F=3, S=2 gives 3x3.
        Assert.That(RandomConv(rng, 1, 1, 3, 3, 1, false, default, sh: 2, sw: 2, rounding: Rounding.Exact)
            .OutputShape(new TensorShape[] { new Shape(1, 7, 7) }, "c"), Is.EqualTo(new Shape(1, 3, 3)));
    }

    [Test]
    public void StrideThatDoesNotFitIsRejectedUnlessRoundingIsChosen()
    {
        // The notes: N=7, F=3, S=3 gives (7-3)/3+1 = 2.33.
        var conv = RandomConv(new Random(3), 1, 1, 3, 3, 1, false, default, sh: 3, sw: 3, rounding: Rounding.Exact);
        var b = new NetworkBuilder();
        var x = b.Input(1, 7, 7);
        var e = Assert.Throws<ArgumentException>(() => x.Then(conv, "conv1"))!;
        Assert.That(e.Message, Does.Contain("conv1").And.Contain("2.33").And.Contain("stride"));
        Assert.That((conv with { Rounding = Rounding.Floor }).OutputShape(new TensorShape[] { new Shape(1, 7, 7) }, "c"), Is.EqualTo(new Shape(1, 2, 2)));
        Assert.That((conv with { Rounding = Rounding.Ceil }).OutputShape(new TensorShape[] { new Shape(1, 7, 7) }, "c"), Is.EqualTo(new Shape(1, 3, 3)));
    }

    [Test]
    public void BadWeightsAndShapesNameTheLayerAndNumbers()
    {
        var b = new NetworkBuilder();
        var x = b.Input(3, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => x.Conv(4, 3, new float[10], name: "badconv"))!;
        Assert.That(e.Message, Does.Contain("badconv").And.Contain("10").And.Contain("108"));
        var e2 = Assert.Throws<ArgumentException>(() => x.Conv(4, 3, new float[4 * 3 * 9], new float[3], padding: 1, name: "badbias"))!;
        Assert.That(e2.Message, Does.Contain("badbias").And.Contain("bias").And.Contain("3").And.Contain("4"));
        var e3 = Assert.Throws<ArgumentException>(() => x.Conv(4, 3, new float[4 * 9], groups: 2, name: "badgroups"))!;
        Assert.That(e3.Message, Does.Contain("badgroups").And.Contain("divisible"));
        Assert.Throws<ArgumentException>(() => b.Input(0, 8, 8, "empty"));
    }
}

/// <summary>Convolution from the definition, image by image: every output pixel sums its window (padding modes, dilation, groups).</summary>
internal sealed class Conv2dReference : LayerReference<Conv2d>
{
    public override float[] Compute(Conv2d c, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], s[0], o, (xi, si, oi) => Conv(c, xi, si, oi));

    public static float[] Conv(Conv2d c, float[] x, Shape s, Shape o)
    {
        var y = new float[o.Size];
        int cg = s.C / c.Groups, kg = c.OutChannels / c.Groups;
        for (int k = 0; k < o.C; k++)
        {
            int g = k / kg;
            for (int oy = 0; oy < o.H; oy++)
                for (int ox = 0; ox < o.W; ox++)
                {
                    double acc = c.Bias?[k] ?? 0;
                    for (int ci = 0; ci < cg; ci++)
                        for (int ky = 0; ky < c.KernelH; ky++)
                            for (int kx = 0; kx < c.KernelW; kx++)
                            {
                                int iy = oy * c.StrideH - c.PadTop + ky * c.DilationH;
                                int ix = ox * c.StrideW - c.PadLeft + kx * c.DilationW;
                                if (c.PaddingMode == PaddingMode.Zero)
                                {
                                    if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) continue;
                                }
                                else { iy = MapIndex(iy, s.H, c.PaddingMode); ix = MapIndex(ix, s.W, c.PaddingMode); }
                                double w = c.Weights[((k * cg + ci) * c.KernelH + ky) * c.KernelW + kx];
                                acc += w * x[((g * cg + ci) * s.H + iy) * s.W + ix];
                            }
                    y[(k * o.H + oy) * o.W + ox] = c.Activation.Apply((float)acc);
                }
        }
        return y;
    }
}
