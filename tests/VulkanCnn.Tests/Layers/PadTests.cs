// Pad on the GPU against the C# reference: constant (any value), edge and reflect, on every axis, cropping included;
// and the zero pad folded into the convolution after it.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class PadTests : GpuTest
{
    [Test]
    public void MatchesReference([Values] PaddingMode mode, [Values(0, 1)] int variant)
    {
        var layer = variant == 0
            ? Pad.ImagePad(0, 0, 1, 2, 3, 0, mode, 1.5f)
            : Pad.ImagePad(1, 2, 0, -1, 2, 2, mode, -2f);
        CheckLayer(layer, new[] { new Shape(4, 5, 6) }, new Random((int)mode * 2 + variant), layer.ToString());
    }

    [Test]
    public void RejectsReflectionWiderThanTheInput()
    {
        var b = new NetworkBuilder();
        var ex = Assert.Throws<ArgumentException>(() => b.Add(Pad.ImagePad(0, 0, 0, 0, 3, 0, PaddingMode.Reflect), "bad", b.Input(2, 5, 3)));
        Assert.That(ex!.Message, Does.Contain("bad").And.Contain("reflect"));
    }

    [Test]
    public void ZeroPadIsFoldedIntoTheConvolution()
    {
        var rng = new Random(5);
        var b = new NetworkBuilder();
        var x = b.Input(3, 9, 8, "x");
        var pad = b.Add(Pad.ImagePad(0, 0, 0, 1, 0, 1), "pad", x);
        var conv = new Conv2d { OutChannels = 4, KernelH = 3, KernelW = 3, StrideH = 2, StrideW = 2, Rounding = Rounding.Floor, Weights = TestData.Random(rng, 4 * 3 * 9) };
        b.Add(conv, "conv", pad).Output();
        var net = b.Build();
        var input = TestData.Random(rng, 3 * 9 * 8);
        var expected = Reference.CpuReference.Run(net, input)[0];
        using var session = new Session(Ctx, net);
        Assert.That(session.Network.Nodes.Select(n => n.Layer).OfType<Pad>(), Is.Empty, "the pad should be part of the convolution");
        session.SetInput(input);
        session.Run();
        var actual = new float[session.OutputShape(0).ElementCount];
        session.GetOutput(actual, 0);
        TestData.AssertClose(expected, actual, "pad (0,1,0,1) + conv 3x3/2");
    }

    [Test]
    public void WrapWrapsAroundEvenPastTheAxisAndConvolutionsRejectIt()
    {
        // Width 3 padded by 4 on the left: columns ..., 2, 0, 1, 2 | 0, 1, 2 (periodic, whatever the pad size).
        var b = new NetworkBuilder();
        b.Add(Pad.ImagePad(0, 0, 0, 0, 4, 0, PaddingMode.Wrap), "wrap", b.Input(1, 1, 3)).Output();
        Assert.That(RunGpu(b.Build(), new float[] { 10, 20, 30 })[0], Is.EqualTo(new float[] { 30, 10, 20, 30, 10, 20, 30 }));
        var c = new NetworkBuilder();
        var conv = new Conv2d { OutChannels = 1, KernelH = 3, KernelW = 3, PadTop = 1, PadBottom = 1, PadLeft = 1, PadRight = 1, PaddingMode = PaddingMode.Wrap, Weights = new float[9] };
        var ex = Assert.Throws<ArgumentException>(() => c.Add(conv, "conv", c.Input(1, 4, 4)));
        Assert.That(ex!.Message, Does.Contain("conv").And.Contain("wrap"));
    }
}

/// <summary>Pad and crop on any axis, every padding mode.</summary>
internal sealed class PadReference : LayerReference<Pad>
{
    public override float[] Compute(Pad pd, float[][] x, TensorShape[] s, TensorShape o) =>
        PadRef(pd, x[0], s[0], o);

    public static float[] PadRef(Pad p, float[] x, TensorShape s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Index(i, o);
            bool inside = true;
            for (int k = 0; k < idx.Length; k++)
            {
                idx[k] -= p.Before[k];
                if (idx[k] < 0 || idx[k] >= s[k])
                {
                    inside = false;
                    if (p.Mode != PaddingMode.Zero) idx[k] = MapIndex(idx[k], s[k], p.Mode);
                }
            }
            y[i] = p.Mode == PaddingMode.Zero && !inside ? p.Value : x[Flat(idx, s)];
        }
        return y;
    }
}
