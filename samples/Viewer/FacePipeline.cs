// The viewer's per-frame work: RGBA frame -> BlazeFace detections -> boxes, keypoints and labels drawn on the GPU.
using System.Diagnostics;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Samples.Viewer;

/// <summary>
/// Detects faces in RGBA frames of one size and draws them: a box, the six keypoints and a "face 0.92" label each.
/// Times its two stages per call (<see cref="LastInferenceMs"/>, <see cref="LastOverlayMs"/>).
/// </summary>
internal sealed class FacePipeline : IDisposable
{
    private static readonly Rgba BoxColor = new(0, 255, 0);
    private static readonly Rgba PointColor = new(255, 48, 48);
    private readonly BlazeFaceDetector _detector;
    private readonly OverlayRenderer _overlay;
    private readonly byte[] _rgb;
    private bool _disposed;

    public FacePipeline(VulkanContext context, string modelPath, BlazeFaceModel kind, int width, int height)
    {
        _detector = new BlazeFaceDetector(context, modelPath, kind);
        try { _overlay = new OverlayRenderer(context, width, height); }
        catch { _detector.Dispose(); throw; }
        _rgb = new byte[3 * width * height];
        Width = width;
        Height = height;
    }

    public int Width { get; }
    public int Height { get; }
    /// <summary>Pre-processing (RGBA to RGB, letterbox, normalisation), the network and decoding of the last frame.</summary>
    public double LastInferenceMs { get; private set; }
    /// <summary>Upload, drawing and read-back of the last frame.</summary>
    public double LastOverlayMs { get; private set; }

    /// <summary>Detects the faces in <paramref name="rgba"/> and writes the frame with its overlay to <paramref name="output"/>.</summary>
    public IReadOnlyList<FaceDetection> Process(ReadOnlySpan<byte> rgba, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var sw = Stopwatch.StartNew();
        for (int p = 0, n = Width * Height; p < n; p++)
        {
            _rgb[3 * p] = rgba[4 * p];
            _rgb[3 * p + 1] = rgba[4 * p + 1];
            _rgb[3 * p + 2] = rgba[4 * p + 2];
        }
        var faces = _detector.Detect(_rgb, Width, Height);
        LastInferenceMs = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        var boxes = new OverlayBox[faces.Count];
        var points = new List<OverlayPoint>();
        var labels = new OverlayLabel[faces.Count];
        int thickness = Math.Max(2, Math.Min(Width, Height) / 200);
        int scale = Math.Max(1, Math.Min(Width, Height) / 400);
        for (int i = 0; i < faces.Count; i++)
        {
            var f = faces[i];
            boxes[i] = new OverlayBox(f.Box, BoxColor, thickness);
            foreach (var (x, y) in f.Keypoints) points.Add(new OverlayPoint(x, y, PointColor, thickness + 1));
            string text = Label(f.Score);
            var (_, lh) = OverlayLabel.Size(text.Length, scale);
            // Above the box where there is room, else just inside its top edge.
            float ly = f.Box.Y - lh >= 0 ? f.Box.Y - lh : Math.Max(0, f.Box.Y);
            labels[i] = new OverlayLabel(Math.Max(0, f.Box.X), ly, text, Colors.Black, BoxColor, scale);
        }
        _overlay.Upload(rgba);
        _overlay.Draw(boxes, points.ToArray(), ReadOnlySpan<OverlaySegment>.Empty, labels);
        _overlay.ReadRgba(output);
        LastOverlayMs = sw.Elapsed.TotalMilliseconds;
        return faces;
    }

    /// <summary>The label text of a detection: "face 0.92".</summary>
    public static string Label(float score) => $"face {score.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _overlay.Dispose();
        _detector.Dispose();
    }
}
