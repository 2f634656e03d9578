// The lecture notes' classical filters (mean, Gaussian, Sobel, Laplace) as masks, and as networks of the same Conv2d
// layer the CNNs use, so that one GPU path serves both.
using VulkanCnn.Graph;
using VulkanCnn.Imaging;
using VulkanCnn.Layers;

namespace VulkanCnn.Filters;

/// <summary>The classical filters, by what they compute.</summary>
public enum FilterKind
{
    /// <summary>Mean (box) low-pass filter of F×F, every weight 1/F².</summary>
    Mean,
    /// <summary>Gaussian low-pass filter of F×F with standard deviation σ, normalised to sum 1.</summary>
    Gaussian,
    /// <summary>Sobel first derivative fx = ∂f/∂x (x to the right): responds to vertical edges.</summary>
    SobelX,
    /// <summary>Sobel first derivative fy = ∂f/∂y (y downwards, as in the image): responds to horizontal edges.</summary>
    SobelY,
    /// <summary>Sobel gradient strength sqrt(fx² + fy²).</summary>
    SobelMagnitude,
    /// <summary>Sobel gradient direction atan2(fy, fx) in radians, (−π, π].</summary>
    SobelDirection,
    /// <summary>Laplace operator (second derivatives): edges are zero crossings.</summary>
    Laplace,
}

/// <summary>Settings of a classical filter. Unset values take the defaults given per property.</summary>
public sealed record FilterOptions
{
    /// <summary>Mask size F (odd, 1 ≤ F ≤ <see cref="ClassicalFilters.MaxSize"/>) for <see cref="FilterKind.Mean"/> and <see cref="FilterKind.Gaussian"/>; default 3.
    /// Sobel and Laplace masks are fixed at 3×3, so a value other than 3 is rejected for them.</summary>
    public int? Size { get; init; }

    /// <summary>σ of <see cref="FilterKind.Gaussian"/> in pixels (&gt; 0); default max(0.5, (F − 1)/2), which gives the
    /// notes' example 11×11 with σ = 5. Rejected for other kinds.</summary>
    public double? Sigma { get; init; }

    /// <summary>How pixels outside the image are read: <see cref="PaddingMode.Zero"/> or <see cref="PaddingMode.Replicate"/>
    /// (copies of the border pixels, the default: zeros would darken the border of a low-pass result and make false edges).</summary>
    public PaddingMode Border { get; init; } = PaddingMode.Replicate;

    /// <summary>Laplace mask: 4 (the neighbours left, right, up, down; default) or 8 (diagonals too).</summary>
    public int LaplaceNeighbours { get; init; } = 4;
}

/// <summary>An immutable filter mask g(i, j) of Height × Width values, row-major: row j downwards, column i to the right,
/// (0, 0) of the notes' coordinates in the centre.</summary>
public sealed class FilterMask
{
    private readonly float[] _values;

    /// <summary>A mask from rows of values (copied).</summary>
    public FilterMask(float[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Height = values.GetLength(0);
        Width = values.GetLength(1);
        if (Height == 0 || Width == 0) throw new ArgumentException($"A filter mask needs at least one value; got {Width}x{Height}.", nameof(values));
        _values = new float[Height * Width];
        for (int r = 0; r < Height; r++)
            for (int c = 0; c < Width; c++) _values[r * Width + c] = values[r, c];
    }

    private FilterMask(int height, int width, float[] values) { Height = height; Width = width; _values = values; }

    public int Height { get; }
    public int Width { get; }

    /// <summary>The value at <paramref name="row"/> (downwards) and <paramref name="column"/> (to the right).</summary>
    public float this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)Height || (uint)column >= (uint)Width)
                throw new ArgumentOutOfRangeException(nameof(row), $"Position ({row}, {column}) is outside the {Width}x{Height} mask.");
            return _values[row * Width + column];
        }
    }

    /// <summary>Sum of all values (1 for low-pass masks, 0 for derivative masks).</summary>
    public double Sum => _values.Sum(v => (double)v);

    /// <summary>A row-major copy of the values.</summary>
    public float[] ToArray() => (float[])_values.Clone();

    /// <summary>The mask mirrored horizontally and vertically (rotated by 180°). Convolution with a mask equals
    /// cross-correlation (what <see cref="Conv2d"/> computes) with its mirror.</summary>
    public FilterMask Mirrored()
    {
        var m = new float[_values.Length];
        for (int i = 0; i < m.Length; i++) m[i] = _values[_values.Length - 1 - i];
        return new FilterMask(Height, Width, m);
    }

    public override string ToString()
    {
        var rows = Enumerable.Range(0, Height).Select(r => string.Join(" ", Enumerable.Range(0, Width).Select(c => _values[r * Width + c].ToString("G4", System.Globalization.CultureInfo.InvariantCulture))));
        return $"{Width}x{Height} [" + string.Join("; ", rows) + "]";
    }
}

/// <summary>
/// Masks of the notes' classical filters and networks that apply them with true convolution
/// f'(x, y) = Σᵢ Σⱼ f(x − i, y − j) g(i, j). Images are C×H×W floats (grey values 0..255); each channel is filtered on its
/// own with the same mask (a depthwise convolution), and the output has the input's size (padding (F − 1)/2).
/// </summary>
public static class ClassicalFilters
{
    /// <summary>Mean filter of <paramref name="size"/>×<paramref name="size"/>, every value 1/size².</summary>
    public static FilterMask Mean(int size)
    {
        CheckSize(size, "Mean");
        var m = new float[size, size];
        float v = 1f / (size * size);
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++) m[r, c] = v;
        return new FilterMask(m);
    }

    /// <summary>Gaussian filter g(i, j) ∝ exp(−(i² + j²)/(2σ²)) of <paramref name="size"/>×<paramref name="size"/>, normalised
    /// so that the values sum to 1 (a truncated Gaussian would otherwise darken the image).</summary>
    public static FilterMask Gaussian(int size, double sigma)
    {
        CheckSize(size, "Gaussian");
        if (!(sigma > 0) || double.IsInfinity(sigma))
            throw new ArgumentException($"Gaussian sigma must be a positive number, got {sigma}.", nameof(sigma));
        int r = size / 2;
        var w = new double[size, size];
        double sum = 0;
        for (int j = -r; j <= r; j++)
            for (int i = -r; i <= r; i++) sum += w[j + r, i + r] = Math.Exp(-(i * i + j * j) / (2 * sigma * sigma));
        var m = new float[size, size];
        for (int a = 0; a < size; a++)
            for (int b = 0; b < size; b++) m[a, b] = (float)(w[a, b] / sum);
        return new FilterMask(m);
    }

    /// <summary>The notes' Sobel mask for fx = ∂f/∂x: [1 0 −1; 2 0 −2; 1 0 −1]. Convolved (mirrored), it gives
    /// f(x+1) − f(x−1) weighted 1-2-1: positive where the image gets brighter to the right.</summary>
    public static FilterMask SobelX { get; } = new(new float[,] { { 1, 0, -1 }, { 2, 0, -2 }, { 1, 0, -1 } });

    /// <summary>The notes' Sobel mask for fy = ∂f/∂y: [1 2 1; 0 0 0; −1 −2 −1]. Convolved, it is positive where the image
    /// gets brighter downwards (y grows downwards, as in the image).</summary>
    public static FilterMask SobelY { get; } = new(new float[,] { { 1, 2, 1 }, { 0, 0, 0 }, { -1, -2, -1 } });

    /// <summary>Laplace mask: 4 neighbours [0 1 0; 1 −4 1; 0 1 0] (default) or 8 neighbours [1 1 1; 1 −8 1; 1 1 1].
    /// Both are symmetric, so mirroring changes nothing.</summary>
    public static FilterMask Laplace(int neighbours = 4) => neighbours switch
    {
        4 => new FilterMask(new float[,] { { 0, 1, 0 }, { 1, -4, 1 }, { 0, 1, 0 } }),
        8 => new FilterMask(new float[,] { { 1, 1, 1 }, { 1, -8, 1 }, { 1, 1, 1 } }),
        _ => throw new ArgumentException($"Laplace neighbours must be 4 or 8, got {neighbours}.", nameof(neighbours)),
    };

    /// <summary>The masks a filter kind convolves with: one, or two (fx then fy) for the Sobel strength and direction.</summary>
    public static IReadOnlyList<FilterMask> Masks(FilterKind kind, FilterOptions? options = null)
    {
        var o = Validate(kind, options);
        int size = o.Size ?? 3;
        return kind switch
        {
            FilterKind.Mean => new[] { Mean(size) },
            FilterKind.Gaussian => new[] { Gaussian(size, o.Sigma ?? DefaultSigma(size)) },
            FilterKind.SobelX => new[] { SobelX },
            FilterKind.SobelY => new[] { SobelY },
            FilterKind.SobelMagnitude or FilterKind.SobelDirection => new[] { SobelX, SobelY },
            FilterKind.Laplace => new[] { Laplace(o.LaplaceNeighbours) },
            _ => throw new ArgumentException($"Unknown filter kind {(int)kind}."),
        };
    }

    /// <summary>σ used for a Gaussian of <paramref name="size"/> when none is given: max(0.5, (size − 1)/2).</summary>
    public static double DefaultSigma(int size) => Math.Max(0.5, (size - 1) / 2.0);

    /// <summary>
    /// The network that applies <paramref name="kind"/> to an image of <paramref name="image"/> shape: one depthwise Conv2d
    /// (groups = channels) holding the mirrored masks, padding (F − 1)/2 with the chosen border, then for the Sobel strength
    /// or direction a <see cref="Gradient"/> layer. The output has the input's shape.
    /// </summary>
    public static Network BuildNetwork(FilterKind kind, Shape image, FilterOptions? options = null)
    {
        var o = Validate(kind, options);
        GradientMode? gradient = kind switch
        {
            FilterKind.SobelMagnitude => GradientMode.Magnitude,
            FilterKind.SobelDirection => GradientMode.Direction,
            _ => null,
        };
        return Build(Masks(kind, o), image, o.Border, NameOf(kind), gradient);
    }

    /// <summary>
    /// The network that convolves every channel of an image of <paramref name="image"/> shape with one's own
    /// <paramref name="mask"/> (odd height and width, not necessarily square; the notes' "special-purpose filters"):
    /// true convolution, output of the input's size.
    /// </summary>
    public static Network BuildNetwork(FilterMask mask, Shape image, PaddingMode border = PaddingMode.Replicate)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Height % 2 == 0 || mask.Width % 2 == 0)
            throw new ArgumentException($"A filter mask needs odd height and width so that it has a centre pixel; got {mask.Width}x{mask.Height}.", nameof(mask));
        if (border is not (PaddingMode.Zero or PaddingMode.Replicate))
            throw new ArgumentException($"Filter border must be Zero or Replicate, got {border}.", nameof(border));
        return Build(new[] { mask }, image, border, "mask", null);
    }

    private static Network Build(IReadOnlyList<FilterMask> masks, Shape image, PaddingMode border, string name, GradientMode? gradient)
    {
        if (image.C <= 0 || image.H <= 0 || image.W <= 0)
            throw new ArgumentException($"Image shape {image} (W×H×D) is empty.", nameof(image));
        int fh = masks[0].Height, fw = masks[0].Width;
        // Conv2d computes cross-correlation; true convolution is cross-correlation with the mask rotated by 180°.
        var mirrored = masks.Select(m => m.Mirrored().ToArray()).ToArray();
        int per = mirrored.Length;
        var weights = new float[image.C * per * fh * fw];
        for (int c = 0; c < image.C; c++)
            for (int k = 0; k < per; k++)
                mirrored[k].CopyTo(weights, (c * per + k) * fh * fw);

        var b = new NetworkBuilder(name);
        var x = b.Input(image, "image");
        // groups = channels: each channel is filtered alone (depthwise), with per filters (fx, fy for Sobel) each.
        var conv = x.Then(new Conv2d
        {
            OutChannels = image.C * per, KernelH = fh, KernelW = fw, Groups = image.C, Weights = weights, PaddingMode = border,
            PadTop = fh / 2, PadBottom = fh / 2, PadLeft = fw / 2, PadRight = fw / 2,
        }, gradient != null ? "sobel" : name);
        var result = gradient switch
        {
            GradientMode.Magnitude => conv.Then(new Gradient(GradientMode.Magnitude), "strength"),
            GradientMode.Direction => conv.Then(new Gradient(GradientMode.Direction), "direction"),
            _ => conv,
        };
        result.Output();
        return b.Build();
    }

    /// <summary>How a result of <paramref name="kind"/> is best turned into a viewable image.</summary>
    public static ViewScaling DefaultScaling(FilterKind kind) => kind switch
    {
        FilterKind.Mean or FilterKind.Gaussian => ViewScaling.GreyValues,
        FilterKind.SobelMagnitude => ViewScaling.Max,
        FilterKind.SobelDirection => ViewScaling.Angle,
        _ => ViewScaling.MinMax,
    };

    /// <summary>Short lower-case name (mean, gaussian, sobel-x, sobel-y, sobel, sobel-direction, laplace), as the CLI spells it.</summary>
    public static string NameOf(FilterKind kind) => kind switch
    {
        FilterKind.Mean => "mean",
        FilterKind.Gaussian => "gaussian",
        FilterKind.SobelX => "sobel-x",
        FilterKind.SobelY => "sobel-y",
        FilterKind.SobelMagnitude => "sobel",
        FilterKind.SobelDirection => "sobel-direction",
        FilterKind.Laplace => "laplace",
        _ => throw new ArgumentException($"Unknown filter kind {(int)kind}."),
    };

    /// <summary>The kind named by <paramref name="name"/> (see <see cref="NameOf"/>), case-insensitive.</summary>
    public static FilterKind Parse(string name)
    {
        foreach (var k in Enum.GetValues<FilterKind>())
            if (string.Equals(NameOf(k), name, StringComparison.OrdinalIgnoreCase)) return k;
        throw new ArgumentException($"Unknown filter kind '{name}'. Known: {string.Join(", ", Enum.GetValues<FilterKind>().Select(NameOf))}.");
    }

    /// <summary>The largest mask side (a 255×255 mask already averages over 65,025 pixels per output).</summary>
    public const int MaxSize = 255;

    private static void CheckSize(int size, string filter)
    {
        if (size < 1 || size % 2 == 0)
            throw new ArgumentException($"{filter} filter size must be odd and at least 1 (so the mask has a centre pixel), got {size}.", nameof(size));
        // Checked before the F×F mask is allocated: --size 99999 used to end in an OutOfMemoryException.
        if (size > MaxSize)
            throw new ArgumentException($"{filter} filter size {size} is larger than the largest mask, {MaxSize}x{MaxSize}.", nameof(size));
    }

    private static FilterOptions Validate(FilterKind kind, FilterOptions? options)
    {
        var o = options ?? new FilterOptions();
        string name = NameOf(kind);
        if (o.Border is not (PaddingMode.Zero or PaddingMode.Replicate))
            throw new ArgumentException($"Filter border must be Zero or Replicate, got {o.Border}.");
        if (kind is FilterKind.Mean or FilterKind.Gaussian)
        {
            if (o.Size is int s) CheckSize(s, name);
        }
        else if (o.Size is int s && s != 3)
            throw new ArgumentException($"The {name} mask is 3x3; size {s} does not apply to it.");
        if (o.Sigma is double sigma)
        {
            if (kind != FilterKind.Gaussian) throw new ArgumentException($"Sigma applies to the Gaussian filter only, not to {name} (got {sigma}).");
            if (!(sigma > 0) || double.IsInfinity(sigma)) throw new ArgumentException($"Gaussian sigma must be a positive number, got {sigma}.");
        }
        if (o.LaplaceNeighbours is not (4 or 8))
            throw new ArgumentException($"Laplace neighbours must be 4 or 8, got {o.LaplaceNeighbours}.");
        return o;
    }
}

/// <summary>
/// Runs classical filters on a <see cref="VulkanCnn.Vulkan.VulkanContext"/>, keeping one compiled <see cref="Session"/> per
/// (kind, options, image shape) so that filtering many frames of one size compiles once. Not thread-safe: a call while
/// another thread is inside one throws <see cref="InvalidOperationException"/>. Disposing the context disposes its sessions.
/// </summary>
public sealed class FilterRunner : IDisposable
{
    private readonly Vulkan.VulkanContext _ctx;
    private readonly Dictionary<(FilterKind, FilterOptions, Shape), Session> _sessions = new();
    private readonly ExclusiveUse _use = new("FilterRunner");
    private bool _disposed;

    /// <summary>A runner on <paramref name="context"/>; the context must outlive it.</summary>
    public FilterRunner(Vulkan.VulkanContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _ctx = context;
    }

    /// <summary>GPU time of the last <see cref="Apply"/> in ms (0 where the device has no timestamps).</summary>
    public double LastGpuMilliseconds { get; private set; }

    /// <summary>
    /// Filters <paramref name="image"/> (C×H×W floats, channel-major, grey values 0..255) and returns a new C×H×W array:
    /// filtered values, gradient strengths, or directions in radians.
    /// </summary>
    public float[] Apply(FilterKind kind, ReadOnlySpan<float> image, Shape shape, FilterOptions? options = null)
    {
        using var use = _use.Enter();
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= new FilterOptions();
        if (image.Length != shape.Size)
            throw new ArgumentException($"Image of {shape} (W×H×D) needs {shape.Size} floats, got {image.Length}.", nameof(image));
        var key = (kind, options, shape);
        if (!_sessions.TryGetValue(key, out var session))
        {
            session = new Session(_ctx, ClassicalFilters.BuildNetwork(kind, shape, options));
            _sessions[key] = session;
        }
        var result = session.Run(image);
        LastGpuMilliseconds = session.LastGpuMilliseconds;
        return result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        using var use = _use.Enter();
        _disposed = true;
        foreach (var s in _sessions.Values) s.Dispose();
        _sessions.Clear();
    }
}
