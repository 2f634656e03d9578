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
        var faces = frames[0].GetProperty("faces");
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
}
