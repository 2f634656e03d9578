// TFLite model → VulkanCnn Network: the public entry, the values flowing through the graph, the layout rule and the
// operator table (converters in TfliteImporter.Ops.cs). Unsupported content is collected over the whole graph and
// reported at once, like the ONNX importer.
//
// Layout: TFLite images are NHWC. Inside the network every rank-4 tensor is stored NCHW, so the existing NCHW kernels
// (convolutions, pooling, resize) run unchanged; the model's inputs keep NHWC for the caller and are transposed once
// on the GPU, and rank-4 outputs are transposed back to NHWC (free when H = W = 1). Tensors of other ranks are stored
// in TFLite's own order.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx;

namespace VulkanCnn.Tflite;

/// <summary>Imports TFLite models (schema version 3, float32 with float16 weights) as a <see cref="Network"/>.</summary>
public static class TfliteImporter
{
    /// <summary>Loads and imports a .tflite file. Inputs and outputs are named after the model's tensors and keep the
    /// model's shapes (NHWC for images).</summary>
    /// <exception cref="InvalidDataException">The file is not a valid TFLite flatbuffer (truncated, corrupt).</exception>
    /// <exception cref="NotSupportedException">The model uses operators or types VulkanCnn cannot run (all are listed).</exception>
    public static OnnxImport Import(string path) => Import(TfliteModel.Load(path));

    /// <summary>Imports a parsed model.</summary>
    public static OnnxImport Import(TfliteModel model) => new TfliteConverter(model).Run();

    /// <summary>The builtin and custom operators the importer maps, in the order of docs/tflite.md.</summary>
    public static IReadOnlyCollection<string> SupportedOperators => TfliteConverter.Supported;
}

internal sealed partial class TfliteConverter
{
    // A value: computed on the GPU (Node; NCHW when rank 4), known at load (TFLite order), or unusable.
    private abstract record Val;

    private sealed record Rt(Node Node, int[] Dims) : Val;   // Dims: the TFLite shape

    private sealed record Cst(int[] Dims, double[] V) : Val
    {
        public float[] F => V.Select(v => (float)v).ToArray();
        public int[] I => V.Select(v => (int)v).ToArray();
    }

    private sealed record Bad : Val;

    private readonly TfliteModel _m;
    private readonly NetworkBuilder _b;
    private readonly Val?[] _vals;
    private readonly List<string> _unsupported = new();
    private readonly HashSet<string> _usedNames = new();
    private TfliteOperator _op = null!;

    /// <summary>The operator table: one row per supported operator (builtin code, or custom name), in docs/tflite.md
    /// order. Being in the table is being supported.</summary>
    private static readonly (string Name, Action<TfliteConverter> Convert)[] Table =
    {
        ("CONV_2D", c => c.Conv2dOp(false)),
        ("DEPTHWISE_CONV_2D", c => c.Conv2dOp(true)),
        ("Convolution2DTransposeBias", c => c.TransposeConvBiasOp()),
        ("TRANSPOSE_CONV", c => c.TransposeConvOp()),
        ("MAX_POOL_2D", c => c.PoolOp(PoolKind.Max)),
        ("AVERAGE_POOL_2D", c => c.PoolOp(PoolKind.Average)),
        ("ADD", c => c.BinaryOp(Layers.BinaryOp.Add, true)),
        ("SUB", c => c.BinaryOp(Layers.BinaryOp.Sub, true)),
        ("MUL", c => c.BinaryOp(Layers.BinaryOp.Mul, true)),
        ("DIV", c => c.BinaryOp(Layers.BinaryOp.Div, true)),
        ("PRELU", c => c.PreluOp()),
        ("RELU", c => c.Act(Activation.Relu)),
        ("RELU6", c => c.Act(Activation.Relu6)),
        ("LOGISTIC", c => c.Act(Activation.Sigmoid)),
        ("TANH", c => c.Act(Activation.Tanh)),
        ("HARD_SWISH", c => c.Act(Activation.HardSwish)),
        ("RESIZE_BILINEAR", c => c.ResizeOp(UpsampleMode.Bilinear)),
        ("MEAN", c => c.MeanOp()),
        ("PAD", c => c.PadOp()),
        ("CONCATENATION", c => c.ConcatOp()),
        ("RESHAPE", c => c.ReshapeOp()),
        ("DEQUANTIZE", c => c.DequantizeOp()),
    };

    private static readonly Dictionary<string, Action<TfliteConverter>> ByName = Table.ToDictionary(r => r.Name, r => r.Convert);

    internal static IReadOnlyCollection<string> Supported { get; } = Table.Select(r => r.Name).ToArray();

    public TfliteConverter(TfliteModel model)
    {
        _m = model;
        _b = new NetworkBuilder(Path.GetFileNameWithoutExtension(model.Source));
        _vals = new Val?[model.Tensors.Count];
    }

    private string Src => _m.Source;

    public OnnxImport Run()
    {
        RefuseQuantized();
        // The network's outputs carry the output tensors' names exactly; the nodes computing them get suffixes.
        foreach (int o in _m.Outputs) _usedNames.Add(_m.Tensors[o].Name);
        foreach (var t in _m.Tensors)
            if (_m.Data(t).Length > 0) _vals[t.Index] = ReadConstant(t);

        var inputDims = new Dictionary<string, int[]>();
        foreach (int i in _m.Inputs)
        {
            var t = _m.Tensors[i];
            if (t.Type != TfliteType.Float32)
                throw new NotSupportedException($"'{Src}': input {t} has element type {t.Type}; only float32 inputs are supported.");
            if (t.Shape.Length == 0 || t.Shape.Any(d => d <= 0) || t.Shape.Length > TensorShape.MaxRank)
                throw new NotSupportedException($"'{Src}': input {t} has shape [{string.Join(",", t.Shape)}]; a fixed shape of rank 1 to {TensorShape.MaxRank} is needed.");
            var node = _b.Add(new InputLayer(new TensorShape(t.Shape)), Unique(t.Name));
            inputDims[t.Name] = t.Shape.ToArray();
            // NHWC in, NCHW inside.
            if (t.Shape.Length == 4) node = _b.Add(new Transpose(0, 3, 1, 2), Unique(t.Name + "_nchw"), node);
            _vals[i] = new Rt(node, t.Shape.ToArray());
        }

        foreach (var op in _m.Operators)
        {
            _op = op;
            if (!ByName.TryGetValue(op.Code.Builtin == TfliteOps.Custom ? op.Code.Custom ?? "" : op.Code.Name, out var convert))
            {
                Report(op.Code.Builtin == TfliteOps.Custom ? "custom operator not supported" : "operator not supported");
                continue;
            }
            if (op.Inputs.Any(i => i >= 0 && _vals[i] is Bad)) { MarkBad(); continue; }
            foreach (int i in op.Inputs)
                if (i >= 0 && _vals[i] == null)
                    throw new InvalidDataException($"'{Src}': operator {op.Index} ({op.Code.Name}) reads {_m.Tensors[i]}, which no earlier operator, input or buffer produces (operators out of order, or the file is corrupt).");
            try { convert(this); }
            catch (NotSupportedException e) { Report(e.Message); }
            catch (ArgumentException e) { throw new ArgumentException($"'{Src}': operator {op.Index} ({op.Code.Name} v{op.Code.Version}): {e.Message}", e); }
        }

        var outputDims = new Dictionary<string, int[]>();
        foreach (int o in _m.Outputs)
        {
            var t = _m.Tensors[o];
            switch (_vals[o])
            {
                case null: throw new InvalidDataException($"'{Src}': output {t} is produced by no operator.");
                case Bad: continue;
                case Cst: _unsupported.Add($"  output {t}: a constant output (computable without the input) is not supported"); continue;
            }
            var rt = (Rt)_vals[o]!;
            if (outputDims.ContainsKey(t.Name)) throw new InvalidDataException($"'{Src}': output {t} is listed twice.");
            // NCHW inside, NHWC out; the node carries the tensor's name.
            var layer = rt.Dims.Length == 4 ? new Transpose(0, 2, 3, 1) : (Layer)new Identity();
            _b.Add(layer, t.Name, rt.Node).Output();
            outputDims[t.Name] = rt.Dims;
        }
        if (_unsupported.Count > 0)
            throw new NotSupportedException($"'{Src}' uses {_unsupported.Count} thing(s) VulkanCnn cannot run:\n" + string.Join("\n", _unsupported));
        if (outputDims.Count == 0) throw new InvalidDataException($"'{Src}' has no output.");
        return new OnnxImport(_b.Build(), inputDims, outputDims);
    }

    /// <summary>Integer-quantised models (int8/uint8/int16 tensors, or quantisation parameters on the tensors operators
    /// compute with) are refused up front, naming the tensors: the importer computes in float32 only.</summary>
    private void RefuseQuantized()
    {
        var used = new HashSet<int>(_m.Operators.SelectMany(o => o.Inputs.Concat(o.Outputs)).Where(i => i >= 0));
        var q = _m.Tensors.Where(t => used.Contains(t.Index) && (t.Type is TfliteType.Int8 or TfliteType.UInt8 or TfliteType.Int16 || (t.Quantized && t.Type != TfliteType.Float16 && t.Type != TfliteType.Float32)))
                          .ToList();
        if (q.Count == 0) return;
        throw new NotSupportedException($"'{Src}' is an integer-quantised model ({q.Count} quantised tensor(s), e.g. " +
            string.Join(", ", q.Take(5)) + (q.Count > 5 ? ", ..." : "") + "); VulkanCnn imports float32 models (float16 weights included) only.");
    }

    private Val ReadConstant(TfliteTensor t)
    {
        var data = _m.Data(t).Span;
        long n = t.Shape.Aggregate(1L, (a, d) => a * d);
        int size = t.Type switch
        {
            TfliteType.Float32 or TfliteType.Int32 => 4,
            TfliteType.Float16 => 2,
            TfliteType.Int64 or TfliteType.Float64 => 8,
            TfliteType.Bool or TfliteType.UInt8 or TfliteType.Int8 => 1,
            _ => 0,
        };
        if (size == 0) return new Bad();   // strings etc.: only an operator reading them is reported
        if (data.Length != n * size)
            throw new InvalidDataException($"'{Src}': {t} has {data.Length} bytes of data; its shape and type need {n * size}.");
        var v = new double[n];
        for (int i = 0; i < n; i++)
            v[i] = t.Type switch
            {
                TfliteType.Float32 => BitConverter.ToSingle(data.Slice(4 * i, 4)),
                TfliteType.Int32 => BitConverter.ToInt32(data.Slice(4 * i, 4)),
                TfliteType.Float16 => (double)BitConverter.ToHalf(data.Slice(2 * i, 2)),
                TfliteType.Int64 => BitConverter.ToInt64(data.Slice(8 * i, 8)),
                TfliteType.Float64 => BitConverter.ToDouble(data.Slice(8 * i, 8)),
                TfliteType.Int8 => (sbyte)data[i],
                _ => data[i],
            };
        return new Cst(t.Shape.ToArray(), v);
    }

    private void Report(string reason)
    {
        _unsupported.Add($"  operator {_op.Index} ({_op.Code.Name}, version {_op.Code.Version}): {reason}");
        MarkBad();
    }

    private void MarkBad()
    {
        foreach (int o in _op.Outputs) _vals[o] = new Bad();
    }

    private string Unique(string name)
    {
        if (string.IsNullOrEmpty(name)) name = "value";
        string n = name;
        for (int k = 2; !_usedNames.Add(n); k++) n = $"{name}_{k}";
        return n;
    }

    // ---------------------------------------------------------------- inputs, outputs, options

    private TfliteTensor InT(int i) => i < _op.Inputs.Length && _op.Inputs[i] >= 0 ? _m.Tensors[_op.Inputs[i]] : throw new ArgumentException($"input {i} is missing.");

    private Val? In(int i) => i < _op.Inputs.Length && _op.Inputs[i] >= 0 ? _vals[_op.Inputs[i]] : null;

    private TfliteTensor OutT => _op.Outputs.Length > 0 ? _m.Tensors[_op.Outputs[0]] : throw new ArgumentException("the operator has no output.");

    private Rt RtIn(int i)
    {
        return In(i) switch
        {
            Rt r => r,
            Cst c => new Rt(ConstNode(c, InT(i).Name), c.Dims),
            _ => throw new ArgumentException($"input {i} is missing."),
        };
    }

    private Cst CstIn(int i, string what) =>
        In(i) as Cst ?? throw new NotSupportedException($"{what} (input {i}, {InT(i)}) must be a constant");

    /// <summary>A constant as a network node, in the internal layout (NCHW for rank 4).</summary>
    private Node ConstNode(Cst c, string name)
    {
        if (c.V.Length != c.Dims.Aggregate(1L, (a, d) => a * d))
            throw new ArgumentException($"the constant '{name}' has {c.V.Length} values for the shape {Fmt(c.Dims)}.");
        var v = c.Dims.Length == 4 ? ToNchw(c.F, c.Dims) : c.F;
        var dims = c.Dims.Length == 4 ? new[] { c.Dims[0], c.Dims[3], c.Dims[1], c.Dims[2] } : c.Dims;
        return _b.Add(new Constant(new TensorShape(dims.Length == 0 ? new[] { 1 } : dims), v), Unique(name));
    }

    private static float[] ToNchw(float[] v, int[] d)
    {
        int n = d[0], h = d[1], w = d[2], ch = d[3];
        var r = new float[v.Length];
        for (int b = 0; b < n; b++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < ch; c++)
                        r[((b * ch + c) * h + y) * w + x] = v[((b * h + y) * w + x) * ch + c];
        return r;
    }

    /// <summary>Adds <paramref name="layer"/> as the operator's output and checks the shape it infers against the
    /// shape the model declares for that tensor (NCHW inside for rank 4).</summary>
    private void SetRt(Layer layer, params Node[] inputs)
    {
        var t = OutT;
        var node = _b.Add(layer, Unique(t.Name), inputs);
        var inner = node.Shape.ToArray();
        var dims = inner.Length == 4 ? new[] { inner[0], inner[2], inner[3], inner[1] } : inner;
        if (t.Shape.Length > 0 && !dims.SequenceEqual(t.Shape))
            throw new ArgumentException($"the output {t} is declared [{string.Join(",", t.Shape)}]; the operator computes [{string.Join(",", dims)}].");
        _vals[_op.Outputs[0]] = new Rt(node, dims);
    }

    private FbTable? Options => _op.Options;

    private int OptInt(int field, int def = 0) => Options is { } o ? o.Int(field, def) : def;

    private byte OptByte(int field, byte def = 0) => Options is { } o ? o.Byte(field, def) : def;

    /// <summary>TFLite's ActivationFunctionType as a fused activation.</summary>
    private static Activation Fused(byte code) => code switch
    {
        0 => Activation.None,
        1 => Activation.Relu,
        2 => Activation.Clip(-1, 1),
        3 => Activation.Relu6,
        4 => Activation.Tanh,
        _ => throw new NotSupportedException($"fused activation {code} (SIGN_BIT or unknown) is not supported"),
    };

    private static string Fmt(int[] d) => "[" + string.Join(",", d) + "]";
}
