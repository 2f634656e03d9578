// BlazeFace decoding: anchors and weighted non-maximum suppression checked by hand, and the detector end to end on real
// photographs (one face where a person measured it; none in a photograph without people).
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class BlazeFaceTests : GpuTest
{
    private static string CachePath(params string[] parts) => TestFiles.Cached(parts);

    private static string Model(BlazeFaceModel kind) => CachePath("models", "blazeface", "ONNX",
        kind == BlazeFaceModel.Front ? "face_detection_front_128x128_barracuda.onnx" : "face_detection_back_256x256_barracuda.onnx");

    [Test]
    public void FrontAnchorsAreTwoPerCellOnSixteenSquaredThenSixPerCellOnEightSquared()
    {
        var a = BlazeFaceDecoder.Anchors(BlazeFaceModel.Front);
        Assert.That(a, Has.Count.EqualTo(896));
        // Fine grid: 16×16 cells of 8 pixels, two anchors per cell, row by row.
        Assert.That(a[0], Is.EqualTo((0.5f / 16, 0.5f / 16)));
        Assert.That(a[1], Is.EqualTo((0.5f / 16, 0.5f / 16)));
        Assert.That(a[2], Is.EqualTo((1.5f / 16, 0.5f / 16)));
        Assert.That(a[32], Is.EqualTo((0.5f / 16, 1.5f / 16)));
        Assert.That(a[511], Is.EqualTo((15.5f / 16, 15.5f / 16)));
        // Coarse grid: 8×8 cells of 16 pixels, six anchors per cell.
        Assert.That(a[512], Is.EqualTo((0.5f / 8, 0.5f / 8)));
        Assert.That(a[517], Is.EqualTo((0.5f / 8, 0.5f / 8)));
        Assert.That(a[518], Is.EqualTo((1.5f / 8, 0.5f / 8)));
        Assert.That(a[895], Is.EqualTo((7.5f / 8, 7.5f / 8)));
    }

    [Test]
    public void BackAnchorsHaveTheSameGridsOnTwiceTheInput()
    {
        // 256 input, strides 16 and 32: the same 16×16 and 8×8 grids, so the same fractions.
        Assert.That(BlazeFaceDecoder.Anchors(BlazeFaceModel.Back), Is.EqualTo(BlazeFaceDecoder.Anchors(BlazeFaceModel.Front)));
        Assert.That(BlazeFaceDecoder.InputSize(BlazeFaceModel.Back), Is.EqualTo(256));
    }

    [Test]
    public void DecodeOffsetsTheAnchorByRegressorsOverInputSize()
    {
        var reg = new float[896 * 16];
        var logits = Enumerable.Repeat(-10f, 896).ToArray();
        logits[0] = 2f;                                              // sigmoid(2) = 0.8808
        float[] r = { 12.8f, -6.4f, 25.6f, 38.4f, 1.28f, 2.56f };   // dx, dy, w, h, keypoint 0 (x, y): /128
        r.CopyTo(reg, 0);
        var faces = BlazeFaceDecoder.Decode(BlazeFaceModel.Front, reg, logits, 0.75f);
        Assert.That(faces, Has.Count.EqualTo(1));
        var f = faces[0];
        // Anchor 0 is at (1/32, 1/32): centre (0.03125 + 0.1, 0.03125 − 0.05), size 0.2 × 0.3.
        Assert.That(f.Score, Is.EqualTo(1 / (1 + Math.Exp(-2))).Within(1e-6));
        Assert.That(f.Box.X, Is.EqualTo(0.13125f - 0.1f).Within(1e-6));
        Assert.That(f.Box.Y, Is.EqualTo(-0.01875f - 0.15f).Within(1e-6));
        Assert.That(f.Box.W, Is.EqualTo(0.2f).Within(1e-6));
        Assert.That(f.Box.H, Is.EqualTo(0.3f).Within(1e-6));
        Assert.That(f.Keypoints[0].X, Is.EqualTo(0.03125f + 0.01f).Within(1e-6));
        Assert.That(f.Keypoints[0].Y, Is.EqualTo(0.03125f + 0.02f).Within(1e-6));
        Assert.That(f.Keypoints[1], Is.EqualTo((0.03125f, 0.03125f)));
        // A NaN logit is no face.
        logits[0] = float.NaN;
        Assert.That(BlazeFaceDecoder.Decode(BlazeFaceModel.Front, reg, logits, 0.75f), Is.Empty);
        logits[0] = 2f;
        // Below the threshold nothing comes out; a mapping scales box corners and keypoints.
        Assert.That(BlazeFaceDecoder.Decode(BlazeFaceModel.Front, reg, logits, 0.9f), Is.Empty);
        var mapped = BlazeFaceDecoder.Decode(BlazeFaceModel.Front, reg, logits, 0.75f, toFrame: p => (p.X * 100 + 5, p.Y * 100)).Single();
        Assert.That(mapped.Box.X, Is.EqualTo(3.125f + 5).Within(1e-4));
        Assert.That(mapped.Box.W, Is.EqualTo(20f).Within(1e-4));
        Assert.That(mapped.Box.H, Is.EqualTo(30f).Within(1e-4));
    }

    [Test]
    public void WeightedNmsAveragesOverlappingFacesByScoreAndKeepsSeparateOnes()
    {
        var a = new FaceDetection(new Box(0, 0, 10, 10), 0.6f, new[] { (5f, 6f) });
        var b = new FaceDetection(new Box(1, 1, 10, 10), 0.9f, new[] { (2f, 3f) });   // IoU with a: 81 / 119 = 0.68
        var c = new FaceDetection(new Box(20, 20, 5, 5), 0.8f, new[] { (22f, 22f) });
        var d = new FaceDetection(new Box(0, 5, 10, 10), 0.7f, new[] { (1f, 1f) });   // IoU with b: 54 / 146 = 0.37, with a: 50 / 150 = 0.33
        var faces = BlazeFaceDecoder.WeightedNms(new[] { a, b, c }, 0.3f);
        Assert.That(faces, Has.Count.EqualTo(2));
        // Weights 0.9 (b) and 0.6 (a), total 1.5: left (0.9·1 + 0.6·0) / 1.5 = 0.6, right (0.9·11 + 0.6·10) / 1.5 = 10.6.
        var m = faces[0];
        Assert.That(m.Score, Is.EqualTo(0.9f));
        Assert.That(m.Box.X, Is.EqualTo(0.6f).Within(1e-5));
        Assert.That(m.Box.Y, Is.EqualTo(0.6f).Within(1e-5));
        Assert.That(m.Box.W, Is.EqualTo(10f).Within(1e-5));
        Assert.That(m.Box.H, Is.EqualTo(10f).Within(1e-5));
        // Keypoint (0.9·(2, 3) + 0.6·(5, 6)) / 1.5 = (3.2, 4.2).
        Assert.That(m.Keypoints[0].X, Is.EqualTo(3.2f).Within(1e-5));
        Assert.That(m.Keypoints[0].Y, Is.EqualTo(4.2f).Within(1e-5));
        Assert.That(faces[1], Is.EqualTo(c));

        // Three overlapping with the best: all merged; the merged score is the best one.
        var three = BlazeFaceDecoder.WeightedNms(new[] { a, b, d }, 0.3f).Single();
        Assert.That(three.Score, Is.EqualTo(0.9f));
        Assert.That(three.Box.Y, Is.EqualTo((0.9f * 1 + 0.6f * 0 + 0.7f * 5) / 2.2f).Within(1e-5));
        // With a higher threshold d stays apart.
        Assert.That(BlazeFaceDecoder.WeightedNms(new[] { a, b, d }, 0.5f), Has.Count.EqualTo(2));
    }

    [Test]
    public void BoxIou()
    {
        Assert.That(new Box(0, 0, 10, 10).Iou(new Box(5, 0, 10, 10)), Is.EqualTo(50f / 150f).Within(1e-6));
        Assert.That(new Box(0, 0, 10, 10).Iou(new Box(10, 0, 10, 10)), Is.EqualTo(0f));
        Assert.That(new Box(0, 0, 10, 10).Iou(new Box(0, 0, 10, 10)), Is.EqualTo(1f));
    }

    // The astronaut's face in .cache/images/astronaut.png (512 × 512), measured by eye on the photograph: from the
    // left cheek at x = 178 to the right cheek at x = 272, from the eyebrows at y = 88 to the chin at y = 186 (BlazeFace's
    // box spans brows to chin, not the hair).
    private static readonly Box AstronautFace = new(178, 88, 94, 98);

    [TestCase(BlazeFaceModel.Front)]
    [TestCase(BlazeFaceModel.Back)]
    public void FindsTheAstronautsFace(BlazeFaceModel kind)
    {
        using var detector = new BlazeFaceDetector(Ctx, Model(kind), kind);
        string image = CachePath("images", "astronaut.png");
        var faces = detector.Detect(image);
        foreach (var f in faces)
            TestContext.Out.WriteLine($"{kind}: {f.Box} score {f.Score:0.000} keypoints {string.Join(" ", f.Keypoints.Select(p => $"({p.X:0.0}, {p.Y:0.0})"))}, IoU with the hand-measured box {f.Box.Iou(AstronautFace):0.000}");
        Draw(image, faces, AstronautFace, Path.Combine(TestContext.CurrentContext.WorkDirectory, $"blazeface-{kind}-astronaut.png"));
        Assert.That(faces, Has.Count.EqualTo(1), "one face in the astronaut photograph");
        var face = faces[0];
        Assert.That(face.Score, Is.GreaterThanOrEqualTo(detector.MinScore));
        Assert.That(face.Box.Iou(AstronautFace), Is.GreaterThanOrEqualTo(0.5), $"box {face.Box} against the hand-measured {AstronautFace}");
        var k = face.Keypoints;
        Assert.That(k, Has.Count.EqualTo(6));
        var (rightEye, leftEye, nose, mouth, rightEar, leftEar) = (k[0], k[1], k[2], k[3], k[4], k[5]);
        // Everything inside the box (ears at its sides, allowed a little outside).
        foreach (var p in k)
        {
            Assert.That(p.X, Is.InRange(face.Box.X - 0.15f * face.Box.W, face.Box.Right + 0.15f * face.Box.W));
            Assert.That(p.Y, Is.InRange(face.Box.Y, face.Box.Bottom));
        }
        // Eyes above the nose above the mouth.
        Assert.That(Math.Max(rightEye.Y, leftEye.Y), Is.LessThan(nose.Y));
        Assert.That(nose.Y, Is.LessThan(mouth.Y));
        // The person's right eye and ear appear on the image's left (she faces the camera; the photograph is not mirrored).
        Assert.That(rightEye.X, Is.LessThan(nose.X));
        Assert.That(nose.X, Is.LessThan(leftEye.X));
        Assert.That(rightEar.X, Is.LessThan(rightEye.X));
        Assert.That(leftEar.X, Is.GreaterThan(leftEye.X));
    }

    // The cameraman in .cache/images/camera.png (512 × 512, grey), in profile, measured by eye: from the ear at x = 180 to
    // the tip of the nose at x = 255, from the eyebrows at y = 118 to the chin at y = 198.
    private static readonly Box CameramanFace = new(180, 118, 75, 80);

    [TestCase(BlazeFaceModel.Front)]
    [TestCase(BlazeFaceModel.Back)]
    public void FindsTheCameramansFaceInProfile(BlazeFaceModel kind)
    {
        using var detector = new BlazeFaceDetector(Ctx, Model(kind), kind);
        string image = CachePath("images", "camera.png");
        var faces = detector.Detect(image);
        foreach (var f in faces)
            TestContext.Out.WriteLine($"{kind}: {f.Box} score {f.Score:0.000}, IoU with the hand-measured box {f.Box.Iou(CameramanFace):0.000}");
        Draw(image, faces, CameramanFace, Path.Combine(TestContext.CurrentContext.WorkDirectory, $"blazeface-{kind}-camera.png"));
        Assert.That(faces, Has.Count.EqualTo(1), "one face in the cameraman photograph");
        Assert.That(faces[0].Box.Iou(CameramanFace), Is.GreaterThanOrEqualTo(0.5), $"box {faces[0].Box} against the hand-measured {CameramanFace}");
    }

    // The back model is not run on coffee.png: it scores the cup's handle and bottom 0.674 there, above its threshold of
    // 0.65 (with bilinear and with bicubic resizing alike), a false positive of the model itself.
    [TestCase(BlazeFaceModel.Front, "coffee.png")]
    [TestCase(BlazeFaceModel.Front, "page.png")]
    [TestCase(BlazeFaceModel.Back, "page.png")]
    public void FindsNoFaceWhereThereIsNone(BlazeFaceModel kind, string file)
    {
        using var detector = new BlazeFaceDetector(Ctx, Model(kind), kind);
        var faces = detector.Detect(CachePath("images", file));
        Assert.That(faces, Is.Empty, string.Join("; ", faces.Select(f => $"{f.Box} score {f.Score:0.000}")));
    }

    [Test]
    public void RgbFramesAndFilesGiveTheSameFaces()
    {
        using var detector = new BlazeFaceDetector(Ctx, Model(BlazeFaceModel.Front), BlazeFaceModel.Front);
        string path = CachePath("images", "astronaut.png");
        using var image = Image.Load<Rgb24>(path);
        // A 512 × 300 crop: letterboxed with bars above and below, so the mapping back must undo the offset.
        image.Mutate(c => c.Crop(new Rectangle(0, 20, 512, 300)));
        var rgb = new byte[3 * image.Width * image.Height];
        image.CopyPixelDataTo(rgb);
        var cropped = detector.Detect(rgb, image.Width, image.Height).Single();
        var full = detector.Detect(path).Single();
        var shifted = full.Box with { Y = full.Box.Y - 20 };
        Assert.That(cropped.Box.Iou(shifted), Is.GreaterThan(0.8), $"crop {cropped.Box} against the full frame's {shifted}");
    }

    [Test]
    public void RejectsModelsAndFramesThatDoNotFit()
    {
        var e = Assert.Throws<ArgumentException>(() => new BlazeFaceDetector(Ctx, Model(BlazeFaceModel.Front), BlazeFaceModel.Back));
        Assert.That(e!.Message, Does.Contain("[1,256,256,3]"));
        using var detector = new BlazeFaceDetector(Ctx, Model(BlazeFaceModel.Front), BlazeFaceModel.Front);
        Assert.Throws<ArgumentException>(() => detector.Detect(new byte[10], 2, 2));
        var notImage = Path.Combine(TestContext.CurrentContext.WorkDirectory, "blazeface-not-an-image.png");
        File.WriteAllText(notImage, "text");
        Assert.That(Assert.Throws<InvalidDataException>(() => detector.Detect(notImage))!.Message, Does.Contain(notImage));
        Assert.Throws<FileNotFoundException>(() => detector.Detect(notImage + ".missing"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlazeFaceDetector(Ctx, Model(BlazeFaceModel.Front), BlazeFaceModel.Front, minScore: 1.5f));
    }

    /// <summary>Writes the image with boxes and keypoints drawn in, for a person to look at after a failure.</summary>
    private static void Draw(string source, IEnumerable<FaceDetection> faces, Box measured, string path)
    {
        using var image = Image.Load<Rgb24>(source);
        var red = new Rgb24(255, 0, 0);
        var green = new Rgb24(0, 255, 0);
        void Dot(int x, int y, Rgb24 c)
        {
            if (x >= 0 && y >= 0 && x < image.Width && y < image.Height) image[x, y] = c;
        }
        void Rect(Box b, Rgb24 c)
        {
            for (int x = (int)b.X; x <= (int)b.Right; x++) { Dot(x, (int)b.Y, c); Dot(x, (int)b.Bottom, c); }
            for (int y = (int)b.Y; y <= (int)b.Bottom; y++) { Dot((int)b.X, y, c); Dot((int)b.Right, y, c); }
        }
        Rect(measured, green);
        foreach (var f in faces)
        {
            Rect(f.Box, red);
            foreach (var (x, y) in f.Keypoints)
                for (int dy = -2; dy <= 2; dy++)
                    for (int dx = -2; dx <= 2; dx++) Dot((int)x + dx, (int)y + dy, red);
        }
        image.SaveAsPng(path);
    }
}
