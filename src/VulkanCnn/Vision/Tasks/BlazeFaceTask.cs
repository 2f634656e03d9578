// BlazeFace as a vision task: the model, its [−1, 1] NHWC letterbox pre-processing, and decoding + weighted NMS on
// the GPU (shaders/blazeface_decode.comp, shaders/nms.comp) into a small host-visible result.
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Onnx;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>
/// Face detection with MediaPipe's BlazeFace (front 128 or back 256). Post-processing on the GPU: sigmoid, threshold,
/// box and keypoint decoding of the 896 anchors, compaction, and weighted NMS in one workgroup; at most
/// <see cref="MaxFaces"/> faces (the best ones) come back. Results are <see cref="Detection"/>s in frame pixels with
/// six keypoints (order of <see cref="FaceDetection"/>).
/// </summary>
public sealed class BlazeFaceTask : VisionTask
{
    private readonly Session _session;
    private readonly BlazeFaceGpuDecoder _decoder;
    private bool _disposed;

    /// <summary>Most faces a frame returns (the best ones by score, in the order of the unbounded NMS).</summary>
    public const int MaxFaces = BlazeFaceGpuDecoder.MaxFaces;

    public BlazeFaceModel Kind { get; }
    public float MinScore { get; }
    public float IouThreshold { get; }
    public override Session Session => _session;
    public override PreprocessOptions Input { get; }
    public override string Name => Kind == BlazeFaceModel.Front ? "blazeface" : "blazeface-back";

    /// <summary>Colour of boxes, keypoints and labels in <see cref="Draw"/>.</summary>
    public Rgba Color { get; init; } = new(0, 255, 0);

    /// <summary>
    /// Loads a BlazeFace ONNX model (MediaPipe's export: NHWC input [1,S,S,3], four outputs) and compiles it.
    /// <paramref name="minScore"/> defaults to MediaPipe's (0.75 front, 0.65 back); <paramref name="iou"/> to 0.3.
    /// </summary>
    public BlazeFaceTask(VulkanContext context, string modelPath, BlazeFaceModel kind, float? minScore = null, float iou = BlazeFaceDecoder.DefaultIou,
                         SessionOptions? sessionOptions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(modelPath);
        Kind = kind;
        int size = BlazeFaceDecoder.InputSize(kind);
        MinScore = minScore ?? BlazeFaceDecoder.DefaultMinScore(kind);
        IouThreshold = iou;
        if (!(MinScore is >= 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(minScore), MinScore, "The minimum score is a probability, 0..1.");
        if (!(iou is > 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(iou), iou, "The IoU threshold must lie in (0, 1].");
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"BlazeFace model '{modelPath}' does not exist.", modelPath);
        var net = OnnxImporter.Load(modelPath);
        var inShape = net.Nodes[net.InputIds[0]].OutputShape.Dhw();
        if (net.InputIds.Count != 1 || inShape != new Shape(size, size, 3))
            throw new ArgumentException($"'{modelPath}' is not a BlazeFace {kind} model: it needs one NHWC input [1,{size},{size},3], " +
                                        $"got {net.InputIds.Count} input(s), the first of shape {inShape} (W×H×D).");
        var layout = BlazeFaceGpuDecoder.OutputLayout(net, modelPath, kind);
        Input = new PreprocessOptions
        {
            Width = size, Height = size, Resize = ResizeMode.Letterbox, Layout = TensorLayout.Nhwc,
            Scale = 1f / 127.5f, Mean = new[] { 1f, 1f, 1f }, Std = new[] { 1f, 1f, 1f }, PadValue = -1f,   // black bars, as MediaPipe
        };
        _session = new Session(context, net, sessionOptions);
        try
        {
            _decoder = new BlazeFaceGpuDecoder(context, kind, MinScore, iou,
                _session.OutputBuffer(layout.RegFine), _session.OutputBuffer(layout.RegCoarse),
                _session.OutputBuffer(layout.ScoreFine), _session.OutputBuffer(layout.ScoreCoarse), layout.FineCount);
        }
        catch
        {
            _decoder?.Dispose();
            _session.Dispose();
            throw;
        }
    }

    /// <summary>Candidates (anchors above the score threshold) of the last completed post-processing.</summary>
    public int LastCandidateCount => _decoder.CandidateCount;

    /// <summary>
    /// The faces on the GPU, for a host that draws or tracks them in its own shaders without a CPU round trip: a
    /// host-visible storage buffer range written by the task's post-processing. Layout (std430, 4-byte words): uint
    /// count (faces, at most <see cref="MaxFaces"/>), uint candidates, two unused words, then <see cref="MaxFaces"/>
    /// records of <see cref="GpuFaceFloats"/> floats, best first: score, x0, y0, x1, y1, then the six keypoints (x, y),
    /// all as fractions of the model input (multiply by the input size and map through the pipeline's letterbox
    /// transform, or compare with <see cref="VisionResult.Detections"/>). It holds the result of the last completed
    /// inference from the moment <see cref="FramePipeline.Latest"/> (or <c>Run</c>) reports it until the next inference
    /// of this task is submitted; host work reading it must be submitted in that window (on VulkanCnn's queue it is then
    /// ordered by submission order; add a barrier for SHADER_READ on your side).
    /// </summary>
    public GpuBufferRange GpuFaces => _decoder.ResultRange;

    /// <summary>Floats per face record in <see cref="GpuFaces"/>: score, box corners, six keypoints.</summary>
    public const int GpuFaceFloats = 1 + BlazeFaceDecoder.RegressorLength;

    /// <summary>
    /// Runs the model on the input already set in <see cref="Session"/> (for instance with <see cref="Graph.Session.SetInput(ReadOnlySpan{float}, int)"/>)
    /// and the GPU post-processing; <paramref name="transform"/> maps model-input pixels to the frame (identity when null).
    /// </summary>
    public VisionResult Run(FrameTransform? transform = null, long frameNumber = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return RunOnSession(transform, frameNumber);
    }

    internal override void RecordPostprocess(CommandBuffer cmd) => _decoder.Record(cmd);

    internal override VisionResult ReadResult(long frameNumber, FrameTransform transform)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        float size = BlazeFaceDecoder.InputSize(Kind);
        var faces = _decoder.Read(p => transform.ToFrame(p.X * size, p.Y * size));
        var dets = new Detection[faces.Count];
        for (int i = 0; i < dets.Length; i++) dets[i] = new Detection(faces[i].Box, faces[i].Score, 0, "face", faces[i].Keypoints);
        return new VisionResult { FrameNumber = frameNumber, Detections = dets };
    }

    /// <summary>Faces of the last completed run in the C# decoder's record type, mapped through <paramref name="toFrame"/>.</summary>
    internal List<FaceDetection> ReadFaces(Func<(float X, float Y), (float X, float Y)>? toFrame) => _decoder.Read(toFrame);

    // "FACE 0.00" … "FACE 1.00", made once: drawing allocates no strings per frame.
    private static readonly string[] Labels = Enumerable.Range(0, 101).Select(i => $"FACE {i / 100.0:0.00}").ToArray();

    public override void Draw(VisionResult result, OverlayScene scene)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(scene);
        foreach (var d in result.Detections)
        {
            scene.Boxes.Add(new OverlayBox(d.Box, Color));
            foreach (var (x, y) in d.Keypoints) scene.Points.Add(new OverlayPoint(x, y, Color));
            var text = Labels[Math.Clamp((int)MathF.Round(d.Score * 100), 0, 100)];
            float ly = d.Box.Y - OverlayLabel.Size(text.Length, 1).Height;
            scene.Labels.Add(new OverlayLabel(d.Box.X, ly < 0 ? d.Box.Y : ly, text, Colors.Black, Color));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        _decoder.Dispose();
        _session.Dispose();
    }
}

/// <summary>
/// BlazeFace's GPU decoding and weighted NMS bound to four buffers (the model's outputs, or any buffers with their
/// layout: tests feed synthetic ones). Result in model-input fractions.
/// </summary>
internal sealed unsafe class BlazeFaceGpuDecoder : IDisposable
{
    public const int MaxFaces = 64;
    private const int RecordFloats = 1 + BlazeFaceDecoder.RegressorLength;   // score, box corners, 12 keypoint coordinates
    private const int NmsCapacity = 1024;                                      // nms.comp's MAXC: ≥ 896 anchors, none dropped

    private readonly PostprocessProgram _program;
    private readonly Kernel _decode, _nms;
    private readonly DescriptorSet _decodeSet, _nmsSet;
    private readonly BufferSlice _records, _list, _result;
    private readonly DecodePush _decodePush;
    private readonly NmsPush _nmsPush;
    private readonly BlazeFaceModel _kind;
    private bool _disposed;

    public BlazeFaceGpuDecoder(VulkanContext ctx, BlazeFaceModel kind, float minScore, float iou,
                               BufferSlice regFine, BufferSlice regCoarse, BufferSlice scoreFine, BufferSlice scoreCoarse, int fineCount)
    {
        _kind = kind;
        int coarseCount = BlazeFaceDecoder.AnchorCount - fineCount;
        if (fineCount != 512 || regFine.Size < 512UL * 16 * 4 || regCoarse.Size < 384UL * 16 * 4 || scoreFine.Size < 512UL * 4 || scoreCoarse.Size < 384UL * 4)
            throw new ArgumentException($"BlazeFace outputs must hold 512 + 384 anchors (16 regressors and 1 score each); got {fineCount} + {coarseCount} anchors, " +
                                        $"buffers of {regFine.Size}, {regCoarse.Size}, {scoreFine.Size} and {scoreCoarse.Size} bytes.");
        _program = new PostprocessProgram(ctx, 2, 6);
        try
        {
            _records = _program.Scratch.Allocate((ulong)BlazeFaceDecoder.AnchorCount * RecordFloats * 4, "BlazeFace decoded anchors");
            _list = _program.Scratch.Allocate((1UL + BlazeFaceDecoder.AnchorCount) * 4, "BlazeFace candidate list");
            _result = _program.Host.Allocate((4UL + (ulong)MaxFaces * RecordFloats) * 4, "BlazeFace faces");
            _decode = ctx.Pipelines.Get("blazeface_decode", 6, (uint)sizeof(DecodePush), ReadOnlySpan<int>.Empty);
            _nms = ctx.Pipelines.Get("nms", 3, (uint)sizeof(NmsPush), new[] { BlazeFaceDecoder.RegressorLength });
            // Whole outputs are bound: the network's slices may be rounded up to 16 bytes.
            _decodeSet = _program.Bind(_decode, regFine, regCoarse, scoreFine, scoreCoarse, _records, _list);
            _nmsSet = _program.Bind(_nms, _records, _list, _result);
            int size = BlazeFaceDecoder.InputSize(kind);
            _decodePush = new DecodePush
            {
                FineCount = fineCount, CoarseCount = coarseCount, FineGrid = 16, FinePerCell = 2, CoarseGrid = 8, CoarsePerCell = 6,
                InputSize = size, MinScore = minScore,
            };
            _nmsPush = new NmsPush { MaxOut = MaxFaces, Iou = iou };
            // Nothing was computed yet: reading before the first run gives no faces.
            new Span<byte>(_result.Mapped, 16).Clear();
        }
        catch
        {
            _program.Dispose();
            throw;
        }
    }

    /// <summary>Candidates of the last completed run (anchors whose score passed the threshold).</summary>
    public int CandidateCount => (int)((uint*)_result.Mapped)[1];

    /// <summary>The result buffer: count, candidates, 2 unused words, then <see cref="MaxFaces"/> records.</summary>
    public GpuBufferRange ResultRange => new(_result.Buffer, _result.Offset, _result.Size);

    public void Record(CommandBuffer cmd)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _program.BeginBarrier(cmd);
        _program.Fill(cmd, _list.Sub(0, 4), 0);
        _program.AfterFill(cmd);
        _program.DispatchFlat(cmd, _decode, _decodeSet, _decodePush, BlazeFaceDecoder.AnchorCount, 64);
        _program.ComputeToCompute(cmd);
        _program.Dispatch(cmd, _nms, _nmsSet, _nmsPush, 1);
        _program.EndBarrier(cmd);
    }

    /// <summary>The faces of the last completed run, best first, mapped through <paramref name="toFrame"/> (fractions when null).</summary>
    public List<FaceDetection> Read(Func<(float X, float Y), (float X, float Y)>? toFrame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        uint* head = (uint*)_result.Mapped;
        int n = (int)Math.Min(head[0], (uint)MaxFaces);
        float* f = (float*)(head + 4);
        var faces = new List<FaceDetection>(n);
        for (int i = 0; i < n; i++, f += RecordFloats)
        {
            var (x0, y0) = (f[1], f[2]);
            var (x1, y1) = (f[3], f[4]);
            if (toFrame != null) { (x0, y0) = toFrame((x0, y0)); (x1, y1) = toFrame((x1, y1)); }
            var kp = new (float X, float Y)[BlazeFaceDecoder.KeypointCount];
            for (int k = 0; k < kp.Length; k++)
            {
                kp[k] = (f[5 + 2 * k], f[6 + 2 * k]);
                if (toFrame != null) kp[k] = toFrame(kp[k]);
            }
            faces.Add(new FaceDetection(new Box(x0, y0, x1 - x0, y1 - y0), f[0], kp));
        }
        return faces;
    }

    /// <summary>
    /// Which network outputs hold the regressors and scores of the fine (512) and coarse (384) grids: outputs
    /// [1, anchors, 16] and [1, anchors, 1] become shapes (anchors, 16, 1) and (anchors, 1, 1).
    /// </summary>
    public static (int RegFine, int RegCoarse, int ScoreFine, int ScoreCoarse, int FineCount) OutputLayout(Network net, string modelPath, BlazeFaceModel kind)
    {
        var outs = net.OutputIds.Select((id, i) => (i, Shape: net.Nodes[id].OutputShape.Dhw())).ToArray();
        string Describe() => string.Join(", ", outs.Select(o => $"{net.Nodes[net.OutputIds[o.i]].Name} {o.Shape}"));
        int[] Pick(int per)
        {
            var parts = outs.Where(o => o.Shape.H == per && o.Shape.W == 1).OrderByDescending(o => o.Shape.C).ToArray();
            if (parts.Length != 2 || parts[0].Shape.C != 512 || parts[1].Shape.C != 384)
                throw new ArgumentException($"'{modelPath}' is not a BlazeFace {kind} model: its outputs ({Describe()}) are not " +
                                            $"512 + 384 anchors × {per} value(s) (D×H×W shapes (512, {per}, 1) and (384, {per}, 1)).");
            return new[] { parts[0].i, parts[1].i };
        }
        var reg = Pick(BlazeFaceDecoder.RegressorLength);
        var score = Pick(1);
        return (reg[0], reg[1], score[0], score[1], 512);
    }

    /// <summary>Mirror of shaders/blazeface_decode.comp's push constants.</summary>
    [PushConstants("blazeface_decode")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct DecodePush
    {
        public int FineCount, CoarseCount, FineGrid, FinePerCell, CoarseGrid, CoarsePerCell;
        public float InputSize, MinScore;
    }

    /// <summary>Mirror of shaders/nms.comp's push constants.</summary>
    [PushConstants("nms")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct NmsPush
    {
        public int MaxOut;
        public float Iou;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _program.Dispose();
    }
}
