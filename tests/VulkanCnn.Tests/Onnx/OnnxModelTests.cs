// Whole ONNX models against ONNX Runtime (a small classifier, a residual block, LeNet-5 and ResNet-18 written out
// from the builder), the loader's error paths, external and float16 initializers, and vcnn run / info / test-onnx.
using Google.Protobuf;
using VulkanCnn.Cli;
using VulkanCnn.Graph;
using VulkanCnn.Imaging;
using VulkanCnn.Layers;
using VulkanCnn.Models;
using VulkanCnn.Onnx;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Tests.Onnx;

public class OnnxModelTests : GpuTest
{
    private static OnnxGraph SmallClassifier(Random r)
    {
        // Conv → BN → Relu → MaxPool → Conv → Relu → Flatten → Gemm → Softmax.
        var g = new OnnxGraph();
        var x = g.Input("image", 1, 3, 16, 16);
        var c1 = g.Node("Conv", new[] { x, g.Random("c1.w", r, 0.3f, 8, 3, 3, 3), g.Random("c1.b", r, 0.1f, 8) }, ("pads", new long[] { 1, 1, 1, 1 }));
        var v = TestData.Random(r, 8).Select(a => 0.5f + Math.Abs(a)).ToArray();
        var bn = g.Node("BatchNormalization", new[] { c1, g.Random("bn.s", r, 1, 8), g.Random("bn.b", r, 1, 8), g.Random("bn.m", r, 0.3f, 8), g.Init("bn.v", v, 8) });
        var p = g.Node("MaxPool", new[] { g.Node("Relu", new[] { bn }) }, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        var c2 = g.Node("Relu", new[] { g.Node("Conv", new[] { p, g.Random("c2.w", r, 0.2f, 12, 8, 3, 3) }, ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 })) });
        var f = g.Node("Flatten", new[] { c2 });
        var fc = g.Node("Gemm", new[] { f, g.Random("fc.w", r, 0.1f, 10, 12 * 4 * 4), g.Random("fc.b", r, 0.1f, 10) }, ("transB", 1));
        g.Output(g.Node("Softmax", new[] { fc }, ("axis", 1)));
        g.Output(fc);
        return g;
    }

    private static OnnxGraph Residual(Random r)
    {
        var g = new OnnxGraph(opset: 11);
        var x = g.Input("x", 1, 6, 9, 9);
        var a = g.Node("Relu", new[] { g.Node("Conv", new[] { x, g.Random("a.w", r, 0.3f, 6, 6, 3, 3), g.Random("a.b", r, 0.1f, 6) }, ("pads", new long[] { 1, 1, 1, 1 })) });
        var b = g.Node("Conv", new[] { a, g.Random("b.w", r, 0.3f, 6, 6, 3, 3) }, ("pads", new long[] { 1, 1, 1, 1 }));
        var sum = g.Node("Relu", new[] { g.Node("Add", new[] { b, x }) });
        var pooled = g.Node("GlobalAveragePool", new[] { sum });
        g.Output(g.Node("Gemm", new[] { g.Node("Flatten", new[] { pooled }), g.Random("fc.w", r, 0.3f, 6, 4), g.Random("fc.b", r, 0.1f, 4) }));
        return g;
    }

    [Test]
    public void ConvBatchNormReluPoolGemmClassifier() => OnnxOracle.Compare(SmallClassifier(new Random(11)), new Random(12), "small classifier");

    [Test]
    public void ResidualBlock() => OnnxOracle.Compare(Residual(new Random(13)), new Random(14), "residual block");

    [Test]
    public void LeNet5WrittenFromTheBuilder()
    {
        var g = NetworkToOnnx.Write(Architectures.LeNet5(), "output");
        OnnxOracle.Compare(g, new Random(15), "LeNet-5 via ONNX");
    }

    [Test]
    public void ResNet18WrittenFromTheBuilderAtReducedInput()
    {
        var g = NetworkToOnnx.Write(Architectures.Build("resnet18", 64, classes: 100), "fc");
        OnnxOracle.Compare(g, new Random(16), "ResNet-18 64x64 via ONNX");
    }

    /// <summary>AlexNet as Krizhevsky et al. (2012) had it: LRN (size 5, α 1e-4, β 0.75, k 2) after the first two
    /// ReLUs, single tower, 99×99 input (so that the classifier stays small), He-initialised random weights.</summary>
    [Test]
    public void AlexNetWithLrnWrittenFromTheBuilder()
    {
        var w = Architectures.RandomWeights(21);
        var b = new NetworkBuilder("alexnet_lrn");
        Node Conv(Node x, string name, int c, int k, int f, int s, int p) =>
            x.Conv(k, f, w(name + ".weight", k * c * f * f, c * f * f), w(name + ".bias", k, 0), s, p, rounding: Rounding.Floor, name: name);
        var lrn = new Lrn { Size = 5, Alpha = 1e-4f, Beta = 0.75f, Bias = 2f };
        var x = Conv(b.Input(3, 99, 99, "image"), "conv1", 3, 64, 11, 4, 2).Relu("relu1").Then(lrn, "lrn1").MaxPool(3, 2, rounding: Rounding.Floor, name: "pool1");
        x = Conv(x, "conv2", 64, 192, 5, 1, 2).Relu("relu2").Then(lrn, "lrn2").MaxPool(3, 2, rounding: Rounding.Floor, name: "pool2");
        x = Conv(x, "conv3", 192, 384, 3, 1, 1).Relu("relu3");
        x = Conv(x, "conv4", 384, 256, 3, 1, 1).Relu("relu4");
        x = Conv(x, "conv5", 256, 256, 3, 1, 1).Relu("relu5").MaxPool(3, 2, rounding: Rounding.Floor, name: "pool5").Flatten("flatten");
        int n = (int)x.Shape.ElementCount;
        x = x.Dense(1024, w("fc6.weight", 1024 * n, n), w("fc6.bias", 1024, 0), Activation.Relu, "fc6");
        x = x.Dense(1024, w("fc7.weight", 1024 * 1024, 1024), w("fc7.bias", 1024, 0), Activation.Relu, "fc7");
        x.Dense(100, w("fc8.weight", 100 * 1024, 1024), w("fc8.bias", 100, 0), name: "fc8").Softmax("prob").Output();
        var g = NetworkToOnnx.Write(b.Build(), "fc8");
        Assert.That(g.Graph.Node.Count(nd => nd.OpType == "LRN"), Is.EqualTo(2));
        OnnxOracle.Compare(g, new Random(22), "AlexNet with LRN via ONNX", scale: 2f);
    }

    [Test]
    public void Vgg16WrittenFromTheBuilderAtReducedInput()
    {
        var g = NetworkToOnnx.Write(Architectures.Build("vgg16", 64, classes: 100), "classifier.6");
        OnnxOracle.Compare(g, new Random(23), "VGG16 64x64 via ONNX");
    }

    [Test]
    public void ResNet50WrittenFromTheBuilderAtReducedInput()
    {
        var g = NetworkToOnnx.Write(Architectures.Build("resnet50", 64, classes: 100), "fc");
        OnnxOracle.Compare(g, new Random(24), "ResNet-50 64x64 via ONNX");
    }

    [Test]
    public void ImportedNetworkIsOptimised()
    {
        // Conv + BN + Relu fold into one convolution; names of inputs and outputs follow the ONNX graph.
        var import = OnnxImporter.Import(OnnxModel.Load(SmallClassifier(new Random(11)).Bytes()));
        Assert.That(import.Network.Inputs.Single().Name, Is.EqualTo("image"));
        Assert.That(import.InputDims["image"], Is.EqualTo(new[] { 1, 3, 16, 16 }));
        Assert.That(import.OutputDims.Values.Select(d => d.Length), Is.All.EqualTo(2));
        var optimised = global::VulkanCnn.Graph.Optimizer.Optimize(import.Network);
        Assert.That(optimised.Nodes.Count(n => n.Layer is global::VulkanCnn.Layers.BatchNorm), Is.Zero);
        Assert.That(optimised.Nodes.Count(n => n.Layer is global::VulkanCnn.Layers.ActivationLayer), Is.Zero);
    }

    // ------------------------------------------------------------------------------------------------ errors

    [Test]
    public void TruncatedFileIsRejectedNamingIt()
    {
        var bytes = SmallClassifier(new Random(1)).Bytes();
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(bytes[..(bytes.Length / 2)], "half.onnx"));
        Assert.That(ex!.Message, Does.Contain("half.onnx"));
        var ex2 = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(new byte[] { 0xFF, 0xFF, 0xFF }, "junk.onnx"));
        Assert.That(ex2!.Message, Does.Contain("junk.onnx"));
        var ex3 = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(Array.Empty<byte>(), "empty.onnx"));
        Assert.That(ex3!.Message, Does.Contain("empty.onnx").And.Contain("no graph"));
    }

    [Test]
    public void OldIrVersionAndOpsetOutOfRangeAreRejected()
    {
        var g = new OnnxGraph(opset: 22);
        g.Output(g.Node("Relu", new[] { g.Input("x", 1, 1, 2, 2) }));
        Assert.That(() => OnnxModel.Load(g.Bytes(), "new.onnx"), Throws.TypeOf<NotSupportedException>().With.Message.Contain("opset 22").And.Message.Contain("1 to 21"));
        var h = new OnnxGraph(irVersion: 2);
        h.Output(h.Node("Relu", new[] { h.Input("x", 1, 1, 2, 2) }));
        Assert.That(() => OnnxModel.Load(h.Bytes(), "ir2.onnx"), Throws.TypeOf<NotSupportedException>().With.Message.Contain("IR version 2"));
    }

    [Test]
    public void EveryUnsupportedOperatorIsListed()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 3, 4, 4);
        var a = g.Node("LpNormalization", new[] { x }, ("axis", 1));
        var b = g.Node("Einsum", new[] { g.Node("Relu", new[] { a }) }, ("equation", "ij->ji"));
        var c = g.Node("Cast", new[] { g.Node("Relu", new[] { x }) }, ("to", 6));   // supported op, unsupported setting
        g.Output(b);
        g.Output(c);
        var ex = Assert.Throws<NotSupportedException>(() => OnnxImporter.Import(OnnxModel.Load(g.Bytes(), "two.onnx")));
        Assert.That(ex!.Message, Does.Contain("lpnormalization_0").And.Contain("(LpNormalization, opset 13)"));
        Assert.That(ex.Message, Does.Contain("(Einsum, opset 13)"));
        Assert.That(ex.Message, Does.Contain("(Cast, opset 13)").And.Contain("type 6"));
        Assert.That(ex.Message, Does.Contain("3 thing(s)"));
    }

    [Test]
    public void WrongAndMissingInputShapes()
    {
        var g = new OnnxGraph();
        g.Output(g.Node("Relu", new[] { g.SymbolicInput("x", null, 3, null, null) }));
        var model = OnnxModel.Load(g.Bytes(), "dyn.onnx");
        Assert.That(() => OnnxImporter.Import(model), Throws.ArgumentException.With.Message.Contain("'x' dimension 2").And.Message.Contain("symbolic"));
        Assert.That(() => OnnxImporter.Import(model, new Dictionary<string, int[]> { ["x"] = new[] { 1, 4, 5, 5 } }),
            Throws.ArgumentException.With.Message.Contain("dimension 1 is 3"));
        Assert.That(() => OnnxImporter.Import(model, new Dictionary<string, int[]> { ["y"] = new[] { 1, 3, 5, 5 } }),
            Throws.ArgumentException.With.Message.Contain("'y'").And.Message.Contain("'x'"));
        // A batch is a real dimension: the symbolic batch takes the size given.
        Assert.That(OnnxImporter.Import(model, new Dictionary<string, int[]> { ["x"] = new[] { 2, 3, 5, 5 } }).Network.Inputs.Single().OutputShape,
            Is.EqualTo(new TensorShape(2, 3, 5, 5)));
        var net = OnnxImporter.Import(model, new Dictionary<string, int[]> { ["x"] = new[] { 1, 3, 5, 7 } }).Network;
        Assert.That(net.Inputs.Single().OutputShape, Is.EqualTo(new global::VulkanCnn.Shape(3, 5, 7)));
    }

    [Test]
    public void BadWeightsNameTheNode()
    {
        var g = new OnnxGraph();
        g.Output(g.Node("Conv", new[] { g.Input("x", 1, 3, 8, 8), g.Random("w", new Random(1), 1, 4, 2, 3, 3) }));
        Assert.That(() => OnnxImporter.Import(OnnxModel.Load(g.Bytes(), "bad.onnx")),
            Throws.ArgumentException.With.Message.Contain("conv_0").And.Message.Contain("weights"));
    }

    [Test]
    public void ExternalDataAndFloat16Initializers()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vcnn-onnx-ext-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        try
        {
            var rng = new Random(21);
            var g = new OnnxGraph();
            var x = g.Input("x", 1, 2, 5, 5);
            var w = TestData.Random(rng, 3 * 2 * 3 * 3, 0.5f);
            var bias = TestData.Random(rng, 3, 0.5f);
            // Weights in an external file at an offset; bias as float16 raw data.
            var wt = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
            wt.Dims.AddRange(new long[] { 3, 2, 3, 3 });
            var wbytes = new byte[16 + w.Length * 4];
            Buffer.BlockCopy(w, 0, wbytes, 16, w.Length * 4);
            File.WriteAllBytes(Path.Combine(dir, "weights.bin"), wbytes);
            wt.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
            wt.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "16" });
            wt.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (w.Length * 4).ToString() });
            g.Graph.Initializer.Add(wt);
            var bt = new TensorProto { Name = "b", DataType = (int)TensorProto.Types.DataType.Float16 };
            bt.Dims.Add(3);
            bt.RawData = ByteString.CopyFrom(bias.SelectMany(v => BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)v))).ToArray());
            g.Graph.Initializer.Add(bt);
            var bias32 = g.Node("Cast", new[] { "b" }, ("to", 1));
            g.Output(g.Node("Conv", new[] { x, "w", bias32 }));
            string path = Path.Combine(dir, "model.onnx");
            File.WriteAllBytes(path, g.Bytes());

            var model = OnnxModel.Load(path);
            Assert.That(model.Initializers["w"].ToFloats(), Is.EqualTo(w));
            Assert.That(model.Initializers["b"].ToFloats(), Is.EqualTo(bias.Select(v => (float)(Half)v).ToArray()));
            var input = TestData.Random(rng, 50);
            var net = OnnxImporter.Load(path);
            // ONNX Runtime reads the external file relative to the model path.
            using var ort = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
            using var xv = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(input, new long[] { 1, 2, 5, 5 });
            using var res = ort.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), new[] { "x" }, new[] { xv }, ort.OutputNames);
            TestData.AssertClose(res[0].GetTensorDataAsSpan<float>().ToArray(), RunGpu(net, input)[0], "external data model");

            // A missing or short external file names the tensor and the file.
            File.WriteAllBytes(Path.Combine(dir, "weights.bin"), new byte[20]);
            Assert.That(() => OnnxModel.Load(path), Throws.TypeOf<InvalidDataException>().With.Message.Contain("'w'").And.Message.Contain("weights.bin"));
            File.Delete(Path.Combine(dir, "weights.bin"));
            Assert.That(() => OnnxModel.Load(path), Throws.TypeOf<FileNotFoundException>().With.Message.Contain("weights.bin"));
        }
        finally { Directory.Delete(dir, true); }
    }

    // ------------------------------------------------------------------------------------------------ CLI

    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var (o, e) = (Console.Out, Console.Error);
        var so = new StringWriter();
        var se = new StringWriter();
        Console.SetOut(so);
        Console.SetError(se);
        try { return (global::VulkanCnn.Cli.Cli.Run(args), so.ToString(), se.ToString()); }
        finally { Console.SetOut(o); Console.SetError(e); }
    }

    [Test]
    public void TestOnnxRunsBackendCases()
    {
        _ = Ctx;   // skip without a device
        var root = Path.Combine(Path.GetTempPath(), "vcnn-onnx-backend-" + Environment.ProcessId);
        try
        {
            var names = new[] { "Conv SAME_UPPER stride 2", "MaxPool ceil_mode", "Resize linear half_pixel scales", "Flatten Gemm transB alpha beta", "Transpose NHWC input", "Mul squeeze-excitation broadcast" };
            var dirs = new List<string>();
            for (int i = 0; i < names.Length; i++)
            {
                var d = Path.Combine(root, $"test_case_{i}");
                OnnxOracle.WriteBackendCase(d, OnnxOperatorTests.Build(names[i], new Random(i)), new Random(100 + i));
                dirs.Add(d);
            }
            OnnxOracle.WriteBackendCase(Path.Combine(root, "classifier"), SmallClassifier(new Random(3)), new Random(4));
            dirs.Add(Path.Combine(root, "classifier"));
            // An unsupported operator is skipped, not failed.
            var u = new OnnxGraph();
            u.Output(u.Node("LpNormalization", new[] { u.Input("x", 1, 3, 4, 4) }, ("axis", 1)));
            OnnxOracle.WriteBackendCase(Path.Combine(root, "lpnorm"), u, new Random(5));
            dirs.Add(Path.Combine(root, "lpnorm"));

            var (code, output, err) = Cli(new[] { "test-onnx" }.Concat(dirs).Concat(new[] { "--device", GpuSetUp.DeviceChoice }).ToArray());
            TestContext.Out.WriteLine(output + err);
            Assert.That(code, Is.EqualTo(0), output + err);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines[^1].Trim(), Is.EqualTo($"{dirs.Count - 1} passed, 0 failed, 1 skipped"));
            Assert.That(lines.Count(l => l.StartsWith("SKIP") && l.Contains("LpNormalization")), Is.EqualTo(1));

            // A wrong expected output fails, with the element, and the exit status says so.
            var bad = Path.Combine(root, "classifier", "test_data_set_0", "output_1.pb");
            var t = OnnxTensor.Load(bad);
            var v = t.ToFloats();
            v[3] += 0.5f;
            File.WriteAllBytes(bad, OnnxGraph.FloatTensor(t.Name, v, v.Length).ToByteArray());
            (code, output, _) = Cli("test-onnx", Path.Combine(root, "classifier"), "--device", GpuSetUp.DeviceChoice);
            Assert.That(code, Is.Not.EqualTo(0));
            Assert.That(output, Does.Contain("FAIL").And.Contain("element 3").And.Contain("0 passed, 1 failed, 0 skipped"));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Test]
    public void RunWritesEveryOutputAsNpyAndInfoShowsTheGraph()
    {
        _ = Ctx;
        var root = Path.Combine(Path.GetTempPath(), "vcnn-onnx-run-" + Environment.ProcessId);
        Directory.CreateDirectory(root);
        try
        {
            var g = SmallClassifier(new Random(7));
            string model = Path.Combine(root, "m.onnx");
            File.WriteAllBytes(model, g.Bytes());
            var x = TestData.Random(new Random(8), 3 * 16 * 16);
            ImageIO.WriteNpyArray(Path.Combine(root, "x.npy"), x, new[] { 1, 3, 16, 16 });
            var (code, output, err) = Cli("run", model, "--input", "image=" + Path.Combine(root, "x.npy"), "--output-dir", Path.Combine(root, "out"), "--device", GpuSetUp.DeviceChoice);
            Assert.That(code, Is.EqualTo(0), output + err);
            var expected = OnnxOracle.RunOrt(g.Bytes(), new[] { ("image", x, new long[] { 1, 3, 16, 16 }) });
            for (int i = 0; i < 2; i++)
            {
                var file = Path.Combine(root, "out", RunCommand.FileNameFor(g.Graph.Output[i].Name) + ".npy");
                var (data, shape) = ImageIO.ReadNpy(file);
                Assert.That(shape, Is.EqualTo(new[] { 1, 10 }));
                TestData.AssertClose(expected[i], data, $"vcnn run output {i}");
            }

            (code, output, err) = Cli("run", model, "--input", "nope=" + Path.Combine(root, "x.npy"), "--output-dir", Path.Combine(root, "out"));
            Assert.That(code, Is.Not.EqualTo(0));
            Assert.That(err, Does.Contain("'nope'").And.Contain("'image'"));

            (code, output, err) = Cli("info", model);
            Assert.That(code, Is.EqualTo(0), err);
            Assert.That(output, Does.Contain("peak activation memory").And.Contain("Dense").And.Contain("opset 13"));
        }
        finally { Directory.Delete(root, true); }
    }

    [Test]
    public void RunTakesImagesInTheModelsLayoutAndBenchComparesWithOnnxRuntime()
    {
        _ = Ctx;
        var root = Path.Combine(Path.GetTempPath(), "vcnn-onnx-image-" + Environment.ProcessId);
        Directory.CreateDirectory(root);
        try
        {
            // A 9x5 colour image with distinct values per pixel and channel.
            string png = Path.Combine(root, "p.png");
            using (var img = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(9, 5))
            {
                for (int y = 0; y < 5; y++)
                    for (int x = 0; x < 9; x++) img[x, y] = new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)(x * 20), (byte)(y * 40), (byte)(x * y * 5));
                SixLabors.ImageSharp.ImageExtensions.SaveAsPng(img, png);
            }

            // NCHW with symbolic height and width, resized to 6x4, ImageNet-normalised.
            var g = new OnnxGraph();
            var s = g.SymbolicInput("x", 1, 3, null, null);
            g.Output(g.Node("Mul", new[] { s, g.Init("one", new[] { 1f }) }));
            string model = Path.Combine(root, "nchw.onnx");
            File.WriteAllBytes(model, g.Bytes());
            var (code, output, err) = Cli("run", model, "--input", "x=" + png, "--resize", "6x4", "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225",
                "--output-dir", Path.Combine(root, "o1"), "--device", GpuSetUp.DeviceChoice);
            Assert.That(code, Is.EqualTo(0), output + err);
            var (pix, shape) = ImageIO.Load(png, false, 6, 4);
            float[] mean = { 0.485f, 0.456f, 0.406f }, std = { 0.229f, 0.224f, 0.225f };
            var want = pix.Select((v, i) => (v / 255f - mean[i / 24]) / std[i / 24]).ToArray();
            var (got, dims) = ImageIO.ReadNpy(Path.Combine(root, "o1", g.Graph.Output[0].Name + ".npy"));
            Assert.That(dims, Is.EqualTo(new[] { 1, 3, 4, 6 }));
            TestData.AssertClose(want, got, "NCHW image input");

            // NHWC with four channels (alpha opaque), fixed 9x5, raw pixel values.
            var h = new OnnxGraph();
            h.Output(h.Node("Transpose", new[] { h.Input("rgba", 1, 5, 9, 4) }, ("perm", new long[] { 0, 3, 1, 2 })));
            string model2 = Path.Combine(root, "nhwc.onnx");
            File.WriteAllBytes(model2, h.Bytes());
            (code, output, err) = Cli("run", model2, "--input", "rgba=" + png, "--scale", "1", "--output-dir", Path.Combine(root, "o2"), "--device", GpuSetUp.DeviceChoice);
            Assert.That(code, Is.EqualTo(0), output + err);
            var (pix2, _) = ImageIO.Load(png);
            (got, dims) = ImageIO.ReadNpy(Path.Combine(root, "o2", h.Graph.Output[0].Name + ".npy"));
            Assert.That(dims, Is.EqualTo(new[] { 1, 4, 5, 9 }));
            TestData.AssertClose(pix2.Concat(Enumerable.Repeat(255f, 45)).ToArray(), got, "NHWC RGBA image input");

            (code, output, err) = Cli("run", model2, "--input", "rgba=" + png, "--resize", "4x4", "--output-dir", Path.Combine(root, "o3"));
            Assert.That(code, Is.Not.EqualTo(0));
            Assert.That(err, Does.Contain("fixed at 9x5"));

            (code, output, err) = Cli("bench", model, "--input-shape", "x=1,3,8,8", "--runs", "2", "--warmup", "0", "--device", GpuSetUp.DeviceChoice);
            Assert.That(code, Is.EqualTo(0), output + err);
            Assert.That(output, Does.Contain("VulkanCnn").And.Contain("ONNX Runtime").And.Contain("ratio ONNX Runtime / VulkanCnn"));
        }
        finally { Directory.Delete(root, true); }
    }
}
