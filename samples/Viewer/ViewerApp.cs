// The viewer: options, the frame loop (capture -> task -> overlay + HUD -> window and/or files), the PNG/folder/MP4
// writers, the detections JSON, the progress bar and the latency summary.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Samples.Common;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Samples.Viewer;

/// <summary>A bad command line: the message says what is wrong and what would be valid (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Where the annotated frames go.</summary>
internal enum OutputKind { Png, Folder, Mp4 }

/// <summary>The parsed command line.</summary>
internal sealed record ViewerOptions(string Source, string Model, string? Output, OutputKind OutputKind, string? Detections, string? Device,
                                     long? Frames, double? Seconds, bool Window, bool Hud, bool? Validation, (int Width, int Height)? WindowSize,
                                     bool Realtime = false, bool Loop = false, bool Verbose = false)
{
    public const string Usage = """
        usage: viewer --source FILE|DIR|testsrc|webcam[:N] (--window | --output out.png|out.mp4|DIR | both)
                      [--model blazeface|blazeface-back|ppocr-det|mlsd|sobel|PATH.onnx] [--detections out.json] [--device NAME]
                      [--frames N] [--seconds S] [--hud | --no-hud] [--size WxH] [--realtime | --every-frame] [--loop]
                      [--validation] [--verbose]
          --source      an image, a video file, a folder of images, testsrc (test pattern) or webcam[:N] (/dev/videoN)
          --window      show the annotated frames live in a window (GLFW + Vulkan swapchain); H toggles the HUD,
                        Esc or closing the window quits
          --output      out.png: the first frame; out.mp4: a video (through ffmpeg); DIR: frame_000000.png, ... per frame
          --model       blazeface (faces, front camera model, 128x128; default), blazeface-back (faces, 256x256),
                        ppocr-det (text boxes and mask, PP-OCRv4 det), mlsd (line segments, M-LSD tiny 320),
                        sobel (Sobel edge strength, shown as a mask), PATH.onnx (an image classifier: top-5 labels)
          --detections  JSON with every result: its frame number, boxes (x, y, w, h in source pixels), scores and
                        keypoints, line segments (x0, y0, x1, y1), top-k classes
          --device      Vulkan device index or name substring (default: the best device, or VULKANCNN_DEVICE)
          --frames      stop after N frames (webcams and testsrc otherwise run until Ctrl+C, Esc or the window closes)
          --seconds     stop after S seconds
          --hud         draw fps and per-stage latency in a corner (default in --window mode); --no-hud: never
          --size        window size in pixels (default: the frame's, shrunk to fit 1600x900)
          --realtime    play files at their own frame rate, dropping frames the pipeline cannot keep up with; each
                        frame shows the newest finished result (latest frame wins; default with --window);
                        --every-frame: every frame in order, each drawn with its own result (default for files)
          --loop        start files again at their end
          --validation  turn on the Vulkan validation layer (or VULKANCNN_VALIDATION=1); errors give exit code 3
          --verbose     print the stack trace with an error (errors are otherwise one line: exit code 1, or 70 for an
                        internal error)
        """;

    private static readonly string[] ValueOptions = { "source", "model", "output", "detections", "device", "frames", "seconds", "size" };
    private static readonly string[] FlagOptions = { "window", "hud", "no-hud", "validation", "realtime", "every-frame", "loop", "verbose" };

    public static ViewerOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>();
        var flags = new HashSet<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a is "-h" or "--help") throw new UsageException("");
            string name = a.StartsWith("--", StringComparison.Ordinal) ? a[2..] : "";
            if (FlagOptions.Contains(name)) { flags.Add(name); continue; }
            if (!ValueOptions.Contains(name))
                throw new UsageException($"Unknown option '{a}'; the options are {string.Join(", ", ValueOptions.Concat(FlagOptions).Select(k => "--" + k))}.");
            if (i + 1 >= args.Count) throw new UsageException($"Option '{a}' needs a value.");
            values[name] = args[++i];
        }
        if (!values.TryGetValue("source", out var source)) throw new UsageException("--source is required.");
        bool window = flags.Contains("window");
        var output = values.GetValueOrDefault("output");
        if (output == null && !window) throw new UsageException("Say where frames go: --window, --output FILE|DIR, or both.");
        var model = values.GetValueOrDefault("model", "blazeface");
        if (!ViewerTasks.IsValid(model)) throw new UsageException($"Unknown model '{model}'; use {string.Join(", ", ViewerTasks.Names)} or PATH.onnx (a classifier).");
        var kind = OutputKind.Folder;
        if (output != null)
        {
            string ext = Path.GetExtension(output).ToLowerInvariant();
            kind = Directory.Exists(output) || ext == "" ? OutputKind.Folder : ext switch
            {
                ".png" => OutputKind.Png,
                ".mp4" => OutputKind.Mp4,
                _ => throw new UsageException($"Unknown output extension '{ext}' in '{output}'; use .png, .mp4 or a directory (no extension)."),
            };
        }
        long? frames = null;
        if (values.TryGetValue("frames", out var f))
        {
            if (!long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
                throw new UsageException($"--frames '{f}' must be a positive integer.");
            frames = n;
        }
        double? seconds = null;
        if (values.TryGetValue("seconds", out var sec))
        {
            if (!double.TryParse(sec, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !(d > 0) || !double.IsFinite(d))
                throw new UsageException($"--seconds '{sec}' must be a positive number.");
            seconds = d;
        }
        (int, int)? size = null;
        if (values.TryGetValue("size", out var sz))
        {
            var parts = sz.ToLowerInvariant().Split('x');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w) ||
                !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h) || w is < 16 or > 16384 || h is < 16 or > 16384)
                throw new UsageException($"--size '{sz}' must be WxH with each side 16..16384, as in 1280x720.");
            size = (w, h);
        }
        if (size != null && !window) throw new UsageException("--size sets the window's size: use it with --window.");
        if (flags.Contains("hud") && flags.Contains("no-hud")) throw new UsageException("--hud and --no-hud contradict each other.");
        bool hud = flags.Contains("hud") || (window && !flags.Contains("no-hud"));
        if (flags.Contains("realtime") && flags.Contains("every-frame")) throw new UsageException("--realtime and --every-frame contradict each other.");
        bool realtime = flags.Contains("realtime") || (window && !flags.Contains("every-frame"));
        return new ViewerOptions(source, model, output, kind, values.GetValueOrDefault("detections"), values.GetValueOrDefault("device"),
                                 frames, seconds, window, hud, flags.Contains("validation") ? true : null, size, realtime, flags.Contains("loop"),
                                 flags.Contains("verbose"));
    }
}

/// <summary>
/// One result as written to the JSON file: the number of the frame it was computed from (in realtime mode results arrive
/// frames later and not every frame has one) and its detections, line segments and top-k classes.
/// </summary>
internal sealed record FrameDetections(long Frame, IReadOnlyList<DetectionJson> Detections, IReadOnlyList<SegmentJson> Segments, IReadOnlyList<ClassJson> TopK)
{
    public static FrameDetections From(VisionResult r) => new(r.FrameNumber, r.Detections.Select(DetectionJson.From).ToArray(),
                                                              r.Segments.Select(SegmentJson.From).ToArray(), r.TopK.Select(ClassJson.From).ToArray());
}

/// <summary>One detection: box (x, y, w, h) and keypoints ([x, y] each) in source pixels, with its label ("face", "text").</summary>
internal sealed record DetectionJson(float[] Box, float Score, string Label, float[][] Keypoints)
{
    public static DetectionJson From(Detection d) => new(new[] { d.Box.X, d.Box.Y, d.Box.W, d.Box.H }, d.Score, d.Label,
                                                         d.Keypoints.Select(k => new[] { k.X, k.Y }).ToArray());
}

/// <summary>One line segment: its ends [x0, y0, x1, y1] in source pixels and its score.</summary>
internal sealed record SegmentJson(float[] Line, float Score)
{
    public static SegmentJson From(LineSegment s) => new(new[] { s.X0, s.Y0, s.X1, s.Y1 }, s.Score);
}

/// <summary>One top-k entry of a classifier.</summary>
internal sealed record ClassJson(int ClassId, float Score, string? Label)
{
    public static ClassJson From(Classification c) => new(c.ClassId, c.Score, c.Label);
}

/// <summary>The detections file: source, size, model and one entry per result.</summary>
internal sealed record DetectionsJson(string Source, int Width, int Height, string Model, IReadOnlyList<FrameDetections> Frames)
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };
}

internal static class ViewerApp
{
    /// <summary>Exit code when the run worked but the validation layer reported errors.</summary>
    public const int ValidationFailed = 3;

    /// <summary>Exit code for an exception that is not one of the documented kinds: a bug, not bad input (EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    /// <summary>
    /// Runs the viewer; 0 on success, 2 for a bad command line, 1 when something fails while running, 3 on validation
    /// errors, 70 for an undocumented exception. Errors are one line on stderr; --verbose adds the stack trace.
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal = false)
    {
        ViewerOptions o;
        try { o = ViewerOptions.Parse(args); }
        catch (UsageException e)
        {
            if (e.Message.Length > 0) stderr.WriteLine("viewer: " + e.Message);
            stderr.WriteLine(ViewerOptions.Usage);
            return e.Message.Length > 0 ? 2 : 0;
        }
        try { return Run(o, stdout, null, stderr, stderrIsTerminal); }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or TimeoutException
                                    or InvalidDataException or UnauthorizedAccessException or NotSupportedException
                                    or VulkanException or WindowException or System.ComponentModel.Win32Exception)
        {
            stderr.WriteLine("viewer: " + e.Message);
            if (o.Verbose) stderr.WriteLine(e);
            return 1;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"viewer: internal error, {e.GetType().Name}: {e.Message}" +
                             (o.Verbose ? "" : " (run again with --verbose for the stack trace, and please report it)"));
            if (o.Verbose) stderr.WriteLine(e);
            return InternalError;
        }
    }

    /// <summary>
    /// Checks, before anything is opened or run, that --output and --detections can be written: their directories are
    /// created as the writers would create them, and a probe file is written and removed. An IOException names the path.
    /// </summary>
    public static void CheckOutputs(ViewerOptions o)
    {
        if (o.Output != null)
        {
            if (o.OutputKind == OutputKind.Folder) CheckDirectory(o.Output, "--output");
            else CheckFile(o.Output, "--output");
        }
        if (o.Detections != null) CheckFile(o.Detections, "--detections");
    }

    private static void CheckDirectory(string dir, string option)
    {
        try
        {
            if (File.Exists(dir)) throw new IOException("it is a file, not a directory");
            Directory.CreateDirectory(dir);
            using (new FileStream(Path.Combine(dir, $".viewer-write-test-{Environment.ProcessId}"), FileMode.Create, FileAccess.Write,
                                  FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new IOException($"{option} '{dir}' cannot be written: {e.Message}", e);
        }
    }

    private static void CheckFile(string path, string option)
    {
        try
        {
            if (Directory.Exists(path)) throw new IOException("it is a directory");
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
            bool existed = File.Exists(path);
            using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) { }
            if (!existed) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new IOException($"{option} '{path}' cannot be written: {e.Message}", e);
        }
    }

    private static bool IsFileSource(string spec) => File.Exists(spec) || Directory.Exists(spec);

    /// <summary>
    /// Runs the frame loop. Headless runs use <paramref name="context"/>, or a context of their own (o.Device) when null;
    /// window runs always create their own instance and device (with the window's surface) and let VulkanCnn adopt it.
    /// </summary>
    public static int Run(ViewerOptions o, TextWriter stdout, VulkanContext? context = null, TextWriter? stderr = null, bool stderrIsTerminal = false)
    {
        stderr ??= TextWriter.Null;
        CheckOutputs(o);
        bool file = IsFileSource(o.Source);
        // Files: every frame in order, unless played in real time. Cameras and the test pattern: the latest frame wins.
        using var source = FrameSource.Open(o.Source, new FrameSourceOptions
        {
            Format = PixelFormat.Rgba8, DropFrames = !file || o.Realtime, Realtime = o.Realtime, Loop = o.Loop,
        });
        int w = source.Width, h = source.Height;

        ViewerWindow? view = null;
        VulkanContext? own = null;
        FrameProcessor? processor = null;
        FrameWriter? writer = null;
        int code;
        try
        {
            if (o.Window)
            {
                var (ww, wh) = o.WindowSize ?? FitWindow(w, h);
                view = ViewerWindow.Open(ww, wh, $"VulkanCnn viewer - {o.Model} - {source.Name}", o.Device, o.Validation);
            }
            else if (context == null)
                own = new VulkanContext(new VulkanContextOptions { Device = o.Device, Validation = o.Validation });
            var ctx = view?.Context ?? context ?? own!;
            bool validating = view?.Host.ValidationEnabled ?? ctx.ValidationEnabled;
            stdout.WriteLine($"device: {ctx.DeviceInfo}; validation {(validating ? "on" : "off")}");
            var presenter = view?.Presenter;
            stdout.WriteLine($"source: {source.Name} {w}x{h} @ {source.FramesPerSecond:0.##} fps; model {o.Model}; " +
                             (presenter != null ? $"window {presenter.Extent.Width}x{presenter.Extent.Height} ({presenter.Format}, {presenter.PresentMode})" : "headless") +
                             (o.Hud ? "; HUD on" : ""));
            processor = new FrameProcessor(ctx, ViewerTasks.Create(o.Model, ctx, w, h), w, h, o.Hud, everyFrame: !o.Realtime);
            stdout.WriteLine($"task: {processor.Name} through the frame pipeline; " +
                             (o.Realtime ? "latest frame wins (results drawn when they arrive)" : "every frame gets its own result"));
            if (o.Output != null)
                writer = o.OutputKind switch
                {
                    OutputKind.Png => FrameWriter.Png(o.Output, w, h),
                    OutputKind.Folder => FrameWriter.PngFolder(o.Output, w, h),
                    _ => FrameWriter.Mp4(o.Output, w, h, source.FramesPerSecond > 0 ? source.FramesPerSecond : 30),
                };
            code = Loop(o, source, file, processor, writer, view?.Window, presenter, stdout, stderr, stderrIsTerminal);
        }
        finally
        {
            writer?.Dispose();
            processor?.Dispose();
            view?.Dispose();
            own?.Dispose();
        }
        // Read after everything is destroyed: objects still alive at vkDestroyDevice/vkDestroyInstance are errors too.
        var validationErrors = view?.ValidationErrors ?? own?.ValidationErrors ?? Array.Empty<string>();
        if (validationErrors.Count > 0)
        {
            stderr.WriteLine($"viewer: the validation layer reported {validationErrors.Count} error(s):");
            foreach (var e in validationErrors.Take(10)) stderr.WriteLine("  " + e);
            return ValidationFailed;
        }
        return code;
    }

    /// <summary>The frame's size shrunk (never grown) to fit 1600x900, keeping its aspect ratio.</summary>
    public static (int Width, int Height) FitWindow(int w, int h)
    {
        double s = Math.Min(1.0, Math.Min(1600.0 / w, 900.0 / h));
        return (Math.Max(16, (int)Math.Round(w * s)), Math.Max(16, (int)Math.Round(h * s)));
    }

    private static int Loop(ViewerOptions o, IFrameSource source, bool file, FrameProcessor processor, FrameWriter? writer,
                            GlfwWindow? window, SwapchainPresenter? presenter, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal)
    {
        int w = source.Width, h = source.Height;
        long limit = o.OutputKind == OutputKind.Png && o.Output != null && window == null ? 1 : o.Frames ?? long.MaxValue;
        var frame = new byte[source.FrameBytes];
        var output = new byte[source.FrameBytes];
        var frames = new List<FrameDetections>();
        double write = 0, present = 0;
        long count = 0, found = 0, presented = 0, results = 0;
        bool ended = false;
        // Progress on stderr for files written from a file source of more than one frame (not for live windows).
        long? expected = file && writer != null && window == null ? Math.Min(limit, o.Loop ? long.MaxValue : CountFrames(o.Source) ?? long.MaxValue) : null;
        var progress = expected is { } t && t > 1 ? new ProgressBar(stderr, stderrIsTerminal, t != long.MaxValue ? t : null) : null;

        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (kill, a test harness) ends the run cleanly, like Ctrl+C: everything is disposed and checked.
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var total = Stopwatch.StartNew();
        long lastPresent = 0;
        bool hDown = false;
        try
        {
            while (count < limit && !stop.IsCancellationRequested && !(o.Seconds is { } s && total.Elapsed.TotalSeconds >= s))
            {
                bool got = false;
                long number = 0;
                long t0 = Stopwatch.GetTimestamp();
                if (window != null)
                {
                    window.PollEvents();
                    if (window.ShouldClose || window.IsKeyDown(GlfwWindow.Keys.Escape)) break;
                    bool hKey = window.IsKeyDown(GlfwWindow.Keys.Letter('H'));
                    if (hKey && !hDown) processor.HudVisible = !processor.HudVisible;   // on the key's press, not while held
                    hDown = hKey;
                    // Never block the window for long: take a frame if one is ready.
                    if (!ended) got = source.TryGetLatest(frame, out number);
                    if (!got && !ended && source.IsEnded) ended = true;
                }
                else
                {
                    if (!source.ReadLatest(frame, out number, TimeSpan.FromSeconds(10))) break;
                    got = true;
                }
                double capture = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

                if (got)
                {
                    var result = processor.Process(frame, number, output, capture);
                    // out.png holds the first frame (the window keeps running; writing a PNG per frame would stall it).
                    if (writer != null && !(o.OutputKind == OutputKind.Png && count > 0))
                    {
                        long tw = Stopwatch.GetTimestamp();
                        writer.Write(output, count);
                        write += Stopwatch.GetElapsedTime(tw).TotalMilliseconds;
                    }
                    if (result != null)
                    {
                        if (o.Detections != null) frames.Add(FrameDetections.From(result));
                        results++;
                        found += result.Detections.Count + result.Segments.Count;
                    }
                    count++;
                    progress?.Update(count, total.Elapsed.TotalSeconds);
                }
                bool redrawn = false;
                if (!got && window != null && count > 0 && processor.RefreshDue)
                {
                    // No new frame, but a newer result: draw it over the last frame (a still image shows its boxes
                    // once its inference is done).
                    var result = processor.Refresh(output);
                    if (result != null)
                    {
                        if (o.Detections != null) frames.Add(FrameDetections.From(result));
                        results++;
                        found += result.Detections.Count + result.Segments.Count;
                    }
                    redrawn = true;
                }
                if (presenter != null && count > 0)
                {
                    // New frames are shown at once; a still frame (source ended or not ready) is re-shown a few
                    // times a second, so the window repaints after being covered or resized.
                    if (got || redrawn || Stopwatch.GetElapsedTime(lastPresent).TotalMilliseconds >= 100)
                    {
                        long tp = Stopwatch.GetTimestamp();
                        if (presenter.Present(output, w, h))
                        {
                            presented++;
                            if (presented == 1) stdout.WriteLine("window: first frame presented");
                        }
                        if (got) present += Stopwatch.GetElapsedTime(tp).TotalMilliseconds;
                        lastPresent = Stopwatch.GetTimestamp();
                    }
                }
                if (!got && window != null) Thread.Sleep(ended ? 10 : 1);
            }
            // Headless real time: the source has ended, but the inference it started last may still be running (a short
            // clip ends while its first inference runs). Collect that result before reporting, at most 10 s.
            if (window == null && !processor.EveryFrame && count > 0)
            {
                var drain = Stopwatch.StartNew();
                while (drain.Elapsed.TotalSeconds < 10 && !stop.IsCancellationRequested)
                {
                    if (processor.RefreshDue)
                    {
                        var result = processor.Refresh(output);
                        if (result != null)
                        {
                            if (o.Detections != null) frames.Add(FrameDetections.From(result));
                            results++;
                            found += result.Detections.Count + result.Segments.Count;
                        }
                    }
                    else if (!processor.InferencePending) break;
                    else Thread.Sleep(1);
                }
            }
        }
        finally { Console.CancelKeyPress -= onCancel; }
        progress?.Finish(count, total.Elapsed.TotalSeconds);
        writer?.Finish();
        double seconds = total.Elapsed.TotalSeconds;
        if (count == 0)
        {
            if (window != null && (stop.IsCancellationRequested || window.ShouldClose)) { stdout.WriteLine("no frame before the window closed"); return 0; }
            throw new InvalidDataException($"Frame source '{source.Name}' gave no frame.");
        }

        if (o.Detections != null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(o.Detections));
            if (dir != null) Directory.CreateDirectory(dir);
            File.WriteAllText(o.Detections, JsonSerializer.Serialize(new DetectionsJson(source.Name, w, h, o.Model, frames), DetectionsJson.Json));
        }
        var a = processor.Totals.Average(0);
        static string Ms(double? v) => v is { } x ? $"{x:0.0} ms" : "-";
        double readback = processor.Totals.Readback / Math.Max(1, processor.Totals.Frames);   // redraws of a still frame included, as in the averages
        stdout.WriteLine($"{count} frame(s), {results} result(s), {found} detection(s)/segment(s), {source.DroppedFrames} dropped; per frame: capture {Ms(a.CaptureMs)}, " +
                         $"upload {Ms(a.UploadMs)}, preprocess {Ms(a.PreprocessMs)}, inference {Ms(a.InferenceMs)}, postprocess {Ms(a.PostprocessMs)}, overlay {Ms(a.OverlayMs)} (GPU), " +
                         $"read-back {readback:0.0} ms" +
                         (writer != null ? $", write {write / count:0.0} ms" : "") + (presenter != null ? $", present {present / count:0.0} ms" : "") +
                         $"; {count / seconds:0.0} fps");
        if (presenter != null) stdout.WriteLine($"window: {presented} present(s), swapchain {presenter.Extent.Width}x{presenter.Extent.Height} {presenter.Format}, recreated {presenter.Recreations - 1} time(s)");
        if (o.Output != null || o.Detections != null)
            stdout.WriteLine("output: " + string.Join(", ", new[] { o.Output, o.Detections != null ? "detections: " + o.Detections : null }.Where(x => x != null)));
        return 0;
    }

    /// <summary>Frames in a file source: 1 for an image, the images in a folder, a video's frame count from ffprobe; null when unknown.</summary>
    public static long? CountFrames(string spec)
    {
        if (Directory.Exists(spec))
            return Directory.GetFiles(spec).Count(f => new[] { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp" }.Contains(Path.GetExtension(f).ToLowerInvariant()));
        if (!File.Exists(spec)) return null;
        if (new[] { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp" }.Contains(Path.GetExtension(spec).ToLowerInvariant())) return 1;
        try
        {
            var psi = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=nb_frames", "-of", "csv=p=0", spec }) psi.ArgumentList.Add(arg);
            using var p = Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(5000)) { p.Kill(); return null; }
            return long.TryParse(text.Result.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0 ? n : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { return null; }
    }
}

