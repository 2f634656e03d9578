// Test kit for the ONNX importer: a small writer of ONNX models through the generated protobuf classes, ONNX Runtime
// as the oracle, and the backend-test layout (model.onnx, test_data_set_0/input_K.pb, output_K.pb) written to disk.
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using VulkanCnn.Onnx;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Tests.Onnx;

/// <summary>Writes an ONNX model node by node.</summary>
internal sealed class OnnxGraph
{
    private readonly ModelProto _model;
    private readonly GraphProto _g;
    private int _counter;
    public readonly Dictionary<string, long[]> InputDims = new();

    public OnnxGraph(int opset = 13, long irVersion = 7, string name = "test")
    {
        _g = new GraphProto { Name = name };
        _model = new ModelProto { IrVersion = irVersion, ProducerName = "VulkanCnn.Tests", Graph = _g };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public ModelProto Model => _model;
    public GraphProto Graph => _g;

    public string Input(string name, params long[] dims)
    {
        _g.Input.Add(ValueInfo(name, dims));
        InputDims[name] = dims;
        return name;
    }

    /// <summary>An input with symbolic dimensions (null entries become dim_param "d{i}").</summary>
    public string SymbolicInput(string name, params long?[] dims)
    {
        var shape = new TensorShapeProto();
        for (int i = 0; i < dims.Length; i++)
            shape.Dim.Add(dims[i] is long v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = $"d{i}" });
        _g.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
        return name;
    }

    private static ValueInfoProto ValueInfo(string name, long[]? dims)
    {
        var tt = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float };
        if (dims != null)
        {
            tt.Shape = new TensorShapeProto();
            foreach (var d in dims) tt.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }

    public static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    public string Init(string name, float[] values, params long[] dims)
    {
        _g.Initializer.Add(FloatTensor(name, values, dims));
        return name;
    }

    public string InitInts(string name, long[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(values);
        _g.Initializer.Add(t);
        return name;
    }

    public string Random(string name, Random rng, float scale, params long[] dims) =>
        Init(name, TestData.Random(rng, dims.Aggregate(1L, (a, b) => a * b), scale), dims);

    /// <summary>Adds a node; attributes are (name, value) with value int, long, float, string, long[], float[] or TensorProto.</summary>
    public string Node(string op, string[] inputs, params (string Name, object Value)[] attrs) => Nodes(op, inputs, 1, attrs)[0];

    public string[] Nodes(string op, string[] inputs, int outputs, params (string Name, object Value)[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = $"{op.ToLowerInvariant()}_{_counter++}" };
        n.Input.AddRange(inputs);
        var outs = Enumerable.Range(0, outputs).Select(k => $"{n.Name}_out{k}").ToArray();
        n.Output.AddRange(outs);
        foreach (var (name, value) in attrs) n.Attribute.Add(Attribute(name, value));
        _g.Node.Add(n);
        return outs;
    }

    public static AttributeProto Attribute(string name, object value)
    {
        var a = new AttributeProto { Name = name };
        switch (value)
        {
            case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
            case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
            case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
            case int[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls.Select(v => (long)v)); break;
            case float[] fs: a.Type = AttributeProto.Types.AttributeType.Floats; a.Floats.AddRange(fs); break;
            case TensorProto t: a.Type = AttributeProto.Types.AttributeType.Tensor; a.T = t; break;
            default: throw new ArgumentException($"attribute {name}: unsupported value type {value.GetType()}");
        }
        return a;
    }

    public void Output(string name) => _g.Output.Add(ValueInfo(name, null));

    public byte[] Bytes() => _model.ToByteArray();
}

/// <summary>ONNX Runtime (CPU) as the oracle, and the comparison of VulkanCnn with it.</summary>
internal static class OnnxOracle
{
    public static float[][] RunOrt(byte[] model, IReadOnlyList<(string Name, float[] Data, long[] Dims)> inputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Dims)).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            var outputNames = session.OutputNames;
            using var results = session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), values, outputNames);
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public static List<(string Name, float[] Data, long[] Dims)> RandomInputs(OnnxGraph g, Random rng, float scale = 1f) =>
        g.InputDims.Select(kv => (kv.Key, TestData.Random(rng, kv.Value.Aggregate(1L, (a, b) => a * b), scale), kv.Value)).ToList();

    /// <summary>Imports and runs the model on the GPU; returns the outputs in graph order.</summary>
    public static float[][] RunVulkan(byte[] model, IReadOnlyList<(string Name, float[] Data, long[] Dims)> inputs, string what)
    {
        var import = OnnxImporter.Import(OnnxModel.Load(model, what), inputs.ToDictionary(i => i.Name, i => i.Dims.Select(d => (int)d).ToArray()));
        var net = import.Network;
        var byName = inputs.ToDictionary(i => i.Name, i => i.Data);
        var xs = net.InputIds.Select(id => byName[net.Nodes[id].Name]).ToArray();
        return GpuSetUp.Run(net, xs);
    }

    /// <summary>Runs both and asserts agreement per output (mixed 1e-3 check); returns the max |diff| per output.</summary>
    public static double[] Compare(OnnxGraph g, Random rng, string what, float scale = 1f, double eps = 1e-3, List<(string, float[], long[])>? inputs = null)
    {
        var bytes = g.Bytes();
        inputs ??= RandomInputs(g, rng, scale);
        var expected = RunOrt(bytes, inputs);
        var actual = RunVulkan(bytes, inputs, what);
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: number of outputs");
        var errs = new double[expected.Length];
        for (int i = 0; i < expected.Length; i++)
            errs[i] = TestData.AssertClose(expected[i], actual[i], $"{what}: output {i} ({g.Graph.Output[i].Name})", eps);
        TestContext.Out.WriteLine($"{what}: max |VulkanCnn - ONNX Runtime| per output: {string.Join(", ", errs.Select(e => e.ToString("G3")))}");
        return errs;
    }

    /// <summary>ONNX Runtime's outputs with their shapes.</summary>
    public static (float[] Data, long[] Dims)[] RunOrtWithShapes(byte[] model, IReadOnlyList<(string Name, float[] Data, long[] Dims)> inputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Dims)).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), values, session.OutputNames);
            return results.Select(r => (r.GetTensorDataAsSpan<float>().ToArray(), r.GetTensorTypeAndShape().Shape)).ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>
    /// The imported network on the GPU and on the C# reference (<see cref="Reference.CpuReference"/>, so the references
    /// are checked by the oracle too) against ONNX Runtime: every output's shape exactly, its values with the mixed check.
    /// </summary>
    public static void CompareEverywhere(OnnxGraph g, IReadOnlyList<(string Name, float[] Data, long[] Dims)> inputs, string what, double eps = 1e-3)
    {
        var bytes = g.Bytes();
        var expected = RunOrtWithShapes(bytes, inputs);
        var import = OnnxImporter.Import(OnnxModel.Load(bytes, what), inputs.ToDictionary(i => i.Name, i => i.Dims.Select(d => (int)d).ToArray()));
        var net = import.Network;
        var byName = inputs.ToDictionary(i => i.Name, i => i.Data);
        var xs = net.InputIds.Select(id => byName[net.Nodes[id].Name]).ToArray();
        var gpu = GpuSetUp.Run(net, xs);
        var cpu = Reference.CpuReference.Run(net, xs);
        Assert.That(gpu.Length, Is.EqualTo(expected.Length), $"{what}: number of outputs");
        var errs = new List<string>();
        for (int i = 0; i < expected.Length; i++)
        {
            string name = g.Graph.Output[i].Name;
            Assert.That(import.OutputDims[name].Select(d => (long)d), Is.EqualTo(expected[i].Dims), $"{what}: shape of output {i} ({name})");
            double eg = TestData.AssertClose(expected[i].Data, gpu[i], $"{what}: output {i} ({name}) on the GPU", eps);
            double ec = TestData.AssertClose(expected[i].Data, cpu[i], $"{what}: output {i} ({name}) on the C# reference", eps);
            errs.Add($"{eg:G3} (reference {ec:G3})");
        }
        TestContext.Out.WriteLine($"{what}: max |VulkanCnn - ONNX Runtime| per output: {string.Join(", ", errs)}");
    }

    /// <summary>Writes the backend-test layout for a model, with ONNX Runtime's outputs as the expected ones.</summary>
    public static void WriteBackendCase(string dir, OnnxGraph g, Random rng, float scale = 1f)
    {
        Directory.CreateDirectory(Path.Combine(dir, "test_data_set_0"));
        var bytes = g.Bytes();
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), bytes);
        var inputs = RandomInputs(g, rng, scale);
        var outputs = RunOrt(bytes, inputs);
        for (int i = 0; i < inputs.Count; i++)
            File.WriteAllBytes(Path.Combine(dir, "test_data_set_0", $"input_{i}.pb"), OnnxGraph.FloatTensor(inputs[i].Name, inputs[i].Data, inputs[i].Dims).ToByteArray());
        for (int i = 0; i < outputs.Length; i++)
            File.WriteAllBytes(Path.Combine(dir, "test_data_set_0", $"output_{i}.pb"), OnnxGraph.FloatTensor(g.Graph.Output[i].Name, outputs[i], outputs[i].Length).ToByteArray());
    }
}
