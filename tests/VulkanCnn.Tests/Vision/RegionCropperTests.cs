// Batched crops against a plain C# evaluation of the documented filter on a photograph (upscaled, shrunk, rotated,
// parallelogram, off-frame and variable-width text-line regions; NCHW and NHWC; BGRA and the BGR swap), against the
// frame pre-processor where both are bilinear, chained into a session run at the crop count, the maps back to frame
// pixels, and the errors.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class RegionCropperTests : GpuTest
{
    private const int W = 512, H = 384;
    private static readonly Lazy<byte[]> Photo = new(TestFiles.AstronautRgba512x384);

    /// <summary>
    /// The filter as crop_regions.comp documents it, written out per texel: crop pixel centre → frame point; tent radius
    /// one texel along an axis shrinking by at most 1.5x, else one crop pixel, weights in crop coordinates, edges
    /// repeated; then (rgb · scale − mean) / std.
    /// </summary>
    private static float[] Reference(byte[] rgba, CropRegion[] regions, int max, PreprocessOptions o, bool bgra = false)
    {
        int plane = o.Width * o.Height;
        var y = new float[max * 3 * plane];
        for (int r = 0; r < max; r++)
            for (int oy = 0; oy < o.Height; oy++)
                for (int ox = 0; ox < o.Width; ox++)
                {
                    double[] v = { o.PadValue, o.PadValue, o.PadValue };
                    if (r < regions.Length && ox < regions[r].Width)
                    {
                        var g = regions[r];
                        double px = g.A * (ox + 0.5) + g.B * (oy + 0.5) + g.C, py = g.D * (ox + 0.5) + g.E * (oy + 0.5) + g.F;
                        double su = Math.Sqrt(g.A * g.A + g.D * g.D), sv = Math.Sqrt(g.B * g.B + g.E * g.E);
                        double ru = su > 1.5 ? 1 : 1 / su, rv = sv > 1.5 ? 1 : 1 / sv, det = g.A * g.E - g.B * g.D;
                        double[] acc = new double[3];
                        double wsum = 0;
                        for (int ty = (int)Math.Floor(py) - 80; ty <= (int)Math.Floor(py) + 80; ty++)
                            for (int tx = (int)Math.Floor(px) - 80; tx <= (int)Math.Floor(px) + 80; tx++)
                            {
                                double qx = tx + 0.5 - px, qy = ty + 0.5 - py;
                                double du = (g.E * qx - g.B * qy) / det, dv = (g.A * qy - g.D * qx) / det;
                                double w = Math.Max(0, 1 - Math.Abs(du) / ru) * Math.Max(0, 1 - Math.Abs(dv) / rv);
                                if (w <= 0) continue;
                                int sx = Math.Clamp(tx, 0, W - 1), sy = Math.Clamp(ty, 0, H - 1), i = 4 * (sy * W + sx);
                                for (int c = 0; c < 3; c++) acc[c] += w * rgba[i + (bgra ? 2 - c : c)];
                                wsum += w;
                            }
                        for (int c = 0; c < 3; c++)
                        {
                            int src = o.Bgr ? 2 - c : c;
                            v[c] = (acc[src] / wsum * o.Scale - o.Mean[c]) / o.Std[c];
                        }
                    }
                    for (int c = 0; c < 3; c++)
                        y[o.Layout == TensorLayout.Nchw ? (r * 3 + c) * plane + oy * o.Width + ox : (r * plane + oy * o.Width + ox) * 3 + c] = (float)v[c];
                }
        return y;
    }

    private static readonly PreprocessOptions Options = new() { Width = 40, Height = 24, Scale = 1f / 255, Mean = new[] { 0.485f, 0.456f, 0.406f }, Std = new[] { 0.229f, 0.224f, 0.225f }, PadValue = -3 };

    private static CropRegion[] Regions() => new[]
    {
        CropRegion.FromBox(200, 100, 220, 112, 40, 24),                         // 2x upscale: bilinear
        CropRegion.FromBox(10, 30, 250, 174, 40, 24),                           // 6x shrink: area average
        CropRegion.FromRotatedBox(256, 200, 120, 60, 0.6f, 40, 24),             // rotated 34°, 3x / 2.5x shrink
        CropRegion.FromQuad((300, 50), (420, 90), (290, 110), 40, 24),          // a parallelogram
        CropRegion.FromBox(-30, 340, 60, 420, 40, 24),                          // half outside the frame: edges repeat
        CropRegion.TextLine((100, 250), (220, 250), (100, 274), 24, 40),        // a line of 5:1 → 120 px, squeezed to 40
        CropRegion.TextLine((100, 250), (130, 250), (100, 270), 24, 40),        // 30x20 at height 24: 36 px wide
        CropRegion.TextLine((380, 300), (410, 300), (380, 324), 24, 40),        // 30 px long, 24 px thick: 30 px wide, the rest padding
    };

    [TestCase(TensorLayout.Nchw, false, false)]
    [TestCase(TensorLayout.Nhwc, true, false)]
    [TestCase(TensorLayout.Nchw, false, true)]
    public void CropsMatchTheFilterWrittenOutInCSharp(TensorLayout layout, bool bgrOut, bool bgraFrame)
    {
        var o = Options with { Layout = layout, Bgr = bgrOut };
        var regions = Regions();
        var frame = bgraFrame ? Swap(Photo.Value) : Photo.Value;
        using var crop = new RegionCropper(Ctx, W, H, bgraFrame ? PixelFormat.Bgra8 : PixelFormat.Rgba8, o, 10);
        crop.Process(frame, regions);
        Assert.That(crop.Count, Is.EqualTo(regions.Length));
        Assert.That(regions[^1].Width, Is.EqualTo(30), "a 30x24 line at height 24 is 30 pixels wide");
        var expected = Reference(Photo.Value, regions, regions.Length, o);
        TestData.AssertClose(expected, crop.ReadOutput(), $"{regions.Length} crops, {layout}{(bgrOut ? ", BGR out" : "")}{(bgraFrame ? ", BGRA frame" : "")}");
    }

    private static byte[] Swap(byte[] rgba)
    {
        var b = (byte[])rgba.Clone();
        for (int i = 0; i < b.Length; i += 4) (b[i], b[i + 2]) = (b[i + 2], b[i]);
        return b;
    }

    [Test]
    public void AnAxisAlignedCropIsThePreprocessorsStretchWhereBothAreBilinear()
    {
        // The whole frame stretched to 400x300 (1.28x shrink, bilinear in both): the same values as the pre-processor.
        var o = Options with { Width = 400, Height = 300, Resize = ResizeMode.Stretch };
        using var pre = new FramePreprocessor(Ctx, W, H, PixelFormat.Rgba8, o);
        pre.Process(Photo.Value);
        using var crop = new RegionCropper(Ctx, W, H, PixelFormat.Rgba8, o, 1);
        crop.Process(Photo.Value, new[] { CropRegion.FromBox(0, 0, W, H, 400, 300) });
        TestData.AssertClose(pre.ReadOutput(), crop.ReadOutput(), "crop of the whole frame against the pre-processor's stretch");
    }

    [Test]
    public void ABatchOfCropsFeedsASessionRunAtTheCropCount()
    {
        var rng = new Random(5);
        var b = new NetworkBuilder("second stage");
        b.Input(new TensorShape(6, 3, 24, 40), "crops")
         .Conv(4, 3, TestData.Random(rng, 4 * 3 * 9, 0.3f), TestData.Random(rng, 4, 0.1f), padding: 1, activation: Activation.Relu, name: "conv")
         .GlobalAvgPool("pool").Output();
        var net = b.Build();
        using var s = new Session(Ctx, net);
        using var crop = new RegionCropper(s, 0, W, H, PixelFormat.Rgba8, Options);
        Assert.That(crop.MaxRegions, Is.EqualTo(6));
        var regions = Regions().Take(4).ToArray();
        crop.Process(Photo.Value, regions);
        s.Run(regions.Length);
        var y = new float[s.OutputShape(0, regions.Length).ElementCount];
        s.GetOutput(y);
        var crops = Reference(Photo.Value, regions, regions.Length, Options);
        TestData.AssertClose(CpuReference.Run(net.WithBatch(regions.Length), crops)[0], y, "the network on 4 crops written into its input");
    }

    [Test]
    public void RegionsPastTheCountArePadding()
    {
        using var crop = new RegionCropper(Ctx, W, H, PixelFormat.Rgba8, Options, 3);
        crop.Process(Photo.Value, Regions().Take(3).ToArray());
        crop.Process(Photo.Value, Regions().Take(1).ToArray());
        Assert.That(crop.ReadOutput().Length, Is.EqualTo(3 * 40 * 24));
        crop.SetRegions(ReadOnlySpan<CropRegion>.Empty);
        crop.Run();
        Assert.That(crop.Count, Is.EqualTo(0));
    }

    [Test]
    public void MapsBackToFramePixels()
    {
        var box = CropRegion.FromBox(10, 20, 110, 70, 50, 25);
        Assert.That(box.ToFrame(0, 0), Is.EqualTo((10f, 20f)));
        Assert.That(box.ToFrame(50, 25), Is.EqualTo((110f, 70f)));
        var rot = CropRegion.FromRotatedBox(100, 50, 40, 20, MathF.PI / 2, 40, 20);
        var (cx, cy) = rot.ToFrame(20, 10);
        Assert.That(cx, Is.EqualTo(100).Within(1e-4));
        Assert.That(cy, Is.EqualTo(50).Within(1e-4));
        var (ex, ey) = rot.ToFrame(40, 10);   // the end of the u axis: 20 px down from the centre (turned 90° clockwise)
        Assert.That(ex, Is.EqualTo(100).Within(1e-4));
        Assert.That(ey, Is.EqualTo(70).Within(1e-4));
        var (u, v) = rot.ToCrop(ex, ey);
        Assert.That(u, Is.EqualTo(40).Within(1e-4));
        Assert.That(v, Is.EqualTo(10).Within(1e-4));
    }

    [Test]
    public void BadRegionsAndSizesAreRefusedNamingTheNumbers()
    {
        using var crop = new RegionCropper(Ctx, W, H, PixelFormat.Rgba8, Options, 2);
        Assert.That(() => crop.SetRegions(Regions()), Throws.ArgumentException.With.Message.Contains("at most 2"));
        Assert.That(() => crop.SetRegions(new[] { new CropRegion(1, 2, 0, 2, 4, 0, 40) }), Throws.ArgumentException.With.Message.Contains("degenerate"));
        Assert.That(() => crop.SetRegions(new[] { new CropRegion(float.NaN, 0, 0, 0, 1, 0, 40) }), Throws.ArgumentException.With.Message.Contains("not finite"));
        Assert.That(() => crop.SetRegions(new[] { CropRegion.FromBox(0, 0, 2000, 24, 40, 24) }), Throws.ArgumentException.With.Message.Contains("at most 32"));
        Assert.That(() => crop.Upload(new byte[10]), Throws.ArgumentException.With.Message.Contains("786432"));
        Assert.That(() => new RegionCropper(Ctx, W, H, PixelFormat.Nv12, Options, 2), Throws.ArgumentException.With.Message.Contains("RGBA8 or BGRA8"));
        var nb = new NetworkBuilder("n");
        nb.Input(new TensorShape(2, 3, 10, 10), "x").Relu().Output();
        using var s = new Session(Ctx, nb.Build());
        Assert.That(() => new RegionCropper(s, 0, W, H, PixelFormat.Rgba8, Options), Throws.ArgumentException.With.Message.Contains("[2,3,24,40]"));
    }
}
