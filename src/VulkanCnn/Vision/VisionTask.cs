// What a frame pipeline runs per frame: a compiled model, the pre-processing its input needs, GPU post-processing of
// its outputs, and how its results are drawn. Concrete tasks: face detection, text detection, line segments,
// classification, filters.
using Silk.NET.Vulkan;
using VulkanCnn.Graph;

namespace VulkanCnn.Vision;

/// <summary>One detected object, in source-frame pixels.</summary>
/// <param name="Box">Axis-aligned box in frame pixels.</param>
/// <param name="Score">Confidence, 0..1.</param>
/// <param name="ClassId">Class index (0 for single-class detectors).</param>
/// <param name="Label">Class name ("face", "text").</param>
/// <param name="Keypoints">Keypoints in frame pixels (empty when the model has none).</param>
public sealed record Detection(Box Box, float Score, int ClassId, string Label, IReadOnlyList<(float X, float Y)> Keypoints);

/// <summary>A detected line segment, in source-frame pixels.</summary>
public readonly record struct LineSegment(float X0, float Y0, float X1, float Y1, float Score);

/// <summary>
/// A range of a VkBuffer that holds a task's results on the GPU, for a host that consumes them in its own shaders
/// (the layout is documented by the property that returns it).
/// </summary>
public readonly record struct GpuBufferRange(Silk.NET.Vulkan.Buffer Buffer, ulong Offset, ulong Size);

/// <summary>One entry of a classifier's top-k.</summary>
public readonly record struct Classification(int ClassId, float Score, string? Label);

/// <summary>
/// What a <see cref="VisionTask"/> produced for one frame. <see cref="FrameNumber"/> is the number of the frame the
/// result belongs to (results of asynchronous pipelines arrive frames later). Lists are empty, never null, where the
/// task produces no such thing.
/// </summary>
public sealed record VisionResult
{
    /// <summary>Number of the frame this result was computed from.</summary>
    public long FrameNumber { get; init; }
    public IReadOnlyList<Detection> Detections { get; init; } = Array.Empty<Detection>();
    public IReadOnlyList<LineSegment> Segments { get; init; } = Array.Empty<LineSegment>();
    public IReadOnlyList<Classification> TopK { get; init; } = Array.Empty<Classification>();
    /// <summary>A per-pixel map (probabilities or class ids) in model-input coordinates, with the transform to the frame.</summary>
    public OverlayMask? Mask { get; init; }
}

/// <summary>
/// A model with its pre- and post-processing, runnable by a frame pipeline. The pipeline writes the pre-processed frame
/// into <see cref="Session"/>'s input, submits the session's command buffer, then the command buffer recorded by
/// <see cref="RecordPostprocess"/>, and once that submission has completed (checked without blocking) calls
/// <see cref="ReadResult"/>.
/// </summary>
public abstract class VisionTask : IDisposable
{
    /// <summary>The compiled model; owned by the task.</summary>
    public abstract Session Session { get; }

    /// <summary>The pre-processing the model's input 0 needs (size, resize mode, normalisation, layout).</summary>
    public abstract PreprocessOptions Input { get; }

    /// <summary>Short name for logs and the HUD ("blazeface", "ppocr-det").</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Records the GPU post-processing of the session's outputs (read through <see cref="Session.OutputBuffer"/>)
    /// into <paramref name="cmd"/>. Called once; the command buffer is then submitted after every run of the session,
    /// so everything it uses must be reset inside it (counters cleared with vkCmdFillBuffer, not by the host). It
    /// starts with its own barrier (compute writes of the network → its reads) and ends with a barrier that makes its
    /// results host-readable. Tasks without GPU post-processing record nothing.
    /// </summary>
    internal abstract void RecordPostprocess(CommandBuffer cmd);

    /// <summary>
    /// Reads the results of the last completed submission from host-visible memory and maps them to frame pixels
    /// through <paramref name="transform"/> (frame → model input). The caller guarantees the submission is complete.
    /// </summary>
    internal abstract VisionResult ReadResult(long frameNumber, FrameTransform transform);

    /// <summary>Adds the result's boxes, keypoints, segments, labels and mask to <paramref name="scene"/>.</summary>
    public abstract void Draw(VisionResult result, OverlayScene scene);

    private StandaloneRunner? _runner;
    private bool _runnerRetired;

    /// <summary>The synchronous path of <see cref="Run"/>: pre-processor, command buffer and fence, made on first use.</summary>
    internal StandaloneRunner Runner
    {
        get
        {
            ObjectDisposedException.ThrowIf(_runnerRetired, this);
            return _runner ??= new StandaloneRunner(this);
        }
    }

    /// <summary>GPU time of the last standalone post-processing submission in ms (timestamps; host submit-to-fence time where the device has none).</summary>
    public double LastPostprocessMilliseconds => _runner?.LastPostprocessMilliseconds ?? 0;

    /// <summary>
    /// Synchronous convenience, without a pipeline: pre-processes <paramref name="frame"/> (Width×Height in
    /// <paramref name="format"/>) on the GPU into the model's input, runs the model and the GPU post-processing, waits,
    /// and returns the result in frame pixels.
    /// </summary>
    public VisionResult Run(ReadOnlySpan<byte> frame, int width, int height, PixelFormat format, long frameNumber = 0)
    {
        using var use = Session.Use.Enter();   // a task is used by one thread at a time, with its session
        return Runner.Run(frame, width, height, format, frameNumber);
    }

    /// <summary>Runs the model on the input already in <see cref="Session"/>, then the post-processing; <paramref name="transform"/> maps model-input pixels to the frame (identity when null).</summary>
    protected VisionResult RunOnSession(FrameTransform? transform, long frameNumber)
    {
        using var use = Session.Use.Enter();
        return Runner.RunSession(transform ?? new FrameTransform(1, 1, 0, 0), frameNumber);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        var guard = Session?.Use;
        using var use = guard != null ? guard.Enter() : default;
        // The runner's pre-processor writes into the session: it goes first.
        if (!_runnerRetired)
        {
            _runnerRetired = true;
            _runner?.Dispose();
        }
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);
}

/// <summary>
/// Reusable lists of overlay primitives for one frame; <see cref="Clear"/> keeps their capacity, so a steady scene
/// allocates nothing per frame.
/// </summary>
public sealed class OverlayScene
{
    public List<OverlayBox> Boxes { get; } = new();
    public List<OverlayPoint> Points { get; } = new();
    public List<OverlaySegment> Segments { get; } = new();
    public List<OverlayLabel> Labels { get; } = new();
    /// <summary>
    /// At most one mask per scene. A frame pipeline treats a mask object as immutable: it uploads a mask once and skips
    /// the copy while the same object comes back (a new result brings a new mask); change values through a new object.
    /// </summary>
    public OverlayMask? Mask { get; set; }

    public void Clear()
    {
        Boxes.Clear();
        Points.Clear();
        Segments.Clear();
        Labels.Clear();
        Mask = null;
    }
}
