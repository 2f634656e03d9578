// The operators of the general tensor model as small ONNX models against ONNX Runtime: element-wise functions of
// attention-era networks (Erf, Gelu, Mish...), comparisons and logic as 0/1 masks, Where, Expand, Tile, Gather,
// LayerNormalization, GroupNormalization, CumSum, ArgMax, Hardmax, softmax on the last axis, rank-5 shuffles, Linear
// layers on [1,T,C], and batches.
using VulkanCnn.Onnx;

namespace VulkanCnn.Tests.Onnx;

public class OnnxTensorOpsTests : GpuTest
{
    private static readonly Dictionary<string, Func<Random, OnnxGraph>> Cases = new()
    {
        ["Erf"] = r => Unary(13, "Erf", new long[] { 2, 3, 4 }),
        ["Gelu exact opset 20"] = r => Unary(20, "Gelu", new long[] { 2, 3, 4 }),
        ["Gelu tanh opset 20"] = r => Unary(20, "Gelu", new long[] { 2, 3, 4 }, ("approximate", "tanh")),
        ["GELU spelled out with Erf (PyTorch export)"] = r => GeluWithErf(),
        ["Mish opset 18"] = r => Unary(18, "Mish", new long[] { 1, 4, 5 }),
        ["Softsign"] = r => Unary(13, "Softsign", new long[] { 3, 7 }),
        ["Round Sign Floor Ceil"] = r => Chain(new[] { "Round", "Sign", "Floor", "Ceil" }),
        ["Log of |x| + 0.5"] = r => LogOfPositive(),
        ["Comparisons and logic through Where"] = r => Masks(),
        ["Where broadcast with constants"] = r => WhereBroadcast(r),
        ["Expand [1,3,1,5] to [2,3,4,5]"] = r => ExpandCase(),
        ["Tile repeats 2,1,3"] = r => TileCase(),
        ["Gather constant indices axis 1"] = r => GatherCase(1, new long[] { 0, 2, 2, 1 }, new long[] { 2, 2 }),
        ["Gather scalar negative index axis -1"] = r => GatherCase(-1, new long[] { -2 }, Array.Empty<long>()),
        ["Gather of ArgMax indices"] = r => GatherOfArgMax(),
        ["LayerNormalization last axis"] = r => LayerNormCase(r, -1),
        ["LayerNormalization from axis 1"] = r => LayerNormCase(r, 1),
        ["GroupNormalization opset 21"] = r => GroupNormCase(r),
        ["CumSum axis 1"] = r => CumSumCase(0, 0),
        ["CumSum exclusive reverse"] = r => CumSumCase(1, 1),
        ["ArgMax keepdims 0, ArgMin"] = r => ArgCase(),
        ["Hardmax opset 13"] = r => Unary(13, "Hardmax", new long[] { 2, 3, 5 }),
        ["TopK largest 3 of the last axis"] = r => TopKCase(-1, 3, 1),
        ["TopK smallest 2 along axis 1"] = r => TopKCase(1, 2, 0),
        ["GatherElements axis 1"] = r => GatherElementsCase(),
        ["Softmax last axis of a CTC head"] = r => Unary(13, "Softmax", new long[] { 1, 25, 97 }, ("axis", -1)),
        ["Softmax opset 11 flattens from axis 2"] = r => Unary(11, "Softmax", new long[] { 2, 3, 4, 5 }, ("axis", 2)),
        ["Channel shuffle through rank 5"] = r => ChannelShuffle(),
        ["YOLOv5 head reshape and transpose"] = r => YoloHead(),
        ["Linear on [1,T,C]"] = r => Linear(r, new long[] { 1, 49, 32 }, 24),
        ["Linear on [1,H,W,C] (ConvNeXt)"] = r => Linear(r, new long[] { 1, 5, 6, 16 }, 64),
        ["Conv and pool of a batch of 3"] = r => BatchConv(r),
        ["Concat along the batch axis"] = r => ConcatBatch(),
        ["Attention block: QK^T, softmax, AV"] = r => Attention(r),
    };

    /// <summary>The case names, and one case's model (for the conformance run through `vcnn test-onnx`).</summary>
    internal static IEnumerable<string> Names => Cases.Keys;
    internal static OnnxGraph Build(string name, Random rng) => Cases[name](rng);

    public static IEnumerable<TestCaseData> AllCases() => Cases.Keys.Select(k => new TestCaseData(k).SetName("Onnx tensor op: " + k));

    [TestCaseSource(nameof(AllCases))]
    public void AgreesWithOnnxRuntime(string name)
    {
        var rng = new Random(name.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        var g = Cases[name](rng);
        OnnxOracle.Compare(g, rng, name, scale: 2f);
    }

    [Test]
    public void EngineLimitsAreRefusalsNamingTheNode()
    {
        // A Where over 6 independent broadcast axes is valid ONNX but beyond the kernel's 4: refused like an unsupported
        // operator (NotSupportedException, collected with the node, operator and opset), not reported as a bad model.
        var g = new OnnxGraph();
        var c = g.Node("Greater", new[] { g.Input("c", 2, 1, 2, 1, 2, 1), g.Init("z", new[] { 0f }) });
        g.Output(g.Node("Where", new[] { c, g.Input("x", 1, 2, 1, 2, 1, 2), g.Input("y", 2, 2, 2, 2, 2, 2) }));
        var e = Assert.Throws<NotSupportedException>(() => OnnxImporter.Import(OnnxModel.Load(g.Bytes(), "limits.onnx")))!;
        Assert.That(e.Message, Does.Contain("(Where, opset 13)").And.Contain("more than 4 independent axes").And.Contain("[2,1,2,1,2,1]"));
    }

    private static OnnxGraph Unary(int opset, string op, long[] dims, params (string, object)[] attrs)
    {
        var g = new OnnxGraph(opset);
        g.Output(g.Node(op, new[] { g.Input("x", dims) }, attrs));
        return g;
    }

    private static OnnxGraph GeluWithErf()
    {
        // x · 0.5 · (1 + erf(x / √2)), as torch.onnx writes nn.GELU.
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 8, 6);
        var e = g.Node("Erf", new[] { g.Node("Div", new[] { x, g.Init("s", new[] { 1.41421356f }) }) });
        var one = g.Node("Add", new[] { e, g.Init("one", new[] { 1f }) });
        g.Output(g.Node("Mul", new[] { g.Node("Mul", new[] { x, one }), g.Init("half", new[] { 0.5f }) }));
        return g;
    }

    private static OnnxGraph Chain(string[] ops)
    {
        var g = new OnnxGraph();
        var x = g.Node("Mul", new[] { g.Input("x", 2, 3, 5), g.Init("k", new[] { 3.7f }) });
        foreach (var op in ops) g.Output(g.Node(op, new[] { x }));
        return g;
    }

    private static OnnxGraph LogOfPositive()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 2, 9);
        g.Output(g.Node("Log", new[] { g.Node("Add", new[] { g.Node("Abs", new[] { x }), g.Init("h", new[] { 0.5f }) }) }));
        return g;
    }

    private static OnnxGraph Masks()
    {
        var g = new OnnxGraph();
        var a = g.Input("a", 2, 3, 4);
        var b = g.Input("b", 3, 1);
        var lt = g.Node("Less", new[] { a, b });
        var gt = g.Node("Greater", new[] { a, g.Init("z", new[] { 0f }) });
        var le = g.Node("LessOrEqual", new[] { b, a });
        var ge = g.Node("GreaterOrEqual", new[] { a, g.Init("h", new[] { 0.25f }) });
        var and = g.Node("And", new[] { lt, gt });
        var or = g.Node("Or", new[] { le, ge });
        var xor = g.Node("Xor", new[] { lt, ge });
        var not = g.Node("Not", new[] { gt });
        foreach (var m in new[] { and, or, xor, not })
            g.Output(g.Node("Where", new[] { m, a, g.Node("Neg", new[] { a }) }));
        return g;
    }

    private static OnnxGraph WhereBroadcast(Random r)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 3, 4, 5);
        var c = g.Node("Greater", new[] { x, g.Random("t", r, 0.5f, 4, 1) });
        g.Output(g.Node("Where", new[] { c, g.Random("k", r, 1f, 3, 1, 1), x }));
        return g;
    }

    private static OnnxGraph ExpandCase()
    {
        var g = new OnnxGraph();
        g.Output(g.Node("Expand", new[] { g.Input("x", 1, 3, 1, 5), g.InitInts("s", new long[] { 2, 3, 4, 5 }, 4) }));
        return g;
    }

    private static OnnxGraph TileCase()
    {
        var g = new OnnxGraph();
        g.Output(g.Node("Tile", new[] { g.Input("x", 1, 2, 3), g.InitInts("r", new long[] { 2, 1, 3 }, 3) }));
        return g;
    }

    private static OnnxGraph GatherCase(int axis, long[] indices, long[] idims)
    {
        var g = new OnnxGraph();
        g.Output(g.Node("Gather", new[] { g.Input("x", 2, 3, 4), g.InitInts("i", indices, idims) }, ("axis", axis)));
        return g;
    }

    private static OnnxGraph GatherOfArgMax()
    {
        // The index of each row's maximum, used to read a second tensor: run-time indices.
        var g = new OnnxGraph();
        var scores = g.Input("s", 4, 6);
        var idx = g.Node("ArgMax", new[] { g.Node("ReduceSum", new[] { scores, g.InitInts("ax", new long[] { 0 }, 1) }, ("keepdims", 0)) }, ("axis", 0), ("keepdims", 0));
        g.Output(g.Node("Gather", new[] { g.Input("v", 6, 3), idx }, ("axis", 0)));
        return g;
    }

    private static OnnxGraph LayerNormCase(Random r, int axis)
    {
        var g = new OnnxGraph(17);
        long[] dims = { 2, 5, 8 };
        var nd = axis == -1 ? new long[] { 8 } : new long[] { 5, 8 };
        g.Output(g.Node("LayerNormalization", new[] { g.Input("x", dims), g.Random("s", r, 1f, nd), g.Random("b", r, 1f, nd) }, ("axis", axis), ("epsilon", 1e-4f)));
        return g;
    }

    private static OnnxGraph GroupNormCase(Random r)
    {
        var g = new OnnxGraph(21);
        g.Output(g.Node("GroupNormalization", new[] { g.Input("x", 2, 6, 4, 4), g.Random("s", r, 1f, 6), g.Random("b", r, 1f, 6) }, ("num_groups", 3), ("epsilon", 1e-5f)));
        return g;
    }

    private static OnnxGraph CumSumCase(int exclusive, int reverse)
    {
        var g = new OnnxGraph();
        g.Output(g.Node("CumSum", new[] { g.Input("x", 2, 7, 3), g.InitInts("a", new long[] { 1 }) }, ("exclusive", exclusive), ("reverse", reverse)));
        return g;
    }

    private static OnnxGraph ArgCase()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 3, 5, 4);
        g.Output(g.Node("Cast", new[] { g.Node("ArgMax", new[] { x }, ("axis", 1), ("keepdims", 0)) }, ("to", 1)));
        g.Output(g.Node("Cast", new[] { g.Node("ArgMin", new[] { x }, ("axis", -1)) }, ("to", 1)));
        return g;
    }

    private static OnnxGraph TopKCase(int axis, long k, int largest)
    {
        var g = new OnnxGraph(11);
        var outs = g.Nodes("TopK", new[] { g.Input("x", 3, 6, 5), g.InitInts("k", new[] { k }, 1) }, 2, ("axis", axis), ("largest", largest));
        g.Output(outs[0]);
        g.Output(g.Node("Cast", new[] { outs[1] }, ("to", 1)));
        return g;
    }

    private static OnnxGraph GatherElementsCase()
    {
        var g = new OnnxGraph();
        var idx = g.InitInts("i", new long[] { 0, 3, -1, 2, 2, 1, 0, 0, 3, 1, -4, 2 }, 2, 2, 3);
        g.Output(g.Node("GatherElements", new[] { g.Input("x", 2, 4, 3), idx }, ("axis", 1)));
        return g;
    }

    private static OnnxGraph ChannelShuffle()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 8, 3, 3);
        var r5 = g.Node("Reshape", new[] { x, g.InitInts("s5", new long[] { 1, 2, 4, 3, 3 }, 5) });
        var t = g.Node("Transpose", new[] { r5 }, ("perm", new long[] { 0, 2, 1, 3, 4 }));
        g.Output(g.Node("Reshape", new[] { t, g.InitInts("s4", new long[] { 1, 8, 3, 3 }, 4) }));
        return g;
    }

    private static OnnxGraph YoloHead()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 3 * 7, 4, 5);
        var r5 = g.Node("Reshape", new[] { x, g.InitInts("s5", new long[] { 1, 3, 7, 4, 5 }, 5) });
        var t = g.Node("Transpose", new[] { r5 }, ("perm", new long[] { 0, 1, 3, 4, 2 }));
        g.Output(g.Node("Sigmoid", new[] { t }));
        return g;
    }

    private static OnnxGraph Linear(Random r, long[] dims, int outputs)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", dims);
        var mm = g.Node("MatMul", new[] { x, g.Random("w", r, 0.3f, dims[^1], outputs) });
        g.Output(g.Node("Add", new[] { mm, g.Random("b", r, 1f, outputs) }));
        return g;
    }

    private static OnnxGraph BatchConv(Random r)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 3, 4, 9, 8);
        var c = g.Node("Conv", new[] { x, g.Random("w", r, 0.5f, 6, 4, 3, 3), g.Random("b", r, 0.5f, 6) }, ("pads", new long[] { 1, 1, 1, 1 }));
        var p = g.Node("MaxPool", new[] { g.Node("Relu", new[] { c }) }, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        g.Output(g.Node("GlobalAveragePool", new[] { p }));
        return g;
    }

    private static OnnxGraph ConcatBatch()
    {
        var g = new OnnxGraph();
        g.Output(g.Node("Concat", new[] { g.Input("a", 2, 3, 4), g.Input("b", 1, 3, 4) }, ("axis", 0)));
        return g;
    }

    private static OnnxGraph Attention(Random r)
    {
        // One head of a transformer block over [1, T, C]: q, k, v projections, softmax(q·kᵀ/√d)·v, projection, residual.
        var g = new OnnxGraph();
        const int t = 10, c = 16;
        var x = g.Input("x", 1, t, c);
        string Proj(string name) => g.Node("MatMul", new[] { x, g.Random(name, r, 0.3f, c, c) });
        var q = Proj("wq"); var k = Proj("wk"); var v = Proj("wv");
        var kt = g.Node("Transpose", new[] { k }, ("perm", new long[] { 0, 2, 1 }));
        var s = g.Node("Mul", new[] { g.Node("MatMul", new[] { q, kt }), g.Init("scale", new[] { 0.25f }) });
        var a = g.Node("Softmax", new[] { s }, ("axis", -1));
        var o = g.Node("MatMul", new[] { g.Node("MatMul", new[] { a, v }), g.Random("wo", r, 0.3f, c, c) });
        g.Output(g.Node("Add", new[] { x, o }));
        return g;
    }
}
