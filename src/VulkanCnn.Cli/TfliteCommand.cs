// vcnn info|run|bench MODEL.tflite: the ONNX commands' counterparts for TFLite models (no TFLite interpreter to compare
// against here, so bench times VulkanCnn alone).
using System.Diagnostics;
using VulkanCnn.Graph;
using VulkanCnn.Imaging;
using VulkanCnn.Onnx;
using VulkanCnn.Tflite;

namespace VulkanCnn.Cli;

internal static class TfliteCommand
{
    public static bool IsTflite(string path) => path.EndsWith(".tflite", StringComparison.OrdinalIgnoreCase);

    public static int Info(Options o)
    {
        string path = o.Positional[0];
        var model = TfliteModel.Load(path);
        var import = TfliteImporter.Import(model);
        var net = Optimizer.Optimize(import.Network);
        Console.WriteLine($"{path}: TFLite schema {model.Version}, {model.Operators.Count} operators ({string.Join(", ",
            model.Operators.GroupBy(op => op.Code.Name).Select(g => $"{g.Key} ×{g.Count()}"))}) -> {net.Nodes.Count} nodes after import and optimisation");
        RunCommand.PrintNetwork(import, net);
        return 0;
    }

    public static int RunModel(Options o)
    {
        if (o.Positional.Count != 1) throw new ArgumentException("vcnn run takes one MODEL.tflite.");
        string outDir = o.Get("output-dir") ?? throw new ArgumentException("vcnn run needs --output-dir DIR.");
        Cli.CheckWritableDirectory(outDir, "--output-dir");
        var import = TfliteImporter.Import(o.Positional[0]);
        var given = new Dictionary<string, float[]>();
        foreach (var v in o.GetAll("input"))
        {
            int eq = v.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--input expects NAME=FILE, got '{v}'.");
            string name = v[..eq], file = v[(eq + 1)..];
            if (!import.InputDims.TryGetValue(name, out var dims))
                throw new ArgumentException($"--input {name}: the model has no input '{name}'; its inputs are {string.Join(", ", import.InputDims.Keys.Select(n => $"'{n}'"))}.");
            var (data, got) = RunCommand.IsImage(file) ? RunCommand.ReadImage(o, dims.Select(d => (long?)d).ToArray(), name, file) : RunCommand.ReadTensor(file);
            if (data.Length != dims.Aggregate(1L, (a, d) => a * d))
                throw new ArgumentException($"--input {name}={file}: [{string.Join(",", got)}] has {data.Length} values; the input is [{string.Join(",", dims)}].");
            given[name] = data;
        }
        foreach (var n in import.InputDims.Keys)
            if (!given.ContainsKey(n)) throw new ArgumentException($"input '{n}' is not given; use --input {n}=FILE (.npy or an image).");
        using var ctx = Cli.OpenContext(o);
        using var session = new Session(ctx, import.Network);
        var net = session.Network;
        for (int i = 0; i < net.InputIds.Count; i++) session.SetInput(given[net.Nodes[net.InputIds[i]].Name], i);
        session.Run();
        RunCommand.WriteOutputs(session, import, outDir, ctx.DeviceInfo.Name);
        return 0;
    }

    public static int Bench(Options o)
    {
        if (o.Positional.Count != 1) throw new ArgumentException("vcnn bench takes one MODEL.tflite.");
        string path = o.Positional[0];
        int runs = o.Int("runs") ?? 10, warmup = o.Int("warmup") ?? 2;
        if (runs < 1 || warmup < 0) throw new ArgumentException($"--runs must be at least 1 and --warmup at least 0, got {runs} and {warmup}.");
        OnnxImport import = TfliteImporter.Import(path);
        var rng = new Random(7);
        using var ctx = Cli.OpenContext(o);
        using var session = new Session(ctx, import.Network, new SessionOptions { Winograd = !o.Flag("no-winograd"), Profile = !o.Flag("no-timestamps") });
        var net = session.Network;
        for (int i = 0; i < net.InputIds.Count; i++)
        {
            var a = new float[import.InputDims[net.Nodes[net.InputIds[i]].Name].Aggregate(1L, (x, y) => x * y)];
            for (int j = 0; j < a.Length; j++) a[j] = (float)rng.NextDouble();
            session.SetInput(a, i);
        }
        Console.WriteLine($"{path}: {string.Join(", ", import.InputDims.Select(kv => $"{kv.Key} [{string.Join(",", kv.Value)}]"))}; " +
                          $"{net.MultiplyAdds / 1e9:0.###} G multiply-adds; VulkanCnn on {ctx.DeviceInfo.Name} ({session.DispatchCount} dispatches)");
        for (int i = 0; i < warmup; i++) session.Run();
        var wall = new List<double>();
        var gpu = new List<double>();
        var sw = new Stopwatch();
        for (int i = 0; i < runs; i++)
        {
            sw.Restart();
            session.Run();
            wall.Add(sw.Elapsed.TotalMilliseconds);
            gpu.Add(session.LastGpuMilliseconds);
        }
        Console.WriteLine($"runs {runs}: min {wall.Min():0.00} ms, median {Cli.Median(wall):0.00} ms (GPU timestamps: min {gpu.Min():0.00}, median {Cli.Median(gpu):0.00})");
        return 0;
    }
}
