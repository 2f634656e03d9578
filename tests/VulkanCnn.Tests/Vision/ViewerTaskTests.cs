// The viewer (samples/Viewer) with every model, headless and in-process through the frame pipeline: PP-OCR text on
// page.png (mask and boxes over the hand-checked text lines), the Sobel view (changed pixels exactly where a C# Sobel
// is strong), M-LSD segments in the JSON, an ONNX classifier's top-k (and a non-classifier rejected), and a generated
// clip of a moving face, where every frame's result must be that frame's.
using System.Diagnostics;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Samples.Viewer;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class ViewerTaskTests : GpuTest
{
    private static string Dir(string name)
    {
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "viewer-tasks", name);
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs the viewer in-process on the test context; returns its log.</summary>
    private static string RunViewer(params string[] args)
    {
        var o = ViewerOptions.Parse(args);
        var log = new StringWriter();
        var err = new StringWriter();
        int code = ViewerApp.Run(o, log, Ctx, err);
        Assert.That(code, Is.EqualTo(0), log + "\n" + err);
        TestContext.Out.WriteLine(log.ToString());
        return log.ToString();
    }

    private static JsonElement Frames(string json) => JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("frames");

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static (byte[] Rgba, int W, int H) Load(string png)
    {
        using var image = Image.Load<Rgba32>(png);
        var bytes = new byte[4 * image.Width * image.Height];
        image.CopyPixelDataTo(bytes);
        return (bytes, image.Width, image.Height);
    }

    private static bool Changed(byte[] a, byte[] b, int i, int tolerance = 6) =>
        Math.Abs(a[i] - b[i]) + Math.Abs(a[i + 1] - b[i + 1]) + Math.Abs(a[i + 2] - b[i + 2]) > tolerance;

    [Test]
    public void TextDetectionOnThePageDrawsMaskAndBoxesOverTheTextLinesAndWritesTheBoxes()
    {
        string dir = Dir("text"), png = Path.Combine(dir, "text.png"), json = Path.Combine(dir, "text.json");
        string page = TestFiles.Cached("images", "page.png");
        RunViewer("--source", page, "--model", "ppocr-det", "--output", png, "--detections", json);

        var frames = Frames(json);
        Assert.That(frames.GetArrayLength(), Is.EqualTo(1));
        Assert.That(frames[0].GetProperty("frame").GetInt64(), Is.EqualTo(0));
        var boxes = frames[0].GetProperty("detections").EnumerateArray().Select(d =>
        {
            Assert.That(d.GetProperty("label").GetString(), Is.EqualTo("text"));
            var b = Floats(d.GetProperty("box"));
            return new Box(b[0], b[1], b[2], b[3]);
        }).ToArray();
        foreach (var b in boxes) TestContext.Out.WriteLine($"  {b}");
        Assert.That(boxes, Has.Length.GreaterThanOrEqualTo(7), "a box per text line at least");
        // Every hand-checked text line holds the vertical centre of a box, in source-pixel coordinates.
        foreach (var (top, bottom) in TextDetectionTaskTests.TextLines)
            Assert.That(boxes.Any(b => b.Y + b.H / 2 >= top - 2 && b.Y + b.H / 2 <= bottom + 2), $"no box centred on the text line at rows {top}..{bottom}");

        // The PNG: most text-line rows have mask/box pixels over the text; the blank rows stay as they were, apart from
        // the boxes' own outlines (a box edge may run along a margin row).
        var (before, w, h) = BlazeFaceTaskTests.LoadRgba("page.png");
        var (after, aw, ah) = Load(png);
        Assert.That((aw, ah), Is.EqualTo((w, h)));
        int RowChanged(int y)
        {
            int n = 0;
            for (int x = 40; x < 360; x++) n += Changed(before, after, 4 * (y * w + x)) ? 1 : 0;
            return n;
        }
        var textRows = TextDetectionTaskTests.TextLines.SelectMany(l => Enumerable.Range(l.Top, l.Bottom - l.Top + 1)).ToArray();
        int covered = textRows.Count(y => RowChanged(y) >= 10);
        bool NearBoxEdge(int y) => boxes.Any(b => Math.Abs(y - b.Y) <= 4 || Math.Abs(y - b.Bottom) <= 4);
        var blank = TextDetectionTaskTests.BlankRows.SelectMany(l => Enumerable.Range(l.Top, l.Bottom - l.Top + 1)).Where(y => !NearBoxEdge(y)).ToArray();
        double blankFraction = blank.Sum(RowChanged) / (double)(Math.Max(1, blank.Length) * 320);
        TestContext.Out.WriteLine($"text rows changed {covered} of {textRows.Length}; blank rows (away from box edges) {blank.Length}, changed fraction {blankFraction:P2}; output {png}");
        Assert.That(covered, Is.GreaterThanOrEqualTo(0.8 * textRows.Length), "text-line rows with overlay pixels");
        Assert.That(blank, Has.Length.GreaterThan(10), "blank rows left to check");
        Assert.That(blankFraction, Is.LessThan(0.02), "overlay pixels in blank rows");
    }

    /// <summary>Sobel strength of the luminance (0..1) in C#: true convolution, replicate border.</summary>
    private static float[] SobelReference(byte[] rgba, int w, int h)
    {
        var lum = new float[w * h];
        for (int i = 0; i < w * h; i++) lum[i] = (0.299f * rgba[4 * i] + 0.587f * rgba[4 * i + 1] + 0.114f * rgba[4 * i + 2]) / 255f;
        float L(int x, int y) => lum[Math.Clamp(y, 0, h - 1) * w + Math.Clamp(x, 0, w - 1)];
        var mag = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float gx = L(x + 1, y - 1) + 2 * L(x + 1, y) + L(x + 1, y + 1) - L(x - 1, y - 1) - 2 * L(x - 1, y) - L(x - 1, y + 1);
                float gy = L(x - 1, y + 1) + 2 * L(x, y + 1) + L(x + 1, y + 1) - L(x - 1, y - 1) - 2 * L(x, y - 1) - L(x + 1, y - 1);
                mag[y * w + x] = MathF.Sqrt(gx * gx + gy * gy);
            }
        return mag;
    }

    [Test]
    public void SobelViewChangesThePhotoAlongStrongEdgesOnly()
    {
        string dir = Dir("sobel"), input = Path.Combine(dir, "astronaut-512x384.png"), png = Path.Combine(dir, "sobel.png");
        var photo = TestFiles.AstronautRgba512x384();
        int w = TestFiles.AstronautCropW, h = TestFiles.AstronautCropH;
        using (var img = Image.LoadPixelData<Rgba32>(photo, w, h)) img.SaveAsPng(input);
        RunViewer("--source", input, "--model", "sobel", "--output", png);

        var (after, aw, ah) = Load(png);
        Assert.That((aw, ah), Is.EqualTo((w, h)));
        var mag = SobelReference(photo, w, h);
        const float threshold = 0.5f, margin = 0.05f;   // FilterTask's default threshold; values this close may go either way
        int strong = 0, strongChanged = 0, weak = 0, weakChanged = 0;
        for (int i = 0; i < w * h; i++)
        {
            bool changed = Changed(photo, after, 4 * i, 2);
            if (mag[i] >= threshold + margin) { strong++; strongChanged += changed ? 1 : 0; }
            else if (mag[i] < threshold - margin) { weak++; weakChanged += changed ? 1 : 0; }
        }
        TestContext.Out.WriteLine($"strong-edge pixels {strong}, changed {strongChanged}; weak {weak}, changed {weakChanged}; output {png}");
        Assert.That(strong, Is.InRange(w * h / 100, w * h / 2), "the photograph has strong edges, but is not all edges");
        Assert.That(strongChanged, Is.EqualTo(strong), "every strong-edge pixel is drawn");
        Assert.That(weakChanged, Is.LessThanOrEqualTo(weak / 1000), "pixels away from strong edges stay as they were");
    }

    [Test]
    public void LineSegmentsOfThePhotoGoIntoTheJsonAndOverTheFrame()
    {
        string dir = Dir("mlsd"), png = Path.Combine(dir, "lines.png"), json = Path.Combine(dir, "lines.json");
        string camera = TestFiles.Cached("images", "camera.png");
        RunViewer("--source", camera, "--model", "mlsd", "--output", png, "--detections", json);

        var (before, w, h) = BlazeFaceTaskTests.LoadRgba("camera.png");
        var (after, _, _) = Load(png);
        var segments = Frames(json)[0].GetProperty("segments").EnumerateArray().Select(s => (Line: Floats(s.GetProperty("line")), Score: s.GetProperty("score").GetSingle())).ToArray();
        foreach (var s in segments) TestContext.Out.WriteLine($"  ({s.Line[0]:0.0}, {s.Line[1]:0.0}) - ({s.Line[2]:0.0}, {s.Line[3]:0.0}) {s.Score:0.000}");
        Assert.That(segments, Has.Length.GreaterThanOrEqualTo(5), "segments in the JSON");
        var mag = SobelReference(before, w, h);
        int onEdges = 0;
        foreach (var (l, score) in segments)
        {
            Assert.That(score, Is.InRange(0.1f, 1f));
            // In the frame, give or take 8 pixels: a predicted end can overshoot the border a little.
            Assert.That(l[0] >= -8 && l[2] >= -8 && l[1] >= -8 && l[3] >= -8 && l[0] <= w + 8 && l[2] <= w + 8 && l[1] <= h + 8 && l[3] <= h + 8,
                        $"segment {string.Join(", ", l)} lies in the {w}x{h} frame");
            float len = MathF.Sqrt((l[2] - l[0]) * (l[2] - l[0]) + (l[3] - l[1]) * (l[3] - l[1]));
            Assert.That(len, Is.GreaterThan(20f), "segments are longer than M-LSD's minimum");
            // Source-pixel coordinates: the middle of the segment is on (within 3 pixels of) an edge of the photograph,
            // and the overlay drew over it.
            int mx = (int)((l[0] + l[2]) / 2), my = (int)((l[1] + l[3]) / 2);
            bool edge = false, drawn = false;
            for (int dy = -3; dy <= 3; dy++)
                for (int dx = -3; dx <= 3; dx++)
                {
                    int x = Math.Clamp(mx + dx, 0, w - 1), y = Math.Clamp(my + dy, 0, h - 1);
                    edge |= mag[y * w + x] >= 0.3f;
                    drawn |= Changed(before, after, 4 * (y * w + x), 30);
                }
            onEdges += edge ? 1 : 0;
            Assert.That(drawn, $"segment through ({mx}, {my}) is drawn in {png}");
        }
        Assert.That(onEdges, Is.GreaterThanOrEqualTo(segments.Length * 8 / 10), "segments lie on the photograph's edges");
    }

    [Test]
    public void OnnxClassifierDrawsItsTopKAndOtherModelsAreRejectedNamingTheFileAndShapes()
    {
        string dir = Dir("classifier"), png = Path.Combine(dir, "cls.png"), json = Path.Combine(dir, "cls.json");
        string model = TestFiles.Cached("models", "ocr", "assets", "ch_ppocr_mobile_v2.0_cls_infer.onnx");
        string page = TestFiles.Cached("images", "page.png");
        RunViewer("--source", page, "--model", model, "--output", png, "--detections", json);
        var topK = Frames(json)[0].GetProperty("topK").EnumerateArray().ToArray();
        Assert.That(topK, Has.Length.EqualTo(2), "the direction classifier has two classes");
        float sum = topK.Sum(c => c.GetProperty("score").GetSingle());
        Assert.That(sum, Is.EqualTo(1f).Within(1e-4f), "softmax probabilities");
        Assert.That(topK[0].GetProperty("score").GetSingle(), Is.GreaterThanOrEqualTo(topK[1].GetProperty("score").GetSingle()), "best first");
        // Two label lines in the top-left corner (scale 2: 7 + 2 rows of 2 pixels each): white text on black.
        var (after, w, _) = Load(png);
        int white = 0, black = 0;
        for (int y = 4; y < 4 + 2 * 18; y++)
            for (int x = 4; x < 60; x++)
            {
                int i = 4 * (y * w + x);
                if (after[i] == 255 && after[i + 1] == 255 && after[i + 2] == 255) white++;
                if (after[i] == 0 && after[i + 1] == 0 && after[i + 2] == 0) black++;
            }
        Assert.That(white, Is.GreaterThan(100), "label text");
        Assert.That(black, Is.GreaterThan(100), "label background");

        string face = TestFiles.Cached("models", "blazeface", "ONNX", "face_detection_front_128x128_barracuda.onnx");
        var err = new StringWriter();
        int code = ViewerApp.Run(new[] { "--source", page, "--model", face, "--output", png }, TextWriter.Null, err);
        Assert.That(code, Is.EqualTo(1), err.ToString());
        Assert.That(err.ToString(), Does.Contain(face).And.Contain("4 output(s)").And.Contain("[1,128,128,3]"), err.ToString());
        Assert.That(err.ToString(), Does.Not.Contain("   at "));
    }

    // A 320x320 window slides 30 pixels per frame across the 512x512 photograph (from y = 40), so the face (measured
    // at 178, 88, 94x98) moves 30 pixels left each frame: a result one frame off would be 30 pixels off.
    private const int ClipStep = 30, ClipTop = 40;
    private static readonly Box Measured = new(178, 88, 94, 98);

    /// <summary>Where the face is in frame <paramref name="k"/> of the clip.</summary>
    private static Box ClipFace(long k) => Measured with { X = Measured.X - ClipStep * k, Y = Measured.Y - ClipTop };

    private static string MakeClip(string dir, int frames)
    {
        string clip = Path.Combine(dir, "clip.mp4");
        var ffmpeg = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-i", TestFiles.Cached("images", "astronaut.png"),
                                  "-vf", $"crop=320:320:{ClipStep}*n:{ClipTop}", "-frames:v", $"{frames}", "-pix_fmt", "yuv420p", "-crf", "12", clip })
            ffmpeg.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(ffmpeg)!;
            string e = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.That(p.ExitCode, Is.EqualTo(0), "ffmpeg: " + e);
        }
        catch (System.ComponentModel.Win32Exception) { Assert.Ignore("ffmpeg is not installed (scripts/setup.sh installs it)."); }
        return clip;
    }

    /// <summary>Asserts a result's single face is where the clip has it in frame <paramref name="k"/> (centre within half a step).</summary>
    private static void AssertFaceOfFrame(JsonElement result, long k)
    {
        var faces = result.GetProperty("detections");
        Assert.That(faces.GetArrayLength(), Is.EqualTo(1), $"frame {k}: one face");
        var b = Floats(faces[0].GetProperty("box"));
        var box = new Box(b[0], b[1], b[2], b[3]);
        var expected = ClipFace(k);
        TestContext.Out.WriteLine($"frame {k}: {box}, expected about {expected}");
        Assert.That(Math.Abs(box.X + box.W / 2 - (expected.X + expected.W / 2)), Is.LessThan(ClipStep / 2f), $"frame {k}: the face's centre is this frame's");
        Assert.That(box.Iou(expected), Is.GreaterThanOrEqualTo(0.5f), $"frame {k}");
    }

    [Test]
    public void EveryFrameOfAMovingFaceClipGetsItsOwnResult()
    {
        const int frames = 6;
        string dir = Dir("clip"), mp4 = Path.Combine(dir, "faces.mp4"), json = Path.Combine(dir, "faces.json");
        string clip = MakeClip(dir, frames);
        string log = RunViewer("--source", clip, "--model", "blazeface", "--output", mp4, "--detections", json);
        Assert.That(log, Does.Contain($"{frames} frame(s), {frames} result(s)"));
        var results = Frames(json);
        Assert.That(results.GetArrayLength(), Is.EqualTo(frames));
        for (int k = 0; k < frames; k++)
        {
            var r = results[k];
            Assert.That(r.GetProperty("frame").GetInt64(), Is.EqualTo(k), "results in frame order, each numbered with its frame");
            AssertFaceOfFrame(r, k);
        }
        // The written video has every frame.
        var probe = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames,width,height", "-of", "csv=p=0", mp4 })
            probe.ArgumentList.Add(a);
        using var q = Process.Start(probe)!;
        string info = q.StandardOutput.ReadToEnd().Trim();
        q.WaitForExit();
        Assert.That(info, Is.EqualTo($"320,320,{frames}"), "ffprobe width,height,frames of the output");
    }

    [Test]
    public void RealtimeModeNumbersEachResultWithTheFrameItCameFrom()
    {
        // Latest frame wins: results arrive frames late and some frames have none, but each is numbered with the frame
        // whose pixels it used, and its face is where that frame has it.
        const int frames = 6;
        string dir = Dir("realtime"), outDir = Path.Combine(dir, "out"), json = Path.Combine(dir, "faces.json");
        string clip = MakeClip(dir, frames);
        string log = RunViewer("--source", clip, "--model", "blazeface", "--output", outDir, "--detections", json, "--realtime");
        Assert.That(log, Does.Contain("latest frame wins"));
        var results = Frames(json);
        Assert.That(results.GetArrayLength(), Is.GreaterThanOrEqualTo(1));
        long previous = -1;
        foreach (var r in results.EnumerateArray())
        {
            long k = r.GetProperty("frame").GetInt64();
            Assert.That(k, Is.GreaterThan(previous).And.LessThan(frames), "frame numbers rise and are the clip's");
            previous = k;
            AssertFaceOfFrame(r, k);
        }
    }

    [Test]
    public void FaceInTheAstronautCropIsAtTheMeasuredBox()
    {
        // The 512x384 crop (rows 64..447) has the hand-measured face at (178, 24, 94x98).
        string dir = Dir("crop"), input = Path.Combine(dir, "astronaut-512x384.png"), json = Path.Combine(dir, "faces.json");
        using (var img = Image.LoadPixelData<Rgba32>(TestFiles.AstronautRgba512x384(), TestFiles.AstronautCropW, TestFiles.AstronautCropH))
            img.SaveAsPng(input);
        RunViewer("--source", input, "--output", Path.Combine(dir, "faces.png"), "--detections", json);
        var faces = Frames(json)[0].GetProperty("detections");
        Assert.That(faces.GetArrayLength(), Is.EqualTo(1));
        var b = Floats(faces[0].GetProperty("box"));
        var box = new Box(b[0], b[1], b[2], b[3]);
        Assert.That(box.Iou(new Box(178, 24, 94, 98)), Is.GreaterThanOrEqualTo(0.5f), $"detected {box}");
    }

    [Test]
    public void ModelNamesAndTextInputSizes()
    {
        Assert.That(ViewerOptions.Parse(new[] { "--source", "testsrc", "--output", "o.png", "--model", "nets/resnet18.onnx" }).Model, Is.EqualTo("nets/resnet18.onnx"));
        foreach (var m in ViewerTasks.Names) Assert.That(ViewerOptions.Parse(new[] { "--source", "testsrc", "--output", "o.png", "--model", m }).Model, Is.EqualTo(m));
        var e = Assert.Throws<UsageException>(() => ViewerOptions.Parse(new[] { "--source", "testsrc", "--output", "o.png", "--model", "yolo" }))!;
        Assert.That(e.Message, Does.Contain("ppocr-det").And.Contain("PATH.onnx"));
        // Shrunk to fit 480 (never grown), sides rounded up to multiples of 32.
        Assert.That(ViewerTasks.TextInputSize(384, 191), Is.EqualTo((384, 192)));
        Assert.That(ViewerTasks.TextInputSize(640, 480), Is.EqualTo((480, 384)));
        Assert.That(ViewerTasks.TextInputSize(1280, 720), Is.EqualTo((480, 288)));
        Assert.That(ViewerTasks.TextInputSize(480, 640), Is.EqualTo((384, 480)));
        Assert.That(ViewerTasks.TextInputSize(20, 10), Is.EqualTo((32, 32)));
        Assert.Throws<FileNotFoundException>(() => ViewerTasks.Create("missing.onnx", Ctx, 64, 64));
    }
}
