// Command dispatch and the shared option parsing of vcnn.
using System.Diagnostics;
using VulkanCnn.Graph;
using VulkanCnn.Models;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Cli;

internal static class Cli
{
    private const string Usage = """
        vcnn - CNN inference on Vulkan

        usage:
          vcnn devices                              list Vulkan devices, limits and optional features
          vcnn info ARCH [--size N]                 per-layer table: type, output WxHxD, parameters, multiply-adds
          vcnn bench ARCH [--size N] [--batch N] [--runs N] [--warmup N] [--device D]
                                                    time inference: min/median wall-clock and GPU ms, GFLOP/s, per-layer table
          vcnn peak [--device D]                    measure the device's fp32 FMA throughput
          vcnn filter KIND IN OUT [options]         classical filters of the notes (vcnn filter --help)
          vcnn ocr IMAGE --models DIR [--json OUT]  read the text of an image: PP-OCRv4 det, then rec in one batch (vcnn ocr --help)
          vcnn demo [--out DIR] [--image FILE] [--device D]
                                                    every filter and two small networks on a photograph, with timings
          vcnn info MODEL.onnx [--input-shape NAME=1,3,H,W ...]
                                                    the imported, optimised graph and its peak activation memory
          vcnn run MODEL.onnx --input NAME=FILE ... [--input-shape NAME=1,3,H,W ...] --output-dir DIR [--device D]
                   [--resize WxH] [--scale S] [--mean M[,M,M]] [--std S[,S,S]] [--layout nchw|nhwc]
                                                    run an ONNX model on .npy (float32), TensorProto .pb or image inputs
                                                    (images: (pixel*scale - mean)/std, scale 1/255 by default, laid out as
                                                    the input's shape says); writes every output as DIR/OUTPUT.npy
                                                    (non-alphanumerics replaced by _)
          vcnn bench MODEL.onnx [--input-shape NAME=1,3,H,W ...] [--batch N] [--runs N] [--warmup N] [--device D]
                                                    VulkanCnn and ONNX Runtime (CPU) on the same random input:
                                                    min/median ms of both and their ratio
          vcnn bench-vision TASK [--size WxH] [--frames N] [--seconds S] [--image FILE] [--device D]
                                                    a vision task in the frame pipeline on a photograph at a camera size:
                                                    per-stage GPU ms, end-to-end latency, frames/s and inferences/s
                                                    (TASK: blazeface, blazeface-back, ppocr-det, mlsd, sobel)
          vcnn test-onnx DIR... [--atol A] [--rtol R] [--device D]
                                                    ONNX backend-test cases (DIR/model.onnx, DIR/test_data_set_N/*.pb):
                                                    PASS/FAIL/SKIP per case, |expected-actual| <= atol + rtol*|expected|

        ARCH: lenet5, alexnet, vgg16, vgg19, resnet18, resnet34, resnet50
        --device D: device index or name substring (also VULKANCNN_DEVICE); --validation turns on the validation layer.
        Errors are one line on stderr with exit code 1 (2 for a bad command line, 70 for an internal error);
        --verbose adds the stack trace.
        """;

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var o = new Options(args.Skip(1).ToArray());
        bool verbose = o.Flag("verbose");
        try
        {
            return args[0] switch
            {
                "devices" => Devices(),
                "info" when o.Positional.Count > 0 && o.Positional[0].EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) => RunCommand.Info(o),
                "info" => Info(o),
                "run" => RunCommand.RunModel(o),
                "test-onnx" => TestOnnxCommand.Run(o),
                "bench" when o.Positional.Count > 0 && o.Positional[0].EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) => OnnxBenchCommand.Run(o),
                "bench" => Bench(o),
                "peak" => Peak(o),
                "filter" => FilterCommand.Run(o),
                "ocr" => OcrCommand.Run(o),
                "demo" => DemoCommand.Run(o),
                "bench-vision" => VisionBenchCommand.Run(o),
                _ => Fail($"unknown command '{args[0]}'.\n\n{Usage}"),
            };
        }
        catch (Exception e) when (IsDocumented(e))
        {
            Console.Error.WriteLine($"vcnn {args[0]}: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
        catch (Exception e)
        {
            // Anything else is a bug in vcnn or the library: still one line (and exit code 70, EX_SOFTWARE, so that scripts
            // and fuzzers can tell it from bad input); the stack trace only when asked for.
            Console.Error.WriteLine($"vcnn {args[0]}: internal error, {e.GetType().Name}: {e.Message}" +
                                    (verbose ? "" : " (run again with --verbose for the stack trace, and please report it)"));
            if (verbose) Console.Error.WriteLine(e);
            return InternalError;
        }
    }

    /// <summary>Exit code for an exception that is not one of the documented kinds: a bug, not bad input.</summary>
    internal const int InternalError = 70;

    /// <summary>The exceptions that report bad input, a missing device or file, or a device failure (exit code 1).</summary>
    internal static bool IsDocumented(Exception e) => e is ArgumentException or TimeoutException or NotSupportedException or VulkanException
        or IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException
        or SixLabors.ImageSharp.UnknownImageFormatException or SixLabors.ImageSharp.InvalidImageContentException;

    /// <summary>
    /// Fails now, naming <paramref name="dir"/>, if files cannot be written into it (created if missing): called before the
    /// device is opened, so a bad output directory is found before any work is done.
    /// </summary>
    internal static void CheckWritableDirectory(string dir, string option)
    {
        try
        {
            if (File.Exists(dir)) throw new IOException("it is a file, not a directory");
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, $".vcnn-write-test-{Environment.ProcessId}");
            using (new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new IOException($"{option} '{dir}' cannot be written: {e.Message}", e);
        }
    }

    /// <summary>Fails now, naming <paramref name="path"/>, if the file cannot be created or overwritten (nothing is left behind).</summary>
    internal static void CheckWritableFile(string path, string what)
    {
        try
        {
            if (Directory.Exists(path)) throw new IOException("it is a directory");
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir != null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"directory '{dir}' does not exist");
            bool existed = File.Exists(path);
            using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) { }
            if (!existed) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new IOException($"{what} '{path}' cannot be written: {e.Message}", e);
        }
    }

    internal static int Fail(string message)
    {
        Console.Error.WriteLine("vcnn: " + message);
        return 2;
    }

    internal static VulkanContext OpenContext(Options o) => new(new VulkanContextOptions
    {
        Device = o.Get("device"),
        Validation = o.Flag("validation") ? true : null,
        ValidationCallback = m => Console.Error.WriteLine($"[validation {(m.IsError ? "error" : "warning")}] {m.MessageId}: {m.Text}"),
    });

    private static int Devices()
    {
        var devices = VulkanContext.ListDevices();
        if (devices.Count == 0)
        {
            Console.WriteLine("No Vulkan device found. " + NoVulkanDeviceException.InstallHint);
            return 1;
        }
        foreach (var d in devices)
        {
            Console.WriteLine($"#{d.Index}  {d.Name}");
            Console.WriteLine($"    type {d.Kind}, driver {d.DriverName} {d.DriverInfo}, Vulkan {d.ApiVersion}, vendor 0x{d.VendorId:x4} device 0x{d.DeviceId:x4}");
            Console.WriteLine($"    device-local heap {d.DeviceLocalHeapBytes / (1 << 20):N0} MiB, max allocation {d.MaxMemoryAllocationSize / (1 << 20):N0} MiB, " +
                              $"max storage buffer range {d.MaxStorageBufferRange / (1 << 20):N0} MiB, offset alignment {d.MinStorageBufferOffsetAlignment}");
            Console.WriteLine($"    workgroup ≤ {d.MaxComputeWorkGroupInvocations} invocations, shared memory {d.MaxComputeSharedMemorySize / 1024} KiB, push constants {d.MaxPushConstantsSize} B");
            Console.WriteLine($"    subgroup size {d.SubgroupSize} (range {d.MinSubgroupSize}-{d.MaxSubgroupSize}), 16-bit storage {YesNo(d.StorageBuffer16BitAccess)}, " +
                              $"fp16 arithmetic {YesNo(d.ShaderFloat16)}, timestamps {YesNo(d.TimestampsSupported)} ({d.TimestampPeriodNs} ns), compute-only queue {YesNo(d.HasComputeOnlyQueue)}");
        }
        return 0;
    }

    private static string YesNo(bool b) => b ? "yes" : "no";

    private static Network BuildArch(Options o, out string arch)
    {
        if (o.Positional.Count < 1) throw new ArgumentException($"name an architecture: {string.Join(", ", Architectures.Names)}.");
        arch = o.Positional[0].ToLowerInvariant();
        int? size = o.Int("size");
        var net = arch == "conv" ? SingleConv(o) : Architectures.Build(arch, size, seed: o.Int("seed") ?? 1);
        return o.Int("batch") is int batch ? net.WithBatch(batch) : net;
    }

    /// <summary>`bench conv`: one convolution layer (--channels, --filters, --kernel, --stride, --size) for kernel tuning.</summary>
    private static Network SingleConv(Options o)
    {
        int c = o.Int("channels") ?? 64, k = o.Int("filters") ?? 64, f = o.Int("kernel") ?? 3, s = o.Int("stride") ?? 1, n = o.Int("size") ?? 56;
        foreach (var (name, v) in new[] { ("channels", c), ("filters", k), ("kernel", f), ("stride", s), ("size", n) })
            if (v <= 0) throw new ArgumentException($"--{name} must be a positive integer, got {v}.");
        if ((long)k * c * f * f > Array.MaxLength)
            throw new ArgumentException($"--filters {k} × --channels {c} × --kernel {f}² = {(long)k * c * f * f:N0} weights; at most {Array.MaxLength:N0} fit one array.");
        var rng = new Random(3);
        var w = new float[k * c * f * f];
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble() - 0.5f;
        var b = new NetworkBuilder("conv");
        b.Input(c, n, n).Conv(k, f, w, new float[k], s, f / 2, Layers.Activation.Relu, rounding: Layers.Rounding.Floor, name: $"conv{f}x{f}").Output();
        return b.Build();
    }

    private static int Info(Options o)
    {
        var net = BuildArch(o, out var arch);
        Console.WriteLine($"{arch}: input {net.Inputs.First().OutputShape} (W×H×D)");
        Console.Write(net.SummaryTable());
        Console.WriteLine($"{net.ParameterCount:N0} parameters, {net.MultiplyAdds / 1e9:0.###} G multiply-adds ({2 * net.MultiplyAdds / 1e9:0.###} GFLOP)");
        return 0;
    }

    private static int Peak(Options o)
    {
        using var ctx = OpenContext(o);
        var p = PeakMeter.Measure(ctx);
        Console.WriteLine($"{ctx.DeviceInfo.Name}: fp32 peak {p.GflopsPerSecond:0.0} GFLOP/s ({p.Flops / 1e9:0.##} GFLOP in {p.Milliseconds:0.0} ms)");
        return 0;
    }

    private static int Bench(Options o)
    {
        var net = BuildArch(o, out var arch);
        int runs = o.Int("runs") ?? 10, warmup = o.Int("warmup") ?? 2;
        if (runs < 1 || warmup < 0) throw new ArgumentException($"--runs must be at least 1 and --warmup at least 0, got {runs} and {warmup}.");
        using var ctx = OpenContext(o);
        Console.WriteLine($"device: {ctx.DeviceInfo}");
        var peak = o.Flag("no-peak") ? null : PeakMeter.Measure(ctx);
        var sw = Stopwatch.StartNew();
        using var session = new Session(ctx, net, new SessionOptions { Winograd = !o.Flag("no-winograd"), Profile = !o.Flag("no-timestamps") });
        Console.WriteLine($"{arch} {net.Inputs.First().OutputShape}: compiled in {sw.Elapsed.TotalMilliseconds:0} ms " +
                          $"({ctx.Pipelines.PipelinesCreated} pipelines, {session.DispatchCount} dispatches, weights {session.WeightBytes / 1048576.0:0.0} MiB, activations {session.ActivationBytes / 1048576.0:0.0} MiB)");
        var input = new float[session.InputShape().ElementCount];
        var rng = new Random(7);
        for (int i = 0; i < input.Length; i++) input[i] = (float)rng.NextDouble();
        session.SetInput(input);
        for (int i = 0; i < warmup; i++) session.Run();
        var wall = new List<double>();
        var gpu = new List<double>();
        var perLayer = new Dictionary<string, (string Type, List<double> Ms)>();
        for (int i = 0; i < runs; i++)
        {
            sw.Restart();
            session.Run();
            wall.Add(sw.Elapsed.TotalMilliseconds);
            gpu.Add(session.LastGpuMilliseconds);
            foreach (var t in session.LastLayerTimes)
            {
                if (!perLayer.TryGetValue(t.Name, out var l)) perLayer[t.Name] = l = (t.Type, new List<double>());
                l.Ms.Add(t.Milliseconds);
            }
        }
        double flops = 2.0 * net.MultiplyAdds;
        double minWall = wall.Min(), medWall = Median(wall), minGpu = gpu.Min(), medGpu = Median(gpu);
        var macs = session.Network.Nodes.ToDictionary(n => n.Name, n => n.Layer.MultiplyAdds(n.Inputs.Select(x => session.Network.Nodes[x].OutputShape).ToArray(), n.OutputShape));
        Console.WriteLine();
        Console.WriteLine($"{"layer",-28} {"type",-14} {"median ms",10} {"GFLOP/s",9} {"% peak",7}");
        foreach (var (name, (type, ms)) in perLayer)
        {
            double m = Median(ms);
            double gf = m > 0 ? 2.0 * macs.GetValueOrDefault(name) / (m * 1e6) : 0;
            Console.WriteLine($"{name,-28} {type,-14} {m,10:0.000} {gf,9:0.0} {(peak != null && gf > 0 ? $"{100 * gf / peak.GflopsPerSecond,6:0.0}%" : ""),7}");
        }
        Console.WriteLine();
        Console.WriteLine($"runs {runs}: wall min {minWall:0.00} ms, median {medWall:0.00} ms; GPU min {minGpu:0.00} ms, median {medGpu:0.00} ms");
        int n = net.Inputs.First().OutputShape is { Rank: > 0 } s0 ? s0[0] : 1;
        if (n > 1) Console.WriteLine($"batch {n}: {n * 1000 / minWall:0.0} images/s (best wall), {minWall / n:0.00} ms per image");
        Console.WriteLine($"{flops / 1e9:0.###} GFLOP per inference: {flops / (minWall * 1e6):0.0} GFLOP/s (best wall)" +
                          (peak != null ? $", device peak {peak.GflopsPerSecond:0.0} GFLOP/s -> {100 * flops / (minWall * 1e6) / peak.GflopsPerSecond:0.0}% of peak" : ""));
        // Where the convolution time goes: the fraction of peak reached by 3x3 convolutions alone.
        var conv3 = session.Network.Nodes.Where(n => n.Layer is Layers.Conv2d c && c.KernelH == 3 && c.KernelW == 3 && perLayer.ContainsKey(n.Name)).ToArray();
        if (conv3.Length > 0 && peak != null)
        {
            double ms = conv3.Sum(n => Median(perLayer[n.Name].Ms));
            double f = conv3.Sum(n => 2.0 * macs[n.Name]);
            if (ms > 0) Console.WriteLine($"3x3 convolutions: {f / 1e9:0.###} GFLOP in {ms:0.00} ms GPU = {f / (ms * 1e6):0.0} GFLOP/s = {100 * f / (ms * 1e6) / peak.GflopsPerSecond:0.0}% of peak");
        }
        return 0;
    }

    internal static double Median(List<double> v)
    {
        if (v.Count == 0) return 0;
        var s = v.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}

/// <summary>--name value and --flag options, and positional arguments.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string?> _named = new();
    private readonly Dictionary<string, List<string>> _all = new();
    public List<string> Positional { get; } = new();

    // Options that never take a value: without this list "--color in.png out.png" would read in.png as the colour value.
    private static readonly HashSet<string> BooleanFlags = new() { "help", "validation", "no-peak", "no-winograd", "no-timestamps", "color", "verbose" };

    public Options(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                var key = args[i][2..];
                string? value = null;
                int eq = key.IndexOf('=');
                if (eq >= 0) { value = key[(eq + 1)..]; key = key[..eq]; }
                else if (!BooleanFlags.Contains(key) && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) value = args[++i];
                _named[key] = value;
                if (value != null)
                {
                    if (!_all.TryGetValue(key, out var list)) _all[key] = list = new List<string>();
                    list.Add(value);
                }
            }
            else Positional.Add(args[i]);
        }
    }

    /// <summary>The --names given, for commands that reject options they do not know.</summary>
    public IEnumerable<string> Names => _named.Keys;

    public bool Flag(string name) => _named.ContainsKey(name);
    /// <summary>Every value of an option that may be repeated (--input a=x.npy --input b=y.npy).</summary>
    public IReadOnlyList<string> GetAll(string name) => _all.TryGetValue(name, out var l) ? l : Array.Empty<string>();
    public string? Get(string name) => _named.TryGetValue(name, out var v) ? v : null;

    public int? Int(string name)
    {
        var v = Get(name);
        if (v == null) return null;
        return int.TryParse(v, out int r) ? r : throw new ArgumentException($"--{name} expects an integer, got '{v}'.");
    }

    public float? Float(string name)
    {
        var v = Get(name);
        if (v == null) return null;
        return float.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float r)
            ? r : throw new ArgumentException($"--{name} expects a number, got '{v}'.");
    }
}
