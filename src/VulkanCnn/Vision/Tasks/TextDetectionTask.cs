// PP-OCR text detection (DBNet) as a vision task: ImageNet-normalised letterbox input, the probability map thresholded
// into a byte mask on the GPU (shaders/text_mask.comp); 8-connected regions labelled on the CPU, or optionally on the GPU
// (shaders/text_regions.comp); boxes filtered, unclipped and mapped on the CPU.
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Onnx;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>Thresholds of <see cref="TextDetectionTask"/>; the defaults are PaddleOCR's DB post-processing defaults.</summary>
public sealed record TextDetectionOptions
{
    /// <summary>Pixels whose text probability is at least this are text (PaddleOCR det_db_thresh 0.3).</summary>
    public float MaskThreshold { get; init; } = 0.3f;
    /// <summary>A region is a text box when its mean probability is at least this (PaddleOCR det_db_box_thresh 0.6).</summary>
    public float BoxThreshold { get; init; } = 0.6f;
    /// <summary>
    /// DB predicts shrunk text kernels; a box grows by area · ratio / perimeter on each side (PaddleOCR
    /// det_db_unclip_ratio 1.5).
    /// </summary>
    public float UnclipRatio { get; init; } = 1.5f;
    /// <summary>Regions with fewer mask pixels (model resolution) are dropped.</summary>
    public int MinArea { get; init; } = 10;
    /// <summary>Regions whose box is narrower or lower than this (model pixels) are dropped (PaddleOCR min_size 3).</summary>
    public int MinSide { get; init; } = 3;
    /// <summary>Most boxes per frame (the largest regions first when there are more; PaddleOCR max_candidates 1000).</summary>
    public int MaxBoxes { get; init; } = 1000;
    /// <summary>
    /// Label the regions on the GPU (union-find in five passes, statistics by atomics) instead of on the CPU over the
    /// read-back mask. Same boxes (tested); off by default because on the software devices measured it is far slower
    /// (480×320: 59 ms on SwiftShader and 6 ms on lavapipe, against 0.5 ms of CPU labelling); untried on real GPUs.
    /// </summary>
    public bool GpuLabelling { get; init; }
}

/// <summary>
/// Finds text with a PP-OCR detection model (DBNet, e.g. ch_PP-OCRv4_det_infer.onnx): NCHW RGB input normalised with
/// ImageNet's mean and std, whose sides are multiples of 32; output a text probability map at input resolution.
/// GPU: thresholding into a host-visible byte mask and a copy of the map. CPU: 8-connected labelling of the mask at model
/// resolution (or, with <see cref="TextDetectionOptions.GpuLabelling"/>, on the GPU), per region an axis-aligned box,
/// its mean probability, area filters and DB's unclip expansion, mapped to frame pixels. The result carries the map as a threshold-mode <see cref="OverlayMask"/>.
/// </summary>
public sealed unsafe class TextDetectionTask : VisionTask
{
    private readonly Session _session;
    private readonly PostprocessProgram _program;
    private readonly Kernel _kernel;
    private readonly Kernel[] _regionKernels = new Kernel[5];
    private readonly DescriptorSet _set, _regionSet;
    private readonly BufferSlice _probOut, _prob, _mask, _regions;
    private readonly int _w, _h, _capacity;
    // Reused every frame: region order, and the C# labelling's scratch (FindBoxes, the reference).
    private readonly uint[]? _roots;
    private readonly int[]? _slots;
    private int[]? _labels, _stack;
    private bool _disposed;

    public TextDetectionOptions Options { get; }
    public override Session Session => _session;
    public override PreprocessOptions Input { get; }
    public override string Name => "ppocr-det";

    /// <summary>Colour of boxes and mask in <see cref="Draw"/>.</summary>
    public Rgba Color { get; init; } = new(255, 160, 0);

    /// <summary>
    /// Loads a PP-OCR detection model and compiles it for a <paramref name="width"/>×<paramref name="height"/> input
    /// (multiples of 32; frames are letterboxed into it).
    /// </summary>
    public TextDetectionTask(VulkanContext context, string modelPath, int width = 480, int height = 320, TextDetectionOptions? options = null,
                             SessionOptions? sessionOptions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(modelPath);
        Options = options ?? new TextDetectionOptions();
        if (width <= 0 || height <= 0 || width % 32 != 0 || height % 32 != 0)
            throw new ArgumentException($"A DBNet text detector's input sides must be positive multiples of 32 (the network downsamples 32×); got {width}x{height}.");
        var o = Options;
        if (!(o.MaskThreshold is > 0f and < 1f) || !(o.BoxThreshold is >= 0f and <= 1f) || !(o.UnclipRatio >= 0f) || o.MinArea < 1 || o.MinSide < 1 || o.MaxBoxes < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"Text detection options out of range: {o} (thresholds in (0, 1), unclip ≥ 0, areas and counts ≥ 1).");
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Text detection model '{modelPath}' does not exist.", modelPath);
        var model = OnnxModel.Load(modelPath);
        if (model.InputNames.Count != 1)
            throw new ArgumentException($"'{modelPath}' is not a PP-OCR detection model: it has {model.InputNames.Count} inputs, one NCHW image input is needed.");
        OnnxImport import;
        try { import = OnnxImporter.Import(model, new Dictionary<string, int[]> { [model.InputNames[0]] = new[] { 1, 3, height, width } }); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw new ArgumentException($"'{modelPath}' is not a PP-OCR detection model usable at 1×3×{height}×{width}: {e.Message}", e);
        }
        var net = import.Network;
        var outShape = net.Nodes[net.OutputIds[0]].OutputShape.Dhw();
        if (net.OutputIds.Count != 1 || outShape != new Shape(1, height, width))
            throw new ArgumentException($"'{modelPath}' is not a PP-OCR detection model: at input 1×3×{height}×{width} it must give one probability map " +
                                        $"(1, {height}, {width}) (D×H×W); it gives {net.OutputIds.Count} output(s), the first {outShape}.");
        _w = width;
        _h = height;
        Input = new PreprocessOptions
        {
            Width = width, Height = height, Resize = ResizeMode.Letterbox, Layout = TensorLayout.Nchw, Scale = 1f / 255f,
            Mean = new[] { 0.485f, 0.456f, 0.406f }, Std = new[] { 0.229f, 0.224f, 0.225f }, PadValue = 0f,
        };
        if (o.GpuLabelling)
        {
            _capacity = width * height / 4 + 1;   // more regions than an 8-connected labelling of W×H can have
            _roots = new uint[_capacity];
            _slots = new int[_capacity];
        }
        _session = new Session(context, net, sessionOptions);
        try
        {
            _program = new PostprocessProgram(context, 2, 4);
            _probOut = _session.OutputBuffer(0);
            ulong pixels = (ulong)width * (ulong)height;
            _prob = _program.Host.Allocate(pixels * 4, "text probability map");
            _mask = _program.Host.Allocate(pixels, "text mask");
            new Span<byte>(_mask.Mapped, (int)pixels).Clear();
            new Span<byte>(_prob.Mapped, (int)pixels * 4).Clear();
            _kernel = context.Pipelines.Get("text_mask", 2, (uint)sizeof(Push), ReadOnlySpan<int>.Empty);
            _set = _program.Bind(_kernel, _probOut.Sub(0, pixels * 4), _mask);
            if (o.GpuLabelling)
            {
                var labels = _program.Scratch.Allocate(pixels * 4, "text labels");
                var stats = _program.Scratch.Allocate(pixels * 24, "text region statistics");
                _regions = _program.Host.Allocate(16UL + 28UL * (ulong)_capacity, "text regions");
                new Span<byte>(_regions.Mapped, 16).Clear();
                for (int m = 0; m < 5; m++)
                    _regionKernels[m] = context.Pipelines.Get("text_regions", 4, (uint)sizeof(RegionsPush), new[] { m });
                // The five modes share one pipeline layout: one set serves them all.
                _regionSet = _program.Bind(_regionKernels[0], _probOut.Sub(0, pixels * 4), labels, stats, _regions);
            }
        }
        catch
        {
            _program?.Dispose();
            _session.Dispose();
            throw;
        }
    }

    /// <summary>Time of the CPU part (labelling and boxes) of the last <see cref="ReadResult"/>, in ms.</summary>
    public double LastLabellingMilliseconds { get; private set; }

    /// <summary>Model input width and height (the mask's size).</summary>
    public (int Width, int Height) MapSize => (_w, _h);

    /// <summary>Runs the model on the input already in <see cref="Session"/>, then the post-processing.</summary>
    public VisionResult Run(FrameTransform? transform = null, long frameNumber = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return RunOnSession(transform, frameNumber);
    }

    /// <summary>The last completed mask, one byte per model pixel (1 text, 0 not), row-major.</summary>
    public ReadOnlySpan<byte> Mask => new(_mask.Mapped, _w * _h);

    /// <summary>The last completed probability map, row-major at model resolution.</summary>
    public ReadOnlySpan<float> Probabilities => new(_prob.Mapped, _w * _h);

    internal override void RecordPostprocess(CommandBuffer cmd)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _program.BeginBarrier(cmd);
        var push = new Push { Words = _w * _h / 4, Threshold = Options.MaskThreshold };
        _program.DispatchFlat(cmd, _kernel, _set, push, push.Words, 64);
        _program.Copy(cmd, _probOut, _prob, (ulong)_w * (ulong)_h * 4);
        if (!Options.GpuLabelling)
        {
            _program.EndBarrier(cmd);
            return;
        }
        _program.Fill(cmd, _regions.Sub(0, 4), 0);
        _program.AfterFill(cmd);
        var regions = new RegionsPush { Width = _w, Height = _h, Threshold = Options.MaskThreshold, Capacity = _capacity };
        for (int m = 0; m < 5; m++)
        {
            if (m > 0) _program.ComputeToCompute(cmd);
            _program.DispatchFlat(cmd, _regionKernels[m], _regionSet, regions, (long)_w * _h, 64);
        }
        _program.EndBarrier(cmd);
    }

    internal override VisionResult ReadResult(long frameNumber, FrameTransform transform)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var boxes = Options.GpuLabelling ? ReadBoxes(transform) : FindBoxes(Mask, Probabilities, transform);
        LastLabellingMilliseconds = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        // The map is copied: the result outlives the next frame's post-processing.
        var map = Probabilities.ToArray();
        var mask = new OverlayMask(map, _w, _h, transform) { Threshold = Options.MaskThreshold, Color = Color, Alpha = 0.4f };
        return new VisionResult { FrameNumber = frameNumber, Detections = boxes, Mask = mask };
    }

    /// <summary>Regions found on the GPU by the last completed run: filtered, unclipped, mapped; in order of first pixel.</summary>
    private List<Detection> ReadBoxes(FrameTransform transform)
    {
        uint* head = (uint*)_regions.Mapped;
        int n = (int)Math.Min(head[0], (uint)_capacity);
        uint* r = head + 4;
        var roots = _roots!;
        var slots = _slots!;
        for (int i = 0; i < n; i++) { roots[i] = r[7 * i]; slots[i] = i; }
        // The list's order depends on scheduling; the root (a region's first pixel) gives the C# labelling's order.
        Array.Sort(roots, slots, 0, n);
        var found = new List<(int Area, Box Box, float Score)>();
        for (int j = 0; j < n; j++)
        {
            uint* g = r + 7 * slots[j];
            int area = (int)g[1];
            int x0 = (int)g[3], x1 = (int)g[4], y0 = (int)g[5], y1 = (int)g[6];
            float score = (float)(g[2] / 4096.0 / area);
            AddBox(found, area, x0, y0, x1, y1, score, transform);
        }
        return Finish(found);
    }

    private void AddBox(List<(int Area, Box Box, float Score)> found, int area, int x0, int y0, int x1, int y1, float score, FrameTransform transform)
    {
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        if (area < Options.MinArea || Math.Min(bw, bh) < Options.MinSide || score < Options.BoxThreshold) return;
        // DB's unclip: offset distance d = A·r / L of the (here axis-aligned) box.
        float d = bw * bh * Options.UnclipRatio / (2f * (bw + bh));
        var (fx0, fy0) = transform.ToFrame(x0 - d, y0 - d);
        var (fx1, fy1) = transform.ToFrame(x1 + 1 + d, y1 + 1 + d);
        found.Add((area, new Box(fx0, fy0, fx1 - fx0, fy1 - fy0), score));
    }

    private List<Detection> Finish(List<(int Area, Box Box, float Score)> found)
    {
        if (found.Count > Options.MaxBoxes)
            found = found.OrderByDescending(f => f.Area).Take(Options.MaxBoxes).ToList();
        return found.ConvertAll(f => new Detection(f.Box, f.Score, 0, "text", Array.Empty<(float, float)>()));
    }

    /// <summary>Regions in the GPU list of the last completed run (for tests and diagnosis).</summary>
    internal int LastRegionCount => Options.GpuLabelling ? (int)((uint*)_regions.Mapped)[0] : -1;

    /// <summary>
    /// Text boxes from a mask and map at model resolution: 8-connected regions, each with at least
    /// <see cref="TextDetectionOptions.MinArea"/> pixels, box sides of at least MinSide and mean probability of at least
    /// BoxThreshold, grown by the unclip distance and mapped to the frame through <paramref name="transform"/>.
    /// Largest regions first when there are more than MaxBoxes; otherwise in order of their first pixel (row-major).
    /// Flood fill with a stack, O(pixels), scratch allocated once; sums in double. Also the reference of the GPU labelling.
    /// </summary>
    internal List<Detection> FindBoxes(ReadOnlySpan<byte> mask, ReadOnlySpan<float> prob, FrameTransform transform)
    {
        int w = _w, h = _h;
        var labels = _labels ??= new int[w * h];
        _stack ??= new int[w * h];
        Array.Clear(labels);
        var found = new List<(int Area, Box Box, float Score)>();
        int next = 0;
        for (int start = 0; start < w * h; start++)
        {
            if (mask[start] == 0 || labels[start] != 0) continue;
            next++;
            // Flood fill from start with an explicit stack.
            int sp = 0;
            _stack[sp++] = start;
            labels[start] = next;
            int area = 0, x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
            double sum = 0;
            while (sp > 0)
            {
                int p = _stack[--sp];
                int px = p % w, py = p / w;
                area++;
                sum += prob[p];
                if (px < x0) x0 = px;
                if (px > x1) x1 = px;
                if (py < y0) y0 = py;
                if (py > y1) y1 = py;
                for (int dy = -1; dy <= 1; dy++)
                {
                    int ny = py + dy;
                    if ((uint)ny >= (uint)h) continue;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = px + dx;
                        if ((uint)nx >= (uint)w) continue;
                        int q = ny * w + nx;
                        if (mask[q] != 0 && labels[q] == 0)
                        {
                            labels[q] = next;
                            _stack[sp++] = q;
                        }
                    }
                }
            }
            AddBox(found, area, x0, y0, x1, y1, (float)(sum / area), transform);
        }
        return Finish(found);
    }

    public override void Draw(VisionResult result, OverlayScene scene)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(scene);
        if (result.Mask != null) scene.Mask = result.Mask;
        foreach (var d in result.Detections) scene.Boxes.Add(new OverlayBox(d.Box, Color));
    }

    /// <summary>Mirror of shaders/text_regions.comp's push constants.</summary>
    [PushConstants("text_regions")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct RegionsPush
    {
        public int Width, Height;
        public float Threshold;
        public int Capacity;
    }

    /// <summary>Mirror of shaders/text_mask.comp's push constants.</summary>
    [PushConstants("text_mask")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push
    {
        public int Words;
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
