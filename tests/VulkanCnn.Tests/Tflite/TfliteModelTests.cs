// MediaPipe's TFLite models fetched by scripts/setup.sh, imported and run on the GPU: against the NHWC C# reference
// (TfliteReference) over the whole graph on real photographs, and checks a person can verify (the selfie mask covers
// the astronaut and nothing of a scanned page; face landmarks fall inside the face, eyes above the mouth).
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Tflite;

namespace VulkanCnn.Tests.Tflite;

public class TfliteModelTests : GpuTest
{
    private static string Model(string file) => TestFiles.Cached("models", "mediapipe", file);

    /// <summary>The crop (x, y, w, h) of an image resized to w'×h' as NHWC floats in [0, 1] (MediaPipe's input range).</summary>
    internal static float[] Photo(string name, int width, int height, Rectangle? crop = null)
    {
        using var image = Image.Load<Rgb24>(TestFiles.Cached("images", name));
        image.Mutate(m =>
        {
            if (crop is { } c) m.Crop(c);
            m.Resize(width, height, KnownResamplers.Triangle);
        });
        var x = new float[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int i = 0; i < width; i++)
            {
                var p = image[i, y];
                int o = (y * width + i) * 3;
                x[o] = p.R / 255f; x[o + 1] = p.G / 255f; x[o + 2] = p.B / 255f;
            }
        return x;
    }

    /// <summary>Imports the model, runs it on the GPU and the C# reference, checks every output at the mixed 1e-3
    /// tolerance and returns the GPU outputs.</summary>
    private static float[][] RunBoth(string file, float[] input)
    {
        var model = TfliteModel.Load(Model(file));
        var import = TfliteImporter.Import(model);
        var gpu = GpuSetUp.Run(import.Network, input);
        var cpu = TfliteReference.Run(model, input);
        for (int o = 0; o < cpu.Length; o++)
        {
            string name = model.Tensors[model.Outputs[o]].Name;
            var (worst, at) = Worst(gpu[o], cpu[o]);
            TestContext.Out.WriteLine($"{file} output '{name}' [{string.Join(",", import.OutputDims[name])}]: max |GPU - reference| = {worst:G3} at {at}");
            Assert.That(gpu[o], Has.Length.EqualTo(cpu[o].Length));
            for (int i = 0; i < cpu[o].Length; i++)
            {
                float a = gpu[o][i], b = cpu[o][i], d = Math.Abs(a - b);
                if (!(d <= 1e-3f || d <= 1e-3f * Math.Max(Math.Abs(a), Math.Abs(b))))
                    Assert.Fail($"{file} output '{name}' element {i}: GPU {a}, reference {b} (|diff| {d})");
            }
        }
        return gpu;
    }

    internal static (float Max, int At) Worst(float[] a, float[] b)
    {
        float worst = 0; int at = 0;
        for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
            if (Math.Abs(a[i] - b[i]) > worst) { worst = Math.Abs(a[i] - b[i]); at = i; }
        return (worst, at);
    }

    /// <summary>Share of mask values above 0.5 inside a rectangle given in fractions of the mask.</summary>
    private static double Covered(float[] mask, int w, int h, double x0, double y0, double x1, double y1)
    {
        int n = 0, on = 0;
        for (int y = (int)(y0 * h); y < (int)(y1 * h); y++)
            for (int x = (int)(x0 * w); x < (int)(x1 * w); x++) { n++; if (mask[y * w + x] > 0.5f) on++; }
        return (double)on / n;
    }

    // astronaut.png (512×512): the face spans x 178..272, y 88..186 (BlazeFaceTests' hand-measured box); the suit
    // fills the lower part, x 100..400 for y 300..500. As fractions of the image:
    private static readonly (double X0, double Y0, double X1, double Y1) AstronautFace = (178 / 512.0, 88 / 512.0, 272 / 512.0, 186 / 512.0);
    private static readonly (double X0, double Y0, double X1, double Y1) AstronautSuit = (100 / 512.0, 300 / 512.0, 400 / 512.0, 500 / 512.0);

    [TestCase("selfie_segmentation.tflite", 256, 256)]
    [TestCase("selfie_segmentation_landscape.tflite", 256, 144)]
    public void SelfieMaskCoversThePersonAndAgreesWithTheReference(string file, int w, int h)
    {
        var person = RunBoth(file, Photo("astronaut.png", w, h))[0];
        double face = Covered(person, w, h, AstronautFace.X0, AstronautFace.Y0, AstronautFace.X1, AstronautFace.Y1);
        double suit = Covered(person, w, h, AstronautSuit.X0, AstronautSuit.Y0, AstronautSuit.X1, AstronautSuit.Y1);
        // The top-right corner of the photograph is the flag and the wall behind the astronaut.
        double background = Covered(person, w, h, 0.8, 0.0, 1.0, 0.25);
        TestContext.Out.WriteLine($"astronaut: mask > 0.5 on {face:P0} of the face, {suit:P0} of the suit, {background:P0} of the top-right background");
        Assert.That(face, Is.GreaterThan(0.9), "the face is person");
        Assert.That(suit, Is.GreaterThan(0.9), "the suit is person");
        Assert.That(background, Is.LessThan(0.1), "the background behind the astronaut is not");

        // page.png: a scanned page of text, no person. (The selfie models also mark a salient foreground object as the
        // subject: the cup of coffee.png and the cat of chelsea.png come out at 20-90 %, the same on the reference.)
        var page = RunBoth(file, Photo("page.png", w, h))[0];
        double all = Covered(page, w, h, 0, 0, 1, 1);
        TestContext.Out.WriteLine($"page: mask > 0.5 on {all:P1} of the photograph");
        Assert.That(all, Is.LessThan(0.01), "almost nothing of a photograph without a person");
    }

    [Test]
    public void FaceLandmarksFallOnTheFaceAndAgreeWithTheReference()
    {
        // The face box grown 1.5× into a square around its centre, as MediaPipe crops a face for this model.
        var crop = new Rectangle(151, 63, 147, 147);
        var outputs = RunBoth("face_landmark.tflite", Photo("astronaut.png", 192, 192, crop));
        var pts = outputs[0];   // [1,1,1,1404]: 468 × (x, y, z) in the 192×192 crop's pixels
        float faceScore = 1 / (1 + MathF.Exp(-outputs[1][0]));
        Assert.That(pts, Has.Length.EqualTo(1404));
        TestContext.Out.WriteLine($"face presence {faceScore:0.000}");
        Assert.That(faceScore, Is.GreaterThan(0.9), "the crop holds a face");
        // The hand-measured face box in crop pixels (192 / 147 per photograph pixel), with a 10-pixel margin.
        float s = 192f / 147;
        float fx0 = (178 - 151) * s - 10, fx1 = (272 - 151) * s + 10, fy0 = (88 - 63) * s - 20, fy1 = (186 - 63) * s + 10;
        int inside = 0;
        for (int i = 0; i < 468; i++)
            if (pts[3 * i] >= fx0 && pts[3 * i] <= fx1 && pts[3 * i + 1] >= fy0 && pts[3 * i + 1] <= fy1) inside++;
        TestContext.Out.WriteLine($"{inside} of 468 points inside the face box [{fx0:0}..{fx1:0}] × [{fy0:0}..{fy1:0}]");
        Assert.That(inside, Is.GreaterThanOrEqualTo(460));
        // Canonical mesh indices: 33 and 263 the outer eye corners, 1 the nose tip, 13 and 14 the inner lips.
        (float X, float Y) P(int i) => (pts[3 * i], pts[3 * i + 1]);
        var (rEye, lEye, nose, upperLip, lowerLip) = (P(33), P(263), P(1), P(13), P(14));
        TestContext.Out.WriteLine($"eyes {rEye} {lEye}, nose {nose}, lips {upperLip} {lowerLip}");
        Assert.That(Math.Max(rEye.Y, lEye.Y), Is.LessThan(nose.Y), "eyes above the nose");
        Assert.That(nose.Y, Is.LessThan(upperLip.Y), "nose above the mouth");
        Assert.That(upperLip.Y, Is.LessThanOrEqualTo(lowerLip.Y + 1));
        Assert.That(rEye.X, Is.LessThan(nose.X)); Assert.That(nose.X, Is.LessThan(lEye.X));
    }
}
