// The load-time optimiser: conv + batch norm + ReLU become one node with the unoptimised network's result; a value
// read by two consumers, or marked as an output, is never fused away.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Layers;
using VulkanCnn.Tests.Reference;

namespace VulkanCnn.Tests.Graph;

public class OptimizerTests : GpuTest
{
    private static float[] W(Random rng, int k, int c, int f) => TestData.Random(rng, k * c * f * f, 0.4f);

    [Test]
    public void SpelledOutHardSwishBecomesTheConvolutionsActivation()
    {
        // x · relu6(x + 3) / 6, as PaddlePaddle and older PyTorch exports write HardSwish.
        var rng = new Random(4);
        var b = new NetworkBuilder();
        var x = b.Input(3, 7, 8, "x").Conv(5, 3, W(rng, 5, 3, 3), padding: 1, name: "conv");
        var t = b.Add(new Binary(BinaryOp.Add) { Operand = new[] { 3f }, Activation = Activation.Relu6 }, "plus3", x);
        var m = b.Add(new Binary(BinaryOp.Mul), "mul", x, t);
        b.Add(new Binary(BinaryOp.Div) { Operand = new[] { 6f } }, "div6", m).Output();
        var net = b.Build();
        using var s = new Session(Ctx, net);
        Assert.That(s.Network.Nodes.Select(n => n.Layer.GetType()), Is.EqualTo(new[] { typeof(InputLayer), typeof(Conv2d) }));
        Assert.That(((Conv2d)s.Network.Nodes[1].Layer).Activation, Is.EqualTo(Activation.HardSwish));
        var input = TestData.Random(rng, 3 * 7 * 8, 3f);
        TestData.AssertClose(CpuReference.Run(net, input)[0], s.Run(input), "conv + spelled-out HardSwish, fused");
    }

    [TestCase(1, 1, 0, 1, 2, TestName = "Mul then Add fold into the next 1x1 convolution")]
    [TestCase(3, 2, 0, 1, 2, TestName = "Mul then Add fold into the next unpadded grouped 3x3 convolution")]
    [TestCase(3, 1, 1, 1, 3, TestName = "Mul then Add before a padded convolution become one affine node")]
    public void AffineAfterAnActivationFoldsForward(int kernel, int groups, int pad, int expectedConvs, int expectedNodes)
    {
        // PP-LCNet's learnable affine block: h = HardSwish(conv(x)); y = h·s + t; next convolution.
        var rng = new Random(kernel * 10 + groups + pad);
        var b = new NetworkBuilder();
        var h = b.Input(4, 7, 8, "x").Conv(4, 3, W(rng, 4, 4, 3), padding: 1, activation: Activation.HardSwish, name: "conv1");
        var m = b.Add(new Binary(BinaryOp.Mul) { Operand = TestData.Random(rng, 4) }, "scale", h);
        var a = b.Add(new Binary(BinaryOp.Add) { Operand = new[] { 0.3f } }, "shift", m);
        a.Conv(6, kernel, TestData.Random(rng, 6 * (4 / groups) * kernel * kernel, 0.4f), TestData.Random(rng, 6), padding: pad, groups: groups, name: "conv2").Output();
        var net = b.Build();
        using var s = new Session(Ctx, net);
        Assert.That(s.Network.Nodes.Count(n => n.Layer is Conv2d), Is.EqualTo(expectedConvs + 1));
        Assert.That(s.Network.Nodes.Count, Is.EqualTo(expectedNodes + 1), string.Join(", ", s.Network.Nodes.Select(n => n.Layer.TypeName)));
        var input = TestData.Random(rng, 4 * 7 * 8, 2f);
        TestData.AssertClose(CpuReference.Run(net, input)[0], s.Run(input), "affine block folded");
    }

    [Test]
    public void ConvBatchNormReluBecomeOneNode()
    {
        var rng = new Random(1);
        var b = new NetworkBuilder();
        b.Input(3, 11, 9, "x").Conv(6, 3, W(rng, 6, 3, 3), padding: 1, name: "conv")
         .Then(BatchNormTests.RandomBatchNorm(rng, 6), "bn").Relu("relu").Output();
        var net = b.Build();
        Assert.That(net.Nodes.Count, Is.EqualTo(4));

        using var s = new Session(Ctx, net);
        Assert.That(s.Network.Nodes.Select(n => n.Layer.GetType()), Is.EqualTo(new[] { typeof(InputLayer), typeof(Conv2d) }));
        var conv = (Conv2d)s.Network.Nodes[1].Layer;
        Assert.That(conv.Activation, Is.EqualTo(Activation.Relu));
        Assert.That(conv.Bias, Is.Not.Null, "the folded batch norm supplies a bias");
        Assert.That(s.Network.OutputIds, Is.EqualTo(new[] { 1 }));
        Assert.That(s.Network.Nodes[1].Name, Is.EqualTo("relu"), "the output keeps its name");

        var x = TestData.Random(rng, 3 * 11 * 9);
        TestData.AssertClose(CpuReference.Run(net, x)[0], s.Run(x), "conv+BN+ReLU folded vs unoptimised reference");

        using var plain = new Session(Ctx, net, new SessionOptions { Optimize = false });
        Assert.That(plain.Network.Nodes.Count, Is.EqualTo(4), "Optimize = false keeps every node");
        TestData.AssertClose(CpuReference.Run(net, x)[0], plain.Run(x), "unoptimised session");
    }

    [Test]
    public void ConvWithTwoConsumersIsNotFused()
    {
        var rng = new Random(2);
        var b = new NetworkBuilder();
        var c = b.Input(4, 7, 8, "x").Conv(4, 3, W(rng, 4, 4, 3), padding: 1, name: "conv");
        var bn = c.Then(BatchNormTests.RandomBatchNorm(rng, 4), "bn");
        var r = c.Relu("relu");
        bn.Add(r, name: "add").Output();
        var net = b.Build();

        using var s = new Session(Ctx, net);
        var types = s.Network.Nodes.Select(n => n.Layer.TypeName).ToArray();
        Assert.That(types, Is.EqualTo(new[] { "Input", "Conv", "BatchNorm", "Relu", "Add" }), string.Join(",", types));
        Assert.That(((Conv2d)s.Network.Nodes[1].Layer).Activation.IsNone, Is.True);
        var x = TestData.Random(rng, 4 * 7 * 8);
        TestData.AssertClose(CpuReference.Run(net, x)[0], s.Run(x), "conv read by BN and ReLU");
    }

    [Test]
    public void OutputsAreNotFusedAway()
    {
        // conv is an output and also feeds a ReLU: fusing the ReLU into it would change the first output.
        var rng = new Random(3);
        var b = new NetworkBuilder();
        var c = b.Input(2, 6, 5, "x").Conv(3, 3, W(rng, 3, 2, 3), TestData.Random(rng, 3), padding: 1, name: "conv").Output();
        c.Relu("relu").Output();
        var net = b.Build();
        using var s = new Session(Ctx, net);
        Assert.That(s.Network.Nodes.Count, Is.EqualTo(3));
        var x = TestData.Random(rng, 60);
        s.SetInput(x);
        s.Run();
        var expected = CpuReference.Run(net, x);
        for (int i = 0; i < 2; i++)
        {
            var y = new float[90];
            s.GetOutput(y, i);
            TestData.AssertClose(expected[i], y, $"output {i}");
        }
        Assert.That(expected[0].Any(v => v < 0), Is.True, "the test needs negative conv outputs to tell the outputs apart");
    }
}
