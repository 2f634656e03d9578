// The GPU overlay renderer against a plain C# rasteriser written here from the documented rules (pixel centres at
// +0.5; outlines, discs, segments, labels, nearest-sampled masks; round-half-up blending) on a real photograph; the
// font's glyphs; argument checks; a 500-frame soak with flat memory.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class OverlayTests : GpuTest
{
    private const int PhotoW = 512, PhotoH = 384;

    /// <summary>Rows 64..447 of astronaut.png (512x512) as RGBA bytes: a non-square 512x384 frame.</summary>
    private static byte[] LoadPhoto() => TestFiles.AstronautRgba512x384().ToArray();   // a copy: the reference draws into it

    // ------------------------------------------------------------------------------------------ reference

    /// <summary>The rasteriser of the documented rules; pixels whose coverage is decided by a float rounding are marked ambiguous.</summary>
    private sealed class Reference
    {
        public readonly int W, H;
        public readonly byte[] Rgba;
        public readonly bool[] Ambiguous;

        public Reference(byte[] rgba, int w, int h) { Rgba = (byte[])rgba.Clone(); W = w; H = h; Ambiguous = new bool[w * h]; }

        private void Blend(int x, int y, Rgba c, double a)
        {
            int i = 4 * (y * W + x);
            Rgba[i] = Mix(Rgba[i], c.R); Rgba[i + 1] = Mix(Rgba[i + 1], c.G); Rgba[i + 2] = Mix(Rgba[i + 2], c.B);
            byte Mix(byte s, byte col) => (byte)Math.Floor(s * (1 - a) + col * a + 0.5);
        }

        private static bool Near(double a, double b) => Math.Abs(a - b) <= 1e-3 * Math.Max(1, Math.Abs(b));

        public void Mask(float[] values, int mw, int mh, FrameTransform t, float? threshold, Rgba color, float alpha, bool bilinear = false)
        {
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    double mx = (x + 0.5) * t.ScaleX + t.OffsetX, my = (y + 0.5) * t.ScaleY + t.OffsetY;
                    if (Math.Abs(mx - Math.Round(mx)) < 1e-3 || Math.Abs(my - Math.Round(my)) < 1e-3) Ambiguous[y * W + x] = true;
                    if (mx < 0 || my < 0 || mx >= mw || my >= mh) continue;
                    double v = values[(int)my * mw + (int)mx];
                    if (bilinear)
                    {
                        double fx = Math.Clamp(mx - 0.5, 0, mw - 1), fy = Math.Clamp(my - 0.5, 0, mh - 1);
                        int x0 = (int)fx, y0 = (int)fy, x1 = Math.Min(x0 + 1, mw - 1), y1 = Math.Min(y0 + 1, mh - 1);
                        double lx = fx - x0, ly = fy - y0;
                        double top = values[y0 * mw + x0] * (1 - lx) + values[y0 * mw + x1] * lx;
                        double bot = values[y1 * mw + x0] * (1 - lx) + values[y1 * mw + x1] * lx;
                        v = top * (1 - ly) + bot * ly;
                        if (threshold is float t0 && Math.Abs(v - t0) < 1e-4) Ambiguous[y * W + x] = true;
                    }
                    if (threshold is float th)
                    {
                        if (v >= th) Blend(x, y, color, alpha);
                    }
                    else
                    {
                        int id = (int)Math.Floor(v + 0.5);
                        if (id > 0) Blend(x, y, Colors.ForClass(id), alpha);
                    }
                }
        }

        public void Box(OverlayBox b)
        {
            double x0 = b.Box.X, y0 = b.Box.Y, x1 = b.Box.X + b.Box.W, y1 = b.Box.Y + b.Box.H, t = b.Thickness;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    double cx = x + 0.5, cy = y + 0.5;
                    bool inside = cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1;
                    bool nearEdge = cx - x0 < t || x1 - cx < t || cy - y0 < t || y1 - cy < t;
                    if (inside && nearEdge) Blend(x, y, b.Color, b.Color.A / 255.0);
                }
        }

        public void Disc(OverlayPoint p)
        {
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    double dx = x + 0.5 - p.X, dy = y + 0.5 - p.Y, d2 = dx * dx + dy * dy, r2 = (double)p.Radius * p.Radius;
                    if (Near(d2, r2)) Ambiguous[y * W + x] = true;
                    if (d2 <= r2) Blend(x, y, p.Color, p.Color.A / 255.0);
                }
        }

        public void Segment(OverlaySegment s)
        {
            double ax = s.X0, ay = s.Y0, bx = s.X1 - ax, by = s.Y1 - ay, len2 = bx * bx + by * by, h2 = s.Thickness * (double)s.Thickness / 4;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    double px = x + 0.5 - ax, py = y + 0.5 - ay;
                    double u = len2 > 0 ? Math.Clamp((px * bx + py * by) / len2, 0, 1) : 0;
                    double dx = px - u * bx, dy = py - u * by, d2 = dx * dx + dy * dy;
                    if (Near(d2, h2)) Ambiguous[y * W + x] = true;
                    if (d2 <= h2) Blend(x, y, s.Color, s.Color.A / 255.0);
                }
        }

        public void LabelBackground(OverlayLabel l)
        {
            int x0 = (int)Math.Floor(l.X), y0 = (int)Math.Floor(l.Y);
            int w = (6 * l.Text.Length + 1) * l.Scale, h = 9 * l.Scale;
            for (int y = Math.Max(0, y0); y < Math.Min(H, y0 + h); y++)
                for (int x = Math.Max(0, x0); x < Math.Min(W, x0 + w); x++)
                    Blend(x, y, l.Background, l.Background.A / 255.0);
        }

        public void LabelText(OverlayLabel l)
        {
            int s = l.Scale, x0 = (int)Math.Floor(l.X) + s, y0 = (int)Math.Floor(l.Y) + s;
            for (int k = 0; k < l.Text.Length; k++)
                for (int gy = 0; gy < 7 * s; gy++)
                    for (int gx = 0; gx < 5 * s; gx++)
                    {
                        int x = x0 + 6 * s * k + gx, y = y0 + gy;
                        if (x < 0 || y < 0 || x >= W || y >= H) continue;
                        if (BitmapFont.IsLit(l.Text[k], gx / s, gy / s)) Blend(x, y, l.Color, l.Color.A / 255.0);
                    }
        }

        /// <summary>Everything in the renderer's order: mask, boxes, points, segments, label backgrounds, then glyphs.</summary>
        public void DrawAll(OverlayBox[] boxes, OverlayPoint[] points, OverlaySegment[] segments, OverlayLabel[] labels)
        {
            foreach (var b in boxes) Box(b);
            foreach (var p in points) Disc(p);
            foreach (var s in segments) Segment(s);
            foreach (var l in labels) LabelBackground(l);
            foreach (var l in labels) LabelText(l);
        }
    }

    /// <summary>Compares within 1 grey level per RGB channel outside ambiguous pixels; on failure writes both PNGs.</summary>
    private static void AssertImagesMatch(Reference expected, byte[] actual, string what)
    {
        int bad = 0, first = -1, ambiguous = 0, worst = 0;
        for (int i = 0; i < expected.W * expected.H; i++)
        {
            if (expected.Ambiguous[i]) { ambiguous++; continue; }
            int d = 0;
            for (int c = 0; c < 3; c++) d = Math.Max(d, Math.Abs(expected.Rgba[4 * i + c] - actual[4 * i + c]));
            if (actual[4 * i + 3] != expected.Rgba[4 * i + 3]) d = Math.Max(d, 256);
            worst = Math.Max(worst, d);
            if (d > 1) { bad++; if (first < 0) first = i; }
        }
        Assert.That(ambiguous, Is.LessThan(expected.W * expected.H / 50), $"{what}: too many pixels on a float-rounding boundary ({ambiguous}); the test proves little");
        if (bad == 0) return;
        string dir = TestContext.CurrentContext.WorkDirectory, name = TestContext.CurrentContext.Test.Name;
        string a = Path.Combine(dir, $"{name}.actual.png"), e = Path.Combine(dir, $"{name}.expected.png");
        SixLabors.ImageSharp.Image.LoadPixelData<Rgba32>(actual, expected.W, expected.H).SaveAsPng(a);
        SixLabors.ImageSharp.Image.LoadPixelData<Rgba32>(expected.Rgba, expected.W, expected.H).SaveAsPng(e);
        TestContext.Out.WriteLine($"actual: {a}\nexpected: {e}");
        int fi = 4 * first;
        Assert.Fail($"{what}: {bad} pixels differ by more than 1 grey level (worst {worst}); first at ({first % expected.W}, {first / expected.W}): " +
                    $"expected ({expected.Rgba[fi]}, {expected.Rgba[fi + 1]}, {expected.Rgba[fi + 2]}, {expected.Rgba[fi + 3]}) got ({actual[fi]}, {actual[fi + 1]}, {actual[fi + 2]}, {actual[fi + 3]}). Images: {a}, {e}");
    }

    // ------------------------------------------------------------------------------------------ scenes

    private static readonly OverlayBox[] SceneBoxes =
    {
        new(new Box(100, 60, 180, 150), Colors.ForClass(0), 3),
        new(new Box(250.3f, 40.7f, 120.5f, 90.2f), Colors.ForClass(1), 2.5f),
        new(new Box(-20, 300, 100, 200), Colors.ForClass(2).WithAlpha(128), 6),   // clipped by the frame, half transparent
        new(new Box(400, 200, 60, 60), Colors.ForClass(3), 0),                     // zero thickness draws nothing
    };

    private static readonly OverlayPoint[] ScenePoints =
    {
        new(150.2f, 100.7f, Colors.White, 4), new(170, 110, Colors.ForClass(4), 3.5f), new(300.5f, 90.5f, Colors.ForClass(5).WithAlpha(100), 10),
        new(511, 383, Colors.Black, 5), new(20, 20, Colors.White, 0.4f),
    };

    private static readonly OverlaySegment[] SceneSegments =
    {
        new(10, 10, 500, 370, Colors.ForClass(6), 3), new(30.5f, 350.5f, 480.5f, 350.5f, Colors.ForClass(7), 4),
        new(200, 20, 230, 300, Colors.ForClass(8).WithAlpha(200), 7.3f), new(60, 60, 60, 60, Colors.White, 8),   // a point-like segment
    };

    private static readonly OverlayLabel[] SceneLabels =
    {
        new(100, 44, "face 0.92", Colors.Black, Colors.ForClass(0)),
        new(250.7f, 12.2f, "Face: 87%", Colors.White, Colors.Black.WithAlpha(160), 2),
        new(480, 370, "XYZ", Colors.White, Colors.ForClass(3)),                   // runs off the frame
    };

    [Test]
    public void PhotoWithThresholdMaskAndPrimitivesMatchesReference()
    {
        var photo = LoadPhoto();
        // A 256x256 letterboxed model map (the frame lands at scale 0.5, 32 rows of bars above): a probability ramp
        // with a disc of high values, thresholded at 0.6.
        var t = FramePreprocessor.ComputeTransform(PhotoW, PhotoH, new PreprocessOptions { Width = 256, Height = 256 });
        const int mw = 256, mh = 256;
        var map = new float[mw * mh];
        for (int y = 0; y < mh; y++)
            for (int x = 0; x < mw; x++)
                map[y * mw + x] = (float)(x / 400.0 + ((x - 160) * (x - 160) + (y - 120) * (y - 120) < 900 ? 0.5 : 0));
        var mask = new OverlayMask(map, mw, mh, t) { Threshold = 0.6f, Color = Colors.ForClass(9), Alpha = 0.45f };

        using var r = new OverlayRenderer(Ctx, PhotoW, PhotoH);
        r.Upload(photo);
        r.Draw(SceneBoxes, ScenePoints, SceneSegments, SceneLabels, mask);
        var actual = r.ReadRgba();

        var e = new Reference(photo, PhotoW, PhotoH);
        e.Mask(map, mw, mh, t, 0.6f, Colors.ForClass(9), 0.45f);
        e.DrawAll(SceneBoxes, ScenePoints, SceneSegments, SceneLabels);
        Assert.That(actual, Is.Not.EqualTo(photo), "nothing was drawn");
        AssertImagesMatch(e, actual, "photo with mask, boxes, points, segments, labels");
    }

    [Test]
    public void FortyOverlappingLabelsMatchReference()
    {
        // More labels than the shader's 32-label coverage mask, overlapping each other, so the glyphs of labels past 32
        // and glyphs under later backgrounds are both exercised (backgrounds first, then glyphs, in label order).
        var photo = LoadPhoto();
        var labels = new OverlayLabel[40];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = new OverlayLabel(5 + 11.3f * i, 8 + 8.7f * i, $"L{i} 0.{i:00}", i % 2 == 0 ? Colors.White : Colors.Black,
                                         Colors.ForClass(i).WithAlpha((byte)(120 + 3 * i)), 1 + i % 3);
        using var r = new OverlayRenderer(Ctx, PhotoW, PhotoH);
        r.Upload(photo);
        r.Draw(ReadOnlySpan<OverlayBox>.Empty, ReadOnlySpan<OverlayPoint>.Empty, ReadOnlySpan<OverlaySegment>.Empty, labels);
        var e = new Reference(photo, PhotoW, PhotoH);
        e.DrawAll(Array.Empty<OverlayBox>(), Array.Empty<OverlayPoint>(), Array.Empty<OverlaySegment>(), labels);
        AssertImagesMatch(e, r.ReadRgba(), "40 overlapping labels");
    }

    [Test]
    public void ClassIdMaskWithStretchTransformMatchesReference()
    {
        var photo = LoadPhoto();
        const int mw = 37, mh = 29;
        var rng = new Random(4);
        var ids = new float[mw * mh];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(-1, 25) + (float)(rng.NextDouble() * 0.8 - 0.4);
        var t = new FrameTransform((float)mw / PhotoW, (float)mh / PhotoH, 0, 0);
        using var r = new OverlayRenderer(Ctx, PhotoW, PhotoH);
        r.Upload(photo);
        r.Draw(default, default, default, default, new OverlayMask(ids, mw, mh, t) { Alpha = 0.6f });
        var e = new Reference(photo, PhotoW, PhotoH);
        e.Mask(ids, mw, mh, t, null, default, 0.6f);
        AssertImagesMatch(e, r.ReadRgba(), "class-id mask 37x29 stretched to 512x384");
    }

    [TestCase(false, 0.5f)]
    [TestCase(true, 0.5f)]
    [TestCase(true, 2f)]   // nothing reaches the threshold: no pixel may change
    public void SparseMaskDrawsOnlyWhereItsCellsReach(bool bilinear, float threshold)
    {
        // A 40x30 map, letterboxed, with two single cells above the threshold far apart (one on the map's edge): the mask
        // pass covers only their bounding box, and must still draw every pixel the reference draws.
        var photo = LoadPhoto();
        const int mw = 40, mh = 30;
        var t = FramePreprocessor.ComputeTransform(PhotoW, PhotoH, new PreprocessOptions { Width = mw, Height = mh });
        var map = new float[mw * mh];
        for (int i = 0; i < map.Length; i++) map[i] = 0.45f;
        map[7 * mw + 9] = 0.9f;
        map[(mh - 1) * mw + (mw - 1)] = 1f;
        var mask = new OverlayMask(map, mw, mh, t) { Threshold = threshold, Bilinear = bilinear, Color = Colors.ForClass(2), Alpha = 0.7f };
        using var r = new OverlayRenderer(Ctx, PhotoW, PhotoH);
        r.Upload(photo);
        r.Draw(default, default, default, default, mask);
        var actual = r.ReadRgba();
        var e = new Reference(photo, PhotoW, PhotoH);
        e.Mask(map, mw, mh, t, threshold, Colors.ForClass(2), 0.7f, bilinear);
        if (threshold > 1) Assert.That(actual, Is.EqualTo(photo), "a map below the threshold everywhere changed the frame");
        else Assert.That(actual, Is.Not.EqualTo(photo), "nothing was drawn");
        AssertImagesMatch(e, actual, $"sparse mask, bilinear {bilinear}");
    }

    [Test]
    public void BilinearThresholdMaskMatchesReference()
    {
        var photo = LoadPhoto();
        // A coarse 20x15 map of a blob, letterboxed into a 24x24 model input and thresholded after interpolation.
        var t = FramePreprocessor.ComputeTransform(PhotoW, PhotoH, new PreprocessOptions { Width = 24, Height = 24 });
        const int mw = 24, mh = 24;
        var map = new float[mw * mh];
        for (int y = 0; y < mh; y++)
            for (int x = 0; x < mw; x++)
                map[y * mw + x] = (float)Math.Exp(-((x - 9.3) * (x - 9.3) + (y - 12.6) * (y - 12.6)) / 18);
        using var r = new OverlayRenderer(Ctx, PhotoW, PhotoH);
        r.Upload(photo);
        r.Draw(default, default, default, default, new OverlayMask(map, mw, mh, t) { Threshold = 0.4f, Alpha = 0.5f, Bilinear = true, Color = Colors.ForClass(5) });
        var e = new Reference(photo, PhotoW, PhotoH);
        e.Mask(map, mw, mh, t, 0.4f, Colors.ForClass(5), 0.5f, bilinear: true);
        AssertImagesMatch(e, r.ReadRgba(), "bilinear 24x24 letterboxed map thresholded at 0.4");
    }

    [Test]
    public void GlyphsMatchFontTable()
    {
        const int w = 64, h = 40, s = 3;
        var black = new byte[w * h * 4];
        for (int i = 3; i < black.Length; i += 4) black[i] = 255;
        using var r = new OverlayRenderer(Ctx, w, h);
        r.Upload(black);
        r.Draw(default, default, default, new[] { new OverlayLabel(2.9f, 5.5f, "0123", Colors.White, Colors.Black.WithAlpha(0), s) });
        var a = r.ReadRgba();
        int lit = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // Label corner (2, 5); glyph k's cells start at (2 + s + 6·s·k, 5 + s).
                int lx = x - 2 - s, ly = y - 5 - s;
                bool expected = false;
                if (lx >= 0 && ly >= 0 && ly < 7 * s && lx % (6 * s) < 5 * s && lx / (6 * s) < 4)
                    expected = BitmapFont.IsLit("0123"[lx / (6 * s)], lx % (6 * s) / s, ly / s);
                bool isLit = a[4 * (y * w + x)] == 255;
                Assert.That(isLit, Is.EqualTo(expected), $"pixel ({x}, {y}) of \"0123\" at scale {s}");
                Assert.That(a[4 * (y * w + x) + 1], Is.EqualTo(isLit ? 255 : 0), $"pixel ({x}, {y}) green");
                if (isLit) lit++;
            }
        Assert.That(lit, Is.GreaterThan(4 * 9 * s * s), "too few lit pixels");
    }

    [Test]
    public void FontCoversDigitsLettersAndPunctuation()
    {
        foreach (char c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.:% ")
            Assert.That(BitmapFont.Supports(c), $"'{c}'");
        var glyphs = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.:%".Select(BitmapFont.Glyph).ToList();
        Assert.That(glyphs.Distinct().Count(), Is.EqualTo(glyphs.Count), "two characters share a glyph");
        Assert.That(BitmapFont.Glyph(' '), Is.EqualTo(0UL));
        Assert.That(BitmapFont.Glyph('a'), Is.EqualTo(BitmapFont.Glyph('A')));
    }

    [Test]
    public void BadArgumentsNameTheNumbers()
    {
        using var r = new OverlayRenderer(Ctx, 32, 24);
        var t = new FrameTransform(1, 1, 0, 0);
        var e = Assert.Throws<ArgumentException>(() => r.Draw(new[] { new OverlayBox(new Box(1, 1, 5, 5), Colors.White, -2) }, default, default, default))!;
        Assert.That(e.Message, Does.Contain("-2").And.Contain("Box 0"));
        e = Assert.Throws<ArgumentException>(() => r.Draw(default, default, new[] { new OverlaySegment(0, 0, 4, 4, Colors.White), new OverlaySegment(0, 0, 4, 4, Colors.White, -1.5f) }, default))!;
        Assert.That(e.Message, Does.Contain("-1.5").And.Contain("Segment 1"));
        e = Assert.Throws<ArgumentException>(() => r.Draw(default, new[] { new OverlayPoint(1, 1, Colors.White, float.NaN) }, default, default))!;
        Assert.That(e.Message, Does.Contain("NaN"));
        e = Assert.Throws<ArgumentException>(() => r.Draw(default, default, default, default, new OverlayMask(new float[10], 4, 3, t) { Threshold = 0.5f }))!;
        Assert.That(e.Message, Does.Contain("10").And.Contain("4x3").And.Contain("12"));
        e = Assert.Throws<ArgumentException>(() => r.Draw(default, default, default, default, new OverlayMask(new float[12], 4, 3, t) { Alpha = 1.5f }))!;
        Assert.That(e.Message, Does.Contain("1.5"));
        Assert.Throws<ArgumentException>(() => r.Draw(default, default, default, default, new OverlayMask(new float[12], 4, 3, t) { Bilinear = true }));
        e = Assert.Throws<ArgumentException>(() => r.Draw(default, default, default, new[] { new OverlayLabel(0, 0, "a#b", Colors.White, Colors.Black) }))!;
        Assert.That(e.Message, Does.Contain("'#'"));
        e = Assert.Throws<ArgumentException>(() => r.Draw(default, default, default, new[] { new OverlayLabel(0, 0, "ab", Colors.White, Colors.Black, 0) }))!;
        Assert.That(e.Message, Does.Contain("scale 0"));
        e = Assert.Throws<ArgumentException>(() => r.Upload(new byte[100]))!;
        Assert.That(e.Message, Does.Contain("32x24").And.Contain("3072").And.Contain("100"));
        Assert.Throws<ArgumentException>(() => new OverlayRenderer(Ctx, 0, 10));
    }

    [Test]
    public void FiveHundredFramesKeepMemoryFlatAndGrowOnlyWhenNeeded()
    {
        const int w = 96, h = 72;
        int blocksBefore = Ctx.Allocator.LiveBlocks;
        var frame = new byte[w * h * 4];
        new Random(1).NextBytes(frame);
        var map = new float[24 * 18];
        var t = new FrameTransform(0.25f, 0.25f, 0, 0);
        using (var r = new OverlayRenderer(Ctx, w, h))
        {
            // Frame 0 needs more primitive records than the initial capacity: the buffer grows once.
            var many = Enumerable.Range(0, 60).Select(i => new OverlayBox(new Box(i, i / 2f, 20, 10), Colors.ForClass(i), 1)).ToArray();
            r.Upload(frame);
            r.Draw(many, default, default, new[] { new OverlayLabel(1, 1, "grow 100%", Colors.White, Colors.Black) }, new OverlayMask(map, 24, 18, t) { Threshold = 0.5f });
            var e = new Reference(frame, w, h);
            e.Mask(map, 24, 18, t, 0.5f, Colors.ForClass(0), 0.5f);
            e.DrawAll(many, Array.Empty<OverlayPoint>(), Array.Empty<OverlaySegment>(), new[] { new OverlayLabel(1, 1, "grow 100%", Colors.White, Colors.Black) });
            AssertImagesMatch(e, r.ReadRgba(), "after growing the primitive buffer");

            int blocks = Ctx.Allocator.LiveBlocks;
            var rgba = new byte[w * h * 4];
            for (int f = 0; f < 500; f++)
            {
                int n = f % 7;
                var boxes = Enumerable.Range(0, n).Select(i => new OverlayBox(new Box(f % w, i * 5, 30, 20), Colors.ForClass(i), 2)).ToArray();
                var pts = Enumerable.Range(0, n).Select(i => new OverlayPoint(i * 9, f % h, Colors.ForClass(i), 2)).ToArray();
                var segs = new[] { new OverlaySegment(0, f % h, w, h - f % h, Colors.White, 1.5f) };
                var labels = new[] { new OverlayLabel(2, 2, $"frame {f}", Colors.White, Colors.Black) };
                r.Upload(frame);
                r.Draw(boxes, pts, segs, labels, f % 2 == 0 ? new OverlayMask(map, 24, 18, t) { Threshold = 0.5f } : null);
                r.ReadRgba(rgba);
            }
            Assert.That(Ctx.Allocator.LiveBlocks, Is.EqualTo(blocks), "memory blocks after 500 frames");
        }
        Assert.That(Ctx.Allocator.LiveBlocks, Is.EqualTo(blocksBefore), "memory blocks after Dispose");
    }

    [Test]
    public void SavePngWritesTheFrame()
    {
        var frame = new byte[8 * 6 * 4];
        for (int i = 0; i < frame.Length; i++) frame[i] = (byte)(i * 7);
        using var r = new OverlayRenderer(Ctx, 8, 6);
        r.Upload(frame);
        r.Draw(new[] { new OverlayBox(new Box(0, 0, 8, 6), Colors.ForClass(1), 1) }, default, default, default);
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "overlay-save.png");
        r.SavePng(path);
        using var image = Image.Load<Rgba32>(path);
        var a = r.ReadRgba();
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 8; x++)
            {
                int i = 4 * (y * 8 + x);
                Assert.That(image[x, y], Is.EqualTo(new Rgba32(a[i], a[i + 1], a[i + 2], a[i + 3])), $"pixel ({x}, {y})");
            }
        Assert.That(image[0, 0].R, Is.EqualTo(Colors.ForClass(1).R));
    }
}
