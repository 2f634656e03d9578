// A classical filter (Sobel strength by default) on the frame's luminance as a vision task: luminance by a 1×1
// convolution, the filter's depthwise convolution (and gradient layer) from ClassicalFilters, the map copied to the host
// and drawn as a threshold overlay.
using Silk.NET.Vulkan;
using VulkanCnn.Filters;
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>
/// Filters frames live: luminance Y = 0.299 R + 0.587 G + 0.114 B of the frame stretched to
/// <see cref="PreprocessOptions.Width"/>×<see cref="PreprocessOptions.Height"/> (pixel values 0..1), then
/// <see cref="Kind"/> (true convolution, replicate border). Everything runs on the GPU; post-processing copies the map to
/// host-visible memory, and the result's <see cref="VisionResult.Mask"/> shows where the map reaches
/// <see cref="Threshold"/>.
/// </summary>
public sealed class FilterTask : VisionTask
{
    private readonly Session _session;
    private readonly PostprocessProgram _program;
    private readonly BufferSlice _map, _host;
    private readonly int _w, _h;
    private bool _disposed;

    public FilterKind Kind { get; }
    /// <summary>Map values at or above this are drawn (default 0.5: a luminance step of about an eighth across 3 pixels for Sobel strength).</summary>
    public float Threshold { get; }
    public override Session Session => _session;
    public override PreprocessOptions Input { get; }
    public override string Name => "filter-" + ClassicalFilters.NameOf(Kind);
    /// <summary>Overlay colour.</summary>
    public Rgba Color { get; init; } = new(255, 255, 0);

    public FilterTask(VulkanContext context, int width, int height, FilterKind kind = FilterKind.SobelMagnitude, float threshold = 0.5f, FilterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (width <= 0 || height <= 0) throw new ArgumentException($"Filter size {width}x{height} must be positive.");
        if (!float.IsFinite(threshold)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be finite.");
        Kind = kind;
        Threshold = threshold;
        _w = width;
        _h = height;
        Input = new PreprocessOptions { Width = width, Height = height, Resize = ResizeMode.Stretch, Scale = 1f / 255f };
        var o = options ?? new FilterOptions();
        var masks = ClassicalFilters.Masks(kind, o);
        int fh = masks[0].Height, fw = masks[0].Width;
        var weights = masks.SelectMany(m => m.Mirrored().ToArray()).ToArray();   // Conv2d correlates: mirrored = convolution
        var b = new NetworkBuilder(Name);
        var conv = b.Input(3, height, width, "frame")
            .Conv(1, 1, new[] { 0.299f, 0.587f, 0.114f }, name: "luminance")
            .Then(new Conv2d
            {
                OutChannels = masks.Count, KernelH = fh, KernelW = fw, Weights = weights, PaddingMode = o.Border,
                PadTop = fh / 2, PadBottom = fh / 2, PadLeft = fw / 2, PadRight = fw / 2,
            }, "filter");
        var result = kind switch
        {
            FilterKind.SobelMagnitude => conv.Then(new Gradient(GradientMode.Magnitude), "strength"),
            FilterKind.SobelDirection => conv.Then(new Gradient(GradientMode.Direction), "direction"),
            _ => conv,
        };
        result.Output();
        _session = new Session(context, b.Build());
        try
        {
            _program = new PostprocessProgram(context, 1, 1);
            ulong bytes = (ulong)width * (ulong)height * 4;
            _map = _session.OutputBuffer(0);
            _host = _program.Host.Allocate(bytes, "filter map");
            unsafe { new Span<byte>(_host.Mapped, (int)bytes).Clear(); }   // read before the first run: an empty map
        }
        catch
        {
            _program?.Dispose();
            _session.Dispose();
            throw;
        }
    }

    /// <summary>The last completed map, row-major, Width × Height.</summary>
    public unsafe ReadOnlySpan<float> Map => new(_host.Mapped, _w * _h);

    /// <summary>Runs the filter on the input already in <see cref="Session"/> (3×H×W RGB, values 0..1).</summary>
    public VisionResult Run(FrameTransform? transform = null, long frameNumber = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return RunOnSession(transform, frameNumber);
    }

    internal override void RecordPostprocess(CommandBuffer cmd)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _program.BeginBarrier(cmd);
        _program.Copy(cmd, _map, _host, (ulong)_w * (ulong)_h * 4);
        _program.EndBarrier(cmd);
    }

    internal override VisionResult ReadResult(long frameNumber, FrameTransform transform)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Copied: the result outlives the next frame's read-back.
        var mask = new OverlayMask(Map.ToArray(), _w, _h, transform) { Threshold = Threshold, Color = Color, Alpha = 0.6f };
        return new VisionResult { FrameNumber = frameNumber, Mask = mask };
    }

    public override void Draw(VisionResult result, OverlayScene scene)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(scene);
        if (result.Mask != null) scene.Mask = result.Mask;
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        _program.Dispose();
        _session.Dispose();
    }
}
