// ONNX graph → VulkanCnn Network: every node is either folded into a constant at load (shape plumbing, weights
// arithmetic) or mapped onto a layer. Unsupported content is collected over the whole graph and reported at once.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

/// <summary>A network imported from ONNX with the ONNX shapes (batch axis included) of its inputs and outputs.</summary>
public sealed record OnnxImport(Network Network, IReadOnlyDictionary<string, int[]> InputDims, IReadOnlyDictionary<string, int[]> OutputDims);

/// <summary>
/// Imports ONNX models (IR 3+, opsets 1 to 21, float32 with float16 initializers) as a <see cref="Network"/>.
/// Every value keeps its ONNX shape (any rank up to 8, any batch). Network inputs and outputs are named after the
/// ONNX graph's.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Loads an ONNX file as a network. <paramref name="inputShapes"/> fixes symbolic input dimensions
    /// (full ONNX shapes, batch first, e.g. "x" → [1,3,480,640]).</summary>
    /// <exception cref="NotSupportedException">The model uses operators or settings VulkanCnn cannot run (all are listed).</exception>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model.</exception>
    public static Network Load(string path, IReadOnlyDictionary<string, int[]>? inputShapes = null) => Import(OnnxModel.Load(path), inputShapes).Network;

    /// <summary>Imports a parsed model, returning the network with the ONNX shapes of its inputs and outputs.</summary>
    public static OnnxImport Import(OnnxModel model, IReadOnlyDictionary<string, int[]>? inputShapes = null) =>
        new Importer(model, inputShapes).Run();

    /// <summary>The ONNX operators the importer maps (default domain), in the order of docs/onnx.md.</summary>
    public static IReadOnlyCollection<string> SupportedOperators => Importer.Supported;
}

/// <summary>A load-time problem outside the supported subset; collected, then reported with every other one.</summary>
internal sealed class UnsupportedException(string message) : NotSupportedException(message);

internal sealed partial class Importer
{
    // Values flowing through the graph: computed on the GPU, known at load, or unusable (after an unsupported node).
    private abstract record Val;
    private sealed record Rt(Node Node, int[] Dims) : Val;
    private sealed record Cst(OnnxTensor T) : Val
    {
        public int[] Dims => T.Dims.ToArray();
        public double[] V => T.Values;
    }
    private sealed record Bad : Val;

    internal static readonly HashSet<string> Supported = new()
    {
        "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
        "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu",
        "Softmax", "LogSoftmax", "BatchNormalization", "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum",
        "Concat", "Flatten", "Gemm", "MatMul", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Dropout", "Identity",
        "Upsample", "Resize", "Constant", "Shape", "Gather", "Cast", "ConstantOfShape", "Range", "Slice",
        "Neg", "Sqrt", "Floor", "Ceil", "Equal", "Where", "Expand", "Pad", "Split",
        "Selu", "Softplus", "Exp", "Abs", "Reciprocal", "Pow", "LRN", "InstanceNormalization",
        "ReduceMean", "ReduceMax", "ReduceSum", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "DepthToSpace", "SpaceToDepth",
        "Erf", "Gelu", "Mish", "Softsign", "Round", "Sign", "Log", "Not", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
        "And", "Or", "Xor", "Tile", "LayerNormalization", "GroupNormalization", "CumSum", "ArgMax", "ArgMin", "Hardmax",
    };

    private readonly OnnxModel _m;
    private readonly IReadOnlyDictionary<string, int[]>? _shapes;
    private readonly NetworkBuilder _b;
    private readonly Dictionary<string, Val> _vals = new();
    private readonly Dictionary<string, Node> _constNodes = new();
    private readonly List<string> _unsupported = new();
    private readonly HashSet<string> _usedNames = new();
    private int _opset;
    private NodeProto _node = null!;

    public Importer(OnnxModel model, IReadOnlyDictionary<string, int[]>? shapes)
    {
        _m = model;
        _shapes = shapes;
        _opset = model.Opset;
        _b = new NetworkBuilder(string.IsNullOrEmpty(model.Proto.Graph.Name) ? Path.GetFileNameWithoutExtension(model.Source) : model.Proto.Graph.Name);
    }

    private string Src => _m.Source;

    public OnnxImport Run()
    {
        var g = _m.Proto.Graph;
        foreach (var (name, t) in _m.Initializers) _vals[name] = new Cst(t);
        var inputDims = new Dictionary<string, int[]>();
        if (_shapes != null)
            foreach (var k in _shapes.Keys)
                if (!g.Input.Any(i => i.Name == k) || _m.Initializers.ContainsKey(k))
                    throw new ArgumentException($"'{Src}': --input-shape names '{k}', which is not an input of the model; its inputs are {string.Join(", ", _m.InputNames.Select(n => $"'{n}'"))}.");
        foreach (var vi in g.Input)
        {
            if (_m.Initializers.ContainsKey(vi.Name)) continue;   // IR < 4 lists initializers as inputs too
            var dims = InputDims(vi);
            inputDims[vi.Name] = dims;
            _vals[vi.Name] = new Rt(_b.Add(new InputLayer(ToShape(dims, $"input '{vi.Name}'")), Unique(vi.Name)), dims);
        }

        foreach (var n in g.Node)
        {
            _node = n;
            string domain = n.Domain is "" or "ai.onnx" ? "" : n.Domain;
            if (domain != "" || !Supported.Contains(n.OpType))
            {
                Report(domain == "" ? "operator not supported" : $"domain '{n.Domain}' not supported");
                continue;
            }
            if (n.Input.Any(i => i != "" && _vals.TryGetValue(i, out var v) && v is Bad)) { MarkBad(); continue; }
            foreach (var i in n.Input)
                if (i != "" && !_vals.ContainsKey(i))
                    throw new InvalidDataException($"'{Src}': node '{n.Name}' ({n.OpType}) reads '{i}', which no earlier node, input or initializer produces (graph not topologically sorted, or truncated?).");
            try { Convert(n); }
            catch (UnsupportedException e) { Report(e.Message); }
            catch (ArgumentException e) { throw new ArgumentException($"'{Src}': node '{n.Name}' ({n.OpType}): {e.Message}", e); }
        }

        var outputDims = new Dictionary<string, int[]>();
        foreach (var o in g.Output)
        {
            if (!_vals.TryGetValue(o.Name, out var v))
                throw new InvalidDataException($"'{Src}': graph output '{o.Name}' is produced by no node.");
            if (v is Bad) continue;
            if (v is Cst) { _unsupported.Add($"  output '{o.Name}': a constant output (computable without the input) is not supported"); continue; }
            var rt = (Rt)v;
            var node = rt.Node;
            if (node.Name != o.Name || outputDims.ContainsKey(o.Name) || g.Input.Any(i => i.Name == o.Name))
                node = _b.Add(new Identity(), Unique(o.Name + (node.Name == o.Name ? "_out" : "")), node);
            node.Output();
            outputDims[o.Name] = rt.Dims;
        }
        if (_unsupported.Count > 0)
            throw new NotSupportedException($"'{Src}' (opset {_opset}) uses {_unsupported.Count} thing(s) VulkanCnn cannot run:\n" + string.Join("\n", _unsupported));
        if (outputDims.Count == 0) throw new InvalidDataException($"'{Src}' has no graph output.");
        return new OnnxImport(_b.Build(), inputDims, outputDims);
    }

    private void Report(string reason)
    {
        _unsupported.Add($"  node '{_node.Name}' ({_node.OpType}, opset {_opset}): {reason}");
        MarkBad();
    }

    private void MarkBad()
    {
        foreach (var o in _node.Output) if (o != "") _vals[o] = new Bad();
    }

    private string Unique(string name)
    {
        if (string.IsNullOrEmpty(name)) name = "value";
        string n = name;
        for (int k = 2; !_usedNames.Add(n); k++) n = $"{name}_{k}";
        return n;
    }

    private int[] InputDims(ValueInfoProto vi)
    {
        var tt = vi.Type?.TensorType ?? throw new UnsupportedException($"input '{vi.Name}' is not a tensor");
        if (tt.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new NotSupportedException($"'{Src}': input '{vi.Name}' has element type {(TensorProto.Types.DataType)tt.ElemType}; only float32 inputs are supported.");
        if (_shapes != null && _shapes.TryGetValue(vi.Name, out var given))
        {
            var declared = tt.Shape?.Dim;
            if (declared != null && declared.Count != given.Length)
                throw new ArgumentException($"'{Src}': input '{vi.Name}' has rank {declared.Count}; the shape given, [{string.Join(",", given)}], has rank {given.Length}.");
            for (int i = 0; declared != null && i < declared.Count; i++)
                if (declared[i].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && declared[i].DimValue != given[i])
                    throw new ArgumentException($"'{Src}': input '{vi.Name}' dimension {i} is {declared[i].DimValue} in the model; the shape given has {given[i]}.");
            if (given.Any(v => v <= 0))
                throw new ArgumentException($"'{Src}': input '{vi.Name}': every dimension must be positive; the shape given is [{string.Join(",", given)}].");
            return given.ToArray();
        }
        if (tt.Shape == null) throw new ArgumentException($"'{Src}': input '{vi.Name}' has no declared shape; give it (e.g. --input-shape {vi.Name}=1,3,224,224).");
        var dims = new int[tt.Shape.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = tt.Shape.Dim[i];
            if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0) dims[i] = checked((int)d.DimValue);
            else if (i == 0 && dims.Length > 1) dims[i] = 1;   // a symbolic batch: 1 unless the caller gives the shape
            else
                throw new ArgumentException($"'{Src}': input '{vi.Name}' dimension {i} is symbolic ('{(d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : "?")}'); " +
                                            $"give the full shape, e.g. --input-shape {vi.Name}=1,3,224,224 (or inputShapes in the API).");
        }
        return dims;
    }

    private static TensorShape ToShape(int[] dims, string what)
    {
        if (dims.Length > TensorShape.MaxRank)
            throw new UnsupportedException($"{what} has shape [{string.Join(",", dims)}]; tensors of rank up to {TensorShape.MaxRank} are supported");
        if (dims.Any(d => d <= 0))
            throw new UnsupportedException($"{what} has shape [{string.Join(",", dims)}]; empty tensors are not supported");
        return new TensorShape(dims);
    }

    // ---------------------------------------------------------------- attributes and inputs

    private AttributeProto? Attr(string name) => _node.Attribute.FirstOrDefault(a => a.Name == name);
    private long AttrInt(string name, long def) => Attr(name) is { } a ? a.I : def;
    private float AttrFloat(string name, float def) => Attr(name) is { } a ? a.F : def;
    private string AttrString(string name, string def) => Attr(name) is { } a ? a.S.ToStringUtf8() : def;
    private long[]? AttrInts(string name) => Attr(name) is { } a ? a.Ints.ToArray() : null;

    private Val? In(int i) => i < _node.Input.Count && _node.Input[i] != "" ? _vals[_node.Input[i]] : null;

    private Rt RtIn(int i, string what = "input")
    {
        var v = In(i) ?? throw new ArgumentException($"{what} {i} is missing.");
        return v switch
        {
            Rt r => r,
            Cst c => new Rt(ConstNode(_node.Input[i], c, c.Dims), c.Dims),
            _ => throw new InvalidOperationException(),
        };
    }

    private Cst CstIn(int i, string what)
    {
        var v = In(i) ?? throw new ArgumentException($"{what} (input {i}) is missing.");
        return v as Cst ?? throw new UnsupportedException($"{what} (input {i}, '{_node.Input[i]}') must be a constant (an initializer or computable at load)");
    }

    private Cst? OptCst(int i, string what) => In(i) == null ? null : CstIn(i, what);

    private Node ConstNode(string name, Cst c, int[] dims)
    {
        var shape = ToShape(dims, $"constant '{name}'");
        string key = $"{name}|{shape}";
        if (!_constNodes.TryGetValue(key, out var node))
            _constNodes[key] = node = _b.Add(new Constant(shape, c.T.ToFloats()), Unique(name));
        return node;
    }

    private string Out => _node.Output[0];

    private void SetRt(Layer layer, int[] dims, params Node[] inputs)
    {
        var node = _b.Add(layer, Unique(Out), inputs);
        _vals[Out] = new Rt(node, dims);
    }

    private void SetCst(int[] dims, double[] values, bool isFloat) => _vals[Out] = new Cst(new OnnxTensor(Out, dims, isFloat, values));

    private static int Axis(long axis, int rank, string what)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ArgumentException($"{what} {axis} is outside a tensor of rank {rank}.");
        return (int)a;
    }

    private static long Product(IEnumerable<int> d) => d.Aggregate(1L, (a, b) => a * b);

    private static int[] Dims4(TensorShape s) => s.ToArray();

    // ---------------------------------------------------------------- dispatch

    private void Convert(NodeProto n)
    {
        bool allConst = n.Input.Where(i => i != "").All(i => _vals[i] is Cst);
        switch (n.OpType)
        {
            case "Constant": FoldConstant(); return;
            case "Shape": FoldShape(); return;
            case "Identity": case "Dropout":
                if (n.Output.Count > 1 && n.Output[1] != "") MaskOutputUnused();
                _vals[Out] = In(0)!;
                return;
        }
        if (n.OpType == "Split") { SplitOp(); return; }   // several outputs, constant or not
        if (allConst && n.Input.Count > 0) { Fold(n.OpType); return; }
        switch (n.OpType)
        {
            case "Conv": ConvOp(); break;
            case "ConvTranspose": ConvTransposeOp(); break;
            case "MaxPool": case "AveragePool": PoolOp(n.OpType == "MaxPool"); break;
            case "GlobalAveragePool": case "GlobalMaxPool": Spatial4("global pooling"); SetRt(new GlobalPool2d { Kind = n.OpType == "GlobalMaxPool" ? PoolKind.Max : PoolKind.Average }, new[] { 1, RtIn(0).Dims[1], 1, 1 }, RtIn(0).Node); break;
            case "Relu": Act(Activation.Relu); break;
            case "Sigmoid": Act(Activation.Sigmoid); break;
            case "Tanh": Act(Activation.Tanh); break;
            case "HardSwish": Act(Activation.HardSwish); break;
            case "LeakyRelu": Act(Activation.LeakyRelu(AttrFloat("alpha", 0.01f))); break;
            case "Elu": Act(Activation.Elu(AttrFloat("alpha", 1f))); break;
            case "Selu": Act(Activation.Selu(AttrFloat("alpha", 1.67326319f), AttrFloat("gamma", 1.05070102f))); break;
            case "Softplus": Act(Activation.Softplus); break;
            case "Exp": Act(Activation.Exp); break;
            case "Abs": Act(Activation.Abs); break;
            case "Neg": Act(Activation.Neg); break;
            case "Reciprocal": Act(Activation.Reciprocal); break;
            case "Sqrt": Act(Activation.Sqrt); break;
            case "Pow": BinaryOp(Layers.BinaryOp.Pow); break;
            case "LRN":
                SetRt(new Lrn { Size = (int)AttrInt("size", 0), Alpha = AttrFloat("alpha", 1e-4f), Beta = AttrFloat("beta", 0.75f), Bias = AttrFloat("bias", 1f) }, RtIn(0).Dims, RtIn(0).Node);
                break;
            case "InstanceNormalization":
            {
                var x = Spatial4("InstanceNormalization");
                SetRt(new InstanceNorm(CstIn(1, "scale").T.ToFloats(), CstIn(2, "B").T.ToFloats()) { Epsilon = AttrFloat("epsilon", 1e-5f) }, x.Dims, x.Node);
                break;
            }
            case "ReduceMean": ReduceOp(ReduceKind.Mean); break;
            case "ReduceMax": ReduceOp(ReduceKind.Max); break;
            case "ReduceSum": ReduceOp(ReduceKind.Sum); break;
            case "ReduceMin": ReduceOp(ReduceKind.Min); break;
            case "ReduceProd": ReduceOp(ReduceKind.Prod); break;
            case "ReduceL1": ReduceOp(ReduceKind.L1); break;
            case "ReduceL2": ReduceOp(ReduceKind.L2); break;
            case "ReduceSumSquare": ReduceOp(ReduceKind.SumSquare); break;
            case "DepthToSpace":
            {
                var x = Spatial4("DepthToSpace");
                string mode = AttrString("mode", "DCR");
                if (mode is not ("DCR" or "CRD")) throw new ArgumentException($"mode '{mode}' is not DCR or CRD.");
                var node = _b.Add(new DepthToSpace((int)AttrInt("blocksize", 0), mode == "CRD"), Unique(Out), x.Node);
                _vals[Out] = new Rt(node, Dims4(node.Shape));
                break;
            }
            case "SpaceToDepth":
            {
                var x = Spatial4("SpaceToDepth");
                var node = _b.Add(new SpaceToDepth((int)AttrInt("blocksize", 0)), Unique(Out), x.Node);
                _vals[Out] = new Rt(node, Dims4(node.Shape));
                break;
            }
            case "HardSigmoid": Act(Activation.HardSigmoid(AttrFloat("alpha", 0.2f), AttrFloat("beta", 0.5f))); break;
            case "Clip": ClipOp(); break;
            case "PRelu": PReluOp(); break;
            case "Softmax": case "LogSoftmax": SoftmaxOp(n.OpType == "LogSoftmax"); break;
            case "BatchNormalization": BatchNormOp(); break;
            case "Add": BinaryOp(Layers.BinaryOp.Add); break;
            case "Sub": BinaryOp(Layers.BinaryOp.Sub); break;
            case "Mul": BinaryOp(Layers.BinaryOp.Mul); break;
            case "Div": BinaryOp(Layers.BinaryOp.Div); break;
            case "Max": case "Min": case "Sum": Variadic(n.OpType); break;
            case "Concat": ConcatOp(); break;
            case "Flatten": FlattenOp(); break;
            case "Gemm": GemmOp(); break;
            case "MatMul": MatMulOp(); break;
            case "Reshape": ReshapeOp(); break;
            case "Squeeze": case "Unsqueeze": SqueezeOp(n.OpType == "Unsqueeze"); break;
            case "Transpose": TransposeOp(); break;
            case "Upsample": case "Resize": ResizeOp(n.OpType == "Upsample"); break;
            case "Pad": PadOp(); break;
            case "Equal": BinaryOp(Layers.BinaryOp.Equal); break;
            case "Less": BinaryOp(Layers.BinaryOp.Less); break;
            case "Greater": BinaryOp(Layers.BinaryOp.Greater); break;
            case "LessOrEqual": BinaryOp(Layers.BinaryOp.LessOrEqual); break;
            case "GreaterOrEqual": BinaryOp(Layers.BinaryOp.GreaterOrEqual); break;
            case "And": BinaryOp(Layers.BinaryOp.And); break;
            case "Or": BinaryOp(Layers.BinaryOp.Or); break;
            case "Xor": BinaryOp(Layers.BinaryOp.Xor); break;
            case "Erf": Act(new Activation(ActivationKind.Erf)); break;
            case "Gelu": Act(new Activation(AttrString("approximate", "none") == "tanh" ? ActivationKind.GeluTanh : ActivationKind.Gelu)); break;
            case "Mish": Act(new Activation(ActivationKind.Mish)); break;
            case "Softsign": Act(new Activation(ActivationKind.Softsign)); break;
            case "Floor": Act(new Activation(ActivationKind.Floor)); break;
            case "Ceil": Act(new Activation(ActivationKind.Ceil)); break;
            case "Round": Act(new Activation(ActivationKind.Round)); break;
            case "Sign": Act(new Activation(ActivationKind.Sign)); break;
            case "Log": Act(new Activation(ActivationKind.Log)); break;
            case "Not": Act(new Activation(ActivationKind.Not)); break;
            case "Where": WhereOp(); break;
            case "Expand": ExpandOp(); break;
            case "Tile": TileOp(); break;
            case "Gather": GatherOp(); break;
            case "LayerNormalization": LayerNormOp(); break;
            case "GroupNormalization": GroupNormOp(); break;
            case "CumSum": CumSumOp(); break;
            case "ArgMax": case "ArgMin": ArgOp(n.OpType == "ArgMax"); break;
            case "Hardmax": HardmaxOp(); break;
            case "Cast":
                // Comparisons already give 0 and 1 as floats; only a cast to a floating type keeps that meaning.
                if (CastTarget() is not (1 or 10 or 11 or 16)) throw new UnsupportedException($"Cast of a runtime tensor to type {CastTarget()}; only casts to floating types are supported");
                _vals[Out] = RtIn(0);
                break;
            case "Slice": SliceOp(); break;
            default: throw new UnsupportedException("supported only when all its inputs are constants");
        }
    }

    /// <summary>A run-time value, or a constant as a constant node (float values) at its own shape.</summary>
    private Node NodeIn(int i) => In(i) switch
    {
        Rt r => r.Node,
        Cst c => ConstNode(_node.Input[i], c, c.Dims),
        _ => throw new ArgumentException($"input {i} is missing."),
    };

    private int[] DimsIn(int i) => In(i) switch { Rt r => r.Dims, Cst c => c.Dims, _ => throw new ArgumentException($"input {i} is missing.") };

    private void WhereOp()
    {
        var d = BroadcastDims(BroadcastDims(DimsIn(0), DimsIn(1)), DimsIn(2));
        SetRt(new Where(), d, NodeIn(0), NodeIn(1), NodeIn(2));
    }

    private void ExpandOp()
    {
        var x = RtIn(0);
        var shape = CstIn(1, "shape").T.ToInt64s().Select(v => checked((int)v)).ToArray();
        var d = BroadcastDims(x.Dims, shape);
        if (d.SequenceEqual(x.Dims)) { _vals[Out] = x; return; }
        SetRt(new Layers.Expand(new TensorShape(shape)), d, x.Node);
    }

    private void TileOp()
    {
        var x = RtIn(0);
        var reps = CstIn(1, "repeats").T.ToInt64s().Select(v => checked((int)v)).ToArray();
        if (reps.Length != x.Dims.Length) throw new ArgumentException($"repeats [{string.Join(",", reps)}] must have one value per axis of [{string.Join(",", x.Dims)}].");
        if (reps.All(r => r == 1)) { _vals[Out] = x; return; }
        SetRt(new Tile(reps), x.Dims.Select((v, k) => v * reps[k]).ToArray(), x.Node);
    }

    private void GatherOp()
    {
        var x = RtIn(0);
        int axis = Axis(AttrInt("axis", 0), x.Dims.Length, "axis");
        var ind = In(1)!;
        if (ind is Cst ci)
        {
            foreach (var v in ci.V)
                if (v < -x.Dims[axis] || v >= x.Dims[axis])
                    throw new ArgumentException($"index {v} is outside axis {axis} of size {x.Dims[axis]} (data [{string.Join(",", x.Dims)}]).");
            if (ci.V.Length == 1)
            {
                // One index: a slice of that axis, its axis dropped for a scalar index.
                int k = (int)ci.V[0];
                if (k < 0) k += x.Dims[axis];
                var lo = new int[x.Dims.Length]; lo[axis] = k;
                var cnt = x.Dims.ToArray(); cnt[axis] = 1;
                SliceTo(x, Out + (ci.Dims.Length == 1 ? "" : "_slice"), lo, Enumerable.Repeat(1, x.Dims.Length).ToArray(), cnt);
                if (ci.Dims.Length != 1)
                {
                    var sliced = (Rt)_vals[Out + "_slice"];
                    var dims = x.Dims[..axis].Concat(ci.Dims).Concat(x.Dims[(axis + 1)..]).ToArray();
                    ReshapeTo(sliced, dims);
                }
                return;
            }
        }
        var outDims = x.Dims[..axis].Concat(DimsIn(1)).Concat(x.Dims[(axis + 1)..]).ToArray();
        SetRt(new Gather(axis), outDims, x.Node, NodeIn(1));
    }

    /// <summary>A constant operand of a normalisation, broadcast to <paramref name="n"/> values (numpy rules against the
    /// normalised axes <paramref name="dims"/>).</summary>
    private float[]? Broadcast1(int i, string what, int[] dims)
    {
        var c = OptCst(i, what);
        if (c == null) return null;
        var d = BroadcastDims(dims, c.Dims);
        if (!d.SequenceEqual(dims)) throw new UnsupportedException($"{what} of shape [{string.Join(",", c.Dims)}] for normalised axes [{string.Join(",", dims)}]");
        return Enumerable.Range(0, (int)Product(dims)).Select(k => (float)c.V[BroadcastIndex(k, dims, c.Dims)]).ToArray();
    }

    private void LayerNormOp()
    {
        var x = RtIn(0);
        if (_node.Output.Skip(1).Any(o => o != "")) throw new UnsupportedException("the Mean and InvStdDev outputs are not supported");
        int axis = Axis(AttrInt("axis", -1), x.Dims.Length, "axis");
        var nd = x.Dims[axis..];
        SetRt(new LayerNorm(axis, Broadcast1(1, "scale", nd), Broadcast1(2, "bias", nd)) { Epsilon = AttrFloat("epsilon", 1e-5f) }, x.Dims, x.Node);
    }

    private void GroupNormOp()
    {
        var x = RtIn(0);
        if (x.Dims.Length < 3) throw new ArgumentException($"input [{string.Join(",", x.Dims)}] needs a batch, a channel and a spatial axis.");
        int g = (int)AttrInt("num_groups", 0), ch = x.Dims[1];
        if (g < 1 || ch % g != 0) throw new ArgumentException($"num_groups {g} must divide the {ch} channels.");
        var scale = CstIn(1, "scale"); var bias = CstIn(2, "bias");
        // Opset 18 gives one scale and bias per group, 21 one per channel.
        float PerChannel(Cst c, int k) => (float)c.V[c.V.Length == ch ? k : c.V.Length == g ? k / (ch / g) : throw new ArgumentException($"scale/bias have {c.V.Length} values; expected {ch} or {g}.")];
        long per = Product(x.Dims.Skip(1)) / g;
        var grouped = _b.Add(new Reshape(new TensorShape(x.Dims[0], g, checked((int)per))), Unique(Out + "_groups"), x.Node);
        var norm = _b.Add(new LayerNorm(2, null, null) { Epsilon = AttrFloat("epsilon", 1e-5f) }, Unique(Out + "_norm"), grouped);
        var back = _b.Add(new Reshape(new TensorShape(x.Dims)), Unique(Out + "_back"), norm);
        var scaled = _b.Add(new Binary(Layers.BinaryOp.Mul) { Operand = Enumerable.Range(0, ch).Select(k => PerChannel(scale, k)).ToArray() }, Unique(Out + "_scale"), back);
        SetRt(new Binary(Layers.BinaryOp.Add) { Operand = Enumerable.Range(0, ch).Select(k => PerChannel(bias, k)).ToArray() }, x.Dims, scaled);
    }

    private void CumSumOp()
    {
        var x = RtIn(0);
        int axis = Axis((long)CstIn(1, "axis").V[0], x.Dims.Length, "axis");
        SetRt(new AlongAxis(AxisOp.CumSum, axis) { Exclusive = AttrInt("exclusive", 0) != 0, Reverse = AttrInt("reverse", 0) != 0 }, x.Dims, x.Node);
    }

    private void ArgOp(bool max)
    {
        var x = RtIn(0);
        int axis = Axis(AttrInt("axis", 0), x.Dims.Length, "axis");
        bool keep = AttrInt("keepdims", 1) != 0;
        var d = x.Dims.ToList();
        if (keep) d[axis] = 1; else d.RemoveAt(axis);
        SetRt(new AlongAxis(max ? AxisOp.ArgMax : AxisOp.ArgMin, axis) { KeepDims = keep, SelectLast = AttrInt("select_last_index", 0) != 0 }, d.ToArray(), x.Node);
    }

    private void HardmaxOp()
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        int axis = Axis(AttrInt("axis", _opset < 13 ? 1 : -1), rank, "axis");
        if (_opset >= 13 || axis == rank - 1) { SetRt(new AlongAxis(AxisOp.Hardmax, axis), x.Dims, x.Node); return; }
        var rows = new TensorShape(checked((int)Product(x.Dims.Take(axis))), checked((int)Product(x.Dims.Skip(axis))));
        var view = _b.Add(new Reshape(rows), Unique(Out + "_rows"), x.Node);
        var hm = _b.Add(new AlongAxis(AxisOp.Hardmax, 1), Unique(Out + "_hardmax"), view);
        SetRt(new Reshape(x.Node.Shape), x.Dims, hm);
    }

    private void MaskOutputUnused()
    {
        string mask = _node.Output[1];
        if (_m.Proto.Graph.Node.Any(x => x.Input.Contains(mask)) || _m.Proto.Graph.Output.Any(o => o.Name == mask))
            throw new UnsupportedException($"its second output '{mask}' (the dropout mask) is used");
    }

    // ---------------------------------------------------------------- layers

    private Rt Spatial4(string what)
    {
        var x = RtIn(0);
        if (x.Dims.Length is not (3 or 4))
            throw new UnsupportedException($"{what} of a rank-{x.Dims.Length} tensor [{string.Join(",", x.Dims)}]; 2-D images [N,C,H,W] and 1-D sequences [N,C,L] are supported{(x.Dims.Length == 5 ? " (3-D is not)" : "")}");
        return x;
    }

    private (int[] Kernel, int[] Strides, int[] Dil, int[] Pads) Window(int kh, int kw, int h, int w, bool transposed = false)
    {
        var strides = AttrInts("strides") ?? new long[] { 1, 1 };
        var dil = AttrInts("dilations") ?? new long[] { 1, 1 };
        var pads = AttrInts("pads") ?? new long[] { 0, 0, 0, 0 };
        // A 1-D window (rank-3 input) is a 2-D one of height 1.
        if (strides.Length == 1) strides = new[] { 1L, strides[0] };
        if (dil.Length == 1) dil = new[] { 1L, dil[0] };
        if (pads.Length == 2) pads = new[] { 0L, pads[0], 0L, pads[1] };
        if (strides.Length != 2 || dil.Length != 2 || pads.Length != 4)
            throw new ArgumentException($"strides [{string.Join(",", strides)}], dilations [{string.Join(",", dil)}] and pads [{string.Join(",", pads)}] must have 2, 2 and 4 values for a 2-D window.");
        var s = strides.Select(v => (int)v).ToArray();
        var d = dil.Select(v => (int)v).ToArray();
        var p = pads.Select(v => (int)v).ToArray();   // top, left, bottom, right
        string autoPad = AttrString("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET": break;
            case "VALID": p = new int[4]; break;
            case "SAME_UPPER": case "SAME_LOWER":
                if (transposed) break;   // handled by the caller
                int[] size = { h, w }, k = { kh, kw };
                for (int a = 0; a < 2; a++)
                {
                    int o = (size[a] + s[a] - 1) / s[a];
                    int total = Math.Max(0, (o - 1) * s[a] + (k[a] - 1) * d[a] + 1 - size[a]);
                    int small = total / 2, big = total - small;
                    p[a] = autoPad == "SAME_UPPER" ? small : big;
                    p[a + 2] = autoPad == "SAME_UPPER" ? big : small;
                }
                break;
            default: throw new ArgumentException($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID.");
        }
        return (new[] { kh, kw }, s, d, p);
    }

    private void ConvOp()
    {
        var x = Spatial4("Conv");
        var w = CstIn(1, "weights");
        var b = OptCst(2, "bias");
        if (w.Dims.Length != x.Dims.Length) throw new UnsupportedException($"weights of shape [{string.Join(",", w.Dims)}] for input [{string.Join(",", x.Dims)}]; 1-D and 2-D convolutions are supported");
        var wd = Image4(w.Dims);
        var xd = Image4(x.Dims);
        var (k, s, d, p) = Window(wd[2], wd[3], xd[2], xd[3]);
        var ks = AttrInts("kernel_shape");
        if (ks != null && ks.Length == 1) ks = new[] { 1L, ks[0] };
        if (ks != null && (ks.Length != 2 || ks[0] != k[0] || ks[1] != k[1]))
            throw new ArgumentException($"kernel_shape [{string.Join(",", ks)}] does not match the weights [{string.Join(",", w.Dims)}].");
        var layer = new Conv2d
        {
            OutChannels = wd[0], KernelH = k[0], KernelW = k[1], StrideH = s[0], StrideW = s[1], DilationH = d[0], DilationW = d[1],
            PadTop = p[0], PadLeft = p[1], PadBottom = p[2], PadRight = p[3], Groups = (int)AttrInt("group", 1), Rounding = Rounding.Floor,
            Weights = w.T.ToFloats(), Bias = b?.T.ToFloats(),
        };
        var node = _b.Add(layer, Unique(Out), x.Node);
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }

    /// <summary>[N, C, L] (and 1-D weights) as [N, C, 1, L]; rank-4 dims as they are.</summary>
    private static int[] Image4(int[] d) => d.Length == 3 ? new[] { d[0], d[1], 1, d[2] } : d;

    private void ConvTransposeOp()
    {
        var xr = Spatial4("ConvTranspose");
        var w = CstIn(1, "weights");
        var b = OptCst(2, "bias");
        if (w.Dims.Length != xr.Dims.Length) throw new UnsupportedException($"weights of shape [{string.Join(",", w.Dims)}] for input [{string.Join(",", xr.Dims)}]; 1-D and 2-D transposed convolutions are supported");
        var x = new { xr.Node, Dims = Image4(xr.Dims) };
        var wdims = Image4(w.Dims);
        int group = (int)AttrInt("group", 1);
        var (k, s, d, p) = Window(wdims[2], wdims[3], x.Dims[2], x.Dims[3], transposed: true);
        var opa = AttrInts("output_padding") ?? new long[] { 0, 0 };
        if (opa.Length == 1) opa = new[] { 0L, opa[0] };
        var op = opa.Select(v => (int)v).ToArray();
        var outShape = AttrInts("output_shape");
        string autoPad = AttrString("auto_pad", "NOTSET");
        if (outShape != null || autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            // The padding that gives the requested size (ONNX ConvTranspose's rule; SAME: input size × stride).
            int[] target = outShape != null ? outShape.Skip(outShape.Length - 2).Select(v => (int)v).ToArray() : new[] { x.Dims[2] * s[0], x.Dims[3] * s[1] };
            for (int a = 0; a < 2; a++)
            {
                int total = s[a] * (x.Dims[2 + a] - 1) + op[a] + (k[a] - 1) * d[a] + 1 - target[a];
                if (total < 0) throw new UnsupportedException($"output_shape [{string.Join(",", target)}] needs negative padding ({total}) on axis {a}");
                bool upper = autoPad == "SAME_UPPER";
                p[a] = upper ? total / 2 : total - total / 2;
                p[a + 2] = total - p[a];
            }
        }
        var layer = new ConvTranspose2d
        {
            OutChannels = wdims[1] * group, KernelH = k[0], KernelW = k[1], StrideH = s[0], StrideW = s[1], DilationH = d[0], DilationW = d[1],
            PadTop = p[0], PadLeft = p[1], PadBottom = p[2], PadRight = p[3], OutputPadH = op[0], OutputPadW = op[1], Groups = group,
            Weights = w.T.ToFloats(), Bias = b?.T.ToFloats(),
        };
        var node = _b.Add(layer, Unique(Out), x.Node);
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }

    private void PoolOp(bool max)
    {
        var x = Spatial4(_node.OpType);
        if (_node.Output.Count > 1 && _node.Output[1] != "") throw new UnsupportedException("the Indices output is not supported");
        var ks = AttrInts("kernel_shape") ?? throw new ArgumentException("kernel_shape is missing.");
        if (ks.Length == 1 && x.Dims.Length == 3) ks = new[] { 1L, ks[0] };
        if (ks.Length != 2) throw new UnsupportedException($"kernel_shape [{string.Join(",", ks)}]; only 1-D and 2-D pooling is supported");
        var xd = Image4(x.Dims);
        var (k, s, d, p) = Window((int)ks[0], (int)ks[1], xd[2], xd[3]);
        if (d[0] != 1 || d[1] != 1) throw new UnsupportedException($"pooling dilations [{d[0]},{d[1]}] are not supported");
        var layer = new Pool2d
        {
            Kind = max ? PoolKind.Max : PoolKind.Average, KernelH = k[0], KernelW = k[1], StrideH = s[0], StrideW = s[1],
            PadTop = p[0], PadLeft = p[1], PadBottom = p[2], PadRight = p[3],
            Rounding = AttrInt("ceil_mode", 0) != 0 ? Rounding.Ceil : Rounding.Floor, CountIncludePad = AttrInt("count_include_pad", 0) != 0,
        };
        var node = _b.Add(layer, Unique(Out), x.Node);
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }

    private void Act(Activation a)
    {
        var x = RtIn(0);
        SetRt(new ActivationLayer(a), x.Dims, x.Node);
    }

    private void ClipOp()
    {
        float lo = float.MinValue, hi = float.MaxValue;
        if (_opset < 11)
        {
            lo = AttrFloat("min", lo);
            hi = AttrFloat("max", hi);
        }
        else
        {
            if (OptCst(1, "min") is { } mn) lo = (float)mn.V[0];
            if (OptCst(2, "max") is { } mx) hi = (float)mx.V[0];
        }
        Act(lo == 0 && hi == float.MaxValue ? Activation.Relu : Activation.Clip(lo, hi));
    }

    private void PReluOp()
    {
        var x = RtIn(0);
        var slope = CstIn(1, "slope");
        int mode = Broadcast(x.Dims, slope.Dims);
        bool ok = mode is 1 or 2 || mode == 0 && x.Dims.Length >= 2 && x.Dims.Skip(2).All(v => v == 1);
        if (!ok)
            throw new UnsupportedException($"slope of shape [{string.Join(",", slope.Dims)}] for input [{string.Join(",", x.Dims)}]; one slope or one per channel (axis 1) is supported");
        SetRt(new PRelu(slope.T.ToFloats()), x.Dims, x.Node);
    }

    private void SoftmaxOp(bool log)
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        int axis = Axis(AttrInt("axis", _opset < 13 ? 1 : -1), rank, "axis");
        if (_opset >= 13 || axis == rank - 1) { SetRt(new Softmax { Log = log, Axis = axis }, x.Dims, x.Node); return; }
        // Before opset 13 the input is read as the matrix [d0·…·d(axis−1), d(axis)·…·dn], normalised along its rows.
        var rows = new TensorShape(checked((int)Product(x.Dims.Take(axis))), checked((int)Product(x.Dims.Skip(axis))));
        var view = _b.Add(new Reshape(rows), Unique(Out + "_rows"), x.Node);
        var sm = _b.Add(new Softmax { Log = log, Axis = 1 }, Unique(Out + "_softmax"), view);
        SetRt(new Reshape(x.Node.Shape), x.Dims, sm);
    }

    private void BatchNormOp()
    {
        var x = RtIn(0);
        if (AttrInt("training_mode", 0) != 0 || _node.Output.Skip(1).Any(o => o != ""))
            throw new UnsupportedException("training mode (running statistics outputs) is not supported");
        if (_opset < 9 && AttrInt("spatial", 1) == 0)
            throw new UnsupportedException("spatial = 0 (statistics per element rather than per channel) is not supported");
        var layer = new BatchNorm
        {
            Scale = CstIn(1, "scale").T.ToFloats(), Shift = CstIn(2, "B").T.ToFloats(),
            Mean = CstIn(3, "mean").T.ToFloats(), Variance = CstIn(4, "var").T.ToFloats(), Epsilon = AttrFloat("epsilon", 1e-5f),
        };
        SetRt(layer, x.Dims, x.Node);
    }

    /// <summary>How the engine can broadcast b onto a (numpy rules): 0 same shape, 1 per channel, 2 scalar, -1 not.</summary>
    private static int Broadcast(int[] a, int[] b)
    {
        if (b.Length > a.Length)
        {
            if (b.Take(b.Length - a.Length).Any(v => v != 1)) return -1;
            b = b.Skip(b.Length - a.Length).ToArray();
        }
        var bp = Enumerable.Repeat(1, a.Length - b.Length).Concat(b).ToArray();
        if (bp.SequenceEqual(a)) return 0;
        if (bp.All(v => v == 1)) return 2;
        if (a.Length >= 2 && bp[1] == a[1] && bp.Where((v, i) => i != 1).All(v => v == 1)) return 1;
        return -1;
    }

    private void BinaryOp(Layers.BinaryOp op, int ia = 0, int ib = 1, string? outName = null)
    {
        if (_opset < 7) AlignLegacyBroadcast(ia, ib);
        var va = In(ia)!;
        var vb = In(ib)!;
        bool commutative = op is Layers.BinaryOp.Add or Layers.BinaryOp.Mul or Layers.BinaryOp.Max or Layers.BinaryOp.Min or Layers.BinaryOp.Equal;
        int[] DimsOf(Val v) => v is Rt r ? r.Dims : ((Cst)v).Dims;
        var (da, db) = (DimsOf(va), DimsOf(vb));
        // A constant operand that is one value, one per channel or the other's whole shape stays with the weights (no
        // per-run copy) and can fold into a convolution before it.
        if (va is Cst && vb is Rt && commutative && Broadcast(db, da) >= 0) { (va, vb) = (vb, va); (da, db) = (db, da); (ia, ib) = (ib, ia); }
        if (va is Rt ra && vb is Cst cb && Broadcast(da, db) >= 0)
        {
            var fixedNode = _b.Add(new Binary(op) { Operand = cb.T.ToFloats() }, Unique(outName ?? Out), ra.Node);
            _vals[outName ?? Out] = new Rt(fixedNode, da);
            return;
        }
        // Anything else: numpy broadcasting of two nodes at any rank (constants become constant nodes).
        int[] outDims;
        try { outDims = BroadcastDims(da, db); }
        catch (ArgumentException) { throw new ArgumentException($"{op} of [{string.Join(",", da)}] and [{string.Join(",", db)}]: the shapes do not broadcast."); }
        Node Operand(int i, Val v) => v is Cst c ? ConstNode(_node.Input[i], c, c.Dims) : ((Rt)v).Node;
        var node = _b.Add(new Binary(op), Unique(outName ?? Out), Operand(ia, va), Operand(ib, vb));
        _vals[outName ?? Out] = new Rt(node, outDims);
    }

    private void Variadic(string op)
    {
        int n = _node.Input.Count;
        if (n == 1) { _vals[Out] = In(0)!; return; }
        var bop = op switch { "Max" => Layers.BinaryOp.Max, "Min" => Layers.BinaryOp.Min, _ => Layers.BinaryOp.Add };
        if (n == 2) { BinaryOp(bop); return; }
        // More inputs: a chain of binary layers, each combining the running result with the next input.
        var acc = Enumerable.Range(0, n).Select(i => (Index: i, Val: In(i)!)).OrderBy(v => v.Val is Cst ? 1 : 0).ToArray();
        if (acc[0].Val is not Rt first) throw new UnsupportedException($"{op} of constants only");
        Node node = first.Node;
        var dims = first.Dims;
        for (int i = 1; i < n; i++)
        {
            string name = Unique(i == n - 1 ? Out : $"{Out}_{i}");
            var v = acc[i].Val;
            var vd = v is Rt r0 ? r0.Dims : ((Cst)v).Dims;
            if (v is Cst ci && Broadcast(dims, vd) >= 0) { node = _b.Add(new Binary(bop) { Operand = ci.T.ToFloats() }, name, node); continue; }
            var other = v is Cst c2 ? ConstNode(_node.Input[acc[i].Index], c2, c2.Dims) : ((Rt)v).Node;
            dims = BroadcastDims(dims, vd);
            node = _b.Add(new Binary(bop), name, node, other);
        }
        _vals[Out] = new Rt(node, dims);
    }

    private void ConcatOp()
    {
        var ins = Enumerable.Range(0, _node.Input.Count).Where(i => _node.Input[i] != "").Select(i => RtIn(i)).ToArray();
        int rank = ins[0].Dims.Length;
        int axis = Axis(AttrInt("axis", 1), rank, "axis");
        var dims = ins[0].Dims.ToArray();
        dims[axis] = ins.Sum(r => r.Dims[axis]);
        SetRt(new Concat { Axis = axis }, dims, ins.Select(r => r.Node).ToArray());
    }

    private void FlattenOp()
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        int axis = (int)AttrInt("axis", 1);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis > rank) throw new ArgumentException($"axis {AttrInt("axis", 1)} is outside a tensor of rank {rank}.");
        ReshapeTo(x, new[] { (int)Product(x.Dims.Take(axis)), (int)Product(x.Dims.Skip(axis)) });
    }

    private void GemmOp()
    {
        var a = RtIn(0);
        if (a.Dims.Length != 2) throw new ArgumentException($"A has shape [{string.Join(",", a.Dims)}]; Gemm needs a matrix.");
        if (AttrInt("transA", 0) != 0)
        {
            var t = _b.Add(new Layers.Transpose(1, 0), Unique(Out + "_at"), a.Node);
            a = new Rt(t, new[] { a.Dims[1], a.Dims[0] });
        }
        var bw = CstIn(1, "B");
        var c = OptCst(2, "C");
        float alpha = AttrFloat("alpha", 1f), beta = AttrFloat("beta", 1f);
        bool transB = AttrInt("transB", 0) != 0;
        if (bw.Dims.Length != 2) throw new ArgumentException($"B has shape [{string.Join(",", bw.Dims)}]; Gemm needs a matrix.");
        int n = a.Dims[1];
        int k = transB ? bw.Dims[0] : bw.Dims[1];
        int nb = transB ? bw.Dims[1] : bw.Dims[0];
        if (nb != n) throw new ArgumentException($"A has {n} columns but B ([{string.Join(",", bw.Dims)}], transB={(transB ? 1 : 0)}) has {nb} rows.");
        if (c != null && beta != 0 && c.V.Length != 1 && c.V.Length != k)
        {
            // A bias matrix [M, N]: the product, then a broadcast Add of C·beta.
            AddDense(a, DenseWeights(bw, transB, alpha), null, 0, k, Out + "_ab");
            var prod = (Rt)_vals[Out + "_ab"];
            var cc = new Cst(new OnnxTensor(_node.Input[2], c.Dims, true, c.V.Select(v => v * beta).ToArray()));
            var cn = ConstNode(_node.Input[2], cc, c.Dims);
            SetRt(new Binary(Layers.BinaryOp.Add), BroadcastDims(prod.Dims, c.Dims), prod.Node, cn);
            return;
        }
        AddDense(a, DenseWeights(bw, transB, alpha), c, beta, k);
    }

    private void MatMulOp()
    {
        if (In(0) is Rt a0 && In(1) is Cst bw && bw.Dims.Length == 2 && a0.Dims.Length >= 1 && Product(a0.Dims.Take(a0.Dims.Length - 1)) == 1)
        {
            // One row times a weight matrix: the matrix-vector kernel reads each weight once.
            if (bw.Dims[0] != a0.Dims[^1]) throw new ArgumentException($"A [{string.Join(",", a0.Dims)}] times B [{string.Join(",", bw.Dims)}]: inner sizes differ.");
            var row = a0.Dims.Length == 2 ? a0 : new Rt(_b.Add(new Reshape(new TensorShape(1, a0.Dims[^1])), Unique(Out + "_row"), a0.Node), new[] { 1, a0.Dims[^1] });
            var outDims = a0.Dims.Take(a0.Dims.Length - 1).Append(bw.Dims[1]).ToArray();
            AddDense(row, DenseWeights(bw, false, 1f), null, 0, bw.Dims[1], outDims.Length == 2 ? null : Out + "_dense");
            if (outDims.Length != 2) ReshapeTo((Rt)_vals[Out + "_dense"], outDims);
            return;
        }
        if (In(0) is Rt a1 && In(1) is Cst w2 && w2.Dims.Length == 2 && a1.Dims.Length >= 2)
        {
            // Rows times a weight matrix (a Linear layer on [..., K]): the convolution kernels do the work.
            if (w2.Dims[0] != a1.Dims[^1]) throw new ArgumentException($"A [{string.Join(",", a1.Dims)}] times B [{string.Join(",", w2.Dims)}]: inner sizes differ.");
            SetRt(new Linear { OutFeatures = w2.Dims[1], Weights = DenseWeights(w2, false, 1f) }, a1.Dims[..^1].Append(w2.Dims[1]).ToArray(), a1.Node);
            return;
        }
        RuntimeMatMul();
    }

    /// <summary>MatMul at any rank with numpy batch broadcasting; a constant operand becomes a constant node.</summary>
    private void RuntimeMatMul()
    {
        var a = RtIn(0);
        var b = RtIn(1);
        var plan = MatMul.Plan(new TensorShape(a.Dims), new TensorShape(b.Dims), _node.Name);
        SetRt(new MatMul(), plan.Output.ToArray(), a.Node, b.Node);
    }

    private static float[] DenseWeights(Cst b, bool transB, float alpha)
    {
        int r = b.Dims[0], c = b.Dims[1];
        var w = new float[r * c];
        if (transB) for (int i = 0; i < w.Length; i++) w[i] = (float)(alpha * b.V[i]);
        else
            for (int i = 0; i < r; i++)
                for (int j = 0; j < c; j++) w[j * r + i] = (float)(alpha * b.V[i * c + j]);   // [N][K] → [K][N]
        return w;
    }

    private void AddDense(Rt a, float[] w, Cst? c, float beta, int k, string? outName = null)
    {
        float[]? bias = null;
        if (c != null && beta != 0)
        {
            if (c.V.Length != 1 && c.V.Length != k) throw new UnsupportedException($"Gemm C of shape [{string.Join(",", c.Dims)}] for {k} outputs; one value or one per output is supported");
            bias = Enumerable.Range(0, k).Select(i => (float)(beta * c.V[c.V.Length == 1 ? 0 : i])).ToArray();
        }
        // One row: the matrix-vector kernel; several: a Linear layer on the convolution kernels.
        Layer layer = a.Dims[0] == 1 ? new Dense { OutFeatures = k, Weights = w, Bias = bias } : new Linear { OutFeatures = k, Weights = w, Bias = bias };
        var node = _b.Add(layer, Unique(outName ?? Out), a.Node);
        _vals[outName ?? Out] = new Rt(node, new[] { a.Dims[0], k });
    }

    private int[] ReshapeTarget(int[] from, long[] shape, bool allowZero)
    {
        var dims = new int[shape.Length];
        int infer = -1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1) { if (infer >= 0) throw new ArgumentException($"shape [{string.Join(",", shape)}] has two -1 entries."); infer = i; dims[i] = 1; }
            else if (shape[i] == 0 && !allowZero) dims[i] = i < from.Length ? from[i] : throw new ArgumentException($"shape [{string.Join(",", shape)}] copies dimension {i}, which the input [{string.Join(",", from)}] does not have.");
            else dims[i] = checked((int)shape[i]);
        }
        long total = Product(from);
        if (infer >= 0)
        {
            long rest = Product(dims);
            if (rest == 0 || total % rest != 0) throw new ArgumentException($"cannot reshape [{string.Join(",", from)}] to [{string.Join(",", shape)}].");
            dims[infer] = (int)(total / rest);
        }
        if (Product(dims) != total) throw new ArgumentException($"cannot reshape [{string.Join(",", from)}] ({total} values) to [{string.Join(",", shape)}] ({Product(dims)} values).");
        return dims;
    }

    private void ReshapeOp()
    {
        var x = RtIn(0);
        long[] shape = _opset < 5 ? AttrInts("shape")! : CstIn(1, "shape").T.ToInt64s();
        var dims = ReshapeTarget(x.Dims, shape, AttrInt("allowzero", 0) != 0);
        ReshapeTo(x, dims);
    }

    private void ReshapeTo(Rt x, int[] dims)
    {
        var shape = ToShape(dims, $"the result [{string.Join(",", dims)}]");
        if (shape == x.Node.Shape) { _vals[Out] = new Rt(x.Node, dims); return; }
        SetRt(new Reshape(shape), dims, x.Node);
    }

    private long[] AxesOf(int inputIndex)
    {
        if (_opset >= 13) return OptCst(inputIndex, "axes")?.T.ToInt64s() ?? Array.Empty<long>();
        return AttrInts("axes") ?? Array.Empty<long>();
    }

    private static int[] SqueezeDims(int[] d, long[] axes, bool unsqueeze, string what)
    {
        if (unsqueeze)
        {
            int rank = d.Length + axes.Length;
            var ax = axes.Select(a => Axis(a, rank, "axis")).ToHashSet();
            var r = new List<int>();
            int j = 0;
            for (int i = 0; i < rank; i++) r.Add(ax.Contains(i) ? 1 : d[j++]);
            return r.ToArray();
        }
        var sq = axes.Length == 0 ? Enumerable.Range(0, d.Length).Where(i => d[i] == 1).ToHashSet() : axes.Select(a => Axis(a, d.Length, "axis")).ToHashSet();
        foreach (var a in sq) if (d[a] != 1) throw new ArgumentException($"{what}: cannot squeeze axis {a} of size {d[a]}.");
        return d.Where((_, i) => !sq.Contains(i)).ToArray();
    }

    private void SqueezeOp(bool unsqueeze)
    {
        var x = RtIn(0);
        var dims = SqueezeDims(x.Dims, AxesOf(1), unsqueeze, _node.OpType);
        ReshapeTo(x, dims);
    }

    private void TransposeOp()
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        var perm = (AttrInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(v => (long)v).ToArray()).Select(v => (int)v).ToArray();
        if (perm.Length != rank || !perm.OrderBy(v => v).SequenceEqual(Enumerable.Range(0, rank)))
            throw new ArgumentException($"perm [{string.Join(",", perm)}] is not a permutation of the {rank} axes of [{string.Join(",", x.Dims)}].");
        var dims = perm.Select(p => x.Dims[p]).ToArray();
        // Axes of size 1 may move freely: only the order of the others matters for the data.
        var moved = perm.Where(p => x.Dims[p] != 1).ToArray();
        if (moved.SequenceEqual(moved.OrderBy(v => v))) { ReshapeTo(x, dims); return; }
        SetRt(new Layers.Transpose(perm), dims, x.Node);
    }

    private void ResizeOp(bool upsampleOp)
    {
        var x = Spatial4(_node.OpType);
        string mode = AttrString("mode", "nearest");
        float[]? scales = null;
        int[]? sizes = null;
        string coord, nearest;
        if (upsampleOp)
        {
            scales = _opset < 9 ? AttrFloats("scales") ?? LegacyUpsampleScales() : CstIn(1, "scales").T.ToFloats();
            coord = "asymmetric"; nearest = "floor";
        }
        else
        {
            if (Attr("axes") != null) throw new UnsupportedException("the axes attribute is not supported");
            if (AttrInt("antialias", 0) != 0) throw new UnsupportedException("antialias is not supported");
            int si = _opset < 11 ? 1 : 2;
            var sc = OptCst(si, "scales");
            if (sc != null && sc.V.Length > 0) scales = sc.T.ToFloats();
            var sz = _opset >= 11 ? OptCst(3, "sizes") : null;
            if (sz != null && sz.V.Length > 0) sizes = sz.T.ToInt64s().Select(v => (int)v).ToArray();
            coord = AttrString("coordinate_transformation_mode", _opset < 11 ? "asymmetric" : "half_pixel");
            nearest = AttrString("nearest_mode", _opset < 11 ? "round_prefer_floor" : "round_prefer_floor");
        }
        if (scales == null && sizes == null) throw new ArgumentException("neither scales nor sizes is given.");
        if (scales != null && (scales.Length != 4 || scales[0] != 1 || scales[1] != 1))
            throw new UnsupportedException($"scales [{string.Join(",", scales)}]; only the two spatial axes may be scaled");
        if (x.Dims.Length != 4) throw new UnsupportedException($"{_node.OpType} of [{string.Join(",", x.Dims)}]; images [N,C,H,W] are supported");
        if (sizes != null && (sizes.Length != 4 || sizes[0] != x.Dims[0] || sizes[1] != x.Dims[1]))
            throw new UnsupportedException($"sizes [{string.Join(",", sizes)}]; only the two spatial axes may be resized");
        int oh = sizes?[2] ?? (int)Math.Floor(x.Dims[2] * scales![2]);
        int ow = sizes?[3] ?? (int)Math.Floor(x.Dims[3] * scales![3]);
        float sh = sizes != null ? (float)oh / x.Dims[2] : scales![2], sw = sizes != null ? (float)ow / x.Dims[3] : scales![3];
        UpsampleMode um;
        CoordinateMode cm;
        if (mode == "nearest")
        {
            um = UpsampleMode.Nearest;
            cm = CoordinateMode.Asymmetric;
            // The engine's nearest is floor(o / scale). Half-pixel with rounding gives the same for integer up-scales.
            bool integral = sh >= 1 && sw >= 1 && sh == MathF.Floor(sh) && sw == MathF.Floor(sw) && oh == x.Dims[2] * (int)sh && ow == x.Dims[3] * (int)sw;
            bool ok = coord == "asymmetric" && nearest == "floor"
                      || coord is "half_pixel" or "pytorch_half_pixel" && nearest is "round_prefer_floor" or "round_prefer_ceil" && integral;
            if (!ok) throw new UnsupportedException($"nearest resize with coordinate_transformation_mode '{coord}' and nearest_mode '{nearest}' at scales {sh}, {sw}; supported: asymmetric with floor, or half_pixel with rounding at integer up-scales");
        }
        else if (mode is "linear" or "bilinear")
        {
            um = UpsampleMode.Bilinear;
            cm = coord switch
            {
                "half_pixel" => CoordinateMode.HalfPixel,
                "pytorch_half_pixel" when oh > 1 && ow > 1 => CoordinateMode.HalfPixel,
                "align_corners" => CoordinateMode.AlignCorners,
                "asymmetric" => CoordinateMode.Asymmetric,
                _ => throw new UnsupportedException($"linear resize with coordinate_transformation_mode '{coord}' to {ow}x{oh} is not supported"),
            };
        }
        else throw new UnsupportedException($"resize mode '{mode}' is not supported (nearest and linear are)");
        var layer = sizes != null
            ? new Upsample { Mode = um, Coordinates = cm, OutH = oh, OutW = ow }
            : new Upsample { Mode = um, Coordinates = cm, ScaleH = sh, ScaleW = sw };
        var node = _b.Add(layer, Unique(Out), x.Node);
        _vals[Out] = new Rt(node, Dims4(node.Shape));
    }


    private void PadOp()
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        string mode = AttrString("mode", "constant");
        long[] pads;
        float value = 0;
        if (_opset < 11)
        {
            pads = AttrInts("pads") ?? AttrInts("paddings") ?? throw new ArgumentException("pads is missing.");   // opset 1 calls them paddings
            value = AttrFloat("value", 0f);
        }
        else
        {
            pads = CstIn(1, "pads").T.ToInt64s();
            if (OptCst(2, "constant_value") is { } cv && cv.V.Length > 0) value = (float)cv.V[0];
            if (OptCst(3, "axes") is { } ax)
            {
                // Opset 18: pads for the listed axes only.
                var axes = ax.T.ToInt64s().Select(a => Axis(a, rank, "axis")).ToArray();
                var full = new long[2 * rank];
                for (int k = 0; k < axes.Length; k++) { full[axes[k]] = pads[k]; full[rank + axes[k]] = pads[axes.Length + k]; }
                pads = full;
            }
        }
        if (pads.Length != 2 * rank) throw new ArgumentException($"pads [{string.Join(",", pads)}] must have {2 * rank} values for a rank-{rank} input.");
        var pm = mode switch
        {
            "constant" => PaddingMode.Zero, "edge" => PaddingMode.Replicate, "reflect" => PaddingMode.Reflect, "wrap" => PaddingMode.Wrap,
            _ => throw new UnsupportedException($"Pad mode '{mode}' is not supported (constant, edge, reflect and wrap are)"),
        };
        var before = pads.Take(rank).Select(v => checked((int)v)).ToArray();
        var after = pads.Skip(rank).Select(v => checked((int)v)).ToArray();
        var dims = x.Dims.Select((v, i) => v + before[i] + after[i]).ToArray();
        if (before.All(v => v == 0) && after.All(v => v == 0)) { _vals[Out] = x; return; }
        SetRt(new Pad(before, after) { Mode = pm, Value = value }, dims, x.Node);
    }

    private void ReduceOp(ReduceKind kind)
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        bool axesInput = kind == ReduceKind.Sum ? _opset >= 13 : _opset >= 18;
        long[] axes = axesInput ? OptCst(1, "axes")?.T.ToInt64s() ?? Array.Empty<long>() : AttrInts("axes") ?? Array.Empty<long>();
        if (axes.Length == 0 && AttrInt("noop_with_empty_axes", 0) != 0) { _vals[Out] = x; return; }
        var set = (axes.Length == 0 ? Enumerable.Range(0, rank) : axes.Select(a => Axis(a, rank, "axis"))).ToHashSet();
        bool keep = AttrInt("keepdims", 1) != 0;
        var kept = x.Dims.Select((v, i) => set.Contains(i) ? 1 : v).ToArray();
        var dims = keep ? kept : x.Dims.Where((_, i) => !set.Contains(i)).ToArray();
        // Only size-1 axes: nothing to reduce for sum, mean, max, min and product; L1, L2 and the sum of squares still map
        // each value (|v|, |v|, v²).
        if (set.All(i => x.Dims[i] == 1) && kind is not (ReduceKind.L1 or ReduceKind.L2 or ReduceKind.SumSquare)) { ReshapeTo(x, dims); return; }
        SetRt(new Reduce(kind, set.Order().ToArray()) { KeepDims = keep }, dims, x.Node);
    }

    /// <summary>A runtime box of x: an alias when it is all of x, else a Slice layer.</summary>
    private void SliceTo(Rt x, string output, int[] lo, int[] step, int[] cnt)
    {
        if (cnt.Any(v => v <= 0)) throw new UnsupportedException($"an empty slice of [{string.Join(",", x.Dims)}] is not supported");
        if (cnt.SequenceEqual(x.Dims) && step.All(v => v == 1)) { _vals[output] = x; return; }
        _vals[output] = new Rt(_b.Add(new Slice(lo, step, cnt), Unique(output), x.Node), cnt);
    }

    private void SliceOp()
    {
        var x = RtIn(0);
        var (lo, step, cnt) = SliceBox(x.Dims);
        SliceTo(x, Out, lo, step, cnt);
    }

    /// <summary>Split's part sizes along its axis (attribute before opset 13, input after; equal parts when absent).</summary>
    private (int Axis, long[] Sizes) SplitSizes(int[] dims)
    {
        int rank = dims.Length;
        int axis = Axis(AttrInt("axis", 0), rank, "axis");
        int outs = _node.Output.Count, n = dims[axis];
        long[]? split = _opset < 13 ? AttrInts("split") : OptCst(1, "split")?.T.ToInt64s();
        if (split == null || split.Length == 0)
        {
            // Equal parts; opset 18's num_outputs lets the last one be smaller.
            int part = (n + outs - 1) / outs;
            if (_opset < 18 && n % outs != 0) throw new ArgumentException($"axis {axis} of size {n} does not split into {outs} equal parts.");
            split = Enumerable.Range(0, outs).Select(i => (long)Math.Min(part, n - i * part)).ToArray();
        }
        if (split.Length != outs || split.Sum() != n)
            throw new ArgumentException($"split [{string.Join(",", split)}] does not divide axis {axis} of size {n} into {outs} outputs.");
        return (axis, split);
    }

    private void SplitOp()
    {
        bool constant = In(0) is Cst;
        var dims = constant ? ((Cst)In(0)!).Dims : RtIn(0).Dims;
        var (axis, split) = SplitSizes(dims);
        int start = 0;
        for (int k = 0; k < split.Length; k++)
        {
            var lo = new int[dims.Length]; var cnt = dims.ToArray(); var step = Enumerable.Repeat(1, dims.Length).ToArray();
            lo[axis] = start; cnt[axis] = (int)split[k];
            start += (int)split[k];
            string o = _node.Output[k];
            if (o == "") continue;
            if (constant)
            {
                var c = (Cst)In(0)!;
                _vals[o] = new Cst(new OnnxTensor(o, cnt, c.T.IsFloat, Box(c, lo, step, cnt)));
            }
            else SliceTo(RtIn(0), o, lo, step, cnt);
        }
    }

    private float[]? AttrFloats(string name) => Attr(name) is { } a ? a.Floats.ToArray() : null;

    // ---------------------------------------------------------------- constant folding

    private void FoldConstant()
    {
        var t = Attr("value")?.T;
        if (t != null) { _vals[Out] = new Cst(OnnxModel.Decode(t, Src, Path.GetDirectoryName(Path.GetFullPath(Src)))); return; }
        if (Attr("value_float") is { } f) { SetCst(Array.Empty<int>(), new double[] { f.F }, true); return; }
        if (Attr("value_floats") is { } fs) { SetCst(new[] { fs.Floats.Count }, fs.Floats.Select(v => (double)v).ToArray(), true); return; }
        if (Attr("value_int") is { } i) { SetCst(Array.Empty<int>(), new double[] { i.I }, false); return; }
        if (Attr("value_ints") is { } iz) { SetCst(new[] { iz.Ints.Count }, iz.Ints.Select(v => (double)v).ToArray(), false); return; }
        throw new UnsupportedException("a Constant without a tensor, float(s) or int(s) value is not supported");
    }

    private void FoldShape()
    {
        var v = In(0)!;
        var d = v is Rt r ? r.Dims : ((Cst)v).Dims;
        int rank = d.Length;
        long start = AttrInt("start", 0), end = AttrInt("end", rank);
        int s = (int)Math.Clamp(start < 0 ? start + rank : start, 0, rank), e = (int)Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        var sel = d.Skip(s).Take(Math.Max(0, e - s)).Select(x => (double)x).ToArray();
        SetCst(new[] { sel.Length }, sel, false);
    }

    private void Fold(string op)
    {
        var c = Enumerable.Range(0, _node.Input.Count).Select(i => In(i) as Cst).ToArray();
        switch (op)
        {
            case "Cast":
            {
                long to = CastTarget();
                bool f = to is 1 or 10 or 11 or 16;
                var v = f ? c[0]!.V.ToArray() : c[0]!.V.Select(x => Math.Truncate(x)).ToArray();
                if (to == 9) v = v.Select(x => x != 0 ? 1.0 : 0).ToArray();
                SetCst(c[0]!.Dims, v, f);
                return;
            }
            case "ConstantOfShape":
            {
                var dims = c[0]!.T.ToInt64s().Select(x => (int)x).ToArray();
                var val = Attr("value")?.T is { } t ? OnnxModel.Decode(t, Src, null) : null;
                SetCst(dims, Enumerable.Repeat(val?.Values[0] ?? 0.0, (int)Product(dims)).ToArray(), val?.IsFloat ?? true);
                return;
            }
            case "Reshape":
            {
                var dims = ReshapeTarget(c[0]!.Dims, _opset < 5 ? AttrInts("shape")! : c[1]!.T.ToInt64s(), AttrInt("allowzero", 0) != 0);
                SetCst(dims, c[0]!.V, c[0]!.T.IsFloat);
                return;
            }
            case "Flatten":
            {
                int axis = Axis(AttrInt("axis", 1), c[0]!.Dims.Length + 1, "axis");
                var d = c[0]!.Dims;
                SetCst(new[] { (int)Product(d.Take(axis)), (int)Product(d.Skip(axis)) }, c[0]!.V, c[0]!.T.IsFloat);
                return;
            }
            case "Squeeze": case "Unsqueeze":
                SetCst(SqueezeDims(c[0]!.Dims, AxesOf(1), op == "Unsqueeze", op), c[0]!.V, c[0]!.T.IsFloat);
                return;
            case "Gather": FoldGather(c[0]!, c[1]!); return;
            case "Concat": FoldConcat(c.Where(x => x != null).ToArray()!); return;
            case "Transpose": FoldTranspose(c[0]!); return;
            case "Slice": FoldSlice(c); return;
            case "Range":
            {
                double start = c[0]!.V[0], limit = c[1]!.V[0], delta = c[2]!.V[0];
                int n = Math.Max(0, (int)Math.Ceiling((limit - start) / delta));
                SetCst(new[] { n }, Enumerable.Range(0, n).Select(i => start + i * delta).ToArray(), c[0]!.T.IsFloat);
                return;
            }
            case "Expand":
            {
                var shape = c[1]!.T.ToInt64s().Select(v => (int)v).ToArray();
                var outDims = BroadcastDims(c[0]!.Dims, shape);
                SetCst(outDims, Enumerable.Range(0, (int)Product(outDims)).Select(i => c[0]!.V[BroadcastIndex(i, outDims, c[0]!.Dims)]).ToArray(), c[0]!.T.IsFloat);
                return;
            }
            case "Where":
            {
                var d = BroadcastDims(BroadcastDims(c[0]!.Dims, c[1]!.Dims), c[2]!.Dims);
                var v = Enumerable.Range(0, (int)Product(d)).Select(i => c[0]!.V[BroadcastIndex(i, d, c[0]!.Dims)] != 0
                    ? c[1]!.V[BroadcastIndex(i, d, c[1]!.Dims)] : c[2]!.V[BroadcastIndex(i, d, c[2]!.Dims)]).ToArray();
                SetCst(d, v, c[1]!.T.IsFloat);
                return;
            }
        }
        Func<double, double>? unary = op switch
        {
            "Neg" => v => -v, "Sqrt" => Math.Sqrt, "Exp" => Math.Exp, "Abs" => Math.Abs, "Reciprocal" => v => 1 / v, "Floor" => Math.Floor, "Ceil" => Math.Ceiling,
            "Not" => v => v == 0 ? 1 : 0, "Sign" => v => Math.Sign(v), "Round" => v => Math.Round(v, MidpointRounding.ToEven), "Log" => Math.Log,
            "Relu" => v => Math.Max(v, 0), "Sigmoid" => v => 1 / (1 + Math.Exp(-v)), "Tanh" => Math.Tanh,
            "Identity" or "Dropout" => v => v, _ => null,
        };
        if (unary != null) { SetCst(c[0]!.Dims, c[0]!.V.Select(unary).ToArray(), c[0]!.T.IsFloat); return; }
        Func<double, double, double>? binary = op switch
        {
            "Add" or "Sum" => (a, b) => a + b, "Sub" => (a, b) => a - b, "Mul" => (a, b) => a * b,
            "Div" => c[0]!.T.IsFloat ? (a, b) => a / b : (a, b) => Math.Truncate(a / b),
            "Max" => Math.Max, "Min" => Math.Min, "Equal" => (a, b) => a == b ? 1 : 0, "Pow" => Math.Pow,
            "Less" => (a, b) => a < b ? 1 : 0, "Greater" => (a, b) => a > b ? 1 : 0, "LessOrEqual" => (a, b) => a <= b ? 1 : 0,
            "GreaterOrEqual" => (a, b) => a >= b ? 1 : 0, "And" => (a, b) => a != 0 && b != 0 ? 1 : 0, "Or" => (a, b) => a != 0 || b != 0 ? 1 : 0,
            "Xor" => (a, b) => (a != 0) != (b != 0) ? 1 : 0, _ => null,
        };
        if (binary != null && c.Length == 2)
        {
            var d = BroadcastDims(c[0]!.Dims, c[1]!.Dims);
            var v = Enumerable.Range(0, (int)Product(d)).Select(i => binary(c[0]!.V[BroadcastIndex(i, d, c[0]!.Dims)], c[1]!.V[BroadcastIndex(i, d, c[1]!.Dims)])).ToArray();
            SetCst(d, v, op is not ("Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "And" or "Or" or "Xor") && c[0]!.T.IsFloat);
            return;
        }
        throw new UnsupportedException($"{op} is not supported on constant inputs");
    }

    private static int[] Pad(int[] d, int rank) => Enumerable.Repeat(1, Math.Max(0, rank - d.Length)).Concat(d).ToArray();

    private static int[] BroadcastDims(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var pa = Pad(a, r); var pb = Pad(b, r);
        var d = new int[r];
        for (int i = 0; i < r; i++)
        {
            if (pa[i] != pb[i] && pa[i] != 1 && pb[i] != 1) throw new ArgumentException($"shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not broadcast.");
            d[i] = pa[i] == 1 ? pb[i] : pa[i];
        }
        return d;
    }

    // Index into a tensor of shape `src` (broadcast to `dims`) for flat output index i.
    private static int BroadcastIndex(int i, int[] dims, int[] src)
    {
        var ps = Pad(src, dims.Length);
        int idx = 0, stride = 1;
        for (int k = dims.Length - 1; k >= 0; k--)
        {
            int coord = i % dims[k];
            i /= dims[k];
            if (ps[k] != 1) idx += coord * stride;
            stride *= ps[k];
        }
        return idx;
    }

    private void FoldGather(Cst data, Cst idx)
    {
        var d = data.Dims;
        int axis = Axis(AttrInt("axis", 0), d.Length, "axis");
        int outer = (int)Product(d.Take(axis)), inner = (int)Product(d.Skip(axis + 1)), n = d[axis];
        var ind = idx.V.Select(v => (int)(v < 0 ? v + n : v)).ToArray();
        foreach (var v in ind) if (v < 0 || v >= n) throw new ArgumentException($"Gather index {v} is outside axis {axis} of size {n}.");
        var r = new List<double>();
        for (int o = 0; o < outer; o++)
            foreach (var k in ind)
                for (int j = 0; j < inner; j++) r.Add(data.V[(o * n + k) * inner + j]);
        SetCst(d.Take(axis).Concat(idx.Dims).Concat(d.Skip(axis + 1)).ToArray(), r.ToArray(), data.T.IsFloat);
    }

    private void FoldConcat(Cst[] parts)
    {
        int rank = parts[0].Dims.Length;
        int axis = Axis(AttrInt("axis", 0), rank, "axis");
        int outer = (int)Product(parts[0].Dims.Take(axis));
        var r = new List<double>();
        for (int o = 0; o < outer; o++)
            foreach (var p in parts)
            {
                int chunk = (int)Product(p.Dims.Skip(axis));
                for (int j = 0; j < chunk; j++) r.Add(p.V[o * chunk + j]);
            }
        var dims = parts[0].Dims.ToArray();
        dims[axis] = parts.Sum(p => p.Dims[axis]);
        SetCst(dims, r.ToArray(), parts[0].T.IsFloat);
    }

    private void FoldTranspose(Cst x)
    {
        var d = x.Dims;
        var perm = (AttrInts("perm") ?? Enumerable.Range(0, d.Length).Reverse().Select(v => (long)v).ToArray()).Select(v => (int)v).ToArray();
        var od = perm.Select(p => d[p]).ToArray();
        var strides = new int[d.Length];
        for (int k = d.Length - 1, s = 1; k >= 0; s *= d[k], k--) strides[k] = s;
        var r = new double[x.V.Length];
        for (int i = 0; i < r.Length; i++)
        {
            int rem = i, src = 0;
            for (int k = od.Length - 1; k >= 0; k--) { src += rem % od[k] * strides[perm[k]]; rem /= od[k]; }
            r[i] = x.V[src];
        }
        SetCst(od, r, x.T.IsFloat);
    }

    /// <summary>Slice's first element, step and count per axis of a tensor of shape d (ONNX rules: negative indices
    /// count from the end, out-of-range ones are clamped).</summary>
    private (int[] Lo, int[] Step, int[] Cnt) SliceBox(int[] d)
    {
        long[] starts, ends, axes, steps;
        if (_opset < 10)
        {
            starts = AttrInts("starts")!; ends = AttrInts("ends")!;
            axes = AttrInts("axes") ?? Enumerable.Range(0, starts.Length).Select(v => (long)v).ToArray();
            steps = Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        else
        {
            starts = CstIn(1, "starts").T.ToInt64s(); ends = CstIn(2, "ends").T.ToInt64s();
            axes = OptCst(3, "axes")?.T.ToInt64s() ?? Enumerable.Range(0, starts.Length).Select(v => (long)v).ToArray();
            steps = OptCst(4, "steps")?.T.ToInt64s() ?? Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        var lo = new int[d.Length]; var step = Enumerable.Repeat(1, d.Length).ToArray(); var cnt = d.ToArray();
        for (int k = 0; k < axes.Length; k++)
        {
            int a = Axis(axes[k], d.Length, "axis");
            long n = d[a], st = steps[k];
            if (st == 0) throw new ArgumentException("Slice step 0.");
            long s = starts[k] < 0 ? starts[k] + n : starts[k], e = ends[k] < 0 ? ends[k] + n : ends[k];
            if (st > 0) { s = Math.Clamp(s, 0, n); e = Math.Clamp(e, 0, n); cnt[a] = (int)Math.Max(0, (e - s + st - 1) / st); }
            else { s = Math.Clamp(s, 0, n - 1); e = Math.Clamp(e, -1, n - 1); cnt[a] = (int)Math.Max(0, (s - e - st - 1) / -st); }
            lo[a] = (int)s; step[a] = (int)st;
        }
        return (lo, step, cnt);
    }

    private void FoldSlice(Cst?[] c)
    {
        var x = c[0]!;
        var (lo, step, cnt) = SliceBox(x.Dims);
        SetCst(cnt, Box(x, lo, step, cnt), x.T.IsFloat);
    }

    /// <summary>The elements of a constant in a strided box (first element, step and count per axis).</summary>
    private static double[] Box(Cst x, int[] lo, int[] step, int[] cnt)
    {
        var d = x.Dims;
        var strides = new int[d.Length];
        for (int k = d.Length - 1, s = 1; k >= 0; s *= d[k], k--) strides[k] = s;
        var r = new double[Product(cnt)];
        for (int i = 0; i < r.Length; i++)
        {
            int rem = i, src = 0;
            for (int k = d.Length - 1; k >= 0; k--) { src += (lo[k] + rem % cnt[k] * step[k]) * strides[k]; rem /= cnt[k]; }
            r[i] = x.V[src];
        }
        return r;
    }
}
