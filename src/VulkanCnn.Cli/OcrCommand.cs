// vcnn ocr: read the text of an image with PP-OCR: the detector finds the lines, the recogniser reads them in one batch.
using System.Text.Json;
using VulkanCnn.Imaging;
using VulkanCnn.Vision;

namespace VulkanCnn.Cli;

internal static class OcrCommand
{
    public const string Usage = """
        usage: vcnn ocr IMAGE --models DIR [--det-size WxH] [--json OUT] [--device D]

        Finds the text lines of IMAGE (PNG or JPEG) with PP-OCRv4 detection and reads them with the PP-OCRv4 recogniser,
        all lines in one batch, CTC decoding on the GPU. Prints one line per text line: confidence, box (x, y, w, h in
        image pixels) and the text; --json writes the same as JSON (exact Unicode text).
        --models DIR   holds ch_PP-OCRv4_det_infer.onnx, ch_PP-OCRv4_rec_infer.onnx and ppocr_keys_v1.txt
                       (scripts/setup.sh puts them in .cache/models/ocr/assets)
        --det-size     the detector's input (multiples of 32; default: the image's size rounded up to 32, at most 960)
        """;

    private static readonly HashSet<string> Known = new() { "models", "det-size", "json", "device", "validation", "help", "verbose" };

    public static int Run(Options o)
    {
        if (o.Flag("help")) { Console.WriteLine(Usage); return 0; }
        foreach (var name in o.Names)
            if (!Known.Contains(name)) return Cli.Fail($"ocr: unknown option --{name}.\n\n{Usage}");
        if (o.Positional.Count != 1) return Cli.Fail($"ocr takes one image.\n\n{Usage}");
        string dir = o.Get("models") ?? throw new ArgumentException("ocr needs --models DIR (the folder with the PP-OCRv4 det and rec models and ppocr_keys_v1.txt).");
        string det = Path.Combine(dir, "ch_PP-OCRv4_det_infer.onnx"), rec = Path.Combine(dir, "ch_PP-OCRv4_rec_infer.onnx"), keys = Path.Combine(dir, "ppocr_keys_v1.txt");
        foreach (var f in new[] { det, rec, keys })
            if (!File.Exists(f)) throw new FileNotFoundException($"ocr: {f} does not exist (--models {dir}).", f);
        string? json = o.Get("json");
        if (json != null) Cli.CheckWritableFile(json, "--json");

        var (chw, shape) = ImageIO.Load(o.Positional[0]);
        int w = shape.W, h = shape.H, plane = w * h;
        var rgba = new byte[4 * plane];
        for (int i = 0; i < plane; i++)
        {
            for (int c = 0; c < 3; c++) rgba[4 * i + c] = (byte)Math.Clamp(MathF.Round(chw[c * plane + i]), 0, 255);
            rgba[4 * i + 3] = 255;
        }
        var (dw, dh) = DetSize(o.Get("det-size"), w, h);

        using var ctx = Cli.OpenContext(o);
        using var detector = new TextDetectionTask(ctx, det, dw, dh);
        using var reader = new TextRecognizer(ctx, rec, keys, w, h);
        var boxes = detector.Run(rgba, w, h, PixelFormat.Rgba8).Detections.Select(d => d.Box).OrderBy(b => b.Y + b.H / 2).ToList();
        var lines = reader.Recognize(rgba, boxes);
        for (int i = 0; i < lines.Count; i++)
        {
            var b = boxes[i];
            Console.WriteLine($"{lines[i].Confidence:0.000}  {b.X,6:0} {b.Y,6:0} {b.W,6:0} {b.H,6:0}  {lines[i].Text}");
        }
        var (crop, gpu, decode) = reader.LastMilliseconds;
        Console.Error.WriteLine($"{lines.Count} lines on {ctx.DeviceInfo.Name}: detector {detector.Session.LastGpuMilliseconds:0.0} ms, crops {crop:0.0} ms, " +
                                $"recogniser {gpu:0.0} ms (one batch), decoding {decode:0.0} ms");
        if (json != null)
        {
            var doc = lines.Select((l, i) => new { text = l.Text, confidence = l.Confidence, box = new[] { boxes[i].X, boxes[i].Y, boxes[i].W, boxes[i].H } });
            File.WriteAllText(json, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }
        return 0;
    }

    private static (int W, int H) DetSize(string? option, int w, int h)
    {
        if (option == null)
        {
            // The image's size, the longer side at most 960, both rounded up to multiples of 32 (PaddleOCR's limit_side_len).
            double s = Math.Min(1.0, 960.0 / Math.Max(w, h));
            return (Math.Max(32, (int)Math.Ceiling(w * s / 32) * 32), Math.Max(32, (int)Math.Ceiling(h * s / 32) * 32));
        }
        var parts = option.Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int dw) || !int.TryParse(parts[1], out int dh))
            throw new ArgumentException($"--det-size expects WxH (e.g. 640x480), got '{option}'.");
        return (dw, dh);
    }
}
