// Winograd F(2x2,3x3) convolution against the C# reference: odd sizes (partial tiles), every padding mode,
// asymmetric padding, bias and fused activations; and the same network with Winograd off gives the same answer.
using VulkanCnn.Graph;
using VulkanCnn.Vulkan;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;

namespace VulkanCnn.Tests.Layers;

public class WinogradTests : GpuTest
{
    private static Network OneConv(Random rng, int c, int k, int h, int w, PaddingMode mode, int pt, int pl, int pb, int pr, bool bias, Activation act)
    {
        var b = new NetworkBuilder();
        b.Input(c, h, w).Then(new Conv2d
        {
            OutChannels = k, KernelH = 3, KernelW = 3, PadTop = pt, PadLeft = pl, PadBottom = pb, PadRight = pr,
            PaddingMode = mode, Activation = act, Rounding = Rounding.Floor,
            Weights = TestData.Random(rng, (long)k * c * 9, 0.3f), Bias = bias ? TestData.Random(rng, k, 0.3f) : null,
        }, "conv").Output();
        return b.Build();
    }

    [TestCase(16, 16, 8, 8, PaddingMode.Zero, 1, 1, 1, 1, true)]
    [TestCase(16, 20, 13, 17, PaddingMode.Zero, 1, 1, 1, 1, false)]
    [TestCase(24, 16, 12, 11, PaddingMode.Zero, 0, 0, 0, 0, true)]
    [TestCase(16, 33, 15, 10, PaddingMode.Zero, 2, 0, 1, 2, true)]
    [TestCase(17, 16, 12, 12, PaddingMode.Replicate, 1, 1, 1, 1, true)]
    [TestCase(16, 16, 9, 14, PaddingMode.Reflect, 1, 1, 1, 1, false)]
    [TestCase(32, 64, 28, 28, PaddingMode.Zero, 1, 1, 1, 1, true)]
    [TestCase(16, 24, 29, 31, PaddingMode.Zero, 1, 1, 1, 1, true)]
    [TestCase(20, 16, 30, 27, PaddingMode.Replicate, 1, 2, 0, 1, false)]
    [TestCase(16, 16, 33, 26, PaddingMode.Reflect, 1, 1, 1, 1, true)]
    public void MatchesReference(int c, int k, int h, int w, PaddingMode mode, int pt, int pl, int pb, int pr, bool bias)
    {
        var rng = new Random(c * 1000 + k * 10 + h);
        var net = OneConv(rng, c, k, h, w, mode, pt, pl, pb, pr, bias, k % 2 == 0 ? Activation.Relu : Activation.None);
        var conv = (Conv2d)net.Nodes[1].Layer;
        var x = TestData.Random(rng, (long)c * h * w);
        var expected = CpuReference.Run(net, x)[0];
        using var s = new Session(Ctx, net);
        Assert.That(s.ScratchBytes, Is.GreaterThan(0UL), "this configuration should run as Winograd");
        var actual = s.Run(x);
        TestData.AssertClose(expected, actual, $"Winograd {w}x{h}x{c} -> K={k}, {mode} pads {pt},{pl},{pb},{pr}");
    }

    [Test]
    public void SameResultWithWinogradOff()
    {
        var rng = new Random(9);
        var net = OneConv(rng, 16, 24, 10, 12, PaddingMode.Zero, 1, 1, 1, 1, true, Activation.Relu);
        var x = TestData.Random(rng, 16 * 10 * 12);
        using var on = new Session(Ctx, net);
        using var off = new Session(Ctx, net, new SessionOptions { Winograd = false });
        Assert.That(off.ScratchBytes, Is.EqualTo(0UL));
        TestData.AssertClose(off.Run(x), on.Run(x), "Winograd on vs off");
    }

    [Test]
    public void FilterTransformMatchesDefinition()
    {
        // U = G g Gt with the textbook G of F(2x2,3x3), checked against an explicit matrix product.
        var rng = new Random(4);
        var g = TestData.Random(rng, 9);
        var u = new double[16];
        Winograd.TransformFilter(g, u);
        double[,] G = { { 1, 0, 0 }, { .5, .5, .5 }, { .5, -.5, .5 }, { 0, 0, 1 } };
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double sum = 0;
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++) sum += G[i, a] * g[a * 3 + b] * G[j, b];
                Assert.That(u[i * 4 + j], Is.EqualTo(sum).Within(1e-6), $"U[{i},{j}]");
            }
    }

    [Test]
    public void F4x4TransformsReproduceDirectConvolutionOnOneTile()
    {
        // Independent check of F(4x4,3x3) in doubles: Y = At [(G g Gt) .* (Bt d B)] A equals the 4x4 correlation of d.
        double[,] Bt = { { 4, 0, -5, 0, 1, 0 }, { 0, -4, -4, 1, 1, 0 }, { 0, 4, -4, -1, 1, 0 }, { 0, -2, -1, 2, 1, 0 }, { 0, 2, -1, -2, 1, 0 }, { 0, 4, 0, -5, 0, 1 } };
        double[,] At = { { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 0 }, { 0, 1, 1, 4, 4, 0 }, { 0, 1, -1, 8, -8, 1 } };
        var rng = new Random(5);
        var g = TestData.Random(rng, 9);
        var d = TestData.Random(rng, 36);
        var u = new double[36];
        Winograd.TransformFilter(g, u, 4);
        var v = new double[36];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                for (int a = 0; a < 6; a++)
                    for (int b = 0; b < 6; b++) v[i * 6 + j] += Bt[i, a] * d[a * 6 + b] * Bt[j, b];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
            {
                double wino = 0, direct = 0;
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++) wino += At[y, i] * u[i * 6 + j] * v[i * 6 + j] * At[x, j];
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++) direct += (double)g[a * 3 + b] * d[(y + a) * 6 + x + b];
                Assert.That(wino, Is.EqualTo(direct).Within(1e-9), $"Y[{y},{x}]: winograd {wino} direct {direct}");
            }
    }

    // A 7x7 map has 4 tiles of 4x4 (padded to a whole workgroup): F(2x2) wastes less; 56x56 is big enough for F(4x4).
    [TestCase(7, 2)]
    [TestCase(56, 4)]
    public void TileSizeFollowsPaddedWork(int size, int expected)
    {
        var c = new LayerCompiler(Ctx, null!, new List<DispatchCommand>());
        Assert.That(Winograd.TileSize(c, new Shape(64, size, size)), Is.EqualTo(expected));
    }
}
