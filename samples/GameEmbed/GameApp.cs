// The game loop: options, render -> (VulkanCnn) -> output, and the PNG/MP4 writers of the headless mode.
using System.Diagnostics;
using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Silk.NET.Vulkan;
using VulkanCnn.Samples.Common;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;
using Image = Silk.NET.Vulkan.Image;

namespace VulkanCnn.Samples.GameEmbed;

/// <summary>A bad command line: the message says what is wrong and what would be valid (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The parsed command line.</summary>
internal sealed record GameOptions
{
    public int Width { get; init; } = 640;
    public int Height { get; init; } = 480;
    /// <summary>Frames to render; null: 90 headless, until the window closes with --window.</summary>
    public long? Frames { get; init; }
    /// <summary>Stop after this many seconds.</summary>
    public double? Seconds { get; init; }
    /// <summary>With --window: keep showing the last frame this long before exiting.</summary>
    public double HoldSeconds { get; init; }
    public string? Output { get; init; }
    public string? SceneOutput { get; init; }
    public string? Device { get; init; }
    public bool Validation { get; init; }
    public bool Window { get; init; }
    public bool Detect { get; init; } = true;
    public bool Hud { get; init; } = true;
    public int EveryNthFrame { get; init; } = 1;

    public const string Usage = """
        usage: gameembed [--frames N] [--seconds S] [--hold S] [--output DIR|out.mp4] [--size WxH] [--device NAME] [--validation] [--window]
                         [--every N] [--no-hud] [--no-detect] [--scene-output DIR]
          --frames      frames to render (default 90; with --window: until the window is closed or Esc)
          --seconds S   stop after S seconds
          --hold S      with --window: keep showing the last frame S seconds before exiting
          --output      DIR: frame_000000.png, ... per frame; out.mp4: a video through the system ffmpeg
          --scene-output DIR  also write the rendered scene (before VulkanCnn) as PNGs
          --size        frame size (default 640x480)
          --device      Vulkan device index or name substring (default: VULKANCNN_DEVICE, else the best GPU)
          --validation  turn on the Vulkan validation layer; validation errors make the run fail
          --window      show the frames in a window (GLFW; needs a display, e.g. Xvfb)
          --every N     run face detection on every N-th frame only (default 1); boxes stay drawn in between
          --no-hud      no fps / latency panel in the corner
          --no-detect   render the scene only, without VulkanCnn
        """;

    public static GameOptions Parse(IReadOnlyList<string> args)
    {
        var o = new GameOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"Option '{a}' needs a value.");
            switch (a)
            {
                case "-h" or "--help": throw new UsageException("");
                case "--frames":
                    string f = Value();
                    if (!long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
                        throw new UsageException($"--frames '{f}' must be a positive integer.");
                    o = o with { Frames = n };
                    break;
                case "--output": o = o with { Output = Value() }; break;
                case "--seconds" or "--hold":
                    string v = Value();
                    if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double secs) || !(secs > 0) || double.IsInfinity(secs))
                        throw new UsageException($"{a} '{v}' must be a positive number of seconds.");
                    o = a == "--seconds" ? o with { Seconds = secs } : o with { HoldSeconds = secs };
                    break;
                case "--scene-output": o = o with { SceneOutput = Value() }; break;
                case "--device": o = o with { Device = Value() }; break;
                case "--validation": o = o with { Validation = true }; break;
                case "--window": o = o with { Window = true }; break;
                case "--no-detect": o = o with { Detect = false }; break;
                case "--no-hud": o = o with { Hud = false }; break;
                case "--every":
                    string e = Value();
                    if (!int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out int every) || every <= 0)
                        throw new UsageException($"--every '{e}' must be a positive integer.");
                    o = o with { EveryNthFrame = every };
                    break;
                case "--size":
                    string s = Value();
                    var parts = s.Split('x');
                    if (parts.Length != 2 || !int.TryParse(parts[0], out int w) || !int.TryParse(parts[1], out int h) || w < 64 || h < 64 || w > 8192 || h > 8192)
                        throw new UsageException($"--size '{s}' must be WIDTHxHEIGHT with each side 64..8192, e.g. 640x480.");
                    o = o with { Width = w, Height = h };
                    break;
                default:
                    throw new UsageException($"Unknown option '{a}'; the options are --frames, --seconds, --hold, --output, --scene-output, --size, --device, --validation, --window, --every, --no-hud, --no-detect.");
            }
        }
        if (o.Output != null && Path.GetExtension(o.Output) is { Length: > 0 } ext && !ext.Equals(".mp4", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"Unknown output extension '{ext}' in '{o.Output}'; use .mp4 or a directory (no extension).");
        return o;
    }
}

internal static class GameApp
{
    /// <summary>Runs the sample; 0 on success, 2 for a bad command line, 1 when something fails while running.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        GameOptions o;
        try { o = GameOptions.Parse(args); }
        catch (UsageException e)
        {
            if (e.Message.Length > 0) stderr.WriteLine("gameembed: " + e.Message);
            stderr.WriteLine(GameOptions.Usage);
            return e.Message.Length > 0 ? 2 : 0;
        }
        try { return Run(o, stdout).ValidationErrors.Count == 0 ? 0 : 1; }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or GameVulkanException
                                    or VulkanException or System.ComponentModel.Win32Exception)
        {
            stderr.WriteLine("gameembed: " + e.Message);
            return 1;
        }
    }

    /// <summary>The repository's .cache/images, where scripts/setup.sh puts the photographs.</summary>
    public static string PhotoDir() => SampleFiles.Cache("images");

    /// <summary>The BlazeFace front model under the repository's .cache (fetched by scripts/setup.sh).</summary>
    public static string ModelPath()
    {
        string path = Path.Combine(Path.GetDirectoryName(PhotoDir())!, "models", "blazeface", "ONNX", "face_detection_front_128x128_barracuda.onnx");
        if (!File.Exists(path)) throw new FileNotFoundException($"Model {path} is missing: run scripts/setup.sh to fetch it.", path);
        return path;
    }

    /// <summary>One result as it came back: the game frame whose render it was computed from, and the game frame during which it arrived.</summary>
    internal sealed record ResultRecord(long GameFrame, long ArrivedAtFrame, VisionResult Result);

    /// <summary>What a run did: frames rendered, the results in arrival order, validation errors (tests check all three).</summary>
    internal sealed record RunSummary(long Frames, IReadOnlyList<ResultRecord> Results, IReadOnlyList<string> ValidationErrors, FrameStats Stats);

    /// <summary>Runs the game loop; <paramref name="createTask"/> replaces the default BlazeFace task (tests).</summary>
    public static RunSummary Run(GameOptions o, TextWriter stdout, Func<VulkanContext, VisionTask>? createTask = null)
    {
        using var window = o.Window ? OpenWindow(o) : null;
        var device = window == null
            ? new GameDevice(o.Device, o.Validation)
            : new GameDevice(o.Device, o.Validation, GlfwWindow.RequiredInstanceExtensions(), new[] { "VK_KHR_swapchain" }, window.CreateSurface);
        RunSummary summary;
        try { summary = Run(o, stdout, device, window, createTask); }
        finally { device.Dispose(); }
        // Read after the device is gone: objects left alive are reported while it is destroyed.
        var errors = device.ValidationErrors;
        foreach (var e in errors.Take(5)) stdout.WriteLine("validation error: " + e);
        return summary with { ValidationErrors = errors };
    }

    private static GlfwWindow OpenWindow(GameOptions o)
    {
        try
        {
            var window = new GlfwWindow(o.Width, o.Height, "VulkanCnn GameEmbed", resizable: true);
            window.SetPosition(0, 0);
            return window;
        }
        catch (WindowException e)
        {
            throw new InvalidOperationException("--window: " + e.Message, e);   // the message already says how to run without a display
        }
    }

    private static RunSummary Run(GameOptions o, TextWriter stdout, GameDevice device, GlfwWindow? window, Func<VulkanContext, VisionTask>? createTask)
    {
        long limit = o.Frames ?? (o.Window ? long.MaxValue : 90);
        stdout.WriteLine($"device: {device.DeviceName}; {o.Width}x{o.Height}, {(limit == long.MaxValue ? "until the window closes" : $"{limit} frame(s)")}" +
                         $"{(o.Detect ? "" : ", no detection")}{(window != null ? ", windowed" : "")}");
        using var renderer = new SceneRenderer(device, o.Width, o.Height, PhotoDir());
        string? model = o.Detect && createTask == null ? ModelPath() : null;
        using var cnn = o.Detect
            ? new VulkanCnnLayer(device.Vk, device.Instance, device.PhysicalDevice, device.Device, device.QueueFamily, o.Width, o.Height,
                                 createTask ?? (ctx => new BlazeFaceTask(ctx, model!, BlazeFaceModel.Front)),
                                 new FramePipelineOptions { Hud = o.Hud, EveryNthFrame = o.EveryNthFrame })
            : null;
        using var presenter = window != null
            ? new SwapchainPresenter(device.Vk, device.Instance, device.PhysicalDevice, device.Device, device.QueueFamily, device.Queue,
                                     device.Surface, () => window.FramebufferSize)
            : null;
        using var writer = o.Output != null ? GameFrames.Open(o.Output, o.Width, o.Height, Scene.FramesPerSecond) : null;
        using var sceneWriter = o.SceneOutput != null ? GameFrames.Open(o.SceneOutput, o.Width, o.Height, Scene.FramesPerSecond) : null;
        var pixels = new byte[o.Width * o.Height * 4];
        var results = new List<ResultRecord>();
        // VulkanCnn's frame number -> game frame, for the last 256 frames (a result arrives a few frames after its input).
        var pipelineNumbers = new (long Id, long Frame)[256];
        long GameFrameOf(long id) => pipelineNumbers[id % pipelineNumbers.Length].Id == id ? pipelineNumbers[id % pipelineNumbers.Length].Frame : -1;
        const int MaxKeptResults = 10_000;   // the run summary keeps the first ones; a long windowed run must not grow
        long lastResult = -1, resultCount = 0;
        var total = Stopwatch.StartNew();
        long frame = 0;

        // The window shows VulkanCnn's output image (or, without detection, the render target itself). Both are on this
        // queue: the blit is ordered after the pipeline's copy by the presenter's barrier, and the pipeline's next write
        // of the output image waits for transfer reads (the blit) to finish.
        void Present(Image target)
        {
            if (cnn != null) presenter!.Present(cnn.Output, ImageLayout.ShaderReadOnlyOptimal, o.Width, o.Height);
            else presenter!.Present(target, SceneRenderer.TargetLayout, o.Width, o.Height, PipelineStageFlags.ColorAttachmentOutputBit, AccessFlags.ColorAttachmentWriteBit);
        }

        Image last = default;
        for (; frame < limit; frame++)
        {
            if (window != null)
            {
                window.PollEvents();
                if (window.ShouldClose || window.IsKeyDown(GlfwWindow.Keys.Escape)) break;
            }
            if (o.Seconds is { } maxSeconds && total.Elapsed.TotalSeconds >= maxSeconds) break;
            // The game draws into target frame % 2; on the GPU it first waits until VulkanCnn has released that target
            // (frame - 2's hand-over). The host never waits for inference.
            bool reuse = cnn != null && frame >= SceneRenderer.Slots;
            var target = last = renderer.Render(frame, reuse ? cnn!.Done : default, reuse ? (ulong)(frame - SceneRenderer.Slots + 1) : 0);
            if (cnn != null)
            {
                long id = cnn.Submit(frame, target, renderer.Rendered);
                pipelineNumbers[id % pipelineNumbers.Length] = (id, frame);
                if (cnn.Latest is { } r && r.FrameNumber != lastResult)
                {
                    lastResult = r.FrameNumber;
                    resultCount++;
                    if (results.Count < MaxKeptResults) results.Add(new ResultRecord(GameFrameOf(r.FrameNumber), frame, r));
                }
            }
            if (presenter != null) Present(target);
            if (sceneWriter != null)
            {
                renderer.ReadPixels(frame, pixels);
                sceneWriter.Write(pixels, frame);
            }
            if (writer != null)
            {
                // Only here does the host wait for VulkanCnn: reading the overlaid frame back for the file.
                if (cnn != null) cnn.ReadOutput(pixels);
                else renderer.ReadPixels(frame, pixels);
                writer.Write(pixels, frame);
            }
            if (frame == 0 || (frame + 1) % 30 == 0 || frame + 1 == limit)
                stdout.WriteLine($"frame {frame + 1}{(limit != long.MaxValue ? $"/{limit}" : "")}" +
                                 (cnn?.Latest is { } l ? $": {l.Detections.Count} face(s) from frame {GameFrameOf(l.FrameNumber)}" : ""));
        }
        if (frame > 0) device.WaitTimeline(renderer.Rendered, (ulong)frame);
        if (cnn != null && frame > 0)
        {
            device.WaitTimeline(cnn.Done, (ulong)frame);
            // Collect the inference still running after the last frame (a real game would just keep rendering).
            var drain = Stopwatch.StartNew();
            while (cnn.InferenceInFlight && !cnn.Poll() && drain.Elapsed.TotalSeconds < 30) Thread.Sleep(2);
            if (cnn.Latest is { } r && r.FrameNumber != lastResult)
            {
                resultCount++;
                if (results.Count < MaxKeptResults) results.Add(new ResultRecord(GameFrameOf(r.FrameNumber), frame, r));
            }
        }
        writer?.Finish();
        sceneWriter?.Finish();
        double seconds = total.Elapsed.TotalSeconds;
        var stats = cnn?.Stats ?? default;
        stdout.WriteLine($"{frame} frame(s) in {seconds:0.00} s ({frame / seconds:0.0} fps)" + (cnn != null
            ? $"; {resultCount} result(s), {stats.FramesInferred} frame(s) inferred, {stats.FramesSkipped} skipped; GPU ms: upload {stats.UploadMs:0.00}, " +
              $"preprocess {stats.PreprocessMs:0.00}, inference {stats.InferenceMs:0.00}, postprocess {stats.PostprocessMs:0.00}, overlay {stats.OverlayMs:0.00}"
            : ""));
        if (window != null && frame > 0 && o.HoldSeconds > 0)
        {
            // Keep showing the last frame (screenshots, tests): the output image still holds it.
            stdout.WriteLine($"holding frame {frame - 1} for {o.HoldSeconds:0.#} s");
            stdout.Flush();
            var hold = Stopwatch.StartNew();
            while (hold.Elapsed.TotalSeconds < o.HoldSeconds && !window.ShouldClose)
            {
                window.PollEvents();
                Present(last);
                Thread.Sleep(15);
            }
        }
        return new RunSummary(frame, results, Array.Empty<string>(), stats);
    }
}

/// <summary>Where the game writes frames: numbered PNGs in a folder, or an MP4 when the path ends in .mp4.</summary>
internal static class GameFrames
{
    public static FrameWriter Open(string path, int width, int height, double fps) =>
        Path.GetExtension(path).Equals(".mp4", StringComparison.OrdinalIgnoreCase)
            ? FrameWriter.Mp4(path, width, height, fps)
            : FrameWriter.PngFolder(path, width, height);

    /// <summary>The file frame <paramref name="frame"/> goes to in a PNG folder.</summary>
    public static string PngPath(string dir, long frame) => FrameWriter.PngPath(dir, frame);
}
