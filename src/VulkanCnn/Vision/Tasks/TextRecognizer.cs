// Text recognition, the second stage of OCR: the lines a detector found cropped and rectified into one batch
// (RegionCropper), read by a CTC recogniser (PP-OCRv4 rec) in one batched run of the session (dynamic batch), and
// decoded on the GPU (shaders/ctc_greedy.comp: best path, repeats merged, blanks dropped) into text through the
// model's dictionary.
using System.Diagnostics;
using System.Runtime.InteropServices;
using VulkanCnn.Graph;
using VulkanCnn.Onnx;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>One line of text read from a frame.</summary>
/// <param name="Text">The characters, in the dictionary's exact Unicode.</param>
/// <param name="Confidence">Mean probability of the characters kept (0 for an empty line).</param>
/// <param name="Region">The crop the line was read from: its map to frame pixels.</param>
public sealed record RecognizedText(string Text, float Confidence, CropRegion Region);

/// <summary>
/// Sizes of <see cref="TextRecognizer"/>: PP-OCRv4's recogniser takes height 48 and any width; lines are scaled to the
/// height keeping their aspect ratio (PaddleOCR's rule) and padded to one width, so the width bounds the longest line
/// that is read without squeezing (960: 20:1, a line of about 50 characters).
/// </summary>
public sealed record TextRecognizerOptions
{
    /// <summary>Lines read in one batch (more are read in several).</summary>
    public int MaxLines { get; init; } = 8;
    /// <summary>Crop height: the model's input height.</summary>
    public int Height { get; init; } = 48;
    /// <summary>Crop width: a line is scaled to <see cref="Height"/> keeping its aspect ratio, up to this, the rest padding.</summary>
    public int MaxWidth { get; init; } = 960;
    public SessionOptions? Session { get; init; }
}

/// <summary>
/// Reads text lines with a CTC recogniser whose output is [N, T, classes] of probabilities (class 0 the blank, class
/// k the dictionary's line k, and one more class for a space when the model has it: PP-OCRv4's
/// ch_PP-OCRv4_rec_infer.onnx with ppocr_keys_v1.txt). Input: RGB scaled to [−1, 1] (x / 127.5 − 1), padding 0.
/// </summary>
public sealed unsafe class TextRecognizer : IDisposable
{
    private readonly Session _session;
    private readonly RegionCropper _crops;
    private readonly ComputeProgram _decode;
    private readonly MemoryArena _host;
    private readonly BufferSlice _params, _result;
    private readonly string[] _classes;
    private readonly int _steps;
    private readonly CropRegion[] _batch;
    private readonly ExclusiveUse _use = new("TextRecognizer");
    private readonly VulkanContext _ctx;
    private readonly LinkedListNode<IDisposable>? _tracked;
    private bool _disposed;

    /// <param name="context">The context the recogniser's session, crops and decoding run on.</param>
    /// <param name="modelPath">A CTC text recogniser in ONNX (PP-OCRv4 rec): one input [N,3,H,W], one output [N,T,classes].</param>
    /// <param name="dictionaryPath">Its character dictionary, one entry a line (class i+1 is line i).</param>
    /// <param name="frameWidth">Width of the frames <see cref="Recognize(ReadOnlySpan{byte}, IReadOnlyList{Box})"/> reads (RGBA8).</param>
    /// <param name="frameHeight">Height of those frames.</param>
    /// <param name="options">Batch size, crop height and width, session options; null for the defaults.</param>
    public TextRecognizer(VulkanContext context, string modelPath, string dictionaryPath, int frameWidth, int frameHeight, TextRecognizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ThrowIfDisposed();
        _ctx = context;
        Options = options ?? new TextRecognizerOptions();
        var o = Options;
        if (o.MaxLines < 1 || o.MaxLines > 1024 || o.Height < 8 || o.MaxWidth < o.Height / 4)
            throw new ArgumentException($"TextRecognizerOptions: MaxLines {o.MaxLines} (1 to 1,024), Height {o.Height} (at least 8), MaxWidth {o.MaxWidth} (at least Height/4).", nameof(options));
        var model = OnnxModel.Load(modelPath);
        string input = model.InputNames.Count == 1 ? model.InputNames[0] : throw new ArgumentException($"{modelPath}: a text recogniser has one input; this model has {model.InputNames.Count}.");
        var import = OnnxImporter.Import(model, new Dictionary<string, int[]> { [input] = new[] { o.MaxLines, 3, o.Height, o.MaxWidth } });
        var dictionary = File.ReadAllLines(dictionaryPath);
        try
        {
            _session = new Session(context, import.Network, o.Session);
            var outShape = _session.OutputShape(0);
            if (outShape.Rank != 3 || outShape[0] != o.MaxLines)
                throw new ArgumentException($"{modelPath}: a CTC recogniser's output is [N, T, classes]; this one gives {outShape} for input [{o.MaxLines},3,{o.Height},{o.MaxWidth}].");
            _steps = outShape[1];
            int classes = outShape[2];
            // Class 0 is the blank, then the dictionary, then (PaddleOCR's use_space_char) a space.
            if (classes != dictionary.Length + 1 && classes != dictionary.Length + 2)
                throw new ArgumentException($"{modelPath} has {classes} classes; {dictionaryPath} has {dictionary.Length} entries, so {dictionary.Length + 1} (blank + dictionary) or {dictionary.Length + 2} (and a space) were expected.");
            _classes = new string[classes];
            _classes[0] = "";
            for (int i = 0; i < dictionary.Length; i++) _classes[i + 1] = dictionary[i];
            if (classes == dictionary.Length + 2) _classes[^1] = " ";

            _crops = new RegionCropper(_session, 0, frameWidth, frameHeight, PixelFormat.Rgba8, new PreprocessOptions
            {
                Width = o.MaxWidth, Height = o.Height, Scale = 1f / 127.5f, Mean = new[] { 1f, 1f, 1f }, Std = new[] { 1f, 1f, 1f }, PadValue = 0,
            });
            _host = new MemoryArena(context, MemoryUsage.Staging);
            _params = _host.Allocate(16, "ctc params");
            _result = _host.Allocate((ulong)o.MaxLines * (ulong)(_steps + 2) * 4, "ctc result");
            var kernel = context.Pipelines.Get("ctc_greedy", 3, (uint)Marshal.SizeOf<Push>(), ReadOnlySpan<int>.Empty);
            _decode = new ComputeProgram.Builder(context)
                .Dispatch(kernel, new[] { _session.OutputBuffer(0), _params, _result }, new Push { Steps = _steps, Classes = classes }, (uint)o.MaxLines).Build();
            _batch = new CropRegion[o.MaxLines];
            _tracked = context.Track(this);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TextRecognizerOptions Options { get; }
    /// <summary>The recogniser's session, compiled for batches up to <see cref="TextRecognizerOptions.MaxLines"/>.</summary>
    public Session Session => _session;
    /// <summary>Milliseconds of the last <c>Recognize</c>: crops, recogniser (GPU time), decoding, each summed over its batches.</summary>
    public (double Crop, double Recognise, double Decode) LastMilliseconds { get; private set; }

    /// <summary>Reads the text in each axis-aligned box (frame pixels) of an RGBA8 frame, one result per box, in the boxes' order.</summary>
    public IReadOnlyList<RecognizedText> Recognize(ReadOnlySpan<byte> rgba, IReadOnlyList<Box> boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        var lines = new CropRegion[boxes.Count];
        for (int i = 0; i < lines.Length; i++)
        {
            var b = boxes[i];
            lines[i] = CropRegion.TextLine((b.X, b.Y), (b.Right, b.Y), (b.X, b.Bottom), Options.Height, Options.MaxWidth);
        }
        return Recognize(rgba, lines);
    }

    /// <summary>Reads the text of each line region (see <see cref="CropRegion.TextLine"/>) of an RGBA8 frame, in order.</summary>
    public IReadOnlyList<RecognizedText> Recognize(ReadOnlySpan<byte> rgba, ReadOnlySpan<CropRegion> lines)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ctx.ThrowIfDisposed();
        using var use = _use.Enter();
        using var session = _session.Use.Enter();
        var results = new List<RecognizedText>(lines.Length);
        _crops.Upload(rgba);
        double crop = 0, rec = 0, decode = 0;
        var sb = new System.Text.StringBuilder();
        for (int first = 0; first < lines.Length; first += Options.MaxLines)
        {
            int n = Math.Min(Options.MaxLines, lines.Length - first);
            lines.Slice(first, n).CopyTo(_batch);
            var sw = Stopwatch.StartNew();
            _crops.SetRegions(_batch.AsSpan(0, n));
            _crops.Run();
            crop += sw.Elapsed.TotalMilliseconds;
            _session.Run(n);
            rec += _session.LastGpuMilliseconds;
            sw.Restart();
            *(uint*)_params.Mapped = (uint)n;
            _decode.Run();
            decode += sw.Elapsed.TotalMilliseconds;
            var words = new ReadOnlySpan<uint>(_result.Mapped, n * (_steps + 2));
            for (int i = 0; i < n; i++)
            {
                var line = words.Slice(i * (_steps + 2), _steps + 2);
                int kept = (int)Math.Min(line[0], (uint)_steps);
                sb.Clear();
                for (int k = 0; k < kept; k++) sb.Append(_classes[Math.Min((int)line[2 + k], _classes.Length - 1)]);
                float sum = BitConverter.UInt32BitsToSingle(line[1]);
                results.Add(new RecognizedText(sb.ToString(), kept > 0 ? sum / kept : 0f, _batch[i]));
            }
        }
        LastMilliseconds = (crop, rec, decode);
        return results;
    }

    /// <summary>Mirror of the push-constant block of shaders/ctc_greedy.comp.</summary>
    [PushConstants("ctc_greedy")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int Steps, Classes; }

    public void Dispose()
    {
        if (_disposed) return;
        using var use = _use.Enter();
        _disposed = true;
        _ctx?.Untrack(_tracked);
        _decode?.Dispose();
        _crops?.Dispose();
        _host?.Dispose();
        _session?.Dispose();
    }
}
