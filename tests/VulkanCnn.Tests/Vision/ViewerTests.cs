// The viewer sample (samples/Viewer) headless, in-process: the astronaut photograph through BlazeFace and the overlay
// into a PNG and a detections JSON; and its command-line errors.
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Samples.Viewer;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class ViewerTests : GpuTest
{
    // Measured by hand on the 512×512 photograph: the face from hairline to chin, ear to ear (x, y, w, h).
    private static readonly Box Measured = new(178, 88, 94, 98);

    private static string Astronaut() => TestFiles.Cached("images", "astronaut.png");

    [Test]
    public void AstronautPhotoGivesOneFaceInTheJsonAndABoxDrawnInThePng()
    {
        string input = Astronaut();
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "viewer");
        Directory.CreateDirectory(dir);
        string png = Path.Combine(dir, "faces.png"), json = Path.Combine(dir, "faces.json");
        File.Delete(png);
        File.Delete(json);

        var o = ViewerOptions.Parse(new[] { "--source", input, "--model", "blazeface", "--output", png, "--detections", json });
        var log = new StringWriter();
        Assert.That(ViewerApp.Run(o, log, Ctx), Is.EqualTo(0), log.ToString());

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var frames = doc.RootElement.GetProperty("frames");
        Assert.That(frames.GetArrayLength(), Is.EqualTo(1));
        var faces = frames[0].GetProperty("detections");
        Assert.That(faces.GetArrayLength(), Is.EqualTo(1), json);
        var b = faces[0].GetProperty("box").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var box = new Box(b[0], b[1], b[2], b[3]);
        Assert.That(box.Iou(Measured), Is.GreaterThanOrEqualTo(0.5f), $"detected {box}, measured {Measured}");
        Assert.That(faces[0].GetProperty("keypoints").GetArrayLength(), Is.EqualTo(6));
        Assert.That(faces[0].GetProperty("score").GetSingle(), Is.InRange(0.75f, 1f));

        using var before = Image.Load<Rgba32>(input);
        using var after = Image.Load<Rgba32>(png);
        Assert.That((after.Width, after.Height), Is.EqualTo((before.Width, before.Height)));
        // Along the box's four edges most pixels carry the box colour, so most differ from the photograph.
        int changed = 0, total = 0;
        void Check(int x, int y)
        {
            if (x < 0 || y < 0 || x >= after.Width || y >= after.Height) return;
            total++;
            var p = before[x, y]; var q = after[x, y];
            if (Math.Abs(p.R - q.R) + Math.Abs(p.G - q.G) + Math.Abs(p.B - q.B) > 30) changed++;
        }
        for (int x = (int)box.X + 2; x < (int)box.Right - 2; x++) { Check(x, (int)MathF.Round(box.Y)); Check(x, (int)MathF.Round(box.Bottom) - 1); }
        for (int y = (int)box.Y + 2; y < (int)box.Bottom - 2; y++) { Check((int)MathF.Round(box.X), y); Check((int)MathF.Round(box.Right) - 1, y); }
        Assert.That(changed, Is.GreaterThan(total * 3 / 4), $"{changed} of {total} pixels on the box edges changed; output {png}");
    }

    [TestCase("--model", "yolo", "Unknown model 'yolo'")]
    [TestCase("--output", "out.gif", "Unknown output extension '.gif'")]
    [TestCase("--frames", "0", "--frames '0'")]
    public void BadOptionsExitWithTwoAndSayWhy(string option, string value, string message)
    {
        var args = new List<string> { "--source", "testsrc", "--output", "out.png" };
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value; else args.AddRange(new[] { option, value });
        var err = new StringWriter();
        Assert.That(ViewerApp.Run(args.ToArray(), TextWriter.Null, err), Is.EqualTo(2));
        Assert.That(err.ToString(), Does.Contain(message));
        Assert.That(err.ToString(), Does.Not.Contain("   at "));
    }

    [TestCase("--seconds", "-1", "--seconds '-1'")]
    [TestCase("--size", "10x10", "--size '10x10'")]
    public void MoreBadOptionsExitWithTwoAndSayWhy(string option, string value, string message) =>
        BadOptionsExitWithTwoAndSayWhy(option, value, message);

    [Test]
    public void WindowOrOutputIsRequiredAndTheHudDefaultsOnOnlyInTheWindow()
    {
        var err = new StringWriter();
        Assert.That(ViewerApp.Run(new[] { "--source", "testsrc" }, TextWriter.Null, err), Is.EqualTo(2));
        Assert.That(err.ToString(), Does.Contain("--window, --output"));
        var w = ViewerOptions.Parse(new[] { "--source", "testsrc", "--window" });
        Assert.That((w.Window, w.Hud, w.Output), Is.EqualTo((true, true, (string?)null)));
        Assert.That(ViewerOptions.Parse(new[] { "--source", "testsrc", "--window", "--no-hud" }).Hud, Is.False);
        Assert.That(ViewerOptions.Parse(new[] { "--source", "testsrc", "--output", "o.mp4" }).Hud, Is.False);
        Assert.That(ViewerOptions.Parse(new[] { "--source", "testsrc", "--output", "o.mp4", "--hud" }).Hud, Is.True);
        var sized = ViewerOptions.Parse(new[] { "--source", "testsrc", "--window", "--size", "1280x720", "--seconds", "2.5" });
        Assert.That((sized.WindowSize, sized.Seconds), Is.EqualTo(((1280, 720), 2.5)));
        // Real-time playback by default in the window, every frame in order for files.
        Assert.That((w.Realtime, ViewerOptions.Parse(new[] { "--source", "testsrc", "--output", "o.mp4" }).Realtime), Is.EqualTo((true, false)));
        Assert.That(ViewerOptions.Parse(new[] { "--source", "testsrc", "--window", "--every-frame", "--loop" }) is { Realtime: false, Loop: true });
        Assert.Throws<UsageException>(() => ViewerOptions.Parse(new[] { "--source", "testsrc", "--window", "--every-frame", "--realtime" }));
        Assert.That(ViewerApp.FitWindow(3840, 2160), Is.EqualTo((1600, 900)));
        Assert.That(ViewerApp.FitWindow(640, 480), Is.EqualTo((640, 480)));
    }

    [Test]
    public void ProgressBarShowsDoneTotalFpsAndEta()
    {
        var bar = new ProgressBar(TextWriter.Null, terminal: true, total: 60);
        Assert.That(bar.Format(30, 2.0), Is.EqualTo("[" + new string('#', 15) + new string('.', 15) + "] 30/60 50% 15.0 fps ETA 0:02"));
        Assert.That(bar.Format(0, 0), Does.Contain("0/60 0%").And.Contain("ETA ?"));
        Assert.That(new ProgressBar(TextWriter.Null, false, null).Format(250, 10), Is.EqualTo("250 frames, 25.0 fps"));

        // Not a terminal: a plain line per tenth of the way and the last one, no carriage returns.
        var log = new StringWriter();
        var plain = new ProgressBar(log, terminal: false, total: 20);
        for (int i = 1; i <= 20; i++) plain.Update(i, i / 10.0);
        plain.Finish(20, 2.0);
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(10), log.ToString());
        Assert.That(lines[^1], Does.StartWith("progress: [").And.Contain("20/20 100% 10.0 fps ETA 0:00"));
        Assert.That(log.ToString(), Does.Not.Contain("\r"));

        var tty = new StringWriter();
        var live = new ProgressBar(tty, terminal: true, total: 20);
        for (int i = 1; i <= 20; i++) live.Update(i, i);
        live.Finish(20, 20);
        Assert.That(tty.ToString(), Does.StartWith("\r[").And.EndWith(Environment.NewLine));
    }

    [Test]
    public void FolderRunWithHudWritesThePanelAndReportsProgressOnStderr()
    {
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "viewer-hud");
        string frames = Path.Combine(dir, "in"), outDir = Path.Combine(dir, "out");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(frames);
        var photo = TestFiles.AstronautRgba512x384();
        using (var img = Image.LoadPixelData<Rgba32>(photo, TestFiles.AstronautCropW, TestFiles.AstronautCropH))
            for (int i = 0; i < 3; i++) img.SaveAsPng(Path.Combine(frames, $"f{i}.png"));
        var o = ViewerOptions.Parse(new[] { "--source", frames, "--output", outDir, "--hud" });
        var log = new StringWriter();
        var err = new StringWriter();
        Assert.That(ViewerApp.Run(o, log, Ctx, err), Is.EqualTo(0), log + "\n" + err);
        Assert.That(err.ToString(), Does.Contain("progress: [").And.Contain("3/3 100%"), err.ToString());
        Assert.That(log.ToString(), Does.Contain("preprocess").And.Contain("inference").And.Contain("overlay"));
        var written = Directory.GetFiles(outDir, "*.png").OrderBy(f => f).ToArray();
        Assert.That(written, Has.Length.EqualTo(3));
        using var last = Image.Load<Rgba32>(written[^1]);
        // The panel's first line starts at (4, 4) at scale 1: each pixel there is white text or the photograph shaded by
        // the translucent black background (alpha 176).
        static int Shaded(byte v) => (int)Math.Floor(v * (1 - 176 / 255.0) + 0.5);
        int darker = 0;
        for (int y = 5; y < 12; y++)
            for (int x = 5; x < 60; x++)
            {
                var q = last[x, y];
                int i = 4 * (y * TestFiles.AstronautCropW + x);
                bool shaded = Math.Abs(q.R - Shaded(photo[i])) <= 1 && Math.Abs(q.G - Shaded(photo[i + 1])) <= 1 && Math.Abs(q.B - Shaded(photo[i + 2])) <= 1;
                if (shaded || (q.R == 255 && q.G == 255 && q.B == 255)) darker++;
            }
        Assert.That(darker, Is.EqualTo(7 * 55), "the HUD panel is drawn in the written frames");
    }
}
