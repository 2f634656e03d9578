// The viewer's per-frame path, shared by the window and the file outputs: the frame through a FramePipeline (upload,
// pre-processing, the task's model and GPU post-processing, overlay of its result) -> read back -> host HUD blend;
// with the stage timings the HUD and the summary show. A host-run IViewerTask path is kept for tests.
using System.Diagnostics;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Samples.Viewer;

/// <summary>
/// Milliseconds of one frame's stages. Upload, preprocess, inference, postprocess and overlay are GPU times
/// (<see cref="FramePipeline.Stats"/>) on the pipeline path; capture and read-back are host times. Preprocess and
/// postprocess are null when a host task folds them into inference.
/// </summary>
internal readonly record struct FrameTimes(double CaptureMs, double UploadMs, double? PreprocessMs, double InferenceMs, double? PostprocessMs, double OverlayMs,
                                           double ReadbackMs = 0);

/// <summary>Sums of <see cref="FrameTimes"/> over a run of frames, and their averages as HUD figures.</summary>
internal sealed class TimeTotals
{
    public long Frames { get; private set; }
    public double Capture, Upload, Preprocess, Inference, Postprocess, Overlay, Readback;
    private bool _pre, _post;

    public void Add(in FrameTimes t)
    {
        Frames++;
        Capture += t.CaptureMs; Upload += t.UploadMs; Inference += t.InferenceMs; Overlay += t.OverlayMs; Readback += t.ReadbackMs;
        if (t.PreprocessMs is { } p) { Preprocess += p; _pre = true; }
        if (t.PostprocessMs is { } q) { Postprocess += q; _post = true; }
    }

    public void Clear()
    {
        Frames = 0;
        Capture = Upload = Preprocess = Inference = Postprocess = Overlay = Readback = 0;
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
/// Runs frames through a task and the overlay: <see cref="Process"/> writes the annotated frame. With a
/// <see cref="VisionTask"/> the work goes through a <see cref="FramePipeline"/> fed CPU RGBA frames:
/// <list type="bullet">
/// <item>every-frame mode (files): each frame's own result is drawn over it and returned. The pipeline infers on its
/// even frames only (EveryNthFrame 2): the frame is submitted once to start its inference, the processor polls until
/// <see cref="FramePipeline.Latest"/> is that frame's result, then submits the same pixels again, so that the overlay
/// (recorded at submit time from the newest result) shows the frame's own result; that second submission is the
/// output read back. The cost is a second upload and overlay per frame (small beside inference), never a second inference.</item>
/// <item>realtime mode (window, cameras): one submission per frame; the newest finished result is drawn (latest frame
/// wins) and <see cref="Process"/> returns a result only when a new one has arrived, numbered with the frame it used.</item>
/// </list>
/// The HUD is blended on the host into the read-back frame. It shows the averages of the last quarter second (refreshed
/// four times a second, so its strings are not rebuilt per frame). Owns the task and the pipeline.
/// </summary>
internal sealed class FrameProcessor : IDisposable
{
    private const double HudRefreshSeconds = 0.25;
    private const int NumberRing = 1024;
    private static readonly TimeSpan ResultTimeout = TimeSpan.FromSeconds(120);
    private readonly IViewerTask? _hostTask;
    private readonly VisionTask? _visionTask;
    private readonly FramePipeline? _pipeline;
    private readonly OverlayRenderer? _overlay;
    private readonly OverlayScene _scene = new();
    private readonly TimeTotals _window = new();
    private readonly long[] _pipelineNumbers = new long[NumberRing], _sourceNumbers = new long[NumberRing];
    private long _windowStart, _lastReported, _reportedSource = long.MinValue, _lastSource, _drawnSource = long.MinValue;
    private byte[]? _last;
    private bool _primed, _disposed;

    /// <summary>A host-run task: run synchronously, then drawn by an overlay of the processor's own.</summary>
    public FrameProcessor(VulkanContext context, IViewerTask task, int width, int height, bool hud)
    {
        _hostTask = task ?? throw new ArgumentNullException(nameof(task));
        Name = task.Name;
        _overlay = new OverlayRenderer(context, width, height);
        (Width, Height) = (width, height);
        if (hud) Hud = new Hud(width, height, HudCorner.TopLeft);
        _windowStart = Stopwatch.GetTimestamp();
    }

    /// <summary>A vision task run through a <see cref="FramePipeline"/>; <paramref name="everyFrame"/>: each frame gets its own result.</summary>
    public FrameProcessor(VulkanContext context, VisionTask task, int width, int height, bool hud, bool everyFrame = true)
    {
        _visionTask = task ?? throw new ArgumentNullException(nameof(task));
        Name = task.Name;
        EveryFrame = everyFrame;
        try
        {
            _pipeline = new FramePipeline(context, task, width, height, new FramePipelineOptions { EveryNthFrame = everyFrame ? 2 : 1 });
        }
        catch
        {
            task.Dispose();
            throw;
        }
        (Width, Height) = (width, height);
        if (hud) Hud = new Hud(width, height, HudCorner.TopLeft);
        _windowStart = Stopwatch.GetTimestamp();
    }

    public int Width { get; }
    public int Height { get; }
    public string Name { get; }
    /// <summary>Every frame gets its own result (files); false: latest frame wins (window, cameras).</summary>
    public bool EveryFrame { get; } = true;
    /// <summary>The frame pipeline, on the vision-task path.</summary>
    public FramePipeline? Pipeline => _pipeline;
    /// <summary>The HUD, or null when it is off.</summary>
    public Hud? Hud { get; }
    /// <summary>Whether the HUD is drawn (the window's H key toggles it; it keeps measuring while hidden).</summary>
    public bool HudVisible { get; set; } = true;
    /// <summary>The last frame's timings.</summary>
    public FrameTimes LastTimes { get; private set; }
    /// <summary>All frames' timings so far.</summary>
    public TimeTotals Totals { get; } = new();

    /// <summary>
    /// Runs <paramref name="rgba"/> (source frame <paramref name="frameNumber"/>) through the task, draws the result (and the
    /// HUD) and writes the annotated frame to <paramref name="output"/>. <paramref name="captureMs"/> is how long getting the
    /// frame took. Returns this frame's result in every-frame mode; in realtime mode a newly arrived result (its
    /// FrameNumber is the source frame it used) or null when none arrived since the last call.
    /// </summary>
    public VisionResult? Process(ReadOnlySpan<byte> rgba, long frameNumber, Span<byte> output, double captureMs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pipeline == null) return ProcessOnHost(rgba, frameNumber, output, captureMs);

        VisionResult? result;
        long t0;
        if (EveryFrame)
        {
            // The pipeline numbers its frames 1, 2, ...; inference runs on the even ones. Frame 1 only primes that parity.
            if (!_primed) { _pipeline.Submit(rgba, PixelFormat.Rgba8); _primed = true; }
            long n = _pipeline.Submit(rgba, PixelFormat.Rgba8);
            if (n % 2 != 0 || _pipeline.Latest?.FrameNumber == n)
                throw new InvalidOperationException($"Frame pipeline out of step: frame {frameNumber} went in as pipeline frame {n}, which does not start an inference.");
            var waited = Stopwatch.StartNew();
            for (int spins = 0; _pipeline.Latest?.FrameNumber != n; spins++)
            {
                if (_pipeline.Poll()) continue;
                if (!_pipeline.InferenceInFlight && _pipeline.Latest?.FrameNumber != n)
                    throw new InvalidOperationException($"Frame {frameNumber} (pipeline frame {n}): no inference was started or its result was lost.");
                if (waited.Elapsed > ResultTimeout)
                    throw new TimeoutException($"Frame {frameNumber}: no result from {Name} after {ResultTimeout.TotalSeconds:0} s.");
                if (spins < 64) Thread.Yield(); else Thread.Sleep(1);
            }
            // The inference batch followed the frame's own batch on the queue, so that work is done: reading it back
            // (into output, overwritten below) makes the pipeline collect its timestamps, pre-processing included.
            _pipeline.ReadOutput(output);
            // Again, so the overlay is drawn from this frame's own result.
            _pipeline.Submit(rgba, PixelFormat.Rgba8);
            result = _pipeline.Latest! with { FrameNumber = frameNumber };
            t0 = Stopwatch.GetTimestamp();
            _pipeline.ReadOutput(output);
        }
        else
        {
            // Kept for Refresh: a still source (an image, a paused or ended file) gets its result drawn once it arrives.
            _last ??= new byte[rgba.Length];
            if (!rgba.Overlaps(_last)) rgba.CopyTo(_last);
            _lastSource = frameNumber;
            _pipeline.Poll();
            // The result this submission draws (Submit's own poll could pick a newer one: then a Refresh comes one early).
            _drawnSource = SourceOf(_pipeline.Latest);
            long n = _pipeline.Submit(rgba, PixelFormat.Rgba8);
            _pipelineNumbers[n % NumberRing] = n;
            _sourceNumbers[n % NumberRing] = frameNumber;
            t0 = Stopwatch.GetTimestamp();
            _pipeline.ReadOutput(output);
            var latest = _pipeline.Latest;
            result = null;
            long source = SourceOf(latest);
            if (latest != null && latest.FrameNumber != _lastReported && source != _reportedSource)
            {
                _lastReported = latest.FrameNumber;
                _reportedSource = source;
                result = latest with { FrameNumber = source };
            }
        }
        double readback = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var s = _pipeline.Stats;
        var times = new FrameTimes(captureMs, s.UploadMs, s.PreprocessMs, s.InferenceMs, s.PostprocessMs, s.OverlayMs, readback);
        UpdateHud(times);
        // The HUD is blended on the host, into the frame just read back: through the GPU overlay its ~120 glyphs add
        // 6 ms per 640x480 frame on lavapipe and 14 ms on SwiftShader, against 0.07 ms here.
        if (HudVisible) Hud?.DrawInto(output);
        Record(times);
        return result;
    }

    /// <summary>The source frame number of a pipeline result (-1 when too old to be remembered; <see cref="long.MinValue"/> for none).</summary>
    private long SourceOf(VisionResult? r)
    {
        if (r == null) return long.MinValue;
        long i = r.FrameNumber % NumberRing;
        return _pipelineNumbers[i] == r.FrameNumber ? _sourceNumbers[i] : -1;
    }

    /// <summary>
    /// Realtime mode: whether a result of another frame than the one drawn over the last output has arrived (polled
    /// here), so the last frame should be drawn again (<see cref="Refresh"/>) when no new frame comes.
    /// </summary>
    public bool RefreshDue
    {
        get
        {
            if (_pipeline == null || EveryFrame || _last == null) return false;
            _pipeline.Poll();
            return _pipeline.Latest != null && SourceOf(_pipeline.Latest) != _drawnSource;
        }
    }

    /// <summary>Realtime mode: an inference is still running (polled here).</summary>
    public bool InferencePending
    {
        get
        {
            if (_pipeline == null || EveryFrame) return false;
            _pipeline.Poll();
            return _pipeline.InferenceInFlight;
        }
    }

    /// <summary>
    /// Realtime mode: submits the last frame again so its output shows the newest result (used when the source has no
    /// new frame). It also starts an inference on that frame, once: its result belongs to the frame already drawn, so
    /// no further refresh follows. Returns a newly arrived result as <see cref="Process"/> does.
    /// </summary>
    public VisionResult? Refresh(Span<byte> output)
    {
        if (_pipeline == null || EveryFrame || _last == null) throw new InvalidOperationException("Refresh is for realtime pipeline runs after a first frame.");
        return Process(_last, _lastSource, output, 0);
    }

    private VisionResult ProcessOnHost(ReadOnlySpan<byte> rgba, long frameNumber, Span<byte> output, double captureMs)
    {
        var task = _hostTask!;
        var result = task.Run(rgba, frameNumber);
        var stages = task.LastTimes;
        UpdateHud(new FrameTimes(captureMs, 0, stages.PreprocessMs, stages.InferenceMs ?? 0, stages.PostprocessMs, 0));

        long t0 = Stopwatch.GetTimestamp();
        _scene.Clear();
        task.Draw(result, _scene);
        _overlay!.Upload(rgba);
        long t1 = Stopwatch.GetTimestamp();
        _overlay.Draw(_scene);
        _overlay.ReadRgba(output);
        if (HudVisible) Hud?.DrawInto(output);
        double upload = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, overlay = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
        Record(new FrameTimes(captureMs, upload, stages.PreprocessMs, stages.InferenceMs ?? 0, stages.PostprocessMs, overlay));
        return result;
    }

    /// <summary>
    /// Refreshes the HUD before drawing, from the frames since the last refresh; the very first frame shows its own
    /// times (a still image is shown with them for as long as the window stays open).
    /// </summary>
    private void UpdateHud(in FrameTimes first)
    {
        if (Hud == null) return;
        double seconds = Stopwatch.GetElapsedTime(_windowStart).TotalSeconds;
        if (Totals.Frames == 0)
            Hud.Update(new HudStats(0, first.CaptureMs, _pipeline != null ? first.UploadMs : null, first.PreprocessMs, first.InferenceMs, first.PostprocessMs,
                                    _pipeline != null ? first.OverlayMs : null));
        else if (seconds >= HudRefreshSeconds)
            Hud.Update(_window.Average(_window.Frames / seconds));
        if (Totals.Frames == 0 || seconds >= HudRefreshSeconds)
        {
            _window.Clear();
            _windowStart = Stopwatch.GetTimestamp();
        }
    }

    private void Record(in FrameTimes times)
    {
        LastTimes = times;
        Totals.Add(times);
        _window.Add(times);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _pipeline?.Dispose();      // waits for its GPU work; the task's session outlives it
        _overlay?.Dispose();
        _visionTask?.Dispose();
        _hostTask?.Dispose();
    }
}
