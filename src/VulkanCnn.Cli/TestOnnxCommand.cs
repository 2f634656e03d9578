// vcnn test-onnx DIR...: runs test cases in the ONNX backend-test layout and compares with the expected outputs.
using System.Globalization;
using VulkanCnn.Graph;
using VulkanCnn.Onnx;

namespace VulkanCnn.Cli;

internal static class TestOnnxCommand
{
    public static int Run(Options o)
    {
        if (o.Positional.Count == 0) throw new ArgumentException("vcnn test-onnx needs one or more test-case folders (each with model.onnx and test_data_set_N/).");
        double atol = o.Float("atol") ?? 1e-3f, rtol = o.Float("rtol") ?? 1e-3f;
        int passed = 0, failed = 0, skipped = 0;
        using var ctx = Cli.OpenContext(o);
        foreach (var dir in o.Positional)
        {
            string result;
            try { result = RunCase(ctx, dir, atol, rtol); }
            catch (NotSupportedException e) { result = "SKIP " + dir + ": " + OneLine(e.Message); }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or Vulkan.VulkanException or InvalidOperationException)
            {
                result = "FAIL " + dir + ": " + OneLine(e.Message);
            }
            if (result.StartsWith("PASS", StringComparison.Ordinal)) passed++;
            else if (result.StartsWith("SKIP", StringComparison.Ordinal)) skipped++;
            else failed++;
            Console.WriteLine(result);
        }
        Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        return failed > 0 ? 1 : 0;
    }

    private static string OneLine(string s) => string.Join("; ", s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string RunCase(Vulkan.VulkanContext ctx, string dir, double atol, double rtol)
    {
        string modelPath = Path.Combine(dir, "model.onnx");
        if (!File.Exists(modelPath)) return $"FAIL {dir}: no model.onnx";
        var sets = Directory.GetDirectories(dir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).ToArray();
        if (sets.Length == 0) return $"FAIL {dir}: no test_data_set_N folder";
        var model = OnnxModel.Load(modelPath);
        var inputNames = model.InputNames;

        OnnxTensor[] Read(string set, string prefix) =>
            Enumerable.Range(0, int.MaxValue).Select(k => Path.Combine(set, $"{prefix}_{k}.pb")).TakeWhile(File.Exists).Select(OnnxTensor.Load).ToArray();

        var firstInputs = Read(sets[0], "input");
        if (firstInputs.Length != inputNames.Count)
            return $"FAIL {dir}: {Path.GetFileName(sets[0])} has {firstInputs.Length} input_K.pb file(s), the model {inputNames.Count} input(s)";
        // The test data fix any symbolic input dimensions.
        var shapes = inputNames.Select((n, i) => (n, firstInputs[i].Dims.ToArray())).ToDictionary(p => p.n, p => p.Item2);
        var import = OnnxImporter.Import(model, shapes);
        using var session = new Session(ctx, import.Network);
        var net = session.Network;
        double worstRatio = 0;
        foreach (var set in sets)
        {
            var inputs = Read(set, "input");
            var expected = Read(set, "output");
            for (int i = 0; i < net.InputIds.Count; i++)
            {
                int k = inputNames.ToList().IndexOf(net.Nodes[net.InputIds[i]].Name);
                var x = inputs[k].ToFloats();
                if (x.Length != session.InputShape(i).ElementCount)
                    return $"FAIL {dir}: {Path.GetFileName(set)}/input_{k}.pb has {x.Length} values, the model's input takes {session.InputShape(i).ElementCount}";
                session.SetInput(x, i);
            }
            session.Run();
            if (expected.Length != net.OutputIds.Count)
                return $"FAIL {dir}: {Path.GetFileName(set)} has {expected.Length} output_K.pb file(s), the model {net.OutputIds.Count} output(s)";
            for (int i = 0; i < expected.Length; i++)
            {
                var want = expected[i].ToFloats();
                var got = new float[session.OutputShape(i).ElementCount];
                if (want.Length != got.Length)
                    return $"FAIL {dir}: output {i} '{net.Nodes[net.OutputIds[i]].Name}' has {got.Length} values, output_{i}.pb {want.Length}";
                session.GetOutput(got, i);
                for (int e = 0; e < want.Length; e++)
                {
                    double d = Math.Abs((double)want[e] - got[e]), allowed = atol + rtol * Math.Abs(want[e]);
                    if (double.IsNaN(got[e]) != double.IsNaN(want[e]) || d > allowed)
                        return string.Create(CultureInfo.InvariantCulture,
                            $"FAIL {dir}: {Path.GetFileName(set)} output {i} '{net.Nodes[net.OutputIds[i]].Name}' element {e}: expected {want[e]:G7}, got {got[e]:G7} (|diff| {d:G3} > {allowed:G3})");
                    if (allowed > 0) worstRatio = Math.Max(worstRatio, d / allowed);
                }
            }
        }
        return string.Create(CultureInfo.InvariantCulture, $"PASS {dir} ({sets.Length} data set(s), worst |diff| {100 * worstRatio:G2}% of the tolerance)");
    }
}
