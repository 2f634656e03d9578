// BlazeFace face detection: MediaPipe's SSD anchors, decoding of the model's regressors and scores, weighted
// non-maximum suppression on the CPU (the reference), and a detector that letterboxes a frame, runs the model, decodes
// on the GPU (BlazeFaceTask) and maps faces back to the frame.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>Which BlazeFace model: the front-camera one (128×128 input) or the back-camera one (256×256, smaller faces).</summary>
public enum BlazeFaceModel
{
    Front,
    Back,
}

/// <summary>An axis-aligned box: left, top, width, height (in whatever unit its producer states).</summary>
public readonly record struct Box(float X, float Y, float W, float H)
{
    public float Right => X + W;
    public float Bottom => Y + H;
    public float Area => Math.Max(0f, W) * Math.Max(0f, H);

    /// <summary>Intersection over union; 0 when either box is empty.</summary>
    public float Iou(Box other)
    {
        float w = Math.Min(Right, other.Right) - Math.Max(X, other.X);
        float h = Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y);
        if (w <= 0 || h <= 0) return 0f;
        float inter = w * h;
        float union = Area + other.Area - inter;
        return union > 0 ? inter / union : 0f;
    }
}

/// <summary>
/// One detected face: its box, its score (probability, 0..1) and six keypoints in the order of MediaPipe's model card:
/// the person's right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion. Coordinates are
/// source-frame pixels when they come from <see cref="BlazeFaceDetector"/>, else in the unit of the mapping given to
/// <see cref="BlazeFaceDecoder.Decode"/> (model-input fractions 0..1 by default).
/// </summary>
public sealed record FaceDetection(Box Box, float Score, IReadOnlyList<(float X, float Y)> Keypoints);

/// <summary>Anchors, decoding and weighted non-maximum suppression for BlazeFace's outputs (on the CPU).</summary>
public static class BlazeFaceDecoder
{
    /// <summary>Anchors of both models: 16×16 cells × 2 + 8×8 cells × 6.</summary>
    public const int AnchorCount = 896;
    /// <summary>Values per anchor in the regressor output: box (dx, dy, w, h) then six (x, y) keypoints.</summary>
    public const int RegressorLength = 16;
    public const int KeypointCount = 6;
    /// <summary>MediaPipe's suppression threshold for both models.</summary>
    public const float DefaultIou = 0.3f;

    /// <summary>The model's square input side in pixels: 128 (front) or 256 (back).</summary>
    public static int InputSize(BlazeFaceModel kind) => kind switch
    {
        BlazeFaceModel.Front => 128,
        BlazeFaceModel.Back => 256,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "BlazeFaceModel must be Front or Back."),
    };

    /// <summary>MediaPipe's minimum score: 0.75 for the front model, 0.65 for the back model.</summary>
    public static float DefaultMinScore(BlazeFaceModel kind) => kind == BlazeFaceModel.Back ? 0.65f : 0.75f;

    /// <summary>
    /// The 896 anchor centres as fractions of the input (0..1), in the order of the model's outputs. MediaPipe's SSD
    /// scheme with four layers of strides 8, 16, 16, 16 (front; 16, 32, 32, 32 for the back model): layers of the same
    /// stride share one grid, each contributing 2 anchors per cell (the interpolated aspect-ratio-1 anchor and one
    /// more), so the first grid has 2 anchors per cell and the second 6. Cells run row by row, anchors of a cell
    /// consecutively; the centre of cell (x, y) is ((x + 0.5) / gridW, (y + 0.5) / gridH). With a fixed anchor size
    /// every anchor is 1 × 1, which is why only centres are returned.
    /// </summary>
    public static IReadOnlyList<(float X, float Y)> Anchors(BlazeFaceModel kind) => kind switch
    {
        BlazeFaceModel.Front => FrontAnchors,
        BlazeFaceModel.Back => BackAnchors,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "BlazeFaceModel must be Front or Back."),
    };

    // Computed once: Decode runs every frame.
    private static readonly IReadOnlyList<(float X, float Y)> FrontAnchors = MakeAnchors(BlazeFaceModel.Front);
    private static readonly IReadOnlyList<(float X, float Y)> BackAnchors = MakeAnchors(BlazeFaceModel.Back);

    private static IReadOnlyList<(float X, float Y)> MakeAnchors(BlazeFaceModel kind)
    {
        int size = InputSize(kind);
        int first = kind == BlazeFaceModel.Front ? 8 : 16;
        var anchors = new List<(float X, float Y)>(AnchorCount);
        foreach (var (stride, perCell) in new[] { (first, 2), (2 * first, 6) })
        {
            int grid = (size + stride - 1) / stride;
            for (int y = 0; y < grid; y++)
                for (int x = 0; x < grid; x++)
                    for (int a = 0; a < perCell; a++)
                        anchors.Add(((x + 0.5f) / grid, (y + 0.5f) / grid));
        }
        return anchors.AsReadOnly();
    }

    /// <summary>
    /// Decodes raw model outputs into faces. <paramref name="regressors"/>: 896 × 16 floats (anchor-major; box centre
    /// offset x, y, box width, height, then keypoint x, y pairs, all in input pixels relative to the anchor centre);
    /// <paramref name="scores"/>: 896 logits. A face is kept when sigmoid(clamp(logit, −100, 100)) ≥
    /// <paramref name="minScore"/>; overlapping faces (IoU above <paramref name="iou"/>) are merged by
    /// <see cref="WeightedNms"/>. Coordinates are fractions of the model input (0..1) mapped through
    /// <paramref name="toFrame"/> when given (it must be an axis-aligned scale and offset: box corners are mapped).
    /// </summary>
    public static List<FaceDetection> Decode(BlazeFaceModel kind, ReadOnlySpan<float> regressors, ReadOnlySpan<float> scores,
                                             float minScore, float iou = DefaultIou,
                                             Func<(float X, float Y), (float X, float Y)>? toFrame = null)
    {
        if (regressors.Length != AnchorCount * RegressorLength || scores.Length != AnchorCount)
            throw new ArgumentException($"BlazeFace {kind}: expected {AnchorCount * RegressorLength} regressor values and {AnchorCount} scores " +
                                        $"({AnchorCount} anchors); got {regressors.Length} and {scores.Length}.");
        if (!(minScore is >= 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(minScore), minScore, "The minimum score is a probability, 0..1.");
        if (!(iou is > 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(iou), iou, "The IoU threshold must lie in (0, 1].");
        var anchors = Anchors(kind);
        float size = InputSize(kind);
        var raw = new List<FaceDetection>();
        for (int i = 0; i < AnchorCount; i++)
        {
            float score = 1f / (1f + MathF.Exp(-Math.Clamp(scores[i], -100f, 100f)));
            if (!(score >= minScore)) continue;   // also drops NaN logits
            var r = regressors.Slice(i * RegressorLength, RegressorLength);
            var (ax, ay) = anchors[i];
            float cx = ax + r[0] / size, cy = ay + r[1] / size, w = r[2] / size, h = r[3] / size;
            var keypoints = new (float X, float Y)[KeypointCount];
            for (int k = 0; k < KeypointCount; k++) keypoints[k] = (ax + r[4 + 2 * k] / size, ay + r[5 + 2 * k] / size);
            raw.Add(new FaceDetection(new Box(cx - w / 2, cy - h / 2, w, h), score, keypoints));
        }
        var faces = WeightedNms(raw, iou);
        if (toFrame == null) return faces;
        return faces.ConvertAll(f =>
        {
            var (x0, y0) = toFrame((f.Box.X, f.Box.Y));
            var (x1, y1) = toFrame((f.Box.Right, f.Box.Bottom));
            return new FaceDetection(new Box(x0, y0, x1 - x0, y1 - y0), f.Score, f.Keypoints.Select(toFrame).ToArray());
        });
    }

    /// <summary>
    /// Weighted non-maximum suppression (MediaPipe's WEIGHTED mode): repeatedly takes the best remaining face and every
    /// remaining face whose IoU with it exceeds <paramref name="iou"/> (itself included), replaces them by one face whose
    /// box and keypoints are their score-weighted average and whose score is the best one. Best score first.
    /// </summary>
    public static List<FaceDetection> WeightedNms(IEnumerable<FaceDetection> faces, float iou = DefaultIou)
    {
        ArgumentNullException.ThrowIfNull(faces);
        // A stable sort keeps equal scores in input (anchor) order, so results do not depend on the sort's whims.
        var remaining = faces.OrderByDescending(f => f.Score).ToList();
        var result = new List<FaceDetection>();
        while (remaining.Count > 0)
        {
            var best = remaining[0];
            var group = remaining.Where(f => f == best || best.Box.Iou(f.Box) > iou).ToList();
            remaining.RemoveAll(group.Contains);
            if (group.Count == 1) { result.Add(best); continue; }
            float total = 0, x = 0, y = 0, r = 0, b = 0;
            int nk = best.Keypoints.Count;
            var kp = new (float X, float Y)[nk];
            foreach (var f in group)
            {
                if (f.Keypoints.Count != nk)
                    throw new ArgumentException($"Faces to merge have {nk} and {f.Keypoints.Count} keypoints; all must have the same number.");
                float s = f.Score;
                total += s;
                x += s * f.Box.X; y += s * f.Box.Y; r += s * f.Box.Right; b += s * f.Box.Bottom;
                for (int k = 0; k < nk; k++) kp[k] = (kp[k].X + s * f.Keypoints[k].X, kp[k].Y + s * f.Keypoints[k].Y);
            }
            for (int k = 0; k < nk; k++) kp[k] = (kp[k].X / total, kp[k].Y / total);
            result.Add(new FaceDetection(new Box(x / total, y / total, (r - x) / total, (b - y) / total), best.Score, kp));
        }
        return result;
    }
}

/// <summary>
/// Finds faces in images with a BlazeFace ONNX model (MediaPipe's TensorFlow export: NHWC input in [−1, 1], four outputs).
/// The image is letterboxed to the model's square input on the CPU (aspect ratio kept, black bars, ImageSharp's
/// triangle filter, which averages when shrinking), the model runs on the GPU, and the outputs are decoded on the GPU by
/// a <see cref="BlazeFaceTask"/> (the same results as <see cref="BlazeFaceDecoder"/>, at most
/// <see cref="BlazeFaceTask.MaxFaces"/> faces); faces come back in source pixels.
/// </summary>
public sealed class BlazeFaceDetector : IDisposable
{
    private readonly BlazeFaceTask _task;
    private readonly int _size;
    private readonly float[] _input;

    public BlazeFaceModel Kind { get; }
    public float MinScore { get; }
    public float IouThreshold { get; }

    /// <summary>Loads the model at <paramref name="modelPath"/> and compiles it for <paramref name="context"/>.
    /// <paramref name="minScore"/> defaults to MediaPipe's (<see cref="BlazeFaceDecoder.DefaultMinScore"/>).</summary>
    public BlazeFaceDetector(VulkanContext context, string modelPath, BlazeFaceModel kind, float? minScore = null, float iou = BlazeFaceDecoder.DefaultIou)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(modelPath);
        Kind = kind;
        _size = BlazeFaceDecoder.InputSize(kind);
        MinScore = minScore ?? BlazeFaceDecoder.DefaultMinScore(kind);
        IouThreshold = iou;
        _task = new BlazeFaceTask(context, modelPath, kind, MinScore, iou);
        _input = new float[_size * _size * 3];
    }

    /// <summary>The task doing the work (its session, GPU post-processing and drawing).</summary>
    public BlazeFaceTask Task => _task;

    /// <summary>Faces in the image file at <paramref name="path"/> (any format ImageSharp reads), in its pixels.</summary>
    public IReadOnlyList<FaceDetection> Detect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var image = Imaging.ImageFileCheck.LoadRgb24(path);
        return Detect(image);
    }

    /// <summary>Faces in an interleaved RGB24 frame of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public IReadOnlyList<FaceDetection> Detect(ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (width <= 0 || height <= 0 || rgb.Length != 3L * width * height)
            throw new ArgumentException($"An RGB24 frame of {width}×{height} needs {3L * width * height} bytes, got {rgb.Length}.");
        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        return Detect(image);
    }

    private IReadOnlyList<FaceDetection> Detect(Image<Rgb24> image)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Letterbox: the longer side fills the input, the shorter one is centred between black bars.
        int srcW = image.Width, srcH = image.Height;
        float scale = (float)_size / Math.Max(srcW, srcH);
        int w = Math.Clamp((int)MathF.Round(srcW * scale), 1, _size), h = Math.Clamp((int)MathF.Round(srcH * scale), 1, _size);
        int padX = (_size - w) / 2, padY = (_size - h) / 2;
        using var resized = image.Clone(c => c.Resize(w, h, KnownResamplers.Triangle));
        Array.Fill(_input, -1f);   // black in [−1, 1]
        resized.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    int p = 3 * ((y + padY) * _size + x + padX);
                    _input[p] = row[x].R / 127.5f - 1f;
                    _input[p + 1] = row[x].G / 127.5f - 1f;
                    _input[p + 2] = row[x].B / 127.5f - 1f;
                }
            }
        });
        _task.Session.SetInput(_input);
        // Model fractions u → input pixels u·S → source pixels (u·S − pad) / (resized / source), per axis.
        float sx = (float)w / srcW, sy = (float)h / srcH;
        _task.Run(new FrameTransform(sx, sy, padX, padY));
        return _task.ReadFaces(p => ((p.X * _size - padX) / sx, (p.Y * _size - padY) / sy));
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _task.Dispose();
    }
}
