// Upsample on the GPU against the C# reference: nearest by 2 and 3, bilinear with every coordinate mode, explicit
// output sizes (up and down, non-integer ratios).
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Layers;

public class UpsampleTests : GpuTest
{
    [Test]
    public void NearestByIntegerScales([Values(2, 3)] int scale, [Values(CoordinateMode.HalfPixel, CoordinateMode.Asymmetric)] CoordinateMode coords)
    {
        var rng = new Random(scale);
        var u = new Upsample { Mode = UpsampleMode.Nearest, ScaleH = scale, ScaleW = scale, Coordinates = coords };
        CheckLayer(u, new[] { new Shape(3, 5, 7) }, rng, $"nearest x{scale} ({coords})");
    }

    [Test]
    public void NearestByTwoCopiesEachPixel()
    {
        // Independent of the reference: out[2y+i][2x+j] = in[y][x].
        var x = new float[] { 1, 2, 3, 4, 5, 6 };   // 1 channel, 2x3
        var b = new NetworkBuilder();
        b.Input(1, 2, 3).Upsample(2).Output();
        var y = RunGpu(b.Build(), x)[0];
        Assert.That(y, Is.EqualTo(new float[] { 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6 }));
    }

    [Test]
    public void Bilinear([Values(CoordinateMode.HalfPixel, CoordinateMode.AlignCorners, CoordinateMode.Asymmetric)] CoordinateMode coords,
                         [Values("x2", "x3", "to 11x13", "to 4x6", "to 1x9")] string size)
    {
        var rng = new Random((int)coords * 10 + size.Length);
        var u = new Upsample { Mode = UpsampleMode.Bilinear, Coordinates = coords };
        u = size switch
        {
            "x2" => u with { ScaleH = 2, ScaleW = 2 },
            "x3" => u with { ScaleH = 3, ScaleW = 3 },
            "to 11x13" => u with { OutH = 13, OutW = 11 },
            "to 4x6" => u with { OutH = 6, OutW = 4 },
            _ => u with { OutH = 9, OutW = 1 },
        };
        CheckLayer(u, new[] { new Shape(2, 7, 5) }, rng, $"bilinear {size} ({coords})");
    }

    [Test]
    public void NearestToExplicitSize([Values(7, 10, 3)] int outH)
    {
        var rng = new Random(outH);
        var u = new Upsample { Mode = UpsampleMode.Nearest, OutH = outH, OutW = 2 * outH + 1 };
        CheckLayer(u, new[] { new Shape(2, 5, 6) }, rng, $"nearest to {2 * outH + 1}x{outH}");
    }

    [Test]
    public void AlignCornersKeepsTheCorners()
    {
        // Independent of the reference: with align_corners the four corners of the output are the input corners,
        // and the middle of a 1x3 → 1x5 row is the average of its neighbours.
        var b = new NetworkBuilder();
        b.Input(1, 1, 3).Then(new Upsample { Mode = UpsampleMode.Bilinear, Coordinates = CoordinateMode.AlignCorners, OutH = 1, OutW = 5 }).Output();
        var y = RunGpu(b.Build(), new float[] { 0, 10, 30 })[0];
        Assert.That(y, Is.EqualTo(new float[] { 0, 5, 10, 20, 30 }).Within(1e-5f));
    }
}
