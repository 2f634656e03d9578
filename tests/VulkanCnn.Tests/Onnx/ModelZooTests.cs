// The model zoo exported by scripts/model-zoo.sh (.cache/zoo/*.onnx), each model run on real photographs on the test
// device and compared with ONNX Runtime output by output.
using Microsoft.ML.OnnxRuntime;
using VulkanCnn.Imaging;
using VulkanCnn.Onnx;

namespace VulkanCnn.Tests.Onnx;

// Category: a full run that should leave the zoo out can filter with TestCategory!=ModelZoo.
[Category("ModelZoo")]
public class ModelZooTests : GpuTest
{
    private const string NotExported = "(model zoo not exported)";
    private static readonly float[] Mean = { 0.485f, 0.456f, 0.406f }, Std = { 0.229f, 0.224f, 0.225f };
    // A batch takes the photographs in this order; a batch-1 classifier sees the cat.
    private static readonly string[] Photos = { "chelsea.png", "astronaut.png", "coffee.png", "camera.png" };

    /// <summary>One case per .onnx file in .cache/zoo; one ignored case when the zoo has not been exported.</summary>
    public static IEnumerable<string> Models()
    {
        // Test discovery runs before any TestContext exists: find the repository from the assembly's folder.
        string? root = null;
        for (var d = new DirectoryInfo(Path.GetDirectoryName(typeof(ModelZooTests).Assembly.Location)!); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "VulkanCnn.sln"))) { root = d.FullName; break; }
        var dir = root == null ? null : Path.Combine(root, ".cache", "zoo");
        var files = dir != null && Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.onnx").Select(f => Path.GetFileName(f)).OrderBy(f => f, StringComparer.Ordinal).ToArray()
            : Array.Empty<string>();
        return files.Length > 0 ? files : new[] { NotExported };
    }

    [TestCaseSource(nameof(Models))]
    public void AgreesWithOnnxRuntime(string file)
    {
        if (file == NotExported) Assert.Ignore("run scripts/model-zoo.sh to export the model zoo");
        var path = Path.Combine(TestFiles.RepoRoot, ".cache", "zoo", file);

        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var ort = new InferenceSession(path, options);
        string input = ort.InputNames.Single();
        int[] dims = ort.InputMetadata[input].Dimensions;
        var (data, described) = PhotoInput(dims);

        // A refusal is a failure of this test (the zoo exists to find what VulkanCnn cannot run yet), never a skip.
        OnnxImport import;
        try { import = OnnxImporter.Import(OnnxModel.Load(path), new Dictionary<string, int[]> { [input] = dims }); }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidDataException)
        {
            Assert.Fail($"VulkanCnn cannot import {file}: {e.GetType().Name}: {e.Message}");
            return;
        }

        var longDims = dims.Select(v => (long)v).ToArray();
        using var x = OrtValue.CreateTensorValueFromMemory(data, longDims);
        using var expected = ort.Run(new RunOptions(), new[] { input }, new[] { x }, ort.OutputNames);
        // ONNX Runtime's own float32 noise (optimised against unoptimised graph), printed beside each error.
        using var plainOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var ortPlain = new InferenceSession(path, plainOptions);
        using var plain = ortPlain.Run(new RunOptions(), new[] { input }, new[] { x }, ortPlain.OutputNames);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var session = new global::VulkanCnn.Graph.Session(Ctx, import.Network);
        double compileMs = sw.Elapsed.TotalMilliseconds;
        session.SetInput(data);
        sw.Restart();
        session.Run();
        double runMs = sw.Elapsed.TotalMilliseconds;

        var ortNames = ort.OutputNames.ToList();
        Assert.That(session.OutputNames, Is.EquivalentTo(ortNames), $"{file}: outputs");
        TestContext.Out.WriteLine($"{file} on {Ctx.DeviceInfo.Name}, input {input} [{string.Join(",", dims)}] = {described}: " +
                                  $"compile {compileMs:0} ms, run {runMs:0} ms");
        var checks = new List<(string Name, float[] Want, float[] Got)>();
        foreach (var name in session.OutputNames)
        {
            var got = new float[session.OutputShape(session.OutputIndex(name)).ElementCount];
            session.GetOutput(name, got);
            var want = expected[ortNames.IndexOf(name)].GetTensorDataAsSpan<float>().ToArray();
            var other = plain[ortPlain.OutputNames.ToList().IndexOf(name)].GetTensorDataAsSpan<float>().ToArray();
            // Every output's figures are printed before any assertion, so a failing model still reports all of them.
            double err = want.Length == got.Length ? want.Zip(got, (p, q) => (double)Math.Abs(p - q)).Max() : double.NaN;
            double spread = want.Zip(other, (p, q) => (double)Math.Abs(p - q)).Max();
            TestContext.Out.WriteLine($"  {name} [{string.Join(",", import.OutputDims[name])}]: max |VulkanCnn - ONNX Runtime| {err:G3}, " +
                                      $"max |value| {want.Max(Math.Abs):G3}, ONNX Runtime optimised vs unoptimised {spread:G3}");
            checks.Add((name, want, got));
        }
        foreach (var (name, want, got) in checks)
            TestData.AssertClose(want, got, $"{file}: output {name}", 1e-3);
    }

    /// <summary>The model's input filled from the sample photographs: [N,3,H,W] images (ImageNet mean/std; a text line,
    /// W ≥ 3H, takes the scanned page), or [1,T,C] tokens (the grey cat resized to C×T, one image row per token).</summary>
    private static (float[] Data, string Described) PhotoInput(int[] dims)
    {
        if (dims.Length == 4 && dims[1] == 3)
        {
            int n = dims[0], h = dims[2], w = dims[3], hw = h * w;
            var data = new float[n * 3 * hw];
            var names = new string[n];
            for (int b = 0; b < n; b++)
            {
                names[b] = w >= 3 * h ? "page.png" : Photos[b % Photos.Length];
                var (chw, shape) = ImageIO.Load(TestFiles.Cached("images", names[b]), false, w, h);
                Assert.That(shape, Is.EqualTo(new global::VulkanCnn.Shape(3, h, w)));
                for (int c = 0; c < 3; c++)
                    for (int p = 0; p < hw; p++)
                        data[(b * 3 + c) * hw + p] = (chw[c * hw + p] / 255f - Mean[c]) / Std[c];
            }
            return (data, $"{string.Join(", ", names)} resized to {w}x{h}, ImageNet mean/std");
        }
        if (dims.Length == 3 && dims[0] == 1)
        {
            int t = dims[1], c = dims[2];
            var (grey, _) = ImageIO.Load(TestFiles.Cached("images", Photos[0]), true, c, t);
            return (grey.Select(v => (v / 255f - 0.5f) / 0.25f).ToArray(), $"{Photos[0]} grey resized to {c}x{t}, (v/255 - 0.5)/0.25, rows as tokens");
        }
        Assert.Fail($"no photograph fits the input shape [{string.Join(",", dims)}] (expected [N,3,H,W] or [1,T,C])");
        return default;
    }
}
