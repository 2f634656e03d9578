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

    /// <summary>
    /// How many inputs a node of each operator may list (over every opset the importer reads; optional ones may be "").
    /// The first <c>Min</c> must be named. Operators not listed take exactly one. Checked before a node converts, so that
    /// no converter meets a missing input.
    /// </summary>
    private static readonly Dictionary<string, (int Min, int Max)> Arity = new()
    {
        ["Conv"] = (2, 3), ["ConvTranspose"] = (2, 3), ["Clip"] = (1, 3), ["PRelu"] = (2, 2), ["BatchNormalization"] = (5, 5),
        ["LayerNormalization"] = (2, 3), ["GroupNormalization"] = (3, 3), ["InstanceNormalization"] = (3, 3),
        ["Add"] = (2, 2), ["Sub"] = (2, 2), ["Mul"] = (2, 2), ["Div"] = (2, 2), ["Pow"] = (2, 2), ["Equal"] = (2, 2), ["Less"] = (2, 2),
        ["Greater"] = (2, 2), ["LessOrEqual"] = (2, 2), ["GreaterOrEqual"] = (2, 2), ["And"] = (2, 2), ["Or"] = (2, 2), ["Xor"] = (2, 2),
        ["Max"] = (1, int.MaxValue), ["Min"] = (1, int.MaxValue), ["Sum"] = (1, int.MaxValue), ["Concat"] = (1, int.MaxValue),
        ["Where"] = (3, 3), ["ReduceMean"] = (1, 2), ["ReduceMax"] = (1, 2), ["ReduceSum"] = (1, 2), ["ReduceMin"] = (1, 2),
        ["ReduceProd"] = (1, 2), ["ReduceL1"] = (1, 2), ["ReduceL2"] = (1, 2), ["ReduceSumSquare"] = (1, 2), ["CumSum"] = (2, 2),
        ["TopK"] = (1, 2), ["GatherElements"] = (2, 2), ["Pad"] = (1, 4), ["Split"] = (1, 2), ["Slice"] = (1, 5), ["Gather"] = (2, 2),
        ["Expand"] = (2, 2), ["Tile"] = (2, 2), ["Gemm"] = (2, 3), ["MatMul"] = (2, 2), ["Reshape"] = (1, 2), ["Squeeze"] = (1, 2),
        ["Unsqueeze"] = (1, 2), ["Resize"] = (1, 4), ["Upsample"] = (1, 2), ["Dropout"] = (1, 3), ["Constant"] = (0, 0), ["Range"] = (3, 3),
    };

    /// <summary>The most elements a value computed at load (a folded constant) may hold: 2^27, 1 GiB in the folder's
    /// doubles. Checked before the values are computed.</summary>
    internal const long MaxFoldedElements = 1L << 27;

    /// <summary>The most elements a fold may create beyond its largest input (Range, ConstantOfShape, Expand and other
    /// broadcasts): 2^24.</summary>
    internal const long MaxGeneratedElements = 1L << 24;

    /// <summary>The most elements a run-time tensor may hold: the engine indexes tensors with 32-bit integers, and no
    /// device binds more than 4 GiB (2^30 floats) as one storage buffer anyway.</summary>
    internal const long MaxTensorElements = int.MaxValue;

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
            if (string.IsNullOrEmpty(vi.Name)) throw new InvalidDataException($"'{Src}': graph input {g.Input.IndexOf(vi)} has no name.");
            if (_vals.ContainsKey(vi.Name)) throw new InvalidDataException($"'{Src}': graph input '{vi.Name}' is listed twice.");
            try
            {
                var dims = InputDims(vi);
                var shape = ToShape(dims, $"input '{vi.Name}'");
                inputDims[vi.Name] = dims;
                _vals[vi.Name] = new Rt(_b.Add(new InputLayer(shape), Unique(vi.Name)), dims);
            }
            catch (UnsupportedException e)
            {
                _unsupported.Add($"  input '{vi.Name}': {e.Message}");
                _vals[vi.Name] = new Bad();
            }
        }

        foreach (var n in g.Node)
        {
            _node = n;
            string domain = n.Domain is "" or "ai.onnx" ? "" : n.Domain;
            CheckOutputs(n);
            if (domain != "" || !ByOp.ContainsKey(n.OpType))
            {
                Report(domain == "" ? "operator not supported" : $"domain '{n.Domain}' not supported");
                continue;
            }
            var (min, max) = Arity.GetValueOrDefault(n.OpType, (1, 1));
            if (n.Input.Count < min || n.Input.Count > max || n.Input.Take(min).Any(i => i == ""))
                throw new InvalidDataException($"'{Src}': node '{n.Name}' ({n.OpType}) has inputs [{string.Join(", ", n.Input.Select(i => $"'{i}'"))}]; " +
                                               $"{n.OpType} takes {(min == max ? $"{min}" : max == int.MaxValue ? $"at least {min}" : $"{min} to {max}")}{(min > 0 ? $", the first {min} named" : "")}.");
            if (n.OpType is "Max" or "Min" or "Sum" && n.Input.Contains(""))
                throw new InvalidDataException($"'{Src}': node '{n.Name}' ({n.OpType}) has an unnamed input; {n.OpType} takes no optional inputs.");
            if (n.Input.Any(i => i != "" && _vals.TryGetValue(i, out var v) && v is Bad)) { MarkBad(); continue; }
            foreach (var i in n.Input)
                if (i != "" && !_vals.ContainsKey(i))
                    throw new InvalidDataException($"'{Src}': node '{n.Name}' ({n.OpType}) reads '{i}', which no earlier node, input or initializer produces (graph not topologically sorted, or truncated?).");
            try { Convert(n); CheckResults(n); }
            // Outside what VulkanCnn runs (the importer's own refusals and the layers' engine limits): collected.
            catch (NotSupportedException e) { Report(e.Message); }
            catch (ArgumentException e) { throw new ArgumentException($"'{Src}': node '{n.Name}' ({n.OpType}): {e.Message}", e); }
        }

        var outputDims = new Dictionary<string, int[]>();
        foreach (var o in g.Output)
        {
            if (g.Output.Count(x => x.Name == o.Name) > 1)
                throw new InvalidDataException($"'{Src}': graph output '{o.Name}' is listed {g.Output.Count(x => x.Name == o.Name)} times; output names must be unique.");
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
        Network net;
        try { net = _b.Build(); }
        catch (ArgumentException e) { throw new ArgumentException($"'{Src}': {e.Message}", e); }
        return new OnnxImport(net, inputDims, outputDims);
    }

    /// <summary>
    /// ONNX graphs are in single-assignment form: a node's outputs are named by no input, initializer or earlier node,
    /// and not twice by the node itself (two writers of one name would leave one of them silently unused).
    /// </summary>
    private void CheckOutputs(NodeProto n)
    {
        if (n.Output.Count == 0 || (n.Output[0] == "" && n.OpType != "Split"))
            throw new InvalidDataException($"'{Src}': node '{n.Name}' ({n.OpType}) has no (named) first output.");
        for (int k = 0; k < n.Output.Count; k++)
        {
            string o = n.Output[k];
            if (o == "") continue;
            if (_vals.ContainsKey(o) || n.Output.Take(k).Contains(o))
            {
                string by = _m.Initializers.ContainsKey(o) ? "an initializer" : _m.Proto.Graph.Input.Any(i => i.Name == o) ? "a graph input"
                    : n.Output.Take(k).Contains(o) ? "another output of the same node" : "an earlier node";
                throw new InvalidDataException($"'{Src}': node '{n.Name}' ({n.OpType}) writes '{o}', which {by} already produces; every value must have one producer.");
            }
        }
    }

    /// <summary>The values a node produced: run-time tensors within the engine's size, folded constants within the
    /// folder's (the converters check before they allocate; this catches the rest).</summary>
    private void CheckResults(NodeProto n)
    {
        foreach (var o in n.Output)
            if (o != "" && _vals.TryGetValue(o, out var v) && v is Rt r) CheckRuntimeDims(r.Dims, $"output '{o}'");
    }

    /// <summary>Run-time dims: positive, rank at most 8, at most <see cref="MaxTensorElements"/> elements.</summary>
    private static void CheckRuntimeDims(int[] dims, string what)
    {
        if (dims.Length > TensorShape.MaxRank)
            throw new UnsupportedException($"{what} has shape [{string.Join(",", dims)}]; tensors of rank up to {TensorShape.MaxRank} are supported");
        if (dims.Any(d => d <= 0))
            throw new UnsupportedException($"{what} has shape [{string.Join(",", dims)}]; empty tensors are not supported");
        long count = 1;
        foreach (int d in dims)
        {
            count *= d;   // at most 2^31 · 2^31 before the check below stops the loop
            if (count > MaxTensorElements)
                throw new UnsupportedException($"{what} has shape [{string.Join(",", dims)}], more than {MaxTensorElements:N0} elements; a tensor is indexed with 32 bits");
        }
    }

    /// <summary>The element count of a value the folder is about to compute; refused past <see cref="MaxFoldedElements"/>.</summary>
    private static int FoldCount(int[] dims, string what, long largestInput = long.MaxValue)
    {
        // A fold may not create more than 2^24 elements beyond its largest input: Range, ConstantOfShape and broadcasts
        // make much from little, and a chain of them must stay well inside the fuzzer's 5 s per input.
        long allowed = Math.Min(MaxFoldedElements, Math.Max(largestInput, MaxGeneratedElements));
        // The product of the non-zero dims is held to the limit too, so that no partial product of an empty constant's
        // dims (Flatten, Gather, Concat) can overflow.
        long count = 1, extent = 1;
        foreach (int d in dims)
        {
            if (d < 0) throw new ArgumentException($"{what}: shape [{string.Join(",", dims)}] has a negative dimension.");
            count *= d;
            extent *= Math.Max(d, 1);
            if (extent > allowed)
                throw new UnsupportedException($"{what}: a constant of shape [{string.Join(",", dims)}] has more than {allowed:N0} elements, " +
                                               (allowed == MaxFoldedElements ? "the most computed at load" : $"the most a fold may create from inputs of {Math.Max(0, largestInput):N0}"));
        }
        return (int)count;
    }

    /// <summary>Integers from a shape-like constant as dims, each in 0..int.MaxValue (or -1 where <paramref name="minusOne"/>).</summary>
    private static int[] DimsFrom(IEnumerable<long> values, string what, bool minusOne = false)
    {
        var v = values.ToArray();
        foreach (var x in v)
            if (x < (minusOne ? -1 : 0) || x > int.MaxValue)
                throw new ArgumentException($"{what} [{string.Join(",", v)}] has the value {x}; dimensions are 0 to {int.MaxValue:N0}.");
        return v.Select(x => (int)x).ToArray();
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
        var tt = vi.Type?.TensorType ?? throw new UnsupportedException("it is not a tensor (or declares no type)");
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
            bool isValue = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue;
            if (isValue && (d.DimValue <= 0 || d.DimValue > int.MaxValue))
                throw new ArgumentException($"'{Src}': input '{vi.Name}' dimension {i} is {d.DimValue}; a dimension is 1 to {int.MaxValue:N0} " +
                                            $"(give the shape with --input-shape {vi.Name}=... if the model's is wrong).");
            if (isValue) dims[i] = (int)d.DimValue;
            else if (i == 0 && dims.Length > 1) dims[i] = 1;   // a symbolic batch: 1 unless the caller gives the shape
            else
                throw new ArgumentException($"'{Src}': input '{vi.Name}' dimension {i} is symbolic ('{(d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : "?")}'); " +
                                            $"give the full shape, e.g. --input-shape {vi.Name}=1,3,224,224 (or inputShapes in the API).");
        }
        return dims;
    }

    private static TensorShape ToShape(int[] dims, string what)
    {
        CheckRuntimeDims(dims, what);
        return new TensorShape(dims);
    }

    // ---------------------------------------------------------------- attributes and inputs

    private AttributeProto? Attr(string name) => _node.Attribute.FirstOrDefault(a => a.Name == name);

    private long AttrInt(string name, long def) => Attr(name) is { } a ? a.I : def;

    /// <summary>An int attribute that must fit 32 bits (sizes, groups, axes): a larger one is an error, never wrapped.</summary>
    private int AttrInt32(string name, long def)
    {
        long v = AttrInt(name, def);
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new ArgumentException($"attribute '{name}' = {v:N0} is outside 32-bit integers.");
    }

    /// <summary>Integers that must each fit 32 bits (kernel sizes, strides, pads, target sizes).</summary>
    private static int[] Int32s(IEnumerable<long> values, string what)
    {
        var v = values.ToArray();
        foreach (var x in v)
            if (x is < int.MinValue or > int.MaxValue) throw new ArgumentException($"{what} [{string.Join(",", v)}] has {x:N0}, outside 32-bit integers.");
        return v.Select(x => (int)x).ToArray();
    }

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

    /// <summary>The one value of a constant that must be a scalar (or hold one element).</summary>
    private static double Scalar(Cst c, string what) =>
        c.V.Length == 1 ? c.V[0] : throw new ArgumentException($"{what} has {c.V.Length:N0} values (shape [{string.Join(",", c.Dims)}]); it must hold one.");

    /// <summary><see cref="Scalar"/> as an integer (axes, counts): finite and within 64 bits.</summary>
    private static long ScalarInt(Cst c, string what)
    {
        double v = Scalar(c, what);
        return v is >= long.MinValue and < long.MaxValue && v == Math.Floor(v) ? (long)v : throw new ArgumentException($"{what} = {v} is not an integer.");
    }

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

    private void SetCst(int[] dims, double[] values, bool isFloat)
    {
        FoldCount(dims, _node.OpType);
        if (SaturatedProduct(dims) != values.LongLength)
            throw new InvalidOperationException($"internal error: {_node.OpType} folded {values.LongLength:N0} values for shape [{string.Join(",", dims)}].");
        _vals[Out] = new Cst(new OnnxTensor(Out, dims, isFloat, values));
    }

    private static int Axis(long axis, int rank, string what)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ArgumentException($"{what} {axis} is outside a tensor of rank {rank}.");
        return (int)a;
    }

    private static long Product(IEnumerable<int> d) => d.Aggregate(1L, (a, b) => a * b);

    /// <summary>The product of dims, long.MaxValue where it would overflow (for messages and comparisons).</summary>
    private static long SaturatedProduct(IEnumerable<int> d)
    {
        long p = 1;
        foreach (int v in d)
        {
            if (v == 0) return 0;
            if (p > long.MaxValue / Math.Max(1, Math.Abs((long)v))) p = long.MaxValue; else p *= v;
        }
        return p;
    }

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

    /// <summary>
    /// The values of <paramref name="x"/> broadcast (numpy rules) to <paramref name="dims"/>, in row-major order: an
    /// odometer over the output with the source's strides (0 on broadcast axes), so a fold of millions of elements costs
    /// a few nanoseconds each instead of an index decomposition and an allocation per element.
    /// </summary>
    private static double[] BroadcastTo(Cst x, int[] dims, string what)
    {
        int n = FoldCount(dims, what, x.V.Length), rank = dims.Length;
        var src = Pad(x.Dims, rank);
        var stride = new long[rank];
        for (int k = rank - 1, s = 1; k >= 0; s *= src[k], k--) stride[k] = src[k] == 1 ? 0 : s;
        var r = new double[n];
        var coord = new int[rank];
        long at = 0;
        for (int i = 0; i < n; i++)
        {
            r[i] = x.V[at];
            for (int k = rank - 1; k >= 0; k--)
            {
                at += stride[k];
                if (++coord[k] < dims[k]) break;
                at -= stride[k] * dims[k];
                coord[k] = 0;
            }
        }
        return r;
    }
}
