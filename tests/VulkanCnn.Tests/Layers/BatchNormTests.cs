// BatchNorm on the GPU: standalone (shaders/channel_affine.comp, with and without a fused activation) and folded into
// the convolution before it by the optimiser, both against the reference of the unoptimised network.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class BatchNormTests : GpuTest
{
    internal static BatchNorm RandomBatchNorm(Random rng, int c, float eps = 1e-5f) => new()
    {
        Scale = TestData.Random(rng, c, 1.5f),
        Shift = TestData.Random(rng, c, 0.5f),
        Mean = TestData.Random(rng, c, 0.5f),
        Variance = TestData.Random(rng, c).Select(v => 0.1f + 2 * MathF.Abs(v)).ToArray(),
        Epsilon = eps,
    };

    private static (float[] Expected, float[] Actual, Network Compiled) Run(Network net, float[] x)
    {
        using var s = new Session(Ctx, net);
        var y = s.Run(x);
        return (CpuReference.Run(net, x)[0], y, s.Network);
    }

    [Test]
    public void StandaloneMatchesReference([Values(1, 5, 13)] int channels, [Values(false, true)] bool relu)
    {
        var rng = new Random(channels * 2 + (relu ? 1 : 0));
        var shape = new Shape(channels, 7, 11);
        var b = new NetworkBuilder();
        var y = b.Input(shape).Then(RandomBatchNorm(rng, channels, 1e-3f), "bn");
        if (relu) y = y.Relu("relu");
        y.Output();
        var net = b.Build();
        var (expected, actual, compiled) = Run(net, TestData.Random(rng, shape.Size, 2f));
        Assert.That(compiled.Nodes.Select(n => n.Layer.TypeName), Is.EqualTo(new[] { "Input", "BatchNorm" }), "input → BN stays a BatchNorm node (ReLU fused into it)");
        TestData.AssertClose(expected, actual, $"standalone BN over {channels} channels, relu={relu}");
    }

    [Test]
    public void FoldedIntoConvolutionMatchesUnfoldedReference([Values(false, true)] bool convBias, [Values(false, true)] bool relu)
    {
        var rng = new Random(50 + (convBias ? 2 : 0) + (relu ? 1 : 0));
        var shape = new Shape(5, 9, 10);
        int k = 7;
        var b = new NetworkBuilder();
        var y = b.Input(shape).Conv(k, 3, TestData.Random(rng, k * 5 * 9, 0.5f), convBias ? TestData.Random(rng, k, 0.5f) : null, padding: 1, name: "conv")
                 .Then(RandomBatchNorm(rng, k), "bn");
        if (relu) y = y.Relu("relu");
        y.Output();
        var net = b.Build();
        var (expected, actual, compiled) = Run(net, TestData.Random(rng, shape.Size));
        Assert.That(compiled.Nodes.Count, Is.EqualTo(2), "conv, BN (and ReLU) became one node");
        Assert.That(compiled.Nodes[1].Layer, Is.TypeOf<Conv2d>());
        TestData.AssertClose(expected, actual, $"conv 3x3 K={k} bias={convBias} + BN{(relu ? " + ReLU" : "")} folded");
    }

    [Test]
    public void AffineEqualsTheDefinition()
    {
        var bn = new BatchNorm { Scale = new[] { 2f }, Shift = new[] { 1f }, Mean = new[] { 3f }, Variance = new[] { 4f }, Epsilon = 0 };
        var (m, a) = bn.Affine();
        // y = 2·(x − 3)/2 + 1 = x − 2.
        Assert.That(m[0], Is.EqualTo(1f).Within(1e-7));
        Assert.That(a[0], Is.EqualTo(-2f).Within(1e-7));
        Assert.That(bn.ParameterCount, Is.EqualTo(2));
    }

    [Test]
    public void NonPositiveVarianceIsRejected()
    {
        var bn = new BatchNorm { Scale = new[] { 1f }, Shift = new[] { 0f }, Mean = new[] { 0f }, Variance = new[] { -1f }, Epsilon = 1e-5f };
        var e = Assert.Throws<ArgumentException>(() => bn.OutputShape(new TensorShape[] { new Shape(1, 2, 2) }, "badbn"))!;
        Assert.That(e.Message, Does.Contain("badbn").And.Contain("variance"));
    }
}

/// <summary>Batch normalisation per channel (the channel is axis 1 at any rank).</summary>
internal sealed class BatchNormReference : LayerReference<BatchNorm>
{
    public override float[] Compute(BatchNorm bn, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], ChannelView(s[0]), ChannelView(o), (xi, si, _) => BatchNormRef(bn, xi, si));

    public static float[] BatchNormRef(BatchNorm bn, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / hw;
            double v = (x[i] - bn.Mean[c]) / Math.Sqrt(bn.Variance[c] + bn.Epsilon) * bn.Scale[c] + bn.Shift[c];
            y[i] = bn.Activation.Apply((float)v);
        }
        return y;
    }
}
