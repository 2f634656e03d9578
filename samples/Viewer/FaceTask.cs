// The viewer's pluggable model step (IViewerTask) and its face-detection implementation: RGBA frame -> BlazeFace
// detections -> boxes, keypoints and "face 0.92" labels added to the frame's overlay scene.
using System.Diagnostics;
using System.Globalization;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Samples.Viewer;

/// <summary>
/// What the viewer runs on each frame: a model with its pre- and post-processing. The viewer owns capture, the overlay,
/// the HUD and the outputs; a task only turns an RGBA frame into a <see cref="VisionResult"/> and draws it. To add a
/// model (text detection, line segments, a filter), implement this and add a case to <see cref="ViewerTasks.Create"/>.
/// </summary>
internal interface IViewerTask : IDisposable
{
    /// <summary>Short name for logs, the window title and the detections file ("blazeface").</summary>
    string Name { get; }

    /// <summary>Runs on one RGBA8 frame of the size the task was created for. The frame is only read during the call.</summary>
    VisionResult Run(ReadOnlySpan<byte> rgba, long frameNumber);

    /// <summary>Adds the result's boxes, points, segments and labels to <paramref name="scene"/>.</summary>
    void Draw(VisionResult result, OverlayScene scene);

    /// <summary>Milliseconds of the last <see cref="Run"/>: pre-processing, model, post-processing (null where a stage is folded into another).</summary>
    StageTimes LastTimes { get; }
}

/// <summary>Per-frame milliseconds of a task's stages; null = not measured separately.</summary>
internal readonly record struct StageTimes(double? PreprocessMs, double? InferenceMs, double? PostprocessMs);

/// <summary>The tasks the viewer knows, by --model name.</summary>
internal static class ViewerTasks
{
    public static readonly string[] Names = { "blazeface", "blazeface-back" };

    /// <summary>Creates the task <paramref name="name"/> for frames of <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static IViewerTask Create(string name, VulkanContext context, int width, int height) => name switch
    {
        "blazeface" => new FaceTask(context, FaceTask.ModelPath(BlazeFaceModel.Front), BlazeFaceModel.Front, width, height),
        "blazeface-back" => new FaceTask(context, FaceTask.ModelPath(BlazeFaceModel.Back), BlazeFaceModel.Back, width, height),
        _ => throw new ArgumentException($"Unknown model '{name}'; use {string.Join(" or ", Names)}."),
    };
}

/// <summary>
/// Detects faces with BlazeFace and draws a box, the six keypoints and a "face 0.92" label per face. Stages: the RGBA to
/// RGB conversion (pre-processing), the detector (its CPU letterbox, the network on the GPU and the decoding: inference),
/// and building the drawing (post-processing).
/// </summary>
internal sealed class FaceTask : IViewerTask
{
    private static readonly Rgba BoxColor = new(0, 255, 0);
    private static readonly Rgba PointColor = new(255, 48, 48);
    private readonly BlazeFaceDetector _detector;
    private readonly byte[] _rgb;
    private readonly int _width, _height;
    private bool _disposed;

    public FaceTask(VulkanContext context, string modelPath, BlazeFaceModel kind, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Frame size {width}x{height} must be positive.");
        _detector = new BlazeFaceDetector(context, modelPath, kind);
        _rgb = new byte[3 * width * height];
        _width = width;
        _height = height;
        Name = kind == BlazeFaceModel.Front ? "blazeface" : "blazeface-back";
    }

    public string Name { get; }
    public StageTimes LastTimes { get; private set; }

    /// <summary>The ONNX file of <paramref name="model"/> under the repository's .cache (fetched by scripts/setup.sh).</summary>
    public static string ModelPath(BlazeFaceModel model)
    {
        string file = model == BlazeFaceModel.Front ? "face_detection_front_128x128_barracuda.onnx" : "face_detection_back_256x256_barracuda.onnx";
        string? root = ViewerApp.FindRoot();
        string path = Path.Combine(root ?? ".", ".cache", "models", "blazeface", "ONNX", file);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model {path} is missing: run scripts/setup.sh to fetch it.", path);
        return path;
    }

    public VisionResult Run(ReadOnlySpan<byte> rgba, long frameNumber)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rgba.Length != 4 * _width * _height)
            throw new ArgumentException($"An RGBA8 frame of {_width}x{_height} has {4 * _width * _height} bytes; got {rgba.Length}.", nameof(rgba));
        long t0 = Stopwatch.GetTimestamp();
        for (int p = 0, n = _width * _height; p < n; p++)
        {
            _rgb[3 * p] = rgba[4 * p];
            _rgb[3 * p + 1] = rgba[4 * p + 1];
            _rgb[3 * p + 2] = rgba[4 * p + 2];
        }
        long t1 = Stopwatch.GetTimestamp();
        var faces = _detector.Detect(_rgb, _width, _height);
        long t2 = Stopwatch.GetTimestamp();
        var detections = new Detection[faces.Count];
        for (int i = 0; i < faces.Count; i++) detections[i] = new Detection(faces[i].Box, faces[i].Score, 0, "face", faces[i].Keypoints);
        var result = new VisionResult { FrameNumber = frameNumber, Detections = detections };
        LastTimes = new StageTimes(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds,
                                   Stopwatch.GetElapsedTime(t2).TotalMilliseconds);
        return result;
    }

    public void Draw(VisionResult result, OverlayScene scene)
    {
        int thickness = Math.Max(2, Math.Min(_width, _height) / 200);
        int scale = Math.Max(1, Math.Min(_width, _height) / 400);
        foreach (var f in result.Detections)
        {
            scene.Boxes.Add(new OverlayBox(f.Box, BoxColor, thickness));
            foreach (var (x, y) in f.Keypoints) scene.Points.Add(new OverlayPoint(x, y, PointColor, thickness + 1));
            string text = Label(f.Score);
            var (_, lh) = OverlayLabel.Size(text.Length, scale);
            // Above the box where there is room, else just inside its top edge.
            float ly = f.Box.Y - lh >= 0 ? f.Box.Y - lh : Math.Max(0, f.Box.Y);
            scene.Labels.Add(new OverlayLabel(Math.Max(0, f.Box.X), ly, text, Colors.Black, BoxColor, scale));
        }
    }

    /// <summary>The label text of a detection: "face 0.92".</summary>
    public static string Label(float score) => $"face {score.ToString("0.00", CultureInfo.InvariantCulture)}";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _detector.Dispose();
    }
}
