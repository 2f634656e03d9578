// vcnn bench MODEL.onnx: VulkanCnn and ONNX Runtime (CPU) on the same model and the same random input, in one run.
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using VulkanCnn.Graph;
using VulkanCnn.Onnx;

namespace VulkanCnn.Cli;

internal static class OnnxBenchCommand
{
    public static int Run(Options o)
    {
        if (o.Positional.Count != 1) throw new ArgumentException("vcnn bench takes one MODEL.onnx.");
        string path = o.Positional[0];
        int runs = o.Int("runs") ?? 10, warmup = o.Int("warmup") ?? 2;
        if (runs < 1 || warmup < 0) throw new ArgumentException($"--runs must be at least 1 and --warmup at least 0, got {runs} and {warmup}.");
        var model = OnnxModel.Load(path);
        var shapes = RunCommand.InputShapes(o);
        var import = OnnxImporter.Import(model, shapes);
        if (o.Int("batch") is int batch)
        {
            // The same model with every input's first dimension (its batch) set to --batch.
            if (batch < 1) throw new ArgumentException($"--batch must be at least 1, got {batch}.");
            var batched = import.InputDims.ToDictionary(kv => kv.Key, kv => kv.Value.Length == 0 ? kv.Value : kv.Value.Select((v, i) => i == 0 ? batch : v).ToArray());
            import = OnnxImporter.Import(model, batched);
        }

        // The same input for both: uniform in [0, 1), seeded.
        var rng = new Random(7);
        var inputs = import.InputDims.ToDictionary(kv => kv.Key, kv =>
        {
            var a = new float[kv.Value.Aggregate(1L, (x, y) => x * y)];
            for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
            return a;
        });

        using var ctx = Cli.OpenContext(o);
        var sw = Stopwatch.StartNew();
        using var session = new Session(ctx, import.Network, new VulkanCnn.Graph.SessionOptions { Winograd = !o.Flag("no-winograd"), Profile = !o.Flag("no-timestamps") });
        double compileMs = sw.Elapsed.TotalMilliseconds;
        var net = session.Network;
        for (int i = 0; i < net.InputIds.Count; i++) session.SetInput(inputs[net.Nodes[net.InputIds[i]].Name], i);
        Console.WriteLine($"{path}: {string.Join(", ", import.InputDims.Select(kv => $"{kv.Key} [{string.Join(",", kv.Value)}]"))}; " +
                          $"{net.MultiplyAdds / 1e9:0.###} G multiply-adds");
        Console.WriteLine($"VulkanCnn on {ctx.DeviceInfo.Name}: compiled in {compileMs:0} ms ({session.DispatchCount} dispatches)");
        var perLayer = new Dictionary<string, (string Type, List<double> Ms)>();
        var (vkWall, vkGpu) = Time(runs, warmup, () => session.Run(), () =>
        {
            foreach (var t in session.LastLayerTimes)
            {
                if (!perLayer.TryGetValue(t.Name, out var l)) perLayer[t.Name] = l = (t.Type, new List<double>());
                l.Ms.Add(t.Milliseconds);
            }
            return session.LastGpuMilliseconds;
        });

        sw.Restart();
        using var ortSession = new InferenceSession(path);
        var values = import.InputDims.Select(kv => OrtValue.CreateTensorValueFromMemory(inputs[kv.Key], kv.Value.Select(v => (long)v).ToArray())).ToArray();
        var names = import.InputDims.Keys.ToArray();
        double ortLoadMs = sw.Elapsed.TotalMilliseconds;
        Console.WriteLine($"ONNX Runtime {OrtEnv.Instance().GetVersionString()} (CPU, {Environment.ProcessorCount} logical cores): loaded in {ortLoadMs:0} ms");
        IDisposableReadOnlyCollection<OrtValue>? last = null;
        var (ortWall, _) = Time(runs, warmup, () => { last?.Dispose(); last = ortSession.Run(new RunOptions(), names, values, ortSession.OutputNames); }, () => 0);

        // The two agree on this input (a sanity check, not the conformance test): largest difference per output.
        for (int i = 0; i < net.OutputIds.Count; i++)
        {
            string name = net.Nodes[net.OutputIds[i]].Name;
            int k = ortSession.OutputNames.ToList().IndexOf(name);
            if (k < 0 || last == null) continue;
            var y = new float[session.OutputShape(i).ElementCount];
            session.GetOutput(y, i);
            var want = last[k].GetTensorDataAsSpan<float>();
            double diff = 0;
            for (int j = 0; j < y.Length && j < want.Length; j++) diff = Math.Max(diff, Math.Abs(y[j] - want[j]));
            Console.WriteLine($"  output {name}: max |VulkanCnn - ONNX Runtime| = {diff:G3}");
        }
        last?.Dispose();
        foreach (var v in values) v.Dispose();

        // Where VulkanCnn's time goes: GPU time per layer type (medians over the runs), largest first.
        if (perLayer.Count > 0)
        {
            var byType = perLayer.Values.GroupBy(l => l.Type).Select(gr => (Type: gr.Key, Count: gr.Count(), Ms: gr.Sum(l => Cli.Median(l.Ms)))).OrderByDescending(t => t.Ms).ToArray();
            double total = byType.Sum(t => t.Ms);
            Console.WriteLine();
            Console.WriteLine($"{"layer type",-16} {"layers",6} {"median ms",10} {"share",7}");
            foreach (var t in byType.Take(12)) Console.WriteLine($"{t.Type,-16} {t.Count,6} {t.Ms,10:0.00} {100 * t.Ms / total,6:0.0}%");
        }

        double vkMin = vkWall.Min(), vkMed = Cli.Median(vkWall), ortMin = ortWall.Min(), ortMed = Cli.Median(ortWall);
        Console.WriteLine();
        Console.WriteLine($"{"runs " + runs,-14} {"min ms",10} {"median ms",10}");
        Console.WriteLine($"{"VulkanCnn",-14} {vkMin,10:0.00} {vkMed,10:0.00}   (GPU timestamps: min {vkGpu.Min():0.00}, median {Cli.Median(vkGpu):0.00})");
        Console.WriteLine($"{"ONNX Runtime",-14} {ortMin,10:0.00} {ortMed,10:0.00}");
        int n = import.InputDims.Values.FirstOrDefault() is { Length: > 0 } d0 ? d0[0] : 1;
        if (n > 1) Console.WriteLine($"batch {n}: VulkanCnn {n * 1000 / vkMin:0.0} images/s ({vkMin / n:0.00} ms per image), ONNX Runtime {n * 1000 / ortMin:0.0} images/s");
        double ratio = ortMed / vkMed;
        Console.WriteLine($"ratio ONNX Runtime / VulkanCnn (median): {ratio:G3} " +
                          (ratio >= 1 ? $"(VulkanCnn {ratio:0.##}x faster)" : $"(ONNX Runtime {1 / ratio:0.#}x faster)"));
        return 0;
    }

    private static (List<double> Wall, List<double> Gpu) Time(int runs, int warmup, Action run, Func<double> gpu)
    {
        for (int i = 0; i < warmup; i++) run();
        var wall = new List<double>();
        var g = new List<double>();
        var sw = new Stopwatch();
        for (int i = 0; i < runs; i++)
        {
            sw.Restart();
            run();
            wall.Add(sw.Elapsed.TotalMilliseconds);
            g.Add(gpu());
        }
        return (wall, g);
    }
}
