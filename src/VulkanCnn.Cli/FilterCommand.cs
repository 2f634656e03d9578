// vcnn filter: one classical filter of the notes on an image file, written as a viewable image or raw .npy floats.
using System.Diagnostics;
using VulkanCnn.Filters;
using VulkanCnn.Imaging;
using VulkanCnn.Layers;

namespace VulkanCnn.Cli;

internal static class FilterCommand
{
    public const string Usage = """
        usage: vcnn filter KIND IN OUT [--size N] [--sigma S] [--border zero|replicate] [--neighbours 4|8] [--color] [--device D]

        KIND   mean             mean (box) filter of N×N, weights 1/N² (--size, default 3; the notes show 3, 5, 11, 21)
               gaussian         Gaussian of N×N with σ = S, normalised to sum 1 (--size default 3, --sigma default max(0.5, (N−1)/2);
                                the notes' example is --size 11 --sigma 5)
               sobel            Sobel gradient strength sqrt(fx² + fy²)
               sobel-x          Sobel fx, mask [1 0 −1; 2 0 −2; 1 0 −1]: positive where the image gets brighter to the right
               sobel-y          Sobel fy, mask [1 2 1; 0 0 0; −1 −2 −1]: positive where the image gets brighter downwards
               sobel-direction  gradient direction atan2(fy, fx) in radians, (−π, π], y pointing down
               laplace          Laplace [0 1 0; 1 −4 1; 0 1 0] (--neighbours 8: [1 1 1; 1 −8 1; 1 1 1])
        IN     PNG or JPEG; converted to grey values 0..255 (ITU-R BT.601), or with --color filtered per R, G, B channel
        OUT    .png/.jpg/.jpeg: a viewable 8-bit image (low-pass: grey values; sobel-x/-y, laplace: min..max stretched to 0..255;
               sobel: 0..max; direction: −π..π to 0..255)
               .npy: the raw float32 results, shape (H, W) or (H, W, 3) with --color

        Filtering is true convolution (the mask mirrored horizontally and vertically) on the GPU, padded by (N−1)/2 so the
        output keeps the input size. --border zero pads with zeros, replicate (default) with copies of the border pixels.
        """;

    private static readonly HashSet<string> Known = new() { "size", "sigma", "border", "neighbours", "color", "device", "validation", "help", "verbose" };

    public static int Run(Options o)
    {
        if (o.Flag("help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        foreach (var name in o.Names)
        {
            if (!Known.Contains(name)) return Cli.Fail($"filter: unknown option --{name}.\n\n{Usage}");
            if (name is not ("color" or "validation" or "help" or "verbose") && o.Get(name) == null) return Cli.Fail($"filter: --{name} needs a value.");
        }
        if (o.Positional.Count != 3)
            return Cli.Fail($"filter: expected KIND IN OUT, got {o.Positional.Count} argument(s){(o.Positional.Count > 0 ? ": " + string.Join(" ", o.Positional) : "")}.\n\n{Usage}");
        var (kindName, input, output) = (o.Positional[0], o.Positional[1], o.Positional[2]);

        // Everything that can be checked without the GPU is checked before the device is opened.
        var kind = ClassicalFilters.Parse(kindName);
        var options = ParseOptions(o, kind);
        _ = ClassicalFilters.Masks(kind, options);
        var ext = Path.GetExtension(output).ToLowerInvariant();
        if (ext is not (".png" or ".jpg" or ".jpeg" or ".npy"))
            throw new ArgumentException($"output '{output}' must end in .png, .jpg, .jpeg or .npy, not '{ext}'.");
        Cli.CheckWritableFile(output, "output");
        bool color = o.Flag("color");
        var (pixels, shape) = ImageIO.Load(input, grayscale: !color);

        using var ctx = Cli.OpenContext(o);
        using var runner = new FilterRunner(ctx);
        var sw = Stopwatch.StartNew();
        var result = runner.Apply(kind, pixels, shape, options);
        double wall = sw.Elapsed.TotalMilliseconds;
        if (ext == ".npy") ImageIO.WriteNpy(output, result, shape);
        else ImageIO.SaveViewable(output, result, shape, ClassicalFilters.DefaultScaling(kind));
        Console.WriteLine($"{Describe(kind, options)} on {shape} (W×H×D) {(color ? "per colour channel" : "grey")}, border {options.Border.ToString().ToLowerInvariant()}, " +
                          $"{ctx.DeviceInfo.Name}: GPU {runner.LastGpuMilliseconds:0.###} ms, wall {wall:0.#} ms (with compilation) -> {output}");
        return 0;
    }

    /// <summary>The options that apply to <paramref name="kind"/>; a value given for a kind it does not fit is rejected by the library.</summary>
    internal static FilterOptions ParseOptions(Options o, FilterKind kind)
    {
        var border = o.Get("border")?.ToLowerInvariant() switch
        {
            null => PaddingMode.Replicate,
            "zero" => PaddingMode.Zero,
            "replicate" => PaddingMode.Replicate,
            var b => throw new ArgumentException($"--border must be zero or replicate, got '{b}'."),
        };
        int? neighbours = o.Int("neighbours");
        if (neighbours != null && kind != FilterKind.Laplace)
            throw new ArgumentException($"--neighbours applies to laplace only, not to {ClassicalFilters.NameOf(kind)}.");
        float? sigma = o.Float("sigma");
        return new FilterOptions
        {
            Size = o.Int("size"),
            Sigma = sigma,
            Border = border,
            LaplaceNeighbours = neighbours ?? 4,
        };
    }

    internal static string Describe(FilterKind kind, FilterOptions options)
    {
        int size = options.Size ?? 3;
        return kind switch
        {
            FilterKind.Mean => $"mean {size}x{size}",
            FilterKind.Gaussian => $"gaussian {size}x{size} σ={options.Sigma ?? ClassicalFilters.DefaultSigma(size):0.###}",
            FilterKind.Laplace when options.LaplaceNeighbours == 8 => "laplace (8 neighbours)",
            _ => ClassicalFilters.NameOf(kind),
        };
    }
}
