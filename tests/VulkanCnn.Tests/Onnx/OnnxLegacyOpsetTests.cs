// Models of opsets 1 to 6 (before numpy broadcasting and the input forms of later opsets), checked against values
// computed here from the operators' old definitions. ONNX Runtime is no oracle for them: it loads opset 7 and later.
using VulkanCnn.Onnx;

namespace VulkanCnn.Tests.Onnx;

public class OnnxLegacyOpsetTests : GpuTest
{
    private static float[] Run(OnnxGraph g, params float[][] inputs)
    {
        var model = OnnxModel.Load(g.Bytes(), "legacy.onnx");
        var net = OnnxImporter.Import(model).Network;
        return RunGpu(net, inputs)[0];
    }

    [TestCase(1, new long[] { 3 })]          // B along the channels
    [TestCase(2, new long[] { 4, 5 })]       // B over H and W
    [TestCase(-1, new long[] { 5 })]         // negative axis
    public void BinaryBroadcastAlignsAtTheAxis(int axis, long[] bDims)
    {
        var g = new OnnxGraph(opset: 6);
        var x = g.Input("x", 1, 3, 4, 5);
        var rng = new Random(axis + 7);
        var b = TestData.Random(rng, bDims.Aggregate(1L, (p, q) => p * q));
        g.Output(g.Node("Sub", new[] { x, g.Init("b", b, bDims) }, ("broadcast", 1), ("axis", axis)));
        var input = TestData.Random(rng, 60);
        int at = axis < 0 ? axis + 4 : axis;
        var expected = new float[60];
        for (int i = 0; i < 60; i++)
        {
            int[] idx = { 0, i / 20, i / 5 % 4, i % 5 };
            int j = 0;
            for (int k = 0; k < bDims.Length; k++) j = j * (int)bDims[k] + idx[at + k];
            expected[i] = input[i] - b[j];
        }
        TestData.AssertClose(expected, Run(g, input), $"opset 6 Sub broadcast axis {axis}");
    }

    [Test]
    public void BinaryWithoutBroadcastNeedsEqualShapes()
    {
        var g = new OnnxGraph(opset: 6);
        g.Output(g.Node("Add", new[] { g.Input("x", 1, 3, 4, 5), g.Init("b", new float[3], 3) }));
        var e = Assert.Throws<ArgumentException>(() => OnnxImporter.Import(OnnxModel.Load(g.Bytes(), "legacy.onnx")))!;
        Assert.That(e.Message, Does.Contain("broadcast is not set").And.Contain("[1,3,4,5]").And.Contain("[3]"));
    }

    [Test]
    public void BatchNormWithConsumedInputsAndIsTest()
    {
        var g = new OnnxGraph(opset: 5);
        var s = new[] { 1f, 2f }; var b = new[] { 0.5f, -1f }; var m = new[] { 0.1f, -0.2f }; var v = new[] { 4f, 0.25f };
        g.Output(g.Node("BatchNormalization", new[] { g.Input("x", 1, 2, 1, 3), g.Init("s", s, 2), g.Init("b", b, 2), g.Init("m", m, 2), g.Init("v", v, 2) },
            ("is_test", 1), ("consumed_inputs", new long[] { 0, 0, 0, 1, 1 }), ("epsilon", 0f)));
        var x = new float[] { 1, 2, 3, 4, 5, 6 };
        var expected = x.Select((val, i) => { int c = i / 3; return (float)((val - m[c]) / Math.Sqrt(v[c]) * s[c] + b[c]); }).ToArray();
        TestData.AssertClose(expected, Run(g, x), "opset 5 BatchNormalization");
        var spatial = new OnnxGraph(opset: 6);
        spatial.Output(spatial.Node("BatchNormalization", new[] { spatial.Input("x", 1, 2, 1, 3), spatial.Init("s", s, 2), spatial.Init("b", b, 2), spatial.Init("m", m, 2), spatial.Init("v", v, 2) }, ("spatial", 0)));
        var e = Assert.Throws<NotSupportedException>(() => OnnxImporter.Import(OnnxModel.Load(spatial.Bytes(), "spatial.onnx")))!;
        Assert.That(e.Message, Does.Contain("spatial = 0").And.Contain("opset 6"));
    }

    [Test]
    public void CastToATypeName()
    {
        var g = new OnnxGraph(opset: 5);
        var x = g.Input("x", 1, 4);
        g.Output(g.Node("Cast", new[] { g.Node("Relu", new[] { x }, ("consumed_inputs", new long[] { 0 })) }, ("to", "FLOAT")));
        Assert.That(Run(g, new float[] { -1, 2, -3, 4 }), Is.EqualTo(new float[] { 0, 2, 0, 4 }));
    }

    [Test]
    public void PadWithPaddingsOpset1AndUpsampleWithScaleAttributes()
    {
        var g = new OnnxGraph(opset: 1);
        var p = g.Node("Pad", new[] { g.Input("x", 1, 1, 1, 2) }, ("paddings", new long[] { 0, 0, 0, 1, 0, 0, 0, 0 }), ("value", 9f));
        g.Output(g.Node("Upsample", new[] { p }, ("height_scale", 2f), ("width_scale", 1f)));
        // [[9, 1, 2]] padded on the left, then every row twice.
        Assert.That(Run(g, new float[] { 1, 2 }), Is.EqualTo(new float[] { 9, 1, 2, 9, 1, 2 }));
    }
}
