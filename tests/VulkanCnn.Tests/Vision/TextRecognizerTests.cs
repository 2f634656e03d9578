// OCR end to end on the scanned page: PP-OCRv4 detection boxes, read by the PP-OCRv4 recogniser in one batch, against
// the text a person reads on the page (character accuracy); the GPU's CTC decoding against best-path decoding written
// out in C# over the session's own probabilities; a batch against its lines read one at a time.
using VulkanCnn.Graph;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class TextRecognizerTests : GpuTest
{
    private static string Det => TestFiles.Cached("models", "ocr", "assets", "ch_PP-OCRv4_det_infer.onnx");
    private static string Rec => TestFiles.Cached("models", "ocr", "assets", "ch_PP-OCRv4_rec_infer.onnx");
    private static string Keys => TestFiles.Cached("models", "ocr", "assets", "ppocr_keys_v1.txt");

    // What the page says, line by line, read off .cache/images/page.png by eye (the cut-off line at the bottom edge left
    // out: it is not legible).
    internal static readonly string[] PageText =
    {
        "Region-based segmentation",
        "Let us first determine markers of the coins and the",
        "background. These markers are pixels that we can label",
        "unambiguously as either object or background. Here,",
        "the markers are found at the two extreme parts of the",
        "histogram of grey values:",
        ">>> markers = np.zeros_like(coins)",
    };

    /// <summary>Levenshtein distance: insertions, deletions and substitutions of one character each.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) d[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int diag = d[0];
            d[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int up = d[j];
                d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), diag + (a[i - 1] == b[j - 1] ? 0 : 1));
                diag = up;
            }
        }
        return d[b.Length];
    }

    private static (byte[] Rgba, int W, int H, List<Box> Boxes) PageLines()
    {
        var (rgba, w, h) = BlazeFaceTaskTests.LoadRgba("page.png");
        using var det = new TextDetectionTask(Ctx, Det, 384, 192);
        // Reading order: top to bottom (boxes on one line overlap vertically), then left to right.
        var boxes = det.Run(rgba, w, h, PixelFormat.Rgba8).Detections.Select(d => d.Box).OrderBy(b => b.Y + b.H / 2).ToList();
        return (rgba, w, h, boxes);
    }

    /// <summary>
    /// One batch of all the page's lines (the recogniser is the slowest model of the suite on SwiftShader, so every
    /// check shares its run): the text against the page, the GPU decoding against the C# best path of the same
    /// probabilities, and one line against its own run at batch 1.
    /// </summary>
    [Test]
    public void ReadsTheScannedPageAsAPersonDoes()
    {
        var (rgba, w, h, boxes) = PageLines();
        using var rec = new TextRecognizer(Ctx, Rec, Keys, w, h);
        var lines = rec.Recognize(rgba, boxes);
        Assert.That(lines, Has.Count.EqualTo(boxes.Count));
        Assert.That(boxes.Count, Is.LessThanOrEqualTo(rec.Options.MaxLines), "the page's lines fit one batch");
        var (crop, gpu, decode) = rec.LastMilliseconds;
        TestContext.Out.WriteLine($"{boxes.Count} boxes; crops {crop:0.0} ms, recogniser {gpu:0.0} ms (GPU), CTC decoding {decode:0.0} ms");
        for (int i = 0; i < lines.Count; i++) TestContext.Out.WriteLine($"  {boxes[i].W:0}x{boxes[i].H:0} -> {lines[i].Region.Width}: {lines[i].Confidence:0.000} '{lines[i].Text}'");

        // The text: lines the detector split or merged are compared as the whole text, in reading order.
        string read = string.Join(" ", lines.Select(l => l.Text.Trim()).Where(t => t.Length > 0));
        string truth = string.Join(" ", PageText);
        int distance = EditDistance(Normalise(read), Normalise(truth));
        double accuracy = 1 - distance / (double)truth.Length;
        TestContext.Out.WriteLine($"character accuracy {accuracy:P1} ({distance} edits over {truth.Length} characters)");
        Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.90), $"read: '{read}'");
        Assert.That(lines.All(l => l.Confidence is > 0 and <= 1), "confidences are mean probabilities");
        // The title is read exactly, and its region maps back onto the title's rows (17..29 of the frame).
        var title = lines.Single(l => l.Text.Contains("segmentation"));
        Assert.That(title.Text.Trim(), Is.EqualTo("Region-based segmentation"));
        Assert.That(title.Region.ToFrame(0, 0).Y, Is.LessThan(20f));
        Assert.That(title.Region.ToFrame(0, 48).Y, Is.GreaterThan(27f));

        // The GPU decoding is the best path of the session's probabilities (ties to the lower class), decoded here.
        var classes = File.ReadAllLines(Keys);
        var shape = rec.Session.OutputShape(0, lines.Count);
        var probs = new float[shape.ElementCount];
        rec.Session.GetOutput(probs);
        int steps = shape[1], n = shape[2];
        for (int i = 0; i < lines.Count; i++)
        {
            var text = new System.Text.StringBuilder();
            int previous = -1, kept = 0;
            double sum = 0;
            for (int t = 0; t < steps; t++)
            {
                int at = (i * steps + t) * n, best = 0;
                for (int c = 1; c < n; c++) if (probs[at + c] > probs[at + best]) best = c;
                if (best != 0 && best != previous)
                {
                    text.Append(best <= classes.Length ? classes[best - 1] : " ");
                    sum += probs[at + best];
                    kept++;
                }
                previous = best;
            }
            Assert.That(lines[i].Text, Is.EqualTo(text.ToString()), $"line {i}: GPU decoding against the C# best path");
            Assert.That(lines[i].Confidence, Is.EqualTo(kept == 0 ? 0 : sum / kept).Within(1e-5), $"line {i} confidence");
        }

        // A line read alone (batch 1 of the same session) reads as it did in the batch.
        var alone = rec.Recognize(rgba, new[] { boxes[1] })[0];
        Assert.That(alone.Text, Is.EqualTo(lines[1].Text), "line 1 alone");
        Assert.That(alone.Confidence, Is.EqualTo(lines[1].Confidence).Within(1e-4), "line 1 alone");
    }

    /// <summary>Full-width punctuation the Chinese dictionary prefers (，：) read as the ASCII a person types.</summary>
    private static string Normalise(string s) => s.Replace('，', ',').Replace('：', ':').Replace('（', '(').Replace('）', ')');
}
