// The ONNX importer's core: values flowing through the graph, inputs and outputs, attribute access, and the operator
// table that sends each node to its converter (Importer.*.cs, one file per operator family; ConstantFolder.cs).
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

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

    private readonly OnnxModel _m;

    private readonly IReadOnlyDictionary<string, int[]>? _shapes;

    private readonly NetworkBuilder _b;

    private readonly Dictionary<string, Val> _vals = new();

    private readonly Dictionary<string, Node> _constNodes = new();

    private readonly List<string> _unsupported = new();

    private readonly HashSet<string> _usedNames = new();

    private int _opset;

    private NodeProto _node = null!;

    /// <summary>
    /// The operator table: one row per supported ONNX operator (default domain), in the order of docs/onnx.md, with how a
    /// node of it converts and whether a node whose inputs are all constants is computed at load instead. Being in the
    /// table is being supported; nothing else lists operators.
    /// </summary>
    private static readonly (string Op, Action<Importer> Convert, bool FoldsWhenConstant)[] Table =
    {
        ("Conv", i => i.ConvOp(), true),
        ("ConvTranspose", i => i.ConvTransposeOp(), true),
        ("MaxPool", i => i.PoolOp(true), true),
        ("AveragePool", i => i.PoolOp(false), true),
        ("GlobalAveragePool", i => i.GlobalPoolOp(PoolKind.Average), true),
        ("GlobalMaxPool", i => i.GlobalPoolOp(PoolKind.Max), true),
        ("Relu", i => i.Act(Activation.Relu), true),
        ("LeakyRelu", i => i.Act(Activation.LeakyRelu(i.AttrFloat("alpha", 0.01f))), true),
        ("Sigmoid", i => i.Act(Activation.Sigmoid), true),
        ("HardSigmoid", i => i.Act(Activation.HardSigmoid(i.AttrFloat("alpha", 0.2f), i.AttrFloat("beta", 0.5f))), true),
        ("HardSwish", i => i.Act(Activation.HardSwish), true),
        ("Tanh", i => i.Act(Activation.Tanh), true),
        ("Elu", i => i.Act(Activation.Elu(i.AttrFloat("alpha", 1f))), true),
        ("Selu", i => i.Act(Activation.Selu(i.AttrFloat("alpha", 1.67326319f), i.AttrFloat("gamma", 1.05070102f))), true),
        ("Softplus", i => i.Act(Activation.Softplus), true),
        ("Mish", i => i.Act(new Activation(ActivationKind.Mish)), true),
        ("Softsign", i => i.Act(new Activation(ActivationKind.Softsign)), true),
        ("Erf", i => i.Act(new Activation(ActivationKind.Erf)), true),
        ("Gelu", i => i.Act(new Activation(i.AttrString("approximate", "none") == "tanh" ? ActivationKind.GeluTanh : ActivationKind.Gelu)), true),
        ("Exp", i => i.Act(Activation.Exp), true),
        ("Log", i => i.Act(new Activation(ActivationKind.Log)), true),
        ("Abs", i => i.Act(Activation.Abs), true),
        ("Neg", i => i.Act(Activation.Neg), true),
        ("Reciprocal", i => i.Act(Activation.Reciprocal), true),
        ("Sqrt", i => i.Act(Activation.Sqrt), true),
        ("Floor", i => i.Act(new Activation(ActivationKind.Floor)), true),
        ("Ceil", i => i.Act(new Activation(ActivationKind.Ceil)), true),
        ("Round", i => i.Act(new Activation(ActivationKind.Round)), true),
        ("Sign", i => i.Act(new Activation(ActivationKind.Sign)), true),
        ("Not", i => i.Act(new Activation(ActivationKind.Not)), true),
        ("Clip", i => i.ClipOp(), true),
        ("PRelu", i => i.PReluOp(), true),
        ("Softmax", i => i.SoftmaxOp(false), true),
        ("LogSoftmax", i => i.SoftmaxOp(true), true),
        ("Hardmax", i => i.HardmaxOp(), true),
        ("BatchNormalization", i => i.BatchNormOp(), true),
        ("LayerNormalization", i => i.LayerNormOp(), true),
        ("GroupNormalization", i => i.GroupNormOp(), true),
        ("InstanceNormalization", i => i.InstanceNormOp(), true),
        ("LRN", i => i.LrnOp(), true),
        ("Add", i => i.BinaryOp(Layers.BinaryOp.Add), true),
        ("Sub", i => i.BinaryOp(Layers.BinaryOp.Sub), true),
        ("Mul", i => i.BinaryOp(Layers.BinaryOp.Mul), true),
        ("Div", i => i.BinaryOp(Layers.BinaryOp.Div), true),
        ("Pow", i => i.BinaryOp(Layers.BinaryOp.Pow), true),
        ("Max", i => i.Variadic("Max"), true),
        ("Min", i => i.Variadic("Min"), true),
        ("Sum", i => i.Variadic("Sum"), true),
        ("Equal", i => i.BinaryOp(Layers.BinaryOp.Equal), true),
        ("Less", i => i.BinaryOp(Layers.BinaryOp.Less), true),
        ("Greater", i => i.BinaryOp(Layers.BinaryOp.Greater), true),
        ("LessOrEqual", i => i.BinaryOp(Layers.BinaryOp.LessOrEqual), true),
        ("GreaterOrEqual", i => i.BinaryOp(Layers.BinaryOp.GreaterOrEqual), true),
        ("And", i => i.BinaryOp(Layers.BinaryOp.And), true),
        ("Or", i => i.BinaryOp(Layers.BinaryOp.Or), true),
        ("Xor", i => i.BinaryOp(Layers.BinaryOp.Xor), true),
        ("Where", i => i.WhereOp(), true),
        ("Cast", i => i.CastOp(), true),
        ("ReduceMean", i => i.ReduceOp(ReduceKind.Mean), true),
        ("ReduceMax", i => i.ReduceOp(ReduceKind.Max), true),
        ("ReduceSum", i => i.ReduceOp(ReduceKind.Sum), true),
        ("ReduceMin", i => i.ReduceOp(ReduceKind.Min), true),
        ("ReduceProd", i => i.ReduceOp(ReduceKind.Prod), true),
        ("ReduceL1", i => i.ReduceOp(ReduceKind.L1), true),
        ("ReduceL2", i => i.ReduceOp(ReduceKind.L2), true),
        ("ReduceSumSquare", i => i.ReduceOp(ReduceKind.SumSquare), true),
        ("ArgMax", i => i.ArgOp(true), true),
        ("ArgMin", i => i.ArgOp(false), true),
        ("CumSum", i => i.CumSumOp(), true),
        ("TopK", i => i.TopKOp(), false),   // two outputs
        ("GatherElements", i => i.GatherElementsOp(), true),
        ("Pad", i => i.PadOp(), true),
        ("Split", i => i.SplitOp(), false),   // several outputs, constant or not
        ("Slice", i => i.SliceOp(), true),
        ("Gather", i => i.GatherOp(), true),
        ("Expand", i => i.ExpandOp(), true),
        ("Tile", i => i.TileOp(), true),
        ("DepthToSpace", i => i.DepthToSpaceOp(), true),
        ("SpaceToDepth", i => i.SpaceToDepthOp(), true),
        ("Concat", i => i.ConcatOp(), true),
        ("Flatten", i => i.FlattenOp(), true),
        ("Gemm", i => i.GemmOp(), true),
        ("MatMul", i => i.MatMulOp(), true),
        ("Reshape", i => i.ReshapeOp(), true),
        ("Squeeze", i => i.SqueezeOp(false), true),
        ("Unsqueeze", i => i.SqueezeOp(true), true),
        ("Transpose", i => i.TransposeOp(), true),
        ("Resize", i => i.ResizeOp(false), true),
        ("Upsample", i => i.ResizeOp(true), true),
        ("Dropout", i => i.PassThrough(), false),
        ("Identity", i => i.PassThrough(), false),
        ("Constant", i => i.FoldConstant(), false),
        ("Shape", i => i.FoldShape(), false),
        ("ConstantOfShape", i => i.FoldOnly(), true),
        ("Range", i => i.FoldOnly(), true),
    };

    private static readonly Dictionary<string, (Action<Importer> Convert, bool FoldsWhenConstant)> ByOp =
        Table.ToDictionary(r => r.Op, r => (r.Convert, r.FoldsWhenConstant));

    /// <summary>The supported operators, in table order.</summary>
    internal static IReadOnlyCollection<string> Supported { get; } = Table.Select(r => r.Op).ToArray();

    private void Convert(NodeProto n)
    {
        var (convert, folds) = ByOp[n.OpType];
        if (folds && n.Input.Count > 0 && n.Input.Where(i => i != "").All(i => _vals[i] is Cst)) { Fold(n.OpType); return; }
        convert(this);
    }

    /// <summary>Identity, and Dropout at inference: the output is the input.</summary>
    private void PassThrough()
    {
        if (_node.Output.Count > 1 && _node.Output[1] != "") MaskOutputUnused();
        _vals[Out] = In(0)!;
    }

    private void FoldOnly() => throw new UnsupportedException("supported only when all its inputs are constants");

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
            if (domain != "" || !ByOp.ContainsKey(n.OpType))
            {
                Report(domain == "" ? "operator not supported" : $"domain '{n.Domain}' not supported");
                continue;
            }
            if (n.Input.Any(i => i != "" && _vals.TryGetValue(i, out var v) && v is Bad)) { MarkBad(); continue; }
            foreach (var i in n.Input)
                if (i != "" && !_vals.ContainsKey(i))
                    throw new InvalidDataException($"'{Src}': node '{n.Name}' ({n.OpType}) reads '{i}', which no earlier node, input or initializer produces (graph not topologically sorted, or truncated?).");
            try { Convert(n); }
            // Outside what VulkanCnn runs (the importer's own refusals and the layers' engine limits): collected.
            catch (NotSupportedException e) { Report(e.Message); }
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

    /// <summary>A run-time value, or a constant as a constant node (float values) at its own shape.</summary>
    private Node NodeIn(int i) => In(i) switch
    {
        Rt r => r.Node,
        Cst c => ConstNode(_node.Input[i], c, c.Dims),
        _ => throw new ArgumentException($"input {i} is missing."),
    };

    private int[] DimsIn(int i) => In(i) switch { Rt r => r.Dims, Cst c => c.Dims, _ => throw new ArgumentException($"input {i} is missing.") };

    private void MaskOutputUnused()
    {
        string mask = _node.Output[1];
        if (_m.Proto.Graph.Node.Any(x => x.Input.Contains(mask)) || _m.Proto.Graph.Output.Any(o => o.Name == mask))
            throw new UnsupportedException($"its second output '{mask}' (the dropout mask) is used");
    }

    private float[]? AttrFloats(string name) => Attr(name) is { } a ? a.Floats.ToArray() : null;

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
}
