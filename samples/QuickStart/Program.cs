// QuickStart: the library in one page. Builds a small CNN from arrays with the builder API, runs it on a photograph,
// then runs the notes' ResNet-18 and, when set-up has fetched it, the BlazeFace ONNX model.
// Run: dotnet run -c Release --project samples/QuickStart [-- path/to/image.png]
using System.Diagnostics;
using VulkanCnn.Graph;
using VulkanCnn.Imaging;
using VulkanCnn.Layers;
using VulkanCnn.Models;
using VulkanCnn.Onnx;
using VulkanCnn.Vulkan;

string root = FindRoot();
string imagePath = args.Length > 0 ? args[0] : Path.Combine(root, ".cache", "images", "astronaut.png");
if (!File.Exists(imagePath))
{
    Console.Error.WriteLine($"{imagePath} not found: run scripts/setup.sh, or pass an image path.");
    return 1;
}

using var ctx = new VulkanContext();
Console.WriteLine($"device: {ctx.DeviceInfo}");

// 1. A network from arrays: 3x64x64 -> Conv(16, 3x3, pad 1) + ReLU -> MaxPool(2, 2) -> Dense(10) -> Softmax.
var rng = new Random(1);
float[] Random(int n, float scale) => Enumerable.Range(0, n).Select(_ => ((float)rng.NextDouble() * 2 - 1) * scale).ToArray();
var b = new NetworkBuilder("tiny");
b.Input(3, 64, 64)
 .Conv(16, 3, Random(16 * 3 * 3 * 3, 0.2f), Random(16, 0.1f), padding: 1, activation: Activation.Relu)
 .MaxPool(2, 2)
 .Flatten()
 .Dense(10, Random(10 * 16 * 32 * 32, 0.01f), Random(10, 0.1f))
 .Softmax()
 .Output();
Network tiny = b.Build();
Console.Write(tiny.SummaryTable());

var (pixels, _) = ImageIO.Load(imagePath, width: 64, height: 64);   // 3x64x64, values 0..255
for (int i = 0; i < pixels.Length; i++) pixels[i] /= 255f;
using (var session = new Session(ctx, tiny))
{
    float[] p = session.Run(pixels);
    Console.WriteLine($"tiny: class {Array.IndexOf(p, p.Max())} with p = {p.Max():0.000}, GPU {session.LastGpuMilliseconds:0.00} ms");
}

// 2. The notes' ResNet-18 (random weights) at 224x224, with the per-frame form of Run: no allocation per call.
var (photo, shape) = ImageIO.Load(imagePath, width: 224, height: 224);
using (var resnet = new Session(ctx, Architectures.Build("resnet18", 224)))
{
    var scores = new float[1000];
    resnet.SetInput(photo);
    resnet.Run();                                                     // warm-up
    var sw = Stopwatch.StartNew();
    resnet.Run();
    resnet.GetOutput(scores);
    Console.WriteLine($"resnet18 {shape}: {sw.Elapsed.TotalMilliseconds:0.0} ms wall, {resnet.LastGpuMilliseconds:0.0} ms GPU, top class {Array.IndexOf(scores, scores.Max())}");
}

// 3. A real model from ONNX: MediaPipe BlazeFace (front, 128x128, NHWC input in [-1, 1]).
string model = Path.Combine(root, ".cache", "models", "blazeface", "ONNX", "face_detection_front_128x128_barracuda.onnx");
if (File.Exists(model))
{
    using var face = new Session(ctx, OnnxImporter.Load(model));
    var (img, _) = ImageIO.Load(imagePath, width: 128, height: 128);
    var nhwc = new float[img.Length];
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 128 * 128; i++) nhwc[i * 3 + c] = img[c * 128 * 128 + i] / 127.5f - 1f;
    face.SetInput(nhwc);
    face.Run();
    foreach (var (o, i) in face.Network.Outputs.Select((o, i) => (o, i)))
    {
        var v = new float[o.OutputShape.ElementCount];
        face.GetOutput(v, i);
        Console.WriteLine($"blazeface output {o.Name}: {v.Length} values, max {v.Max():0.###}");
    }
}
else Console.WriteLine($"({model} not present: scripts/setup.sh fetches it)");
return 0;

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "VulkanCnn.sln"))) return d.FullName;
    return Directory.GetCurrentDirectory();
}
