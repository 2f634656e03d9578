// vcnn demo: every classical filter and two small networks on a photograph, with output images and a timing table.
using System.Diagnostics;
using VulkanCnn.Filters;
using VulkanCnn.Graph;
using VulkanCnn.Imaging;
using VulkanCnn.Layers;
using VulkanCnn.Models;

namespace VulkanCnn.Cli;

internal static class DemoCommand
{
    public const string Usage = """
        usage: vcnn demo [--out DIR] [--image FILE] [--device D]

        Runs every classical filter of the notes on a photograph (default .cache/images/astronaut.png under the repository
        root, fetched by scripts/setup.sh) and writes the results as PNG files into DIR (default out/demo); then runs
        LeNet-5 (32x32 grey) and ResNet-18 (64x64 colour) with random weights on the same photograph, resized.
        Prints a table: output size, GPU ms and wall ms of a second run (the first compiles), and the file written.
        """;

    private static readonly HashSet<string> Known = new() { "out", "image", "device", "validation", "help", "verbose" };

    private sealed record Row(string What, Shape Output, double GpuMs, double WallMs, string Where);

    public static int Run(Options o)
    {
        if (o.Flag("help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        foreach (var name in o.Names)
        {
            if (!Known.Contains(name)) return Cli.Fail($"demo: unknown option --{name}.\n\n{Usage}");
            if (name is "out" or "image" or "device" && o.Get(name) == null) return Cli.Fail($"demo: --{name} needs a value.");
        }
        if (o.Positional.Count > 0) return Cli.Fail($"demo: unexpected argument '{o.Positional[0]}'.\n\n{Usage}");

        string image = o.Get("image") ?? DefaultImage();
        string outDir = o.Get("out") ?? Path.Combine("out", "demo");
        Cli.CheckWritableDirectory(outDir, "--out");
        var (grey, greyShape) = ImageIO.Load(image, grayscale: true);
        var (rgb, rgbShape) = ImageIO.Load(image);

        using var ctx = Cli.OpenContext(o);
        Console.WriteLine($"device: {ctx.DeviceInfo}");
        Console.WriteLine($"image: {image} ({greyShape.W}x{greyShape.H})");
        var rows = new List<Row>();
        using (var runner = new FilterRunner(ctx))
        {
            var jobs = new (string File, FilterKind Kind, FilterOptions Options, bool Color)[]
            {
                ("mean3", FilterKind.Mean, new() { Size = 3 }, false),
                ("mean5", FilterKind.Mean, new() { Size = 5 }, false),
                ("mean11", FilterKind.Mean, new() { Size = 11 }, false),
                ("mean21", FilterKind.Mean, new() { Size = 21 }, false),
                ("gaussian11", FilterKind.Gaussian, new() { Size = 11, Sigma = 5 }, false),
                ("gaussian11-color", FilterKind.Gaussian, new() { Size = 11, Sigma = 5 }, true),
                ("sobel-x", FilterKind.SobelX, new(), false),
                ("sobel-y", FilterKind.SobelY, new(), false),
                ("sobel", FilterKind.SobelMagnitude, new(), false),
                ("sobel-direction", FilterKind.SobelDirection, new(), false),
                ("laplace", FilterKind.Laplace, new(), false),
                ("laplace8", FilterKind.Laplace, new() { LaplaceNeighbours = 8 }, false),
            };
            foreach (var (file, kind, options, color) in jobs)
            {
                var (pixels, shape) = color ? (rgb, rgbShape) : (grey, greyShape);
                runner.Apply(kind, pixels, shape, options);
                var sw = Stopwatch.StartNew();
                var result = runner.Apply(kind, pixels, shape, options);
                double wall = sw.Elapsed.TotalMilliseconds;
                var path = Path.Combine(outDir, file + ".png");
                ImageIO.SaveViewable(path, result, shape, ClassicalFilters.DefaultScaling(kind));
                rows.Add(new Row(FilterCommand.Describe(kind, options) + (color ? " (RGB)" : ""), shape, runner.LastGpuMilliseconds, wall, path));
            }
        }

        // The networks see the photograph resized on the CPU, values scaled to 0..1; their weights are random, so the
        // scores mean nothing: the point is the size of the output and the time.
        rows.Add(RunNetwork(ctx, "lenet5", 32, grayscale: true, image));
        rows.Add(RunNetwork(ctx, "resnet18", 64, grayscale: false, image));

        Console.WriteLine();
        Console.WriteLine($"{"filter / network",-28} {"output WxHxD",14} {"GPU ms",9} {"wall ms",9}  written to");
        foreach (var r in rows)
            Console.WriteLine($"{r.What,-28} {r.Output.ToString(),14} {r.GpuMs,9:0.000} {r.WallMs,9:0.0}  {r.Where}");
        Console.WriteLine("(times of the second run; the first compiles the session)");
        return 0;
    }

    private static Row RunNetwork(Vulkan.VulkanContext ctx, string arch, int size, bool grayscale, string image)
    {
        var net = Architectures.Build(arch, size);
        var inputShape = net.Inputs.First().OutputShape.Dhw();
        if (inputShape.C != (grayscale ? 1 : 3))
            throw new InvalidOperationException($"{arch} expects {inputShape.C} input channel(s); the demo feeds {(grayscale ? 1 : 3)}.");
        var (pixels, _) = ImageIO.Load(image, grayscale, size, size);
        for (int i = 0; i < pixels.Length; i++) pixels[i] /= 255f;
        using var session = new Session(ctx, net);
        session.Run(pixels);
        var sw = Stopwatch.StartNew();
        var scores = session.Run(pixels);
        double wall = sw.Elapsed.TotalMilliseconds;
        int best = Array.IndexOf(scores, scores.Max());
        return new Row($"{arch} {size}x{size} (random w.)", session.OutputShape().Dhw(), session.LastGpuMilliseconds, wall, $"(not written; top class {best})");
    }

    /// <summary>.cache/images/astronaut.png under the repository root (found by walking up to VulkanCnn.sln from the
    /// current directory, then from the program's directory), else under the current directory.</summary>
    private static string DefaultImage()
    {
        const string relative = ".cache/images/astronaut.png";
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                if (!File.Exists(Path.Combine(d.FullName, "VulkanCnn.sln"))) continue;
                var p = Path.Combine(d.FullName, relative);
                if (File.Exists(p)) return p;
                break;
            }
        }
        if (File.Exists(relative)) return relative;
        throw new FileNotFoundException($"No photograph found at {relative} (looked under the repository root and the current directory). " +
                                        "Run scripts/setup.sh to fetch the sample images, or pass --image FILE.");
    }
}
