// TextDetectionTask on the scanned page: the GPU mask against the map thresholded in C#, the mask against text lines
// found in the image itself (rows of dark pixels, hand-checked), boxes on those lines; and a photograph without text.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class TextDetectionTaskTests : GpuTest
{
    private static string Model => TestFiles.Cached("models", "ocr", "assets", "ch_PP-OCRv4_det_infer.onnx");

    // Text lines of .cache/images/page.png (384 × 191), frame rows: rows of the interior columns 40..359 where at least
    // 40 pixels are darker than 0.55 × the row's background (its 90th-percentile grey), checked by eye against the
    // page: the title, five lines of body text and the line of code. The hand check also found the horizontal rule at
    // row 156 and a cut-off line at the bottom edge (187..190), left out of both lists.
    internal static readonly (int Top, int Bottom)[] TextLines =
        { (17, 29), (53, 62), (71, 80), (88, 98), (106, 116), (124, 133), (176, 186) };
    // Blank rows: the top margin above the title and the gap between the last body line and the rule.
    internal static readonly (int Top, int Bottom)[] BlankRows = { (0, 11), (138, 152) };

    [Test]
    public void MaskCoversTheTextLinesOfThePageAndLittleElse()
    {
        using var task = new TextDetectionTask(Ctx, Model, 384, 192);
        var (rgba, w, h) = BlazeFaceTaskTests.LoadRgba("page.png");
        var result = task.Run(rgba, w, h, PixelFormat.Rgba8, frameNumber: 3);
        var (mw, mh) = task.MapSize;
        var t = FramePreprocessor.ComputeTransform(w, h, task.Input);
        var mask = task.Mask.ToArray();
        // The GPU mask is the map thresholded at 0.3, and the map read back is the session's output.
        var map = new float[mw * mh];
        task.Session.GetOutput(map);
        Assert.That(task.Probabilities.ToArray(), Is.EqualTo(map), "probability map copy");
        for (int i = 0; i < map.Length; i++)
            if ((map[i] >= 0.3f ? 1 : 0) != mask[i]) Assert.Fail($"mask pixel {i % mw}, {i / mw}: map {map[i]}, mask {mask[i]}");

        // Per frame row: mask pixels in the model row that frame row maps to.
        int RowCount(int y)
        {
            int my = (int)Math.Floor(t.ToModel(0, y + 0.5f).Y);
            int n = 0;
            for (int x = 0; x < mw; x++) n += mask[my * mw + x];
            return n;
        }
        var textRows = TextLines.SelectMany(l => Enumerable.Range(l.Top, l.Bottom - l.Top + 1)).ToArray();
        int covered = textRows.Count(y => RowCount(y) >= 10);
        var blank = BlankRows.SelectMany(l => Enumerable.Range(l.Top, l.Bottom - l.Top + 1)).ToArray();
        double blankFraction = blank.Sum(RowCount) / (double)(blank.Length * mw);
        TestContext.Out.WriteLine($"text rows covered {covered} of {textRows.Length}; blank-row mask fraction {blankFraction:P2}; " +
                                  $"{result.Detections.Count} boxes; post-processing {task.LastPostprocessMilliseconds:0.00} ms GPU + {task.LastLabellingMilliseconds:0.00} ms CPU");
        for (int y = 0; y < h; y++) TestContext.Out.Write($"{y}:{RowCount(y)} ");
        TestContext.Out.WriteLine();
        foreach (var d in result.Detections) TestContext.Out.WriteLine($"  {d.Box} score {d.Score:0.000}");
        SaveOverlay(task, result, rgba, w, h, "text-page.png");

        Assert.That(covered, Is.GreaterThanOrEqualTo(0.8 * textRows.Length), "text-line rows with mask pixels");
        Assert.That(blankFraction, Is.LessThan(0.02), "mask pixels in blank rows");

        // Boxes: each of those counted must have its vertical centre on a hand-checked text line.
        int onLines = result.Detections.Count(d => TextLines.Any(l => d.Box.Y + d.Box.H / 2 >= l.Top - 2 && d.Box.Y + d.Box.H / 2 <= l.Bottom + 2));
        Assert.That(onLines, Is.GreaterThanOrEqualTo(7), "boxes centred on text lines");
        Assert.That(result.Detections.All(d => d.Label == "text" && d.Score >= 0.6f));
        Assert.That(result.FrameNumber, Is.EqualTo(3));
        Assert.That(result.Mask, Is.Not.Null);
        Assert.That(result.Mask!.Threshold, Is.EqualTo(0.3f));
        Assert.That(result.Mask.Width, Is.EqualTo(384));
        // The GPU labelling gives the boxes of the C# flood fill.
        using var gpuTask = new TextDetectionTask(Ctx, Model, 384, 192, new TextDetectionOptions { GpuLabelling = true });
        AssertSameBoxes(result.Detections, gpuTask.Run(rgba, w, h, PixelFormat.Rgba8).Detections, "page.png, GPU labelling");
    }

    private static void AssertSameBoxes(IReadOnlyList<Detection> expected, IReadOnlyList<Detection> actual, string what)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Count), $"{what}: boxes");
        for (int i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i].Box, actual[i].Box);
            Assert.That(new[] { a.X, a.Y, a.Right, a.Bottom }, Is.EqualTo(new[] { e.X, e.Y, e.Right, e.Bottom }).Within(1e-3), $"{what}: box {i}");
            Assert.That(actual[i].Score, Is.EqualTo(expected[i].Score).Within(2e-4), $"{what}: score of box {i}");
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    public void GpuLabellingEqualsTheCpuOnSyntheticMaps(int seed)
    {
        // Every region kept: the comparison covers all of them, specks included.
        var o = new TextDetectionOptions { MinArea = 1, MinSide = 1, BoxThreshold = 0f, GpuLabelling = true };
        using var task = new TextDetectionTask(Ctx, Model, 160, 96, o);
        Span<float> output;
        try { output = task.Session.OutputBuffer(0).AsFloats(); }
        catch (InvalidOperationException) { Assert.Ignore("the session's output is not host-visible on this device: the map cannot be written directly"); return; }
        // Smoothed noise: regions of every shape (spirals, combs, U shapes whose arms meet late), and a hand-drawn
        // comb whose teeth join only along the bottom row, the worst case for union order.
        var rng = new Random(seed);
        int w = 160, h = 96;
        var noise = TestData.Random(rng, w * h, 1f);
        var map = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float s = 0;
                for (int dy = -2; dy <= 2; dy++)
                    for (int dx = -2; dx <= 2; dx++)
                        s += noise[Math.Clamp(y + dy, 0, h - 1) * w + Math.Clamp(x + dx, 0, w - 1)];
                map[y * w + x] = 1f / (1f + MathF.Exp(-s));
            }
        for (int y = 10; y < 40; y++)
            for (int x = 5; x < 60; x += 4) map[y * w + x] = 0.9f;
        for (int x = 5; x < 60; x++) map[40 * w + x] = 0.9f;
        map.CopyTo(output);
        task.Runner.Postprocess();
        var gpu = task.ReadResult(0, new FrameTransform(1, 1, 0, 0)).Detections;
        var mask = map.Select(v => (byte)(v >= 0.3f ? 1 : 0)).ToArray();
        Assert.That(task.Mask.ToArray(), Is.EqualTo(mask), "mask");
        var cpu = task.FindBoxes(mask, map, new FrameTransform(1, 1, 0, 0));
        TestContext.Out.WriteLine($"{task.LastRegionCount} regions on the GPU, {cpu.Count} in C#");
        Assert.That(cpu.Count, Is.GreaterThan(20), "the map must have many regions");
        AssertSameBoxes(cpu, gpu, $"seed {seed}");
    }

    [Test]
    public void NoTextInAPhotographWithout()
    {
        using var task = new TextDetectionTask(Ctx, Model, 320, 224);
        using var image = Image.Load<Rgba32>(TestFiles.Cached("images", "coffee.png"));
        // The cup, saucer and spoon (coffee.png is 600 × 400): no writing anywhere in it.
        image.Mutate(c => c.Crop(new Rectangle(100, 40, 420, 300)));
        var rgba = new byte[4 * image.Width * image.Height];
        image.CopyPixelDataTo(rgba);
        var result = task.Run(rgba, image.Width, image.Height, PixelFormat.Rgba8);
        int maskPixels = 0;
        foreach (var b in task.Mask) maskPixels += b;
        TestContext.Out.WriteLine($"{result.Detections.Count} boxes, {maskPixels} mask pixels");
        foreach (var d in result.Detections) TestContext.Out.WriteLine($"  {d.Box} score {d.Score:0.000}");
        SaveOverlay(task, result, rgba, image.Width, image.Height, "text-coffee.png");
        Assert.That(result.Detections, Is.Empty);
    }

    [Test]
    public void RejectsSizesAndModelsThatDoNotFit()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new TextDetectionTask(Ctx, Model, 100, 64))!.Message, Does.Contain("100x64"));
        string face = BlazeFaceTaskTests.Model(BlazeFaceModel.Front);
        var e = Assert.Throws<ArgumentException>(() => new TextDetectionTask(Ctx, face, 128, 128));
        Assert.That(e!.Message, Does.Contain(face));
        Assert.Throws<FileNotFoundException>(() => new TextDetectionTask(Ctx, "missing.onnx"));
    }

    private static void SaveOverlay(VisionTask task, VisionResult result, byte[] rgba, int w, int h, string name)
    {
        using var overlay = new OverlayRenderer(Ctx, w, h);
        overlay.Upload(rgba);
        var scene = new OverlayScene();
        task.Draw(result, scene);
        overlay.Draw(scene);
        overlay.SavePng(Path.Combine(TestContext.CurrentContext.WorkDirectory, name));
    }
}
