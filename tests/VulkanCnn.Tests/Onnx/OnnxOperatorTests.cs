// Every mapped ONNX operator with several attribute combinations, written as small models, run through the importer on
// the GPU and compared with ONNX Runtime.
namespace VulkanCnn.Tests.Onnx;

public class OnnxOperatorTests : GpuTest
{
    private static readonly Random Seed = new(1);

    /// <summary>One model per case: name → builder (the builder gets a seeded Random for weights).</summary>
    private static readonly Dictionary<string, Func<Random, OnnxGraph>> Cases = new()
    {
        ["Conv pads strides bias"] = r => Conv(r, 3, 8, 9, 11, 3, 3, ("pads", new long[] { 1, 1, 1, 1 }), ("strides", new long[] { 2, 2 })),
        ["Conv non-square asymmetric pads no bias"] = r => Conv(r, 4, 6, 8, 7, 3, 5, bias: false, attrs: new (string, object)[] { ("pads", new long[] { 0, 2, 1, 1 }) }),
        ["Conv dilation 2"] = r => Conv(r, 3, 5, 12, 12, 3, 3, ("dilations", new long[] { 2, 2 }), ("pads", new long[] { 2, 2, 2, 2 })),
        ["Conv groups 2"] = r => Conv(r, 4, 6, 7, 7, 3, 3, ("group", 2), ("pads", new long[] { 1, 1, 1, 1 })),
        ["Conv depthwise"] = r => Conv(r, 6, 6, 8, 8, 3, 3, ("group", 6), ("pads", new long[] { 1, 1, 1, 1 })),
        ["Conv SAME_UPPER stride 2"] = r => Conv(r, 3, 4, 9, 10, 3, 3, ("auto_pad", "SAME_UPPER"), ("strides", new long[] { 2, 2 })),
        ["Conv SAME_LOWER"] = r => Conv(r, 3, 4, 8, 8, 4, 4, ("auto_pad", "SAME_LOWER")),
        ["Conv VALID stride 3 floor"] = r => Conv(r, 2, 4, 11, 10, 3, 3, ("auto_pad", "VALID"), ("strides", new long[] { 3, 3 })),
        ["ConvTranspose stride 2 pads output_padding"] = r => ConvT(r, 4, 3, 5, 6, 3, ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }), ("output_padding", new long[] { 1, 1 })),
        ["ConvTranspose groups"] = r => ConvT(r, 4, 6, 5, 5, 2, ("strides", new long[] { 2, 2 }), ("group", 2)),
        ["ConvTranspose output_shape"] = r => ConvT(r, 3, 2, 4, 4, 3, ("strides", new long[] { 2, 2 }), ("output_shape", new long[] { 8, 8 })),
        ["MaxPool 3x3/2 p1"] = r => Unary(r, "MaxPool", 3, 9, 9, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 })),
        ["MaxPool ceil_mode"] = r => Unary(r, "MaxPool", 2, 8, 8, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("ceil_mode", 1)),
        ["MaxPool SAME_UPPER"] = r => Unary(r, "MaxPool", 2, 7, 7, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("auto_pad", "SAME_UPPER")),
        ["AveragePool pads exclude pad"] = r => Unary(r, "AveragePool", 3, 7, 8, ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })),
        ["AveragePool pads count_include_pad"] = r => Unary(r, "AveragePool", 3, 7, 8, ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("count_include_pad", 1)),
        ["AveragePool 2x2/2 ceil"] = r => Unary(r, "AveragePool", 2, 7, 7, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("ceil_mode", 1)),
        ["GlobalAveragePool"] = r => Unary(r, "GlobalAveragePool", 5, 6, 7),
        ["GlobalMaxPool"] = r => Unary(r, "GlobalMaxPool", 5, 6, 7),
        ["Relu"] = r => Unary(r, "Relu", 3, 4, 5),
        ["LeakyRelu 0.2"] = r => Unary(r, "LeakyRelu", 3, 4, 5, ("alpha", 0.2f)),
        ["Sigmoid"] = r => Unary(r, "Sigmoid", 3, 4, 5),
        ["HardSigmoid 0.3 0.4"] = r => Unary(r, "HardSigmoid", 3, 4, 5, ("alpha", 0.3f), ("beta", 0.4f)),
        ["HardSwish"] = r => UnaryAt(14, "HardSwish", 3, 4, 5),
        ["Tanh"] = r => Unary(r, "Tanh", 3, 4, 5),
        ["Elu 0.7"] = r => Unary(r, "Elu", 3, 4, 5, ("alpha", 0.7f)),
        ["Clip opset 10 attributes"] = r => UnaryAt(10, "Clip", 3, 4, 5, ("min", -0.3f), ("max", 0.4f)),
        ["Clip opset 13 inputs"] = r => ClipInputs(r, 0f, 6f),
        ["Clip opset 13 min only"] = r => ClipInputs(r, -0.25f, null),
        ["PRelu per channel"] = r => WithConst(r, "PRelu", new long[] { 4, 1, 1 }),
        ["PRelu one slope"] = r => WithConst(r, "PRelu", new long[] { 1 }),
        ["Softmax opset 13 axis 1 of NCHW"] = r => Unary(r, "Softmax", 5, 3, 4, ("axis", 1)),
        ["Softmax opset 11 flattens from axis 1"] = r => UnaryAt(11, "Softmax", 3, 2, 4, ("axis", 1)),
        ["LogSoftmax of a vector"] = r => VectorOp(r, "LogSoftmax", 10),
        ["Softmax of a vector opset 9"] = r => VectorOp(r, "Softmax", 10, opset: 9),
        ["BatchNormalization"] = r => BatchNorm(r),
        ["Add same shape"] = r => Two(r, "Add", new long[] { 1, 3, 4, 5 }, new long[] { 1, 3, 4, 5 }),
        ["Add per-channel constant"] = r => WithConst(r, "Add", new long[] { 4, 1, 1 }),
        ["Sub constant first"] = r => WithConst(r, "Sub", new long[] { 1, 4, 1, 1 }, constFirst: true),
        ["Mul scalar constant"] = r => WithConst(r, "Mul", Array.Empty<long>()),
        ["Div per-channel constant"] = r => WithConst(r, "Div", new long[] { 4, 1, 1 }, positive: true),
        ["Max same shape"] = r => Two(r, "Max", new long[] { 1, 3, 4, 5 }, new long[] { 1, 3, 4, 5 }),
        ["Add broadcast over channels"] = r => Two(r, "Add", new long[] { 1, 3, 4, 5 }, new long[] { 1, 1, 4, 5 }),
        ["Mul broadcast both ways"] = r => Two(r, "Mul", new long[] { 1, 3, 1, 5 }, new long[] { 1, 1, 4, 1 }),
        ["Sub broadcast lower-rank constant first"] = r => WithConst(r, "Sub", new long[] { 5, 6 }, constFirst: true),
        ["Div broadcast row constant"] = r => WithConst(r, "Div", new long[] { 1, 1, 6 }, positive: true),
        ["Max broadcast rank 3"] = r => Two(r, "Max", new long[] { 1, 6, 1 }, new long[] { 1, 1, 7 }),
        ["Min same shape"] = r => Two(r, "Min", new long[] { 1, 3, 4, 5 }, new long[] { 1, 3, 4, 5 }),
        ["Mul squeeze-excitation broadcast"] = r => SqueezeExcite(r),
        ["Concat axis 1 with a constant"] = r => ConcatCase(r),
        ["Concat axis 2"] = r => ConcatOn(r, 2),
        ["Concat axis 3 of rank 4"] = r => ConcatOn(r, 3),
        ["Concat last axis of rank 3 (detector heads)"] = r => ConcatRank3(r),
        ["Flatten Gemm transB alpha beta"] = r => GemmCase(r, transB: 1, alpha: 0.5f, beta: 2f),
        ["Flatten Gemm transB 0"] = r => GemmCase(r, transB: 0, alpha: 1f, beta: 1f),
        ["Flatten MatMul Add"] = r => MatMulCase(r),
        ["Reshape through Shape Gather Unsqueeze Concat"] = r => ShapePlumbing(r),
        ["Transpose NHWC input"] = r => NhwcCase(r),
        ["Transpose channel-last head"] = r => ChannelLastHead(r),
        ["Resize nearest asymmetric floor scales"] = r => ResizeCase(r, "nearest", "asymmetric", "floor", scales: new[] { 1f, 1f, 2f, 2f }),
        ["Resize nearest half_pixel sizes x3"] = r => ResizeCase(r, "nearest", "half_pixel", "round_prefer_floor", sizes: new long[] { 1, 3, 12, 15 }),
        ["Resize linear half_pixel scales"] = r => ResizeCase(r, "linear", "half_pixel", null, scales: new[] { 1f, 1f, 2f, 2f }),
        ["Resize linear align_corners sizes"] = r => ResizeCase(r, "linear", "align_corners", null, sizes: new long[] { 1, 3, 9, 7 }),
        ["Resize linear asymmetric scales"] = r => ResizeCase(r, "linear", "asymmetric", null, scales: new[] { 1f, 1f, 3f, 2f }),
        ["Resize linear pytorch_half_pixel sizes"] = r => ResizeCase(r, "linear", "pytorch_half_pixel", null, sizes: new long[] { 1, 3, 10, 6 }),
        ["Upsample opset 9 nearest"] = r => UpsampleCase(r, "nearest"),
        ["Upsample opset 9 linear"] = r => UpsampleCase(r, "linear"),
        ["Dropout Identity"] = r => DropoutIdentity(r),
        ["Squeeze Unsqueeze"] = r => SqueezeUnsqueeze(r),
        ["Folded Constant Range Floor Ceil Equal Where Expand ConstantOfShape"] = r => FoldedPlumbing(),
        ["Pad constant value opset 13"] = r => PadCase(13, "constant", new long[] { 0, 1, 2, 0, 0, 0, 1, 3 }, 0.5f),
        ["Pad edge opset 13"] = r => PadCase(13, "edge", new long[] { 0, 0, 2, 1, 0, 0, 1, 2 }),
        ["Pad reflect opset 13"] = r => PadCase(13, "reflect", new long[] { 0, 1, 1, 2, 0, 2, 3, 0 }),
        ["Pad wrap opset 19"] = r => PadCase(19, "wrap", new long[] { 0, 1, 2, 3, 0, 2, 4, 5 }),
        ["Pad constant negative crops opset 13"] = r => PadCase(13, "constant", new long[] { 0, 0, -1, 1, 0, 0, 1, -2 }),
        ["Pad opset 10 attributes"] = r => PadCase(10, "constant", new long[] { 0, 0, 1, 1, 0, 0, 1, 1 }, -1f),
        ["Pad zero then Conv stride 2 (folded)"] = r => PadConv(r),
        ["Split channels opset 11 attribute"] = r => SplitCase(11, 1, new long[] { 1, 3, 2 }),
        ["Split height equal parts opset 13"] = r => SplitCase(13, 2, null, outputs: 2),
        ["Split width opset 13 input"] = r => SplitCase(13, -1, new long[] { 2, 4 }),
        ["Slice channels and rows"] = r => SliceCase(new long[] { 1, 1 }, new long[] { 4, 100 }, new long[] { 1, 2 }, null),
        ["Slice negative steps"] = r => SliceCase(new long[] { -1, 5 }, new long[] { -100, 0 }, new long[] { 3, 2 }, new long[] { -2, -1 }),
        ["Slice opset 9 attributes"] = r => SliceCaseOpset9(),
        ["Equal Cast Mul (peak mask)"] = r => PeakMask(r),
        ["Selu default"] = r => Unary(r, "Selu", 3, 4, 5),
        ["Selu alpha gamma"] = r => Unary(r, "Selu", 3, 4, 5, ("alpha", 1.5f), ("gamma", 0.8f)),
        ["Softplus"] = r => Unary(r, "Softplus", 3, 4, 5),
        ["Exp"] = r => Unary(r, "Exp", 3, 4, 5),
        ["Abs"] = r => Unary(r, "Abs", 3, 4, 5),
        ["Neg runtime"] = r => Unary(r, "Neg", 3, 4, 5),
        ["Reciprocal of |x| + 0.5"] = r => OfPositive("Reciprocal"),
        ["Sqrt of |x| + 0.5"] = r => OfPositive("Sqrt"),
        ["Pow positive base 2.5"] = r => OfPositive("Pow", 2.5f),
        ["Pow any base exponent 3"] = r => WithExponent(3f),
        ["Pow runtime exponent"] = r => RuntimePow(),
        ["Pow constant base 2"] = r => ConstantBasePow(new[] { 2f }, 1),
        ["MatMul of two activations, batched"] = r => RuntimeMatMul(new long[] { 1, 3, 5, 7 }, new long[] { 1, 3, 7, 4 }),
        ["MatMul of two activations, rank 3"] = r => RuntimeMatMul(new long[] { 1, 33, 17 }, new long[] { 1, 17, 40 }),
        ["MatMul of two activations, B shared over the batch"] = r => RuntimeMatMul(new long[] { 1, 2, 6, 9 }, new long[] { 1, 1, 9, 5 }),
        ["MatMul attention-style A times its transpose"] = r => SelfTransposeMatMul(),
        ["Pow per-channel constant bases"] = r => ConstantBasePow(new[] { 0.5f, 2f, 3f }, 3),
        ["Sum of 3 with broadcast"] = r => SumOfThree(r),
        ["Max of 3"] = r => Variadic3("Max"),
        ["LRN AlexNet"] = r => Unary(r, "LRN", 8, 5, 5, ("size", 5), ("alpha", 1e-4f), ("beta", 0.75f), ("bias", 2f)),
        ["LRN size 3 large alpha"] = r => Unary(r, "LRN", 6, 4, 4, ("size", 3), ("alpha", 0.5f), ("beta", 0.6f)),
        ["InstanceNormalization"] = r => InstanceNormCase(r),
        ["ReduceMean spatial keepdims"] = r => ReduceCase("ReduceMean", 13, new long[] { 2, 3 }, 1),
        ["ReduceMax channels no keepdims"] = r => ReduceCase("ReduceMax", 13, new long[] { 1 }, 0),
        ["ReduceSum opset 13 axes input"] = r => ReduceCase("ReduceSum", 13, new long[] { -1 }, 1),
        ["ReduceSum opset 11 attribute channels and width"] = r => ReduceCase("ReduceSum", 11, new long[] { 1, 3 }, 1),
        ["ReduceMean all axes"] = r => ReduceCase("ReduceMean", 13, null, 1),
        ["ReduceMax opset 18 axes input"] = r => ReduceCase("ReduceMax", 18, new long[] { 2 }, 1),
        ["ReduceMin spatial"] = r => ReduceCase("ReduceMin", 13, new long[] { 2, 3 }, 1),
        ["ReduceProd width"] = r => ReduceCase("ReduceProd", 13, new long[] { 3 }, 1),
        ["ReduceL1 channels no keepdims"] = r => ReduceCase("ReduceL1", 13, new long[] { 1 }, 0),
        ["ReduceL2 opset 18 axes input"] = r => ReduceCase("ReduceL2", 18, new long[] { 1, 2 }, 1),
        ["ReduceSumSquare all axes"] = r => ReduceCase("ReduceSumSquare", 13, null, 1),
        ["ReduceL1 over the size-1 batch axis only"] = r => ReduceCase("ReduceL1", 13, new long[] { 0 }, 1),
        ["DepthToSpace DCR"] = r => Unary(r, "DepthToSpace", 8, 3, 4, ("blocksize", 2)),
        ["DepthToSpace CRD"] = r => Unary(r, "DepthToSpace", 9, 2, 3, ("blocksize", 3), ("mode", "CRD")),
        ["SpaceToDepth 2"] = r => Unary(r, "SpaceToDepth", 3, 4, 6, ("blocksize", 2)),
    };

    public static IEnumerable<TestCaseData> AllCases() => Cases.Keys.Select(k => new TestCaseData(k).SetName("Onnx op: " + k));

    [TestCaseSource(nameof(AllCases))]
    public void AgreesWithOnnxRuntime(string name)
    {
        var rng = new Random(name.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        var g = Cases[name](rng);
        OnnxOracle.Compare(g, rng, name);
    }

    /// <summary>Every case name, in table order (the conformance suite writes them all).</summary>
    internal static IReadOnlyCollection<string> Names => Cases.Keys;

    /// <summary>Builds a case by name (the backend-test layout tests reuse them).</summary>
    internal static OnnxGraph Build(string name, Random rng) => Cases[name](rng);

    // ------------------------------------------------------------------------------------------------ builders

    internal static OnnxGraph Conv(Random r, int c, int k, int h, int w, int kh, int kw, params (string, object)[] attrs) => Conv(r, c, k, h, w, kh, kw, true, attrs);

    internal static OnnxGraph Conv(Random r, int c, int k, int h, int w, int kh, int kw, bool bias, (string, object)[] attrs)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, c, h, w);
        int group = attrs.Where(a => a.Item1 == "group").Select(a => (int)a.Item2).DefaultIfEmpty(1).First();
        var wt = g.Random("w", r, 0.5f, k, c / group, kh, kw);
        var ins = bias ? new[] { x, wt, g.Random("b", r, 0.5f, k) } : new[] { x, wt };
        g.Output(g.Node("Conv", ins, attrs.Append(("kernel_shape", (object)new long[] { kh, kw })).ToArray()));
        return g;
    }

    private static OnnxGraph ConvT(Random r, int c, int k, int h, int w, int f, params (string, object)[] attrs)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, c, h, w);
        int group = attrs.Where(a => a.Item1 == "group").Select(a => (int)a.Item2).DefaultIfEmpty(1).First();
        var wt = g.Random("w", r, 0.5f, c, k / group, f, f);
        g.Output(g.Node("ConvTranspose", new[] { x, wt, g.Random("b", r, 0.5f, k) }, attrs));
        return g;
    }

    private static OnnxGraph Unary(Random r, string op, int c, int h, int w, params (string, object)[] attrs) => UnaryAt(13, op, c, h, w, attrs);

    private static OnnxGraph UnaryAt(int opset, string op, int c, int h, int w, params (string, object)[] attrs)
    {
        var g = new OnnxGraph(opset);
        g.Output(g.Node(op, new[] { g.Input("x", 1, c, h, w) }, attrs));
        return g;
    }

    private static OnnxGraph ClipInputs(Random r, float min, float? max)
    {
        var g = new OnnxGraph();
        var ins = new List<string> { g.Input("x", 1, 3, 4, 5), g.Init("min", new[] { min }) };
        if (max is float m) ins.Add(g.Init("max", new[] { m }));
        // Scale the input up so that the upper bound matters.
        var big = g.Node("Mul", new[] { ins[0], g.Init("eight", new[] { 8f }) });
        ins[0] = big;
        g.Output(g.Node("Clip", ins.ToArray()));
        return g;
    }

    private static OnnxGraph WithConst(Random r, string op, long[] constDims, bool constFirst = false, bool positive = false)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4, 5, 6);
        var values = TestData.Random(r, constDims.Aggregate(1L, (a, b) => a * b));
        if (positive) values = values.Select(v => 0.5f + Math.Abs(v)).ToArray();
        var k = g.Init("k", values, constDims);
        g.Output(g.Node(op, constFirst ? new[] { k, x } : new[] { x, k }));
        return g;
    }

    private static OnnxGraph VectorOp(Random r, string op, int n, int opset = 13)
    {
        var g = new OnnxGraph(opset);
        g.Output(g.Node(op, new[] { g.Input("x", 1, n) }, ("axis", 1)));
        return g;
    }

    private static OnnxGraph BatchNorm(Random r)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4, 5, 6);
        var v = TestData.Random(r, 4).Select(a => 0.5f + Math.Abs(a)).ToArray();
        g.Output(g.Node("BatchNormalization", new[] { x, g.Random("s", r, 1, 4), g.Random("b", r, 1, 4), g.Random("m", r, 1, 4), g.Init("v", v, 4) }, ("epsilon", 1e-3f)));
        return g;
    }

    private static OnnxGraph Two(Random r, string op, long[] a, long[] b)
    {
        var g = new OnnxGraph();
        g.Output(g.Node(op, new[] { g.Input("a", a), g.Input("b", b) }));
        return g;
    }

    private static OnnxGraph SqueezeExcite(Random r)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4, 6, 6);
        var s = g.Node("Sigmoid", new[] { g.Node("GlobalAveragePool", new[] { x }) });
        g.Output(g.Node("Mul", new[] { s, x }));   // the smaller operand first: the importer swaps them
        return g;
    }

    private static OnnxGraph ConcatOn(Random r, int axis)
    {
        var g = new OnnxGraph();
        var a = g.Input("a", axis == 2 ? new long[] { 1, 3, 2, 5 } : new long[] { 1, 3, 4, 2 });
        var b = g.Node("Relu", new[] { g.Input("b", axis == 2 ? new long[] { 1, 3, 6, 5 } : new long[] { 1, 3, 4, 7 }) });
        g.Output(g.Node("Concat", new[] { a, b }, ("axis", axis)));
        return g;
    }

    private static OnnxGraph ConcatRank3(Random r)
    {
        var g = new OnnxGraph();
        var a = g.Node("Reshape", new[] { g.Input("a", 1, 4, 3, 5), g.InitInts("s1", new long[] { 1, 15, 4 }, 3) });
        var b = g.Node("Reshape", new[] { g.Input("b", 1, 2, 3, 5), g.InitInts("s2", new long[] { 1, 15, 2 }, 3) });
        g.Output(g.Node("Concat", new[] { a, b }, ("axis", -1)));
        return g;
    }

    private static OnnxGraph ConcatCase(Random r)
    {
        var g = new OnnxGraph();
        var a = g.Input("a", 1, 2, 4, 5);
        var b = g.Node("Relu", new[] { g.Input("b", 1, 3, 4, 5) });
        g.Output(g.Node("Concat", new[] { a, b, g.Random("k", r, 1, 1, 1, 4, 5) }, ("axis", -3)));
        return g;
    }

    private static OnnxGraph GemmCase(Random r, int transB, float alpha, float beta)
    {
        var g = new OnnxGraph();
        var f = g.Node("Flatten", new[] { g.Input("x", 1, 3, 4, 5) }, ("axis", 1));
        var w = transB == 1 ? g.Random("w", r, 0.2f, 7, 60) : g.Random("w", r, 0.2f, 60, 7);
        g.Output(g.Node("Gemm", new[] { f, w, g.Random("c", r, 1, 7) }, ("transB", transB), ("alpha", alpha), ("beta", beta)));
        return g;
    }

    private static OnnxGraph MatMulCase(Random r)
    {
        var g = new OnnxGraph();
        var f = g.Node("Flatten", new[] { g.Input("x", 1, 2, 3, 4) });
        var m = g.Node("MatMul", new[] { f, g.Random("w", r, 0.3f, 24, 5) });
        g.Output(g.Node("Add", new[] { m, g.Random("b", r, 1, 5) }));
        return g;
    }

    private static OnnxGraph ShapePlumbing(Random r)
    {
        // What torch.flatten(x, 1) exports as at opset 11+: Shape → Gather(0) → Unsqueeze → Concat(-1) → Reshape.
        var g = new OnnxGraph();
        var x = g.Node("Relu", new[] { g.Input("x", 1, 3, 4, 4) });
        var shape = g.Node("Shape", new[] { x });
        var batch = g.Node("Gather", new[] { shape, g.InitInts("zero", new long[] { 0 }) }, ("axis", 0));
        var b1 = g.Node("Unsqueeze", new[] { batch, g.InitInts("ax", new long[] { 0 }, 1) });
        var target = g.Node("Concat", new[] { b1, g.InitInts("minus1", new long[] { -1 }, 1) }, ("axis", 0));
        var flat = g.Node("Reshape", new[] { x, g.Node("Cast", new[] { target }, ("to", 7)) });
        g.Output(g.Node("Gemm", new[] { flat, g.Random("w", r, 0.2f, 6, 48), g.Random("c", r, 1, 6) }, ("transB", 1)));
        return g;
    }

    private static OnnxGraph NhwcCase(Random r)
    {
        var g = new OnnxGraph();
        var x = g.Input("image", 1, 6, 7, 3);   // N, H, W, C as TensorFlow exports have it
        var nchw = g.Node("Transpose", new[] { x }, ("perm", new long[] { 0, 3, 1, 2 }));
        g.Output(g.Node("Conv", new[] { nchw, g.Random("w", r, 0.5f, 4, 3, 3, 3), g.Random("b", r, 0.5f, 4) }, ("pads", new long[] { 1, 1, 1, 1 })));
        return g;
    }

    private static OnnxGraph ChannelLastHead(Random r)
    {
        // Detector heads: conv output (1,C,H,W) → (1,H,W,C) → (1, H·W·C/2, 2).
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4, 3, 5);
        var t = g.Node("Transpose", new[] { x }, ("perm", new long[] { 0, 2, 3, 1 }));
        g.Output(g.Node("Reshape", new[] { t, g.InitInts("shape", new long[] { 1, -1, 2 }, 3) }));
        return g;
    }

    private static OnnxGraph ResizeCase(Random r, string mode, string coord, string? nearest, float[]? scales = null, long[]? sizes = null)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 3, 4, 5);
        var ins = new List<string> { x, "", scales != null ? g.Init("scales", scales, 4) : "" };
        if (sizes != null) ins.Add(g.InitInts("sizes", sizes, 4));
        var attrs = new List<(string, object)> { ("mode", mode), ("coordinate_transformation_mode", coord) };
        if (nearest != null) attrs.Add(("nearest_mode", nearest));
        g.Output(g.Node("Resize", ins.ToArray(), attrs.ToArray()));
        return g;
    }

    private static OnnxGraph UpsampleCase(Random r, string mode)
    {
        var g = new OnnxGraph(opset: 9);
        g.Output(g.Node("Upsample", new[] { g.Input("x", 1, 2, 3, 4), g.Init("scales", new[] { 1f, 1f, 2f, 3f }, 4) }, ("mode", mode)));
        return g;
    }

    private static OnnxGraph DropoutIdentity(Random r)
    {
        var g = new OnnxGraph();
        var d = g.Node("Dropout", new[] { g.Input("x", 1, 3, 4, 5) });
        g.Output(g.Node("Relu", new[] { g.Node("Identity", new[] { d }) }));
        return g;
    }

    private static OnnxGraph PadCase(int opset, string mode, long[] pads, float? value = null)
    {
        var g = new OnnxGraph(opset);
        var x = g.Input("x", 1, 3, 5, 6);
        if (opset < 11)
        {
            var attrs = new List<(string, object)> { ("mode", mode), ("pads", pads) };
            if (value is float v) attrs.Add(("value", v));
            g.Output(g.Node("Pad", new[] { x }, attrs.ToArray()));
        }
        else
        {
            var ins = new List<string> { x, g.InitInts("pads", pads, pads.Length) };
            if (value is float v) ins.Add(g.Init("value", new[] { v }));
            g.Output(g.Node("Pad", ins.ToArray(), ("mode", mode)));
        }
        return g;
    }

    private static OnnxGraph PadConv(Random r)
    {
        // TensorFlow's ZeroPadding2D before a stride-2 depthwise convolution (MobileNet, M-LSD).
        var g = new OnnxGraph(11);
        var x = g.Input("x", 1, 4, 8, 9);
        var p = g.Node("Pad", new[] { x, g.InitInts("pads", new long[] { 0, 0, 0, 0, 0, 0, 1, 1 }, 8) });
        g.Output(g.Node("Conv", new[] { p, g.Random("w", r, 0.5f, 4, 1, 3, 3), g.Random("b", r, 0.5f, 4) }, ("group", 4), ("strides", new long[] { 2, 2 })));
        return g;
    }

    private static OnnxGraph SplitCase(int opset, int axis, long[]? split, int outputs = 0)
    {
        var g = new OnnxGraph(opset);
        var x = g.Node("Relu", new[] { g.Input("x", 1, 6, 4, 6) });
        var attrs = new List<(string, object)> { ("axis", axis) };
        var ins = new List<string> { x };
        if (split != null)
        {
            if (opset < 13) attrs.Add(("split", split));
            else ins.Add(g.InitInts("split", split, split.Length));
        }
        foreach (var o in g.Nodes("Split", ins.ToArray(), split?.Length ?? outputs, attrs.ToArray())) g.Output(o);
        return g;
    }

    private static OnnxGraph SliceCase(long[] starts, long[] ends, long[] axes, long[]? steps)
    {
        var g = new OnnxGraph();
        var ins = new List<string> { g.Input("x", 1, 5, 7, 6), g.InitInts("starts", starts, starts.Length), g.InitInts("ends", ends, ends.Length), g.InitInts("axes", axes, axes.Length) };
        if (steps != null) ins.Add(g.InitInts("steps", steps, steps.Length));
        g.Output(g.Node("Slice", ins.ToArray()));
        return g;
    }

    private static OnnxGraph SliceCaseOpset9()
    {
        var g = new OnnxGraph(9);
        g.Output(g.Node("Slice", new[] { g.Input("x", 1, 5, 7, 6) }, ("starts", new long[] { 1, -3 }), ("ends", new long[] { 3, 1000 }), ("axes", new long[] { 2, 3 })));
        return g;
    }

    private static OnnxGraph PeakMask(Random r)
    {
        // M-LSD's decoder: keep the local maxima of a map (x == maxpool(x)) as 0/1, cast to float, multiply.
        var g = new OnnxGraph(11);
        var x = g.Node("Sigmoid", new[] { g.Input("x", 1, 1, 9, 10) });
        var m = g.Node("MaxPool", new[] { x }, ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        var keep = g.Node("Cast", new[] { g.Node("Equal", new[] { x, m }) }, ("to", 1));
        g.Output(g.Node("Mul", new[] { x, keep }));
        return g;
    }

    private static OnnxGraph OfPositive(string op, float? exponent = null)
    {
        var g = new OnnxGraph();
        var x = g.Node("Add", new[] { g.Node("Abs", new[] { g.Input("x", 1, 3, 4, 5) }), g.Init("half", new[] { 0.5f }) });
        g.Output(exponent is float e ? g.Node(op, new[] { x, g.Init("e", new[] { e }) }) : g.Node(op, new[] { x }));
        return g;
    }

    private static OnnxGraph WithExponent(float e)
    {
        var g = new OnnxGraph();
        g.Output(g.Node("Pow", new[] { g.Input("x", 1, 3, 4, 5), g.Init("e", new[] { e }) }));
        return g;
    }

    private static OnnxGraph RuntimePow()
    {
        var g = new OnnxGraph();
        var b = g.Node("Add", new[] { g.Node("Abs", new[] { g.Input("x", 1, 3, 4, 5) }), g.Init("half", new[] { 0.5f }) });
        g.Output(g.Node("Pow", new[] { b, g.Input("e", 1, 3, 4, 5) }));
        return g;
    }

    private static OnnxGraph RuntimeMatMul(long[] a, long[] b)
    {
        var g = new OnnxGraph();
        g.Output(g.Node("MatMul", new[] { g.Input("a", a), g.Input("b", b) }));
        return g;
    }

    private static OnnxGraph SelfTransposeMatMul()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 2, 6, 8);
        var t = g.Node("Transpose", new[] { x }, ("perm", new long[] { 0, 1, 3, 2 }));
        g.Output(g.Node("MatMul", new[] { x, t }));
        return g;
    }

    private static OnnxGraph ConstantBasePow(float[] bases, int channels)
    {
        var g = new OnnxGraph();
        string b = channels == 1 ? g.Init("b", bases) : g.Init("b", bases, 1, channels, 1, 1);
        g.Output(g.Node("Pow", new[] { b, g.Input("e", 1, 3, 4, 5) }));
        return g;
    }

    private static OnnxGraph SumOfThree(Random r)
    {
        var g = new OnnxGraph();
        g.Output(g.Node("Sum", new[] { g.Input("a", 1, 3, 4, 5), g.Random("k", r, 1, 1, 3, 1, 1), g.Input("b", 1, 3, 4, 5) }));
        return g;
    }

    private static OnnxGraph Variadic3(string op)
    {
        var g = new OnnxGraph();
        g.Output(g.Node(op, new[] { g.Input("a", 1, 3, 4, 5), g.Input("b", 1, 3, 4, 5), g.Input("c", 1, 3, 4, 5) }));
        return g;
    }

    private static OnnxGraph InstanceNormCase(Random r)
    {
        var g = new OnnxGraph();
        g.Output(g.Node("InstanceNormalization", new[] { g.Input("x", 1, 4, 9, 11), g.Random("s", r, 1, 4), g.Random("b", r, 1, 4) }, ("epsilon", 1e-3f)));
        return g;
    }

    private static OnnxGraph ReduceCase(string op, int opset, long[]? axes, int keepdims)
    {
        var g = new OnnxGraph(opset);
        var x = g.Input("x", 1, 4, 5, 6);
        bool axesInput = op == "ReduceSum" ? opset >= 13 : opset >= 18;
        var attrs = new List<(string, object)> { ("keepdims", keepdims) };
        var ins = new List<string> { x };
        if (axes != null)
        {
            if (axesInput) ins.Add(g.InitInts("axes", axes, axes.Length));
            else attrs.Add(("axes", axes));
        }
        g.Output(g.Node(op, ins.ToArray(), attrs.ToArray()));
        return g;
    }

    private static OnnxGraph FoldedPlumbing()
    {
        // Values computable at load from constants only, added to a runtime input: each folded operator once.
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 3, 4, 5);
        string Const(string name, float v) => g.Node("Constant", Array.Empty<string>(), ("value", OnnxGraph.FloatTensor(name, new[] { v })));
        var r3 = g.Node("Range", new[] { Const("start", 0), Const("limit", 3), Const("delta", 1) });   // [0, 1, 2]
        var scaled = g.Node("Mul", new[] { r3, g.Init("k", new[] { 1.5f }) });                           // [0, 1.5, 3]
        var pick = g.Node("Where", new[] { g.Node("Equal", new[] { r3, g.Init("one", new[] { 1f }) }), g.Node("Floor", new[] { scaled }), g.Node("Ceil", new[] { scaled }) });
        var col = g.Node("Unsqueeze", new[] { pick, g.InitInts("axes", new long[] { 0, 2, 3 }, 3) });        // [1,3,1,1]
        var wide = g.Node("Expand", new[] { col, g.InitInts("shape", new long[] { 1, 3, 4, 1 }, 4) });       // [1,3,4,1]
        var half = g.Node("ConstantOfShape", new[] { g.InitInts("s", new long[] { 1, 3, 4, 5 }, 4) }, ("value", OnnxGraph.FloatTensor("v", new[] { 0.5f }, 1)));
        g.Output(g.Node("Add", new[] { x, g.Node("Add", new[] { half, wide }) }));
        return g;
    }

    private static OnnxGraph SqueezeUnsqueeze(Random r)
    {
        var g = new OnnxGraph();
        var p = g.Node("GlobalAveragePool", new[] { g.Input("x", 1, 5, 3, 3) });
        var sq = g.Node("Squeeze", new[] { p, g.InitInts("axes", new long[] { 2, 3 }, 2) });
        var un = g.Node("Unsqueeze", new[] { g.Node("Sigmoid", new[] { sq }), g.InitInts("axes2", new long[] { -1, -2 }, 2) });
        g.Output(un);
        return g;
    }
}
