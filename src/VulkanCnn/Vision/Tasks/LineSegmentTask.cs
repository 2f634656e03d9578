// M-LSD line segments as a vision task: the model (NHWC RGBA 0..255 input, a centre-score map and a displacement map at
// half resolution), decoded on the GPU (shaders/mlsd_decode.comp, shaders/mlsd_topk.comp) into the k best segments.
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Onnx;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>Thresholds of <see cref="LineSegmentTask"/>; the defaults are M-LSD's own (pred_lines).</summary>
public sealed record LineSegmentOptions
{
    /// <summary>Centre score a segment needs (strictly above; M-LSD's score_thr 0.1).</summary>
    public float MinScore { get; init; } = 0.1f;
    /// <summary>Minimum length in map cells (strictly above; M-LSD's dist_thr 20 on its 256 map of a 512 input).</summary>
    public float MinLength { get; init; } = 20f;
    /// <summary>Most segments per frame, the best by score (M-LSD's top-k 200); 1..1024.</summary>
    public int TopK { get; init; } = 200;
}

/// <summary>
/// Line segments with M-LSD (keijiro's ONNX exports, mlsd_320x320_tiny.onnx and friends). The model's outputs are a
/// centre-score map (already sigmoid and peak-masked) and, per map cell, four displacements (start dx, dy, end dx, dy), at
/// half the input resolution, NHWC.
/// GPU: 3×3 peak test, threshold, minimum length, compaction, then an exact top-k (histogram cut and bitonic sort in
/// one workgroup) written to a host-visible buffer. Segments come back in frame pixels, best first.
/// The input is RGBA 0..255 with alpha 1 (M-LSD's pred_lines appends a plane of ones; the model normalises inside):
/// <see cref="Input"/> asks <see cref="FramePreprocessor"/> for exactly that (4 channels, <see cref="PreprocessOptions.Alpha"/>
/// 1), so the task runs on the GPU pre-processing both standalone and inside a <see cref="FramePipeline"/>.
/// </summary>
public sealed unsafe class LineSegmentTask : VisionTask
{
    private readonly Session _session;
    private readonly PostprocessProgram _program;
    private readonly Kernel _decode, _topk;
    private readonly DescriptorSet _decodeSet, _topkSet;
    private readonly BufferSlice _list, _result;
    private readonly DecodePush _decodePush;
    private readonly TopKPush _topkPush;
    private readonly int _size, _mapW, _mapH;
    private bool _disposed;

    public LineSegmentOptions Options { get; }
    public override Session Session => _session;
    /// <summary>Size, stretch resize, 0..255 scale, NHWC, and alpha = 1 as a 4th channel.</summary>
    public override PreprocessOptions Input { get; }
    public override string Name => "mlsd";

    /// <summary>Colour of the segments in <see cref="Draw"/>.</summary>
    public Rgba Color { get; init; } = new(255, 0, 255);

    public LineSegmentTask(VulkanContext context, string modelPath, LineSegmentOptions? options = null, SessionOptions? sessionOptions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(modelPath);
        Options = options ?? new LineSegmentOptions();
        if (!(Options.MinScore is >= 0f and < 1f) || !(Options.MinLength >= 0f) || Options.TopK is < 1 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(options), $"Line segment options out of range: {Options} (score in [0, 1), length ≥ 0, top-k 1..1024).");
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"M-LSD model '{modelPath}' does not exist.", modelPath);
        var net = OnnxImporter.Load(modelPath);
        var inShape = net.Nodes[net.InputIds[0]].OutputShape.Dhw();
        // NHWC [1, S, S, 4] is (D, H, W) = (S, S, 4).
        if (net.InputIds.Count != 1 || inShape.W != 4 || inShape.C != inShape.H || inShape.C % 2 != 0)
            throw new ArgumentException($"'{modelPath}' is not an M-LSD model: it needs one NHWC RGBA input [1,S,S,4]; got {net.InputIds.Count} input(s), " +
                                        $"the first of shape {inShape} (D×H×W).");
        _size = inShape.C;
        int scoresIndex = -1, offsetsIndex = -1;
        for (int i = 0; i < net.OutputIds.Count; i++)
        {
            var s = net.Nodes[net.OutputIds[i]].OutputShape.Dhw();
            if (s == new Shape(_size / 2, _size / 2, 1)) scoresIndex = i;
            else if (s == new Shape(_size / 2, _size / 2, 4)) offsetsIndex = i;
        }
        if (net.OutputIds.Count != 2 || scoresIndex < 0 || offsetsIndex < 0)
            throw new ArgumentException($"'{modelPath}' is not an M-LSD model: at input {_size}×{_size} it needs a score map [1,{_size / 2},{_size / 2},1] and " +
                                        $"offsets [1,{_size / 2},{_size / 2},4] (NHWC; W×H×D 1x{_size / 2}x{_size / 2} and 4x{_size / 2}x{_size / 2}); its outputs are " +
                                        string.Join(", ", net.OutputIds.Select(id => $"{net.Nodes[id].Name} {net.Nodes[id].OutputShape}")) + ".");
        _mapW = _mapH = _size / 2;
        Input = new PreprocessOptions { Width = _size, Height = _size, Resize = ResizeMode.Stretch, Scale = 1f, Layout = TensorLayout.Nhwc, Channels = 4, Alpha = 1f };
        _session = new Session(context, net, sessionOptions);
        try
        {
            _program = new PostprocessProgram(context, 2, 4);
            int cells = _mapW * _mapH;
            var scores = _session.OutputBuffer(scoresIndex).Sub(0, (ulong)cells * 4);
            var offsets = _session.OutputBuffer(offsetsIndex).Sub(0, (ulong)cells * 16);
            _list = _program.Scratch.Allocate((1UL + (ulong)cells) * 4, "M-LSD candidates");
            _result = _program.Host.Allocate((4UL + 5UL * (ulong)Options.TopK) * 4, "M-LSD segments");
            new Span<byte>(_result.Mapped, 16).Clear();
            _decode = context.Pipelines.Get("mlsd_decode", 3, (uint)sizeof(DecodePush), ReadOnlySpan<int>.Empty);
            _topk = context.Pipelines.Get("mlsd_topk", 4, (uint)sizeof(TopKPush), ReadOnlySpan<int>.Empty);
            _decodeSet = _program.Bind(_decode, scores, offsets, _list);
            _topkSet = _program.Bind(_topk, scores, offsets, _list, _result);
            _decodePush = new DecodePush { Width = _mapW, Height = _mapH, Threshold = Options.MinScore, MinLength = Options.MinLength };
            _topkPush = new TopKPush { Width = _mapW, Height = _mapH, K = Options.TopK, Threshold = Options.MinScore };
        }
        catch
        {
            _program?.Dispose();
            _session.Dispose();
            throw;
        }
    }

    /// <summary>Model input side in pixels.</summary>
    public int InputSize => _size;
    /// <summary>Candidates (peaks above the score and length thresholds) of the last completed run.</summary>
    public int LastCandidateCount => (int)((uint*)_result.Mapped)[1];

    /// <summary>Runs the model on the input already in <see cref="Session"/>, then the post-processing.</summary>
    public VisionResult Run(FrameTransform? transform = null, long frameNumber = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return RunOnSession(transform, frameNumber);
    }

    internal override void RecordPostprocess(CommandBuffer cmd)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _program.BeginBarrier(cmd);
        _program.Fill(cmd, _list.Sub(0, 4), 0);
        _program.AfterFill(cmd);
        _program.DispatchFlat(cmd, _decode, _decodeSet, _decodePush, (long)_mapW * _mapH, 64);
        _program.ComputeToCompute(cmd);
        _program.Dispatch(cmd, _topk, _topkSet, _topkPush, 1);
        _program.EndBarrier(cmd);
    }

    /// <summary>Segments of the last completed run in map cells (M-LSD's convention), best first.</summary>
    internal LineSegment[] ReadCells()
    {
        uint* head = (uint*)_result.Mapped;
        int n = (int)Math.Min(head[0], (uint)Options.TopK);
        float* f = (float*)(head + 4);
        var r = new LineSegment[n];
        for (int i = 0; i < n; i++, f += 5) r[i] = new LineSegment(f[1], f[2], f[3], f[4], f[0]);
        return r;
    }

    internal override VisionResult ReadResult(long frameNumber, FrameTransform transform)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var cells = ReadCells();
        float s = (float)_size / _mapW;   // map cells → model-input pixels (M-LSD multiplies by 2)
        for (int i = 0; i < cells.Length; i++)
        {
            var c = cells[i];
            var (x0, y0) = transform.ToFrame(c.X0 * s, c.Y0 * s);
            var (x1, y1) = transform.ToFrame(c.X1 * s, c.Y1 * s);
            cells[i] = new LineSegment(x0, y0, x1, y1, c.Score);
        }
        return new VisionResult { FrameNumber = frameNumber, Segments = cells };
    }

    public override void Draw(VisionResult result, OverlayScene scene)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(scene);
        foreach (var s in result.Segments) scene.Segments.Add(new OverlaySegment(s.X0, s.Y0, s.X1, s.Y1, Color));
    }

    /// <summary>Mirror of shaders/mlsd_decode.comp's push constants.</summary>
    [PushConstants("mlsd_decode")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct DecodePush
    {
        public int Width, Height;
        public float Threshold, MinLength;
    }

    /// <summary>Mirror of shaders/mlsd_topk.comp's push constants.</summary>
    [PushConstants("mlsd_topk")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct TopKPush
    {
        public int Width, Height, K;
        public float Threshold;
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        _program.Dispose();
        _session.Dispose();
    }
}
