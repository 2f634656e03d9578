// The built-in architectures: parameter counts against torchvision's published totals, multiply-adds against
// hand-derived sums, ResNet-18's stage sizes, and whole networks on the GPU against the C# reference.
using System.Diagnostics;
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Models;
using VulkanCnn.Tests.Reference;

namespace VulkanCnn.Tests.Models;

public class ArchitecturesTests : GpuTest
{
    /// <summary>Zero weights, one shared array per length: enough for shapes and counts without gigabytes of random numbers.</summary>
    private static WeightSource Zeros()
    {
        var cache = new Dictionary<int, float[]>();
        return (_, length, _) => cache.TryGetValue(length, out var a) ? a : cache[length] = new float[length];
    }

    // torchvision's totals (sum of p.numel() over model.parameters()); LeNet-5: 156 + 2,416 + 48,120 + 10,164 + 850.
    [TestCase("lenet5", 61_706L)]
    [TestCase("alexnet", 61_100_840L)]
    [TestCase("vgg16", 138_357_544L)]
    [TestCase("vgg19", 143_667_240L)]
    [TestCase("resnet18", 11_689_512L)]
    [TestCase("resnet34", 21_797_672L)]
    [TestCase("resnet50", 25_557_032L)]
    public void ParameterCounts(string name, long expected)
    {
        var net = Architectures.Build(name, weights: Zeros());
        Assert.That(net.ParameterCount, Is.EqualTo(expected), name);
    }

    // Multiply-adds at the default input size, derived by hand (conv: K·(C/g)·Fh·Fw·OH·OW; dense: N·K; batch norm and
    // residual add: one per output element; average pooling: one per window cell; global average: one per input).
    // ResNet-18: convolutions and fc 1,814,073,344 + batch norms 2,483,712 + adds 752,640 + global pool 25,088.
    // VGG16: convolutions 15,346,630,656 + classifier 123,633,664 ≈ 15.47 G; VGG19 adds 4,161,798,144 of convolutions.
    // AlexNet: convolutions 655,566,528 + classifier 58,621,952. LeNet-5: 117,600 + 4,704 + 240,000 + 1,600 + 48,000 + 10,080 + 840.
    [TestCase("lenet5", 422_824L)]
    [TestCase("alexnet", 714_188_480L)]
    [TestCase("vgg16", 15_470_264_320L)]
    [TestCase("vgg19", 19_632_062_464L)]
    [TestCase("resnet18", 1_817_334_784L)]
    [TestCase("resnet34", 3_668_904_448L)]
    [TestCase("resnet50", 4_105_917_952L)]
    public void MultiplyAdds(string name, long expected)
    {
        var net = Architectures.Build(name, weights: Zeros());
        Assert.That(net.MultiplyAdds, Is.EqualTo(expected), name);
    }

    [Test]
    public void ResNet18StageSizesAt224()
    {
        var net = Architectures.Build("resnet18", weights: Zeros());
        Shape Of(string node) => net.Nodes.Single(n => n.Name == node).OutputShape.Dhw();
        Assert.That(Of("input"), Is.EqualTo(new Shape(3, 224, 224)));
        Assert.That(Of("conv1"), Is.EqualTo(new Shape(64, 112, 112)));
        Assert.That(Of("maxpool"), Is.EqualTo(new Shape(64, 56, 56)));
        (string Stage, int C, int Size)[] stages = { ("layer1", 64, 56), ("layer2", 128, 28), ("layer3", 256, 14), ("layer4", 512, 7) };
        foreach (var (stage, c, size) in stages)
        {
            var nodes = net.Nodes.Where(n => n.Name.StartsWith(stage + ".", StringComparison.Ordinal)).ToArray();
            Assert.That(nodes, Has.Length.GreaterThan(10), stage);
            // Every node of a stage, downsampling shortcut included, has the stage's output size.
            foreach (var n in nodes)
                Assert.That(n.OutputShape, Is.EqualTo(new Shape(c, size, size)), $"{n.Name} ({n.Layer.TypeName})");
        }
        Assert.That(Of("avgpool"), Is.EqualTo(new Shape(512, 1, 1)));
        Assert.That(Of("fc"), Is.EqualTo(new Shape(1000, 1, 1)));
        Assert.That(Of("prob"), Is.EqualTo(new Shape(1000, 1, 1)));
    }

    [Test]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => Architectures.Build("nope"))!;
        Assert.That(e.Message, Does.Contain("nope"));
        foreach (var n in Architectures.Names) Assert.That(e.Message, Does.Contain(n));
    }

    /// <summary>Runs <paramref name="net"/> with its logits (the layer before softmax) as an extra output: softmax over 1000
    /// classes is ~1e-3 per class, so comparing only probabilities would hide errors below the tolerance.</summary>
    private static void CompareWithReference(Network net, string logits, int seed)
    {
        int logitsId = net.Nodes.Single(n => n.Name == logits).Id;
        var withLogits = new Network(net.Name, net.Nodes, net.InputIds, new[] { logitsId }.Concat(net.OutputIds).ToArray());
        var x = TestData.Random(new Random(seed), net.Inputs.Single().OutputShape.ElementCount);
        var sw = Stopwatch.StartNew();
        var expected = CpuReference.Run(withLogits, x);
        var cpu = sw.Elapsed;
        sw.Restart();
        var actual = RunGpu(withLogits, x);
        var gpu = sw.Elapsed;
        TestContext.Out.WriteLine($"{net.Name} {net.Inputs.Single().OutputShape}: reference {cpu.TotalSeconds:F2} s, {Ctx.DeviceInfo.Name} {gpu.TotalSeconds:F2} s (compile + run)");
        for (int i = 0; i < expected.Length; i++)
        {
            var name = withLogits.Nodes[withLogits.OutputIds[i]].Name;
            double err = TestData.AssertClose(expected[i], actual[i], $"{net.Name} output {name}");
            double range = expected[i].Max(v => Math.Abs(v));
            TestContext.Out.WriteLine($"  {name}: max |diff| {err:G3} (max |value| {range:G3}, {expected[i].Length} values)");
        }
        Assert.That(expected[0].Max() - expected[0].Min(), Is.GreaterThan(1e-2), "logits must not be flat, or the comparison proves little");
    }

    [Test]
    public void LeNet5MatchesReference() => CompareWithReference(Architectures.Build("lenet5", seed: 11), "output", 1);

    [Test]
    public void ResNet18At64MatchesReference() => CompareWithReference(Architectures.Build("resnet18", 64, seed: 12), "fc", 2);

    /// <summary>ResNet-50 with the last batch norm of every bottleneck scaled down (as in zero-init-residual training):
    /// with plain random statistics the residual sums grow to thousands and the logits become sums that cancel,
    /// where any fp32 reordering (Winograd, other summation orders) moves them by more than 1e-3.</summary>
    [Test]
    public void ResNet50At32MatchesReference()
    {
        var random = Architectures.RandomWeights(13);
        WeightSource tamed = (tensor, length, fanIn) =>
        {
            var w = random(tensor, length, fanIn);
            if (tensor.EndsWith(".bn3.bn_weight", StringComparison.Ordinal))
                for (int i = 0; i < w.Length; i++) w[i] *= 0.2f;
            return w;
        };
        CompareWithReference(Architectures.Build("resnet50", 32, weights: tamed), "fc", 3);
    }
}
