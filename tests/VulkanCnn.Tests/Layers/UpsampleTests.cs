// Upsample on the GPU against the C# reference: nearest by 2 and 3, bilinear with every coordinate mode, explicit
// output sizes (up and down, non-integer ratios).
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

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

/// <summary>Nearest and bilinear resizing in each coordinate mode, image by image.</summary>
internal sealed class UpsampleReference : LayerReference<Upsample>
{
    public override float[] Compute(Upsample u, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], s[0], o, (xi, si, oi) => UpsampleRef(u, xi, si, oi));

    public static float[] UpsampleRef(Upsample u, float[] x, Shape s, Shape o)
    {
        var y = new float[o.Size];
        double sy = u.OutH.HasValue ? (double)o.H / s.H : u.ScaleH, sx = u.OutW.HasValue ? (double)o.W / s.W : u.ScaleW;
        double Src(int oc, int inSize, int outSize, double scale) => u.Coordinates switch
        {
            CoordinateMode.AlignCorners => outSize > 1 ? oc * (inSize - 1.0) / (outSize - 1.0) : 0,
            CoordinateMode.Asymmetric => oc / scale,
            _ => (oc + 0.5) / scale - 0.5,
        };
        for (int c = 0; c < o.C; c++)
            for (int oy = 0; oy < o.H; oy++)
                for (int ox = 0; ox < o.W; ox++)
                {
                    float v;
                    if (u.Mode == UpsampleMode.Nearest)
                    {
                        int iy = Math.Min((int)Math.Floor(oy / sy), s.H - 1), ix = Math.Min((int)Math.Floor(ox / sx), s.W - 1);
                        v = x[(c * s.H + iy) * s.W + ix];
                    }
                    else
                    {
                        double fy = Math.Clamp(Src(oy, s.H, o.H, sy), 0, s.H - 1), fx = Math.Clamp(Src(ox, s.W, o.W, sx), 0, s.W - 1);
                        int y0 = (int)Math.Floor(fy), x0 = (int)Math.Floor(fx);
                        int y1 = Math.Min(y0 + 1, s.H - 1), x1 = Math.Min(x0 + 1, s.W - 1);
                        double ly = fy - y0, lx = fx - x0;
                        double At(int yy, int xx) => x[(c * s.H + yy) * s.W + xx];
                        v = (float)((At(y0, x0) * (1 - lx) + At(y0, x1) * lx) * (1 - ly) + (At(y1, x0) * (1 - lx) + At(y1, x1) * lx) * ly);
                    }
                    y[(c * o.H + oy) * o.W + ox] = v;
                }
        return y;
    }
}
