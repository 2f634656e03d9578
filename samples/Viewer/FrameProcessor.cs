// The viewer's per-frame path, shared by the window and the file outputs: task (model) -> overlay scene (+ HUD) ->
// GPU overlay -> annotated RGBA frame; with the stage timings the HUD and the summary show.
using System.Diagnostics;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Samples.Viewer;

/// <summary>Milliseconds of one frame's stages. Preprocess and postprocess are null when the task folds them into inference.</summary>
internal readonly record struct FrameTimes(double CaptureMs, double UploadMs, double? PreprocessMs, double InferenceMs, double? PostprocessMs, double OverlayMs);

/// <summary>Sums of <see cref="FrameTimes"/> over a run of frames, and their averages as HUD figures.</summary>
internal sealed class TimeTotals
{
    public long Frames { get; private set; }
    public double Capture, Upload, Preprocess, Inference, Postprocess, Overlay;
    private bool _pre, _post;

    public void Add(in FrameTimes t)
    {
        Frames++;
        Capture += t.CaptureMs; Upload += t.UploadMs; Inference += t.InferenceMs; Overlay += t.OverlayMs;
        if (t.PreprocessMs is { } p) { Preprocess += p; _pre = true; }
        if (t.PostprocessMs is { } q) { Postprocess += q; _post = true; }
    }

    public void Clear()
    {
        Frames = 0;
        Capture = Upload = Preprocess = Inference = Postprocess = Overlay = 0;
        _pre = _post = false;
    }

    /// <summary>Per-frame averages with <paramref name="fps"/>.</summary>
    public HudStats Average(double fps)
    {
        if (Frames == 0) return new HudStats(fps);
        double n = Frames;
        return new HudStats(fps, Capture / n, Upload / n, _pre ? Preprocess / n : null, Inference / n, _post ? Postprocess / n : null, Overlay / n);
    }
}

/// <summary>
/// Runs one frame through the task and the overlay: <see cref="Process"/> writes the annotated frame. With a HUD, the
/// panel shows the averages of the last quarter second (refreshed four times a second, so its strings are not
/// rebuilt per frame). Owns the task.
/// </summary>
internal sealed class FrameProcessor : IDisposable
{
    private const double HudRefreshSeconds = 0.25;
    private readonly IViewerTask _task;
    private readonly OverlayRenderer _overlay;
    private readonly OverlayScene _scene = new();
    private readonly TimeTotals _window = new();
    private long _windowStart;
    private bool _disposed;

    public FrameProcessor(VulkanContext context, IViewerTask task, int width, int height, bool hud)
    {
        _task = task ?? throw new ArgumentNullException(nameof(task));
        _overlay = new OverlayRenderer(context, width, height);
        Width = width;
        Height = height;
        if (hud) Hud = new Hud(width, height, HudCorner.TopLeft);
        _windowStart = Stopwatch.GetTimestamp();
    }

    public int Width { get; }
    public int Height { get; }
    public IViewerTask Task => _task;
    /// <summary>The HUD, or null when it is off.</summary>
    public Hud? Hud { get; }
    /// <summary>Whether the HUD is drawn (the window's H key toggles it; it keeps measuring while hidden).</summary>
    public bool HudVisible { get; set; } = true;
    /// <summary>The last frame's timings.</summary>
    public FrameTimes LastTimes { get; private set; }
    /// <summary>All frames' timings so far.</summary>
    public TimeTotals Totals { get; } = new();

    /// <summary>
    /// Runs the task on <paramref name="rgba"/>, draws its result (and the HUD) and writes the annotated frame to
    /// <paramref name="output"/>. <paramref name="captureMs"/> is how long getting the frame took (for the HUD).
    /// </summary>
    public VisionResult Process(ReadOnlySpan<byte> rgba, long frameNumber, Span<byte> output, double captureMs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = _task.Run(rgba, frameNumber);
        var stages = _task.LastTimes;

        if (Hud != null)
        {
            // Refreshed before drawing, from the frames since the last refresh; the very first frame shows its own
            // capture and task times (a still image is shown with them for as long as the window stays open).
            double seconds = Stopwatch.GetElapsedTime(_windowStart).TotalSeconds;
            if (Totals.Frames == 0)
                Hud.Update(new HudStats(0, captureMs, null, stages.PreprocessMs, stages.InferenceMs, stages.PostprocessMs, null));
            else if (seconds >= HudRefreshSeconds)
                Hud.Update(_window.Average(_window.Frames / seconds));
            if (Totals.Frames == 0 || seconds >= HudRefreshSeconds)
            {
                _window.Clear();
                _windowStart = Stopwatch.GetTimestamp();
            }
        }

        long t0 = Stopwatch.GetTimestamp();
        _scene.Clear();
        _task.Draw(result, _scene);
        _overlay.Upload(rgba);
        long t1 = Stopwatch.GetTimestamp();
        _overlay.Draw(_scene);
        _overlay.ReadRgba(output);
        // The HUD is blended on the host, into the frame just read back: through the GPU overlay its ~120 glyphs add
        // 6 ms per 640x480 frame on lavapipe and 14 ms on SwiftShader, against 0.07 ms here.
        if (HudVisible) Hud?.DrawInto(output);
        double upload = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, overlay = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;

        LastTimes = new FrameTimes(captureMs, upload, stages.PreprocessMs, stages.InferenceMs ?? 0, stages.PostprocessMs, overlay);
        Totals.Add(LastTimes);
        _window.Add(LastTimes);
        return result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _overlay.Dispose();
        _task.Dispose();
    }
}
