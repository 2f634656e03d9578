// The conformance suite: every ONNX operator case of OnnxOperatorTests written in the backend-test layout (model.onnx,
// test_data_set_0/input_K.pb and ONNX Runtime's output_K.pb) to a temporary folder and run through `vcnn test-onnx`.
using VulkanCnn.Onnx;

namespace VulkanCnn.Tests.Onnx;

public class ConformanceTests : GpuTest
{
    [Test]
    public void EverySupportedOperatorPassesThroughTestOnnx()
    {
        _ = Ctx;   // skip without a device
        var root = Path.Combine(Path.GetTempPath(), "vcnn-conformance-" + Environment.ProcessId);
        try
        {
            var dirs = new List<string>();
            var covered = new HashSet<string>();
            int i = 0;
            var builders = OnnxOperatorTests.Names.Select(n => (Name: n, Build: (Func<Random, OnnxGraph>)(r => OnnxOperatorTests.Build(n, r))))
                .Concat(OnnxTensorOpsTests.Names.Select(n => (Name: n, Build: (Func<Random, OnnxGraph>)(r => OnnxTensorOpsTests.Build(n, r)))));
            foreach (var (name, build) in builders)
            {
                var g = build(new Random(i));
                foreach (var n in g.Graph.Node) covered.Add(n.OpType);
                var dir = Path.Combine(root, $"test_{i:000}_" + new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray()));
                OnnxOracle.WriteBackendCase(dir, g, new Random(1000 + i));
                dirs.Add(dir);
                i++;
            }
            var missing = OnnxImporter.SupportedOperators.Where(op => !covered.Contains(op)).ToArray();
            Assert.That(missing, Is.Empty, "supported operators without a conformance case");

            var (so, se) = (new StringWriter(), new StringWriter());
            var (o, e) = (Console.Out, Console.Error);
            Console.SetOut(so);
            Console.SetError(se);
            int code;
            try { code = global::VulkanCnn.Cli.Cli.Run(new[] { "test-onnx" }.Concat(dirs).Concat(new[] { "--device", GpuSetUp.DeviceChoice }).ToArray()); }
            finally { Console.SetOut(o); Console.SetError(e); }
            string output = so.ToString();
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var l in lines.Where(l => !l.StartsWith("PASS"))) TestContext.Out.WriteLine(l);
            TestContext.Out.WriteLine($"{dirs.Count} cases covering {covered.Count} operators: {lines[^1].Trim()}");
            Assert.That(lines[^1].Trim(), Is.EqualTo($"{dirs.Count} passed, 0 failed, 0 skipped"), output + se);
            Assert.That(code, Is.EqualTo(0));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }
}
