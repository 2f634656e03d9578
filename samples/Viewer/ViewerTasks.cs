// The viewer's models: --model names mapped to VulkanCnn's vision tasks (BlazeFace, PP-OCR text detection, M-LSD line
// segments, a Sobel filter, any ONNX classifier), and IViewerTask, the host-run task interface kept for tests.
using VulkanCnn.Graph;
using VulkanCnn.Samples.Common;
using VulkanCnn.Onnx;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Samples.Viewer;

/// <summary>
/// A model step run synchronously on the host's frame, outside the frame pipeline (its own session, its own waits). The
/// viewer's models are <see cref="VisionTask"/>s run through <see cref="FramePipeline"/>; this interface stays for tasks
/// that are not (the leak tests' CPU/GPU test task). The viewer owns capture, the overlay, the HUD and the outputs.
/// </summary>
internal interface IViewerTask : IDisposable
{
    /// <summary>Short name for logs.</summary>
    string Name { get; }

    /// <summary>Runs on one RGBA8 frame of the size the task was created for. The frame is only read during the call.</summary>
    VisionResult Run(ReadOnlySpan<byte> rgba, long frameNumber);

    /// <summary>Adds the result's boxes, points, segments and labels to <paramref name="scene"/>.</summary>
    void Draw(VisionResult result, OverlayScene scene);

    /// <summary>Milliseconds of the last <see cref="Run"/>: pre-processing, model, post-processing (null where a stage is folded into another).</summary>
    StageTimes LastTimes { get; }
}

/// <summary>Per-frame milliseconds of a host task's stages; null = not measured separately.</summary>
internal readonly record struct StageTimes(double? PreprocessMs, double? InferenceMs, double? PostprocessMs);

/// <summary>The tasks the viewer knows, by --model name (or an .onnx path: a classifier).</summary>
internal static class ViewerTasks
{
    public static readonly string[] Names = { "blazeface", "blazeface-back", "ppocr-det", "mlsd", "sobel" };

    /// <summary>Whether <paramref name="model"/> is a known name or an ONNX file path (checked when the task is created).</summary>
    public static bool IsValid(string model) => Names.Contains(model) || model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>The longest side of the Sobel filter's map: larger frames are filtered at this size and the mask stretched back.</summary>
    public const int FilterMaxSide = 640;

    /// <summary>Creates the task <paramref name="name"/> for frames of <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static VisionTask Create(string name, VulkanContext context, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Frame size {width}x{height} must be positive.");
        switch (name)
        {
            case "blazeface": return new BlazeFaceTask(context, CachedModel("blazeface", "ONNX", "face_detection_front_128x128_barracuda.onnx"), BlazeFaceModel.Front);
            case "blazeface-back": return new BlazeFaceTask(context, CachedModel("blazeface", "ONNX", "face_detection_back_256x256_barracuda.onnx"), BlazeFaceModel.Back);
            case "ppocr-det":
            {
                var (mw, mh) = TextInputSize(width, height);
                return new TextDetectionTask(context, CachedModel("ocr", "assets", "ch_PP-OCRv4_det_infer.onnx"), mw, mh);
            }
            case "mlsd": return new LineSegmentTask(context, CachedModel("mlsd", "ONNX", "mlsd_320x320_tiny.onnx"));
            case "sobel":
            {
                double s = Math.Min(1.0, (double)FilterMaxSide / Math.Max(width, height));
                return new FilterTask(context, Math.Max(3, (int)Math.Round(width * s)), Math.Max(3, (int)Math.Round(height * s)));
            }
        }
        if (name.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return Classifier(context, name);
        throw new ArgumentException($"Unknown model '{name}'; use {string.Join(", ", Names)} or PATH.onnx (a classifier).");
    }

    /// <summary>The longest side of PP-OCR det's input: about a second a frame on SwiftShader at 480x320.</summary>
    public const int TextMaxSide = 480;

    /// <summary>
    /// PP-OCR det's input for a frame: the frame shrunk (never grown) to fit <see cref="TextMaxSide"/>, each side rounded
    /// up to a multiple of 32 (DBNet downsamples 32x); the frame is letterboxed into it (384x191 -> 384x192).
    /// </summary>
    public static (int Width, int Height) TextInputSize(int width, int height)
    {
        double s = Math.Min(1.0, (double)TextMaxSide / Math.Max(width, height));
        static int Up32(double v) => Math.Max(32, (int)Math.Ceiling(v / 32 - 1e-9) * 32);
        return (Math.Min(TextMaxSide, Up32(width * s)), Math.Min(TextMaxSide, Up32(height * s)));
    }

    /// <summary>
    /// An ONNX classifier: one RGB image input, NCHW [1,3,H,W] (ImageNet normalisation, centre crop) or NHWC [1,H,W,3],
    /// and output 0 a vector of class scores (softmax and top-5 on the GPU). Anything else is rejected naming the file and
    /// the shapes.
    /// </summary>
    public static ClassificationTask Classifier(VulkanContext context, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model '{path}' does not exist.", path);
        Network net;
        try { net = OnnxImporter.Load(path); }
        catch (ArgumentException e) when (e.Message.Contains("is symbolic", StringComparison.Ordinal))
        {
            // Free image sides (a symbolic H and W): run it at ImageNet's 224x224.
            var names = OnnxModel.Load(path).InputNames;
            if (names.Count != 1) throw;
            net = OnnxImporter.Load(path, new Dictionary<string, int[]> { [names[0]] = new[] { 1, 3, ClassifierSide, ClassifierSide } });
        }
        var input = net.Nodes[net.InputIds[0]].OutputShape.Dhw();    // (C, H, W) of the batch-1 image
        var output = net.Nodes[net.OutputIds[0]].OutputShape.Dhw();
        string shapes = $"it has {net.InputIds.Count} input(s), the first {Describe(input)}, and {net.OutputIds.Count} output(s), the first {Describe(output)}";
        const string want = "one RGB image input [1,3,H,W] or [1,H,W,3] and one output, a vector of at most 2048 class scores";
        if (net.InputIds.Count != 1 || net.OutputIds.Count != 1)
            throw new ArgumentException($"'{path}' is not a model the viewer can run: --model PATH.onnx takes a classifier with {want}; {shapes}.");
        PreprocessOptions pre;
        if (input.C == 3 && input.H >= 8 && input.W >= 8)
            pre = ClassificationTask.ImageNet(input.H) with { Width = input.W, Height = input.H };
        else if (input.W == 3 && input.C >= 8 && input.H >= 8)
            pre = ClassificationTask.ImageNet(input.C) with { Width = input.H, Height = input.C, Layout = TensorLayout.Nhwc };
        else
            throw new ArgumentException($"'{path}' is not a model the viewer can run: --model PATH.onnx takes a classifier with {want}; {shapes}.");
        int dims = (output.C > 1 ? 1 : 0) + (output.H > 1 ? 1 : 0) + (output.W > 1 ? 1 : 0);
        if (dims > 1 || output.Size > ClassificationTask.MaxClasses || output.Size < 2)
            throw new ArgumentException($"'{path}' is not a classifier: --model PATH.onnx takes a classifier with {want}; {shapes}.");
        int k = (int)Math.Min(5, output.Size);
        return new ClassificationTask(context, net, pre, k, name: Path.GetFileNameWithoutExtension(path)) { DrawCount = k };
    }

    /// <summary>An engine shape as the ONNX shape it came from ([1,C,H,W] for NCHW, [1,H,W,C] for NHWC tensors).</summary>
    private static string Describe(Shape s) => $"[1,{s.C},{s.H},{s.W}]";

    /// <summary>The input side a classifier with symbolic image sides is run at.</summary>
    public const int ClassifierSide = 224;

    /// <summary>A model file under the repository's .cache (fetched by scripts/setup.sh).</summary>
    public static string CachedModel(params string[] parts)
    {
        string path = SampleFiles.Cache(new[] { "models" }.Concat(parts).ToArray());
        if (!File.Exists(path)) throw new FileNotFoundException($"Model {path} is missing: run scripts/setup.sh to fetch it.", path);
        return path;
    }
}
