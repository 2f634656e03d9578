// Real pretrained models fetched by scripts/setup.sh, run on a real photograph and compared with ONNX Runtime.
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using VulkanCnn.Onnx;

namespace VulkanCnn.Tests.Onnx;

public class RealModelTests : GpuTest
{
    private static string CachePath(params string[] parts)
    {
        string? root = null;
        for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "VulkanCnn.sln"))) { root = d.FullName; break; }
        var path = Path.Combine(new[] { root ?? ".", ".cache" }.Concat(parts).ToArray());
        if (!File.Exists(path)) Assert.Fail($"{path} is missing: run scripts/setup.sh to fetch the test models and photographs.");
        return path;
    }

    /// <summary>MediaPipe BlazeFace (TensorFlow export, NHWC input in [−1, 1]) on the astronaut photograph.</summary>
    [TestCase("face_detection_front_128x128_barracuda.onnx", 128)]
    [TestCase("face_detection_back_256x256_barracuda.onnx", 256)]
    public void BlazeFaceAgreesWithOnnxRuntime(string file, int size)
    {
        var modelPath = CachePath("models", "blazeface", "ONNX", file);
        var (chw, shape) = Filters.FilterOracle.Photo("astronaut.png", false, size);
        Assert.That(shape, Is.EqualTo(new global::VulkanCnn.Layers.Shape(3, size, size)));
        var nhwc = new float[chw.Length];
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < size * size; p++) nhwc[p * 3 + c] = chw[c * size * size + p] / 127.5f - 1f;

        var model = OnnxModel.Load(modelPath);
        string input = model.InputNames.Single();
        var import = OnnxImporter.Import(model);
        Assert.That(import.InputDims[input], Is.EqualTo(new[] { 1, size, size, 3 }));

        var sw = Stopwatch.StartNew();
        using var ort = new InferenceSession(modelPath);
        using var x = OrtValue.CreateTensorValueFromMemory(nhwc, new long[] { 1, size, size, 3 });
        using var expected = ort.Run(new RunOptions(), new[] { input }, new[] { x }, ort.OutputNames);
        double ortMs = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        using var session = new global::VulkanCnn.Graph.Session(Ctx, import.Network);
        double compileMs = sw.Elapsed.TotalMilliseconds;
        session.SetInput(nhwc);
        sw.Restart();
        session.Run();
        double runMs = sw.Elapsed.TotalMilliseconds;
        var net = session.Network;
        var report = new List<string>();
        for (int i = 0; i < net.OutputIds.Count; i++)
        {
            string name = net.Nodes[net.OutputIds[i]].Name;
            int k = ort.OutputNames.ToList().IndexOf(name);
            Assert.That(k, Is.GreaterThanOrEqualTo(0), $"output {name} not among ONNX Runtime's {string.Join(", ", ort.OutputNames)}");
            var got = new float[session.OutputShape(i).Size];
            session.GetOutput(got, i);
            var want = expected[k].GetTensorDataAsSpan<float>().ToArray();
            double err = TestData.AssertClose(want, got, $"BlazeFace {size}: output {name}");
            report.Add($"{name} [{string.Join(",", import.OutputDims[name])}] max |diff| {err:G3} (max |value| {want.Max(Math.Abs):G3})");
        }
        TestContext.Out.WriteLine($"BlazeFace {file} on {Ctx.DeviceInfo.Name}: compile {compileMs:0} ms, run {runMs:0.0} ms (ONNX Runtime load + run {ortMs:0} ms)");
        foreach (var r in report) TestContext.Out.WriteLine("  " + r);
    }
}
