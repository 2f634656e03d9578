// The HUD panel (src/VulkanCnn/Vision/Hud.cs): its text, its scale per frame size, that it stays inside the frame in
// every corner, that its lines join into one box, and that drawing it on the GPU darkens exactly that box.
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class HudTests : GpuTest
{
    private static readonly HudStats Sample = new(29.94, CaptureMs: 1.23, UploadMs: 0.4, PreprocessMs: null, InferenceMs: 23.06,
                                                  PostprocessMs: 0.31, OverlayMs: 1234.4);

    [Test]
    public void LinesShowFpsSizeAndEveryStageAlignedWithDashForUnmeasured()
    {
        var hud = new Hud(640, 480);
        hud.Update(Sample);
        var text = hud.Labels.Select(l => l.Text.TrimEnd()).ToArray();
        Assert.That(text, Is.EqualTo(new[]
        {
            "29.9 fps 640x480",
            "capture      1.2 ms",
            "upload       0.4 ms",
            "preprocess        -",
            "inference   23.1 ms",
            "postprocess  0.3 ms",
            "overlay     1234 ms",    // four digits and up drop the decimal to keep the column
        }));
        foreach (var c in string.Concat(text))
            Assert.That(BitmapFont.Supports(c), $"'{c}' must be in the bitmap font");
    }

    [TestCase(320, 240, 1)]
    [TestCase(640, 480, 2)]
    [TestCase(1280, 720, 3)]
    [TestCase(1920, 1080, 4)]
    [TestCase(480, 640, 2)]
    public void ScaleGrowsWithTheFrame(int w, int h, int scale)
    {
        var hud = new Hud(w, h);
        hud.Update(Sample);
        Assert.That(hud.Scale, Is.EqualTo(scale));
        // At 640x480 and up the text is at least 10 pixels wide per glyph cell: legible at a glance.
        if (Math.Min(w, h) >= 480) Assert.That(hud.Scale * BitmapFont.GlyphWidth, Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public void PanelStaysInsideTheFrameInEveryCornerAndSize([Values] HudCorner corner,
        [Values(640, 1280, 160, 97, 40)] int w)
    {
        int h = w * 3 / 4;
        var hud = new Hud(w, h, corner);
        hud.Update(Sample);
        int lineH = OverlayLabel.Size(1, hud.Scale).Height;
        var labels = hud.Labels;
        Assert.That(labels, Is.Not.Empty, $"{w}x{h}: nothing drawn");
        for (int i = 0; i < labels.Count; i++)
        {
            var l = labels[i];
            var (lw, lh) = OverlayLabel.Size(l.Text.Length, l.Scale);
            Assert.That(l.X, Is.GreaterThanOrEqualTo(0), $"{w}x{h} {corner} line {i}");
            Assert.That(l.Y, Is.GreaterThanOrEqualTo(0), $"{w}x{h} {corner} line {i}");
            Assert.That(l.X + lw, Is.LessThanOrEqualTo(w), $"{w}x{h} {corner} line {i} '{l.Text}' right edge");
            Assert.That(l.Y + lh, Is.LessThanOrEqualTo(h), $"{w}x{h} {corner} line {i} bottom edge");
            // One box: same left edge and width, each line starting where the previous ended.
            Assert.That((l.X, l.Text.Length), Is.EqualTo((labels[0].X, labels[0].Text.Length)));
            Assert.That(l.Y, Is.EqualTo(labels[0].Y + i * lineH));
        }
        var b = hud.Bounds;
        Assert.That((b.X, b.Y, b.Right, b.Bottom), Is.EqualTo((labels[0].X, labels[0].Y,
            labels[0].X + OverlayLabel.Size(labels[0].Text.Length, hud.Scale).Width, labels[^1].Y + lineH)));
        // A margin of 4 font pixels from the two edges of its corner.
        int m = 4 * hud.Scale;
        bool left = corner is HudCorner.TopLeft or HudCorner.BottomLeft, top = corner is HudCorner.TopLeft or HudCorner.TopRight;
        Assert.That(left ? b.X : w - b.Right, Is.EqualTo(m), $"{corner}: horizontal margin");
        Assert.That(top ? b.Y : h - b.Bottom, Is.EqualTo(m), $"{corner}: vertical margin");
        if (w >= 640) Assert.That(labels, Has.Count.EqualTo(7), "a full panel at 640 and up");
    }

    [Test]
    public void TinyFrameDrawsNothingRatherThanSpillingOut()
    {
        var hud = new Hud(8, 6);
        Assert.That(hud.Labels, Is.Empty);
        Assert.That(hud.Bounds.Area, Is.Zero);
        Assert.Throws<ArgumentException>(() => new Hud(0, 10));
    }

    [Test]
    public void DrawnOnTheGpuTheBoxIsDarkenedAndTheRestUntouched()
    {
        const int w = 640, h = 480;
        var frame = new byte[w * h * 4];
        for (int i = 0; i < frame.Length; i++) frame[i] = (i & 3) == 3 ? (byte)255 : (byte)200;
        var hud = new Hud(w, h, HudCorner.TopRight);
        hud.Update(Sample);
        var scene = new OverlayScene();
        hud.Draw(scene);
        using var overlay = new OverlayRenderer(Ctx, w, h);
        overlay.Upload(frame);
        overlay.Draw(scene);
        var o = overlay.ReadRgba();
        var b = hud.Bounds;
        int inside = 0, dark = 0, bright = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int v = o[(y * w + x) * 4];
                bool inBox = x >= b.X && x < b.Right && y >= b.Y && y < b.Bottom;
                if (!inBox) { Assert.That(v, Is.EqualTo(200), $"pixel ({x}, {y}) outside the HUD box {b} changed"); continue; }
                inside++;
                // Background: 200 blended with black at 176/255 -> about 62; text: white.
                if (Math.Abs(v - 62) <= 2) dark++;
                else if (v == 255) bright++;
            }
        Assert.That(dark + bright, Is.EqualTo(inside), "every HUD pixel is background or text");
        Assert.That(bright, Is.InRange(inside / 20, inside / 2), "some text is drawn");
    }

    [TestCase(640, 480, HudCorner.TopLeft)]
    [TestCase(1280, 720, HudCorner.BottomRight)]
    [TestCase(97, 72, HudCorner.TopRight)]
    public void HostBlendMatchesTheGpuOverlayWithinOneLevel(int w, int h, HudCorner corner)
    {
        var frame = TestFrame(w, h);
        var hud = new Hud(w, h, corner);
        hud.Update(Sample);
        var scene = new OverlayScene();
        hud.Draw(scene);
        using var overlay = new OverlayRenderer(Ctx, w, h);
        overlay.Upload(frame);
        overlay.Draw(scene);
        var gpu = overlay.ReadRgba();
        var cpu = frame.ToArray();
        hud.DrawInto(cpu);
        int changed = 0;
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.That(Math.Abs(cpu[i] - gpu[i]), Is.LessThanOrEqualTo(1), $"{w}x{h}: byte {i} (pixel {i / 4 % w}, {i / 4 / w}) host {cpu[i]} GPU {gpu[i]}");
            if (cpu[i] != frame[i]) changed++;
        }
        Assert.That(changed, Is.GreaterThan(0), "the panel was drawn");
        Assert.Throws<ArgumentException>(() => hud.DrawInto(new byte[4 * w * h - 4]));
    }

    /// <summary>A frame with varied colours (so blending errors show) and alpha 255.</summary>
    private static byte[] TestFrame(int w, int h)
    {
        var f = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = 4 * (y * w + x);
                f[i] = (byte)(x * 7 + y); f[i + 1] = (byte)(y * 5 + 3 * x); f[i + 2] = (byte)(x ^ y); f[i + 3] = 255;
            }
        return f;
    }
}
