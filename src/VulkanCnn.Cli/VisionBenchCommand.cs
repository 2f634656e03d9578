// vcnn bench-vision TASK: a vision task inside the frame pipeline on a photograph at a camera resolution; end-to-end
// latency (frame submitted -> result on the host), throughput, and the per-stage GPU times.
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Cli;

internal static class VisionBenchCommand
{
    public const string Tasks = "blazeface, blazeface-back, ppocr-det, mlsd, sobel";

    public static int Run(Options o)
    {
        if (o.Positional.Count != 1) throw new ArgumentException($"vcnn bench-vision takes one task: {Tasks}.");
        string name = o.Positional[0].ToLowerInvariant();
        var (w, h) = ParseSize(o.Get("size") ?? "640x480");
        int frames = o.Int("frames") ?? 10, warmup = o.Int("warmup") ?? 2;
        double seconds = o.Float("seconds") ?? 3;
        if (frames < 1 || warmup < 0 || !(seconds > 0))
            throw new ArgumentException($"--frames must be at least 1, --warmup at least 0 and --seconds positive; got {frames}, {warmup}, {seconds}.");
        string image = o.Get("image") ?? Path.Combine(FindCache(), "images", "astronaut.png");
        byte[] rgba = LoadRgba(image, w, h);

        using var ctx = Cli.OpenContext(o);
        var sw = Stopwatch.StartNew();
        using var task = CreateTask(ctx, name, w, h);
        using var pipeline = new FramePipeline(ctx, task, w, h, new FramePipelineOptions { Overlay = true });
        Console.WriteLine($"{task.Name} on {ctx.DeviceInfo.Name}: {w}x{h} RGBA frames of {Path.GetFileName(image)} -> " +
                          $"{task.Input.Width}x{task.Input.Height} model input; set-up {sw.Elapsed.TotalMilliseconds:0} ms");

        // Latency: submit one frame, then poll (no blocking wait) until its result is on the host.
        var latency = new List<double>();
        var stages = new List<FrameStats>();
        int found = 0;
        var output = new byte[w * h * 4];
        for (int i = 0; i < warmup + frames; i++)
        {
            var t = Stopwatch.StartNew();
            long n = pipeline.Submit(rgba, PixelFormat.Rgba8);
            while (pipeline.Latest == null || pipeline.Latest.FrameNumber < n)
            {
                if (!pipeline.Poll()) Thread.Yield();
                if (t.Elapsed.TotalSeconds > 120) throw new TimeoutException($"No result for frame {n} after 120 s.");
            }
            double ms = t.Elapsed.TotalMilliseconds;
            pipeline.ReadOutput(output);   // the frame's own work is done by now; this also collects its timestamps
            if (i < warmup) continue;
            latency.Add(ms);
            stages.Add(pipeline.Stats);
            var r = pipeline.Latest;
            found = r.Detections.Count + r.Segments.Count + r.TopK.Count;
        }

        // Throughput: submit frames back to back for --seconds; inference starts whenever the previous one finished.
        long first = pipeline.Stats.FramesSubmitted, firstInferred = pipeline.Stats.FramesInferred;
        var run = Stopwatch.StartNew();
        while (run.Elapsed.TotalSeconds < seconds) pipeline.Submit(rgba, PixelFormat.Rgba8);
        var end = pipeline.Stats;
        double elapsed = run.Elapsed.TotalSeconds;

        static double Median(IEnumerable<double> v) { var a = v.OrderBy(x => x).ToArray(); return a.Length == 0 ? 0 : a[a.Length / 2]; }
        Console.WriteLine($"results: {found} detections/segments per frame");
        Console.WriteLine($"per-stage GPU ms (median of {frames}): upload {Median(stages.Select(s => s.UploadMs)):0.00}, " +
                          $"preprocess {Median(stages.Select(s => s.PreprocessMs)):0.00}, inference {Median(stages.Select(s => s.InferenceMs)):0.00}, " +
                          $"postprocess {Median(stages.Select(s => s.PostprocessMs)):0.00}, overlay {Median(stages.Select(s => s.OverlayMs)):0.00}");
        Console.WriteLine($"end-to-end latency (submit -> result on the host): median {Median(latency):0.0} ms, min {latency.Min():0.0} ms");
        Console.WriteLine($"throughput over {elapsed:0.0} s: {(end.FramesSubmitted - first) / elapsed:0.0} frames/s through the pipeline, " +
                          $"{(end.FramesInferred - firstInferred) / elapsed:0.0} inferences/s ({end.FramesSkipped} frames skipped in all: latest frame wins)");
        return 0;
    }

    private static VisionTask CreateTask(VulkanContext ctx, string name, int w, int h)
    {
        string models = Path.Combine(FindCache(), "models");
        return name switch
        {
            "blazeface" => new BlazeFaceTask(ctx, Path.Combine(models, "blazeface/ONNX/face_detection_front_128x128_barracuda.onnx"), BlazeFaceModel.Front),
            "blazeface-back" => new BlazeFaceTask(ctx, Path.Combine(models, "blazeface/ONNX/face_detection_back_256x256_barracuda.onnx"), BlazeFaceModel.Back),
            "ppocr-det" => new TextDetectionTask(ctx, Path.Combine(models, "ocr/assets/ch_PP-OCRv4_det_infer.onnx")),
            "mlsd" => new LineSegmentTask(ctx, Path.Combine(models, "mlsd/ONNX/mlsd_320x320_tiny.onnx")),
            "sobel" => new FilterTask(ctx, w, h),
            _ => throw new ArgumentException($"unknown vision task '{name}'; one of {Tasks}."),
        };
    }

    internal static (int W, int H) ParseSize(string s)
    {
        var p = s.Split('x');
        if (p.Length != 2 || !int.TryParse(p[0], out int w) || !int.TryParse(p[1], out int h) || w < 16 || h < 16 || w > 8192 || h > 8192)
            throw new ArgumentException($"--size expects WxH with sides 16..8192 (e.g. 640x480), got '{s}'.");
        return (w, h);
    }

    /// <summary>The photograph scaled to cover W×H and centre-cropped: a camera-like frame.</summary>
    private static byte[] LoadRgba(string path, int w, int h)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Image '{path}' does not exist (scripts/setup.sh fetches the sample photographs).", path);
        using var rgb = Imaging.ImageFileCheck.LoadRgb24(path);
        using var img = rgb.CloneAs<Rgba32>();
        img.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(w, h), Mode = SixLabors.ImageSharp.Processing.ResizeMode.Crop }));
        var bytes = new byte[w * h * 4];
        img.CopyPixelDataTo(bytes);
        return bytes;
    }

    /// <summary>The set-up's .cache directory: found upwards from the current directory or the executable.</summary>
    internal static string FindCache()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (Directory.Exists(Path.Combine(d.FullName, ".cache", "models"))) return Path.Combine(d.FullName, ".cache");
        throw new DirectoryNotFoundException("No .cache/models directory above the current directory: run scripts/setup.sh in the repository first.");
    }
}
