// The headless viewer: options, the frame loop (capture -> detect -> overlay -> write), the PNG/folder/MP4 writers, the
// detections JSON and the latency summary. No window yet: frames go to files only.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Samples.Viewer;

/// <summary>A bad command line: the message says what is wrong and what would be valid (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Where the annotated frames go.</summary>
internal enum OutputKind { Png, Folder, Mp4 }

/// <summary>The parsed command line.</summary>
internal sealed record ViewerOptions(string Source, BlazeFaceModel Model, string Output, OutputKind OutputKind,
                                     string? Detections, string? Device, long? Frames)
{
    public const string Usage = """
        usage: viewer --source FILE|DIR|testsrc|webcam[:N] --output out.png|out.mp4|DIR
                      [--model blazeface|blazeface-back] [--detections out.json] [--device NAME] [--frames N]
          --source      an image, a video file, a folder of images, testsrc (test pattern) or webcam[:N] (/dev/videoN)
          --model       blazeface (front camera, 128x128, default) or blazeface-back (back camera, 256x256)
          --output      out.png: the first frame; out.mp4: a video (through ffmpeg); DIR: frame_000000.png, ... per frame
          --detections  JSON with every frame's boxes (x, y, w, h in source pixels), scores and keypoints
          --device      Vulkan device index or name substring (default: the best device, or VULKANCNN_DEVICE)
          --frames      stop after N frames (webcams and testsrc otherwise run until Ctrl+C)
        Headless: there is no window in this version.
        """;

    public static ViewerOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>();
        string[] known = { "source", "model", "output", "detections", "device", "frames" };
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a is "-h" or "--help") throw new UsageException("");
            if (!a.StartsWith("--", StringComparison.Ordinal) || !known.Contains(a[2..]))
                throw new UsageException($"Unknown option '{a}'; the options are {string.Join(", ", known.Select(k => "--" + k))}.");
            if (i + 1 >= args.Count) throw new UsageException($"Option '{a}' needs a value.");
            values[a[2..]] = args[++i];
        }
        if (!values.TryGetValue("source", out var source)) throw new UsageException("--source is required.");
        if (!values.TryGetValue("output", out var output)) throw new UsageException("--output is required.");
        var model = values.GetValueOrDefault("model", "blazeface") switch
        {
            "blazeface" => BlazeFaceModel.Front,
            "blazeface-back" => BlazeFaceModel.Back,
            var m => throw new UsageException($"Unknown model '{m}'; use blazeface or blazeface-back."),
        };
        string ext = Path.GetExtension(output).ToLowerInvariant();
        var kind = Directory.Exists(output) || ext == "" ? OutputKind.Folder : ext switch
        {
            ".png" => OutputKind.Png,
            ".mp4" => OutputKind.Mp4,
            _ => throw new UsageException($"Unknown output extension '{ext}' in '{output}'; use .png, .mp4 or a directory (no extension)."),
        };
        long? frames = null;
        if (values.TryGetValue("frames", out var f))
        {
            if (!long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
                throw new UsageException($"--frames '{f}' must be a positive integer.");
            frames = n;
        }
        return new ViewerOptions(source, model, output, kind, values.GetValueOrDefault("detections"), values.GetValueOrDefault("device"), frames);
    }
}

/// <summary>One frame's detections as written to the JSON file.</summary>
internal sealed record FrameDetections(long Frame, IReadOnlyList<FaceJson> Faces);

/// <summary>One face: box (x, y, w, h) and keypoints ([x, y] each) in source pixels.</summary>
internal sealed record FaceJson(float[] Box, float Score, float[][] Keypoints)
{
    public static FaceJson From(FaceDetection f) => new(new[] { f.Box.X, f.Box.Y, f.Box.W, f.Box.H }, f.Score,
                                                        f.Keypoints.Select(k => new[] { k.X, k.Y }).ToArray());
}

/// <summary>The detections file: source, size, model and one entry per processed frame.</summary>
internal sealed record DetectionsJson(string Source, int Width, int Height, string Model, IReadOnlyList<FrameDetections> Frames)
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };
}

internal static class ViewerApp
{
    /// <summary>Runs the viewer; 0 on success, 2 for a bad command line, 1 when something fails while running.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ViewerOptions o;
        try { o = ViewerOptions.Parse(args); }
        catch (UsageException e)
        {
            if (e.Message.Length > 0) stderr.WriteLine("viewer: " + e.Message);
            stderr.WriteLine(ViewerOptions.Usage);
            return e.Message.Length > 0 ? 2 : 0;
        }
        try { return Run(o, stdout); }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or TimeoutException
                                    or InvalidDataException or UnauthorizedAccessException or NotSupportedException
                                    or VulkanException or System.ComponentModel.Win32Exception)
        {
            stderr.WriteLine("viewer: " + e.Message);
            return 1;
        }
    }

    /// <summary>The repository's root: the nearest folder above the executable or the working directory with VulkanCnn.sln.</summary>
    public static string? FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "VulkanCnn.sln"))) return d.FullName;
        return null;
    }

    /// <summary>The ONNX file of <paramref name="model"/> under the repository's .cache (fetched by scripts/setup.sh).</summary>
    public static string ModelPath(BlazeFaceModel model)
    {
        string file = model == BlazeFaceModel.Front ? "face_detection_front_128x128_barracuda.onnx" : "face_detection_back_256x256_barracuda.onnx";
        string? root = FindRoot();
        string path = Path.Combine(root ?? ".", ".cache", "models", "blazeface", "ONNX", file);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model {path} is missing: run scripts/setup.sh to fetch it.", path);
        return path;
    }

    private static string ModelName(BlazeFaceModel m) => m == BlazeFaceModel.Front ? "blazeface" : "blazeface-back";

    private static bool IsFileSource(string spec) => File.Exists(spec) || Directory.Exists(spec);

    /// <summary>Runs the frame loop on <paramref name="context"/>, or on a context of its own (o.Device) when null.</summary>
    public static int Run(ViewerOptions o, TextWriter stdout, VulkanContext? context = null)
    {
        string model = ModelPath(o.Model);
        bool file = IsFileSource(o.Source);
        // Files: every frame in order. Cameras and the test pattern: the latest frame wins.
        using var source = FrameSource.Open(o.Source, new FrameSourceOptions { Format = PixelFormat.Rgba8, DropFrames = !file });
        using var own = context == null ? new VulkanContext(new VulkanContextOptions { Device = o.Device }) : null;
        var ctx = context ?? own!;
        stdout.WriteLine($"device: {ctx.DeviceInfo}");
        stdout.WriteLine($"source: {source.Name} {source.Width}x{source.Height} @ {source.FramesPerSecond:0.##} fps; model {ModelName(o.Model)}; headless (no window)");
        using var pipeline = new FacePipeline(ctx, model, o.Model, source.Width, source.Height);
        using var writer = FrameWriter.Create(o.OutputKind, o.Output, source.Width, source.Height, source.FramesPerSecond > 0 ? source.FramesPerSecond : 30);

        long limit = o.OutputKind == OutputKind.Png ? 1 : o.Frames ?? long.MaxValue;
        var frame = new byte[source.FrameBytes];
        var output = new byte[source.FrameBytes];
        var frames = new List<FrameDetections>();
        double capture = 0, inference = 0, overlay = 0, write = 0;
        long count = 0, faces = 0;
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        var total = Stopwatch.StartNew();
        var sw = new Stopwatch();
        try
        {
            while (count < limit && !stop.IsCancellationRequested)
            {
                sw.Restart();
                if (!source.ReadLatest(frame, out long number, TimeSpan.FromSeconds(10))) break;
                capture += sw.Elapsed.TotalMilliseconds;
                var found = pipeline.Process(frame, output);
                inference += pipeline.LastInferenceMs;
                overlay += pipeline.LastOverlayMs;
                sw.Restart();
                writer.Write(output, count);
                write += sw.Elapsed.TotalMilliseconds;
                frames.Add(new FrameDetections(number, found.Select(FaceJson.From).ToArray()));
                count++;
                faces += found.Count;
                if (count == 1 || count % 10 == 0 || source.IsEnded)
                    stdout.Write($"\rframe {count}{(o.Frames is { } n && n != long.MaxValue ? $"/{n}" : "")}: {found.Count} face(s)   ");
            }
        }
        finally { Console.CancelKeyPress -= onCancel; }
        if (count > 0) stdout.WriteLine();
        writer.Finish();
        double seconds = total.Elapsed.TotalSeconds;
        if (count == 0) throw new InvalidDataException($"Frame source '{source.Name}' gave no frame.");

        if (o.Detections != null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(o.Detections));
            if (dir != null) Directory.CreateDirectory(dir);
            File.WriteAllText(o.Detections, JsonSerializer.Serialize(
                new DetectionsJson(source.Name, source.Width, source.Height, ModelName(o.Model), frames),
                DetectionsJson.Json));
        }
        stdout.WriteLine($"{count} frame(s), {faces} face(s), {source.DroppedFrames} dropped; per frame: capture {capture / count:0.0} ms, " +
                         $"inference {inference / count:0.0} ms (incl. pre-processing), overlay {overlay / count:0.0} ms, write {write / count:0.0} ms; " +
                         $"{count / seconds:0.0} fps");
        stdout.WriteLine($"output: {o.Output}" + (o.Detections != null ? $", detections: {o.Detections}" : ""));
        return 0;
    }
}

/// <summary>Writes annotated RGBA frames: one PNG, a numbered PNG per frame, or an MP4 through ffmpeg.</summary>
internal abstract class FrameWriter : IDisposable
{
    protected FrameWriter(int width, int height) { Width = width; Height = height; }
    protected int Width { get; }
    protected int Height { get; }

    public static FrameWriter Create(OutputKind kind, string path, int width, int height, double fps)
    {
        if (kind == OutputKind.Folder) Directory.CreateDirectory(path);
        else if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        return kind switch
        {
            OutputKind.Png => new PngWriter(path, width, height, folder: false),
            OutputKind.Folder => new PngWriter(path, width, height, folder: true),
            _ => new Mp4Writer(path, width, height, fps),
        };
    }

    public abstract void Write(ReadOnlySpan<byte> rgba, long index);
    /// <summary>Completes the output (closes the video); called once after the last frame.</summary>
    public virtual void Finish() { }
    public virtual void Dispose() { }

    private sealed class PngWriter(string path, int width, int height, bool folder) : FrameWriter(width, height)
    {
        public override void Write(ReadOnlySpan<byte> rgba, long index)
        {
            using var image = Image.LoadPixelData<Rgba32>(rgba, Width, Height);
            image.SaveAsPng(folder ? Path.Combine(path, $"frame_{index:D6}.png") : path);
        }
    }

    private sealed class Mp4Writer : FrameWriter
    {
        private readonly Process _ffmpeg;
        private readonly Task<string> _stderr;
        private readonly string _path;
        private bool _finished;

        public Mp4Writer(string path, int width, int height, double fps) : base(width, height)
        {
            _path = path;
            var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
            // yuv420p needs even sizes: pad odd ones by a pixel.
            foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba",
                                      "-s", $"{width}x{height}", "-r", fps.ToString("0.###", CultureInfo.InvariantCulture), "-i", "-",
                                      "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", path })
                psi.ArgumentList.Add(a);
            try { _ffmpeg = Process.Start(psi)!; }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"Cannot start ffmpeg to write '{path}' ({e.Message}): run scripts/setup.sh, or write PNGs instead.", e);
            }
            _stderr = _ffmpeg.StandardError.ReadToEndAsync();
            _ = _ffmpeg.StandardOutput.ReadToEndAsync();
        }

        public override void Write(ReadOnlySpan<byte> rgba, long index)
        {
            try { _ffmpeg.StandardInput.BaseStream.Write(rgba); }
            catch (IOException) { Finish(); throw; }
        }

        public override void Finish()
        {
            if (_finished) return;
            _finished = true;
            try { _ffmpeg.StandardInput.Close(); } catch (IOException) { }
            _ffmpeg.WaitForExit();
            if (_ffmpeg.ExitCode != 0)
                throw new IOException($"ffmpeg failed writing '{_path}' (exit code {_ffmpeg.ExitCode}): {_stderr.Result.Trim()}");
        }

        public override void Dispose()
        {
            if (!_finished) { try { Finish(); } catch (IOException) { } }
            _ffmpeg.Dispose();
        }
    }
}
