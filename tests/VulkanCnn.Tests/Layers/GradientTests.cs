// Gradient (Sobel strength and direction from fx/fy channel pairs) on the GPU against the C# reference, including the
// direction's conventions on the axes, and its shape rules.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class GradientTests : GpuTest
{
    private static float[] Check(GradientMode mode, Shape input, float[] x, string what)
    {
        var b = new NetworkBuilder();
        b.Input(input).Then(new Gradient(mode), "gradient").Output();
        var net = b.Build();
        var expected = CpuReference.Run(net, x)[0];
        var actual = RunGpu(net, x)[0];
        TestData.AssertClose(expected, actual, $"{what}: {mode} on {input} (W×H×D)");
        return actual;
    }

    [Test]
    public void MatchesReferenceOnRandomData([Values] GradientMode mode, [Values(2, 6)] int channels)
    {
        // 37x29 pixels: more than one workgroup, not a multiple of 64; some exact zeros among the values.
        var rng = new Random(11 + channels);
        var shape = new Shape(channels, 29, 37);
        var x = TestData.Random(rng, shape.Size, 50f);
        for (int i = 0; i < x.Length; i += 7) x[i] = 0;
        Check(mode, shape, x, $"seed {11 + channels}");
    }

    [Test]
    public void DirectionConventionsOnTheAxes()
    {
        // (fx, fy) = (0,0) → 0, (1,0) → 0, (−1,0) → π (never −π), (0,1) → π/2 (y points down), (0,−1) → −π/2.
        float[] fx = { 0, 1, -1, 0, 0, -1, -1 };
        float[] fy = { 0, 0, 0, 1, -1, 1, -1 };
        var x = fx.Concat(fy).ToArray();
        var y = Check(GradientMode.Direction, new Shape(2, 1, 7), x, "axes");
        double[] expected = { 0, 0, Math.PI, Math.PI / 2, -Math.PI / 2, 3 * Math.PI / 4, -3 * Math.PI / 4 };
        for (int i = 0; i < expected.Length; i++)
            Assert.That(y[i], Is.EqualTo(expected[i]).Within(1e-5), $"direction of ({fx[i]}, {fy[i]})");
    }

    [Test]
    public void PushConstantStructMatchesShaderBlock()
    {
        // gradient.comp: push_constant { int count, HW; }
        Assert.That(System.Runtime.InteropServices.Marshal.SizeOf<Gradient.Push>(), Is.EqualTo(8));
    }

    [Test]
    public void OddChannelCountIsRejected()
    {
        var b = new NetworkBuilder();
        var x = b.Input(3, 4, 4);
        var e = Assert.Throws<ArgumentException>(() => x.Then(new Gradient(GradientMode.Magnitude), "grad1"))!;
        Assert.That(e.Message, Does.Contain("grad1").And.Contain("even").And.Contain("3"));
        Assert.That(new Gradient(GradientMode.Direction).OutputShape(new TensorShape[] { new Shape(4, 5, 6) }, "g"), Is.EqualTo(new Shape(2, 5, 6)));
    }
}

/// <summary>Gradient strength or direction from (fx, fy) channel pairs, image by image.</summary>
internal sealed class GradientReference : LayerReference<Gradient>
{
    public override float[] Compute(Gradient g, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], s[0], o, (xi, _, oi) => GradientRef(g, xi, oi));

    /// <summary>Channel c of the output from input channels 2c (fx) and 2c+1 (fy): strength or direction atan2(fy, fx),
    /// with the layer's convention of 0 where fx = fy = 0 and π (not −π) on the negative fx axis.</summary>
    public static float[] GradientRef(Gradient g, float[] x, Shape o)
    {
        int hw = o.H * o.W;
        var y = new float[o.Size];
        for (int c = 0; c < o.C; c++)
            for (int p = 0; p < hw; p++)
            {
                double fx = x[2 * c * hw + p], fy = x[(2 * c + 1) * hw + p];
                y[c * hw + p] = (float)(g.Mode == GradientMode.Magnitude
                    ? Math.Sqrt(fx * fx + fy * fy)
                    : fy == 0 ? (fx < 0 ? Math.PI : 0) : Math.Atan2(fy, fx));
            }
        return y;
    }
}
