// Image classification as a vision task: any network whose first output is a vector of class logits or
// probabilities; softmax and top-k on the GPU (shaders/topk.comp) into a small host-visible result.
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Onnx;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>
/// Classifies frames with any network whose input 0 is a 3-channel image and whose output 0 is a vector of up to
/// <see cref="MaxClasses"/> class scores. GPU: optional softmax (max-subtracted) and the <see cref="K"/> best classes,
/// highest first, ties broken by lower class index. Labels, when given, name the classes.
/// </summary>
public sealed unsafe class ClassificationTask : VisionTask
{
    /// <summary>Most classes topk.comp holds in shared memory.</summary>
    public const int MaxClasses = 2048;
    /// <summary>Largest k.</summary>
    public const int MaxK = 16;

    private readonly Session _session;
    private readonly PostprocessProgram _program;
    private readonly Kernel _kernel;
    private readonly DescriptorSet _set;
    private readonly BufferSlice _result;
    private readonly Push _push;
    private readonly string[]? _labels;
    private readonly string[] _drawText;
    private bool _disposed;

    public override Session Session => _session;
    public override PreprocessOptions Input { get; }
    public override string Name { get; }
    /// <summary>Number of classes (length of the output vector).</summary>
    public int Classes { get; }
    /// <summary>Entries in the top-k.</summary>
    public int K { get; }
    /// <summary>Whether softmax is applied to the output (false: it already holds probabilities or scores).</summary>
    public bool ApplySoftmax { get; }

    /// <summary>
    /// Loads an ONNX classifier. <paramref name="input"/> defaults to ImageNet's: 224×224 centre crop, mean
    /// {0.485, 0.456, 0.406}, std {0.229, 0.224, 0.225}, NCHW; the model's input must have the shape it implies.
    /// </summary>
    public static ClassificationTask FromOnnx(VulkanContext context, string modelPath, PreprocessOptions? input = null, int k = 5, bool softmax = true,
                                              IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Classifier model '{modelPath}' does not exist.", modelPath);
        var net = OnnxImporter.Load(modelPath);
        return new ClassificationTask(context, net, input ?? ImageNet(224), k, softmax, labels, Path.GetFileNameWithoutExtension(modelPath), modelPath);
    }

    /// <summary>ImageNet pre-processing at <paramref name="size"/>×<paramref name="size"/> (centre crop, NCHW).</summary>
    public static PreprocessOptions ImageNet(int size) => new()
    {
        Width = size, Height = size, Resize = ResizeMode.CenterCrop, Layout = TensorLayout.Nchw, Scale = 1f / 255f,
        Mean = new[] { 0.485f, 0.456f, 0.406f }, Std = new[] { 0.229f, 0.224f, 0.225f },
    };

    /// <summary>Wraps a network (built with <see cref="NetworkBuilder"/> or imported) whose output 0 is the class vector.</summary>
    public ClassificationTask(VulkanContext context, Network network, PreprocessOptions input, int k = 5, bool softmax = true,
                              IReadOnlyList<string>? labels = null, string name = "classifier")
        : this(context, network, input, k, softmax, labels, name, null) { }

    private ClassificationTask(VulkanContext context, Network net, PreprocessOptions input, int k, bool softmax, IReadOnlyList<string>? labels,
                               string name, string? file)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(input);
        string what = file != null ? $"'{file}'" : $"network '{name}'";
        var inShape = net.Nodes[net.InputIds[0]].OutputShape.Dhw();
        var want = input.Layout == TensorLayout.Nchw ? new Shape(3, input.Height, input.Width) : new Shape(input.Height, input.Width, 3);
        if (net.InputIds.Count != 1 || inShape != want)
            throw new ArgumentException($"{what} does not fit the pre-processing: it needs one image input of {want} (W×H×D, {input.Layout} {input.Width}x{input.Height}); " +
                                        $"it has {net.InputIds.Count} input(s), the first {inShape}.");
        var outShape = net.Nodes[net.OutputIds[0]].OutputShape.Dhw();
        int dims = (outShape.C > 1 ? 1 : 0) + (outShape.H > 1 ? 1 : 0) + (outShape.W > 1 ? 1 : 0);
        if (dims > 1 || outShape.Size > MaxClasses)
            throw new ArgumentException($"{what} is not a classifier: its output 0 is {outShape} (W×H×D); a vector of at most {MaxClasses} class scores is needed.");
        if (k < 1 || k > MaxK || k > outShape.Size)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie in 1..{Math.Min(MaxK, outShape.Size)} ({outShape.Size} classes, at most {MaxK}).");
        if (labels != null && labels.Count != outShape.Size)
            throw new ArgumentException($"{labels.Count} labels given for {what}'s {outShape.Size} classes.", nameof(labels));
        Classes = (int)outShape.Size;
        K = k;
        ApplySoftmax = softmax;
        Name = name;
        Input = input;
        _labels = labels?.ToArray();
        _drawText = Enumerable.Range(0, Classes).Select(i => (_labels?[i] ?? $"CLASS {i}").ToUpperInvariant()).ToArray();
        _session = new Session(context, net);
        try
        {
            _program = new PostprocessProgram(context, 1, 2);
            _result = _program.Host.Allocate(16UL + 8UL * MaxK, "top-k");
            new Span<byte>(_result.Mapped, 16).Clear();
            _kernel = context.Pipelines.Get("topk", 2, (uint)sizeof(Push), ReadOnlySpan<int>.Empty);
            _set = _program.Bind(_kernel, _session.OutputBuffer(0).Sub(0, (ulong)Classes * 4), _result);
            _push = new Push { N = Classes, K = k, Softmax = softmax ? 1 : 0 };
        }
        catch
        {
            _program?.Dispose();
            _session.Dispose();
            throw;
        }
    }

    /// <summary>Runs the model on the input already in <see cref="Session"/>, then softmax and top-k.</summary>
    public VisionResult Run(long frameNumber = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return RunOnSession(null, frameNumber);
    }

    internal override void RecordPostprocess(CommandBuffer cmd)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _program.BeginBarrier(cmd);
        _program.Dispatch(cmd, _kernel, _set, _push, 1);
        _program.EndBarrier(cmd);
    }

    internal override VisionResult ReadResult(long frameNumber, FrameTransform transform)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        uint* w = (uint*)_result.Mapped;
        int n = (int)Math.Min(w[0], (uint)K);
        var top = new List<Classification>(n);
        for (int i = 0; i < n; i++)
        {
            uint id = w[4 + 2 * i];
            if (id >= (uint)Classes) break;   // only NaN scores were left
            top.Add(new Classification((int)id, BitConverter.UInt32BitsToSingle(w[5 + 2 * i]), _labels?[id]));
        }
        return new VisionResult { FrameNumber = frameNumber, TopK = top };
    }

    /// <summary>
    /// How many of the top-k <see cref="Draw"/> labels: 1 (default) the best class's name alone; more: one line per
    /// entry, best first, each with its score ("CAT 0.87").
    /// </summary>
    public int DrawCount { get; init; } = 1;

    /// <summary>Labels the best class (or the best <see cref="DrawCount"/>) in the top-left corner.</summary>
    public override void Draw(VisionResult result, OverlayScene scene)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(scene);
        if (result.TopK.Count == 0) return;
        if (DrawCount <= 1)
        {
            scene.Labels.Add(new OverlayLabel(4, 4, _drawText[result.TopK[0].ClassId], Colors.Black, Colors.White, 2));
            return;
        }
        for (int i = 0, n = Math.Min(DrawCount, result.TopK.Count); i < n; i++)
        {
            var c = result.TopK[i];
            string text = $"{_drawText[c.ClassId]} {c.Score.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}";
            scene.Labels.Add(new OverlayLabel(4, 4 + i * OverlayLabel.Size(text.Length, 2).Height, text, Colors.Black, Colors.White, 2));
        }
    }

    /// <summary>Mirror of shaders/topk.comp's push constants.</summary>
    [PushConstants("topk")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push
    {
        public int N, K, Softmax;
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        _program.Dispose();
        _session.Dispose();
    }
}
