// ConvTranspose2d on the GPU (gather form) against the reference's scatter form: strides 1-3, padding, groups,
// dilation, output padding, bias and fused activation.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class ConvTranspose2dTests : GpuTest
{
    [Test]
    public void MatchesReferenceOnRandomConfigurations([Range(0, 23)] int seed)
    {
        var rng = new Random(3000 + seed);
        int groups = seed % 4 == 3 ? 2 : seed % 8 == 5 ? 3 : 1;
        int cin = groups * rng.Next(1, 5), k = groups * rng.Next(1, 7);
        int kh = rng.Next(1, 5), kw = rng.Next(1, 5);
        int sh = 1 + seed % 3, sw = 1 + (seed / 3) % 3;
        int dh = seed % 5 == 4 ? 2 : 1, dw = seed % 7 == 6 ? 2 : 1;
        int pt = rng.Next(0, kh), pb = rng.Next(0, kh), pl = rng.Next(0, kw), pr = rng.Next(0, kw);
        // Output padding must be smaller than the stride or the dilation (PyTorch's rule).
        int oph = rng.Next(0, Math.Max(sh, dh)), opw = rng.Next(0, Math.Max(sw, dw));
        int h = rng.Next(2, 9), w = rng.Next(2, 10);
        var act = seed % 3 == 0 ? Activation.Relu : Activation.None;
        var t = new ConvTranspose2d
        {
            OutChannels = k, KernelH = kh, KernelW = kw, StrideH = sh, StrideW = sw, PadTop = pt, PadLeft = pl, PadBottom = pb, PadRight = pr,
            OutputPadH = oph, OutputPadW = opw, DilationH = dh, DilationW = dw, Groups = groups, Activation = act,
            Weights = TestData.Random(rng, (long)cin * (k / groups) * kh * kw, 0.5f),
            Bias = seed % 2 == 0 ? TestData.Random(rng, k, 0.5f) : null,
        };
        var what = $"seed {seed}: C={cin} K={k} F={kw}x{kh} S={sw}x{sh} pad t{pt} l{pl} b{pb} r{pr} outpad {opw}x{oph} dilation {dw}x{dh} groups {groups} bias={t.Bias != null} act={act}";
        TensorShape o;
        try { o = t.OutputShape(new TensorShape[] { new Shape(cin, h, w) }, "t"); }
        catch (ArgumentException) { Assert.Ignore($"{what}: empty output"); return; }
        CheckLayer(t, new[] { new Shape(cin, h, w) }, rng, what + $" -> {o}");
    }

    [TestCase(2, 3, 5, 7, 6, true)]    // the DB head's 2x2/2 upsampling: 1x1 convolution + pixel shuffle
    [TestCase(3, 4, 3, 5, 4, false)]
    [TestCase(2, 16, 20, 9, 11, true)]  // enough channels for the convolution's channel blocks
    public void KernelEqualToStrideMatchesReference(int f, int cin, int k, int h, int w, bool bias)
    {
        var rng = new Random(f * 1000 + cin * 10 + k);
        var t = new ConvTranspose2d
        {
            OutChannels = k, KernelH = f, KernelW = f, StrideH = f, StrideW = f, Activation = bias ? Activation.Relu : Activation.None,
            Weights = TestData.Random(rng, (long)cin * k * f * f, 0.5f), Bias = bias ? TestData.Random(rng, k, 0.5f) : null,
        };
        CheckLayer(t, new[] { new Shape(cin, h, w) }, rng, $"ConvTranspose {f}x{f}/{f} C={cin} K={k} {w}x{h} bias={bias}");
    }

    [Test]
    public void StrideTwoKernelTwoTilesTheInput()
    {
        // Independent of the reference: a 2x2/2 transposed convolution with all-ones weights copies each input pixel
        // into its 2x2 output block.
        var t = new ConvTranspose2d { OutChannels = 1, KernelH = 2, KernelW = 2, StrideH = 2, StrideW = 2, Weights = new float[] { 1, 1, 1, 1 } };
        var b = new NetworkBuilder();
        b.Input(1, 2, 2).Then(t).Output();
        var y = RunGpu(b.Build(), new float[] { 1, 2, 3, 4 })[0];
        Assert.That(y, Is.EqualTo(new float[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }));
    }

    [Test]
    public void OutputSizeFormula()
    {
        // (W − 1)·S − Pl − Pr + dilation·(F − 1) + 1 + outputPadding: 7 → 13 for F=3, S=2, P=1; 14 with output padding 1.
        var t = new ConvTranspose2d { OutChannels = 2, KernelH = 3, KernelW = 3, StrideH = 2, StrideW = 2, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1, Weights = new float[4 * 2 * 9] };
        Assert.That(t.OutputShape(new TensorShape[] { new Shape(4, 7, 7) }, "t"), Is.EqualTo(new Shape(2, 13, 13)));
        Assert.That((t with { OutputPadH = 1, OutputPadW = 1 }).OutputShape(new TensorShape[] { new Shape(4, 7, 7) }, "t"), Is.EqualTo(new Shape(2, 14, 14)));
    }
}

/// <summary>Transposed convolution in its scatter form, image by image.</summary>
internal sealed class ConvTranspose2dReference : LayerReference<ConvTranspose2d>
{
    public override float[] Compute(ConvTranspose2d t, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], s[0], o, (xi, si, oi) => ConvTranspose(t, xi, si, oi));

    public static float[] ConvTranspose(ConvTranspose2d t, float[] x, Shape s, Shape o)
    {
        // Scatter form, straight from the definition: every input pixel adds its weighted kernel to the output.
        var acc = new double[o.Size];
        int cg = s.C / t.Groups, kg = t.OutChannels / t.Groups;
        for (int ci = 0; ci < s.C; ci++)
        {
            int g = ci / cg;
            for (int iy = 0; iy < s.H; iy++)
                for (int ix = 0; ix < s.W; ix++)
                {
                    double v = x[(ci * s.H + iy) * s.W + ix];
                    for (int kk = 0; kk < kg; kk++)
                        for (int ky = 0; ky < t.KernelH; ky++)
                            for (int kx = 0; kx < t.KernelW; kx++)
                            {
                                int oy = iy * t.StrideH - t.PadTop + ky * t.DilationH;
                                int ox = ix * t.StrideW - t.PadLeft + kx * t.DilationW;
                                if (oy < 0 || oy >= o.H || ox < 0 || ox >= o.W) continue;
                                int k = g * kg + kk;
                                acc[(k * o.H + oy) * o.W + ox] += v * t.Weights[((ci * kg + kk) * t.KernelH + ky) * t.KernelW + kx];
                            }
                }
        }
        var y = new float[o.Size];
        for (int k = 0; k < o.C; k++)
            for (int p = 0; p < o.H * o.W; p++)
                y[k * o.H * o.W + p] = t.Activation.Apply((float)(acc[k * o.H * o.W + p] + (t.Bias?[k] ?? 0)));
        return y;
    }
}
