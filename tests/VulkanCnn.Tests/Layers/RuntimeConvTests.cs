// Convolutions whose weights (and bias) are network tensors: against the C# reference of the same convolution with
// those weights as constants, over groups, depthwise multipliers, strides, dilation, padding modes, 1-D and batches;
// new weights on every run of one session; ONNX models with weights as graph inputs or computed (a tracker's
// depthwise cross-correlation) against ONNX Runtime; and the shape errors.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Onnx;
using VulkanCnn.Tests.Reference;

namespace VulkanCnn.Tests.Layers;

public class RuntimeConvTests : GpuTest
{
    private static Conv2d Window(int k, int kh, int kw, int groups = 1, int stride = 1, int dilation = 1, int pad = 0,
        PaddingMode mode = PaddingMode.Zero, Activation act = default, float[]? bias = null) => new()
    {
        OutChannels = k, KernelH = kh, KernelW = kw, Groups = groups, StrideH = kh == 1 && kw > 1 ? 1 : stride, StrideW = stride,
        DilationH = kh == 1 ? 1 : dilation, DilationW = dilation, PadTop = kh == 1 ? 0 : pad, PadBottom = kh == 1 ? 0 : pad,
        PadLeft = pad, PadRight = pad, PaddingMode = mode, Activation = act, Rounding = Rounding.Floor, Weights = Array.Empty<float>(), Bias = bias,
    };

    // (input shape, window, bias as input): every path of the layer — conv2d.comp blocks (groups, ragged K), depthwise
    // with a multiplier, strides, dilation, reflect padding, a fused activation, 1-D, a batch.
    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData(new[] { 1, 6, 9, 10 }, Window(8, 3, 3), false).SetName("3x3, K=8, no bias");
        yield return new TestCaseData(new[] { 2, 6, 11, 9 }, Window(10, 3, 3, groups: 2, pad: 1), true).SetName("3x3 groups 2, ragged K=10, bias input, batch 2");
        yield return new TestCaseData(new[] { 1, 5, 13, 12 }, Window(37, 1, 1, bias: Enumerable.Range(0, 37).Select(i => i * 0.01f).ToArray()), false).SetName("1x1, K=37, constant bias");
        yield return new TestCaseData(new[] { 1, 4, 15, 14 }, Window(8, 3, 3, groups: 4, stride: 2, pad: 1), true).SetName("depthwise multiplier 2, stride 2, bias input");
        yield return new TestCaseData(new[] { 3, 6, 12, 12 }, Window(6, 5, 5, groups: 6, dilation: 2, pad: 4, act: Activation.Relu), false).SetName("depthwise 5x5 dilation 2, ReLU, batch 3");
        yield return new TestCaseData(new[] { 1, 3, 10, 11 }, Window(4, 3, 2, stride: 2, pad: 1, mode: PaddingMode.Reflect), true).SetName("3x2 stride 2 reflect");
        yield return new TestCaseData(new[] { 2, 4, 20 }, Window(5, 1, 3, pad: 1), true).SetName("1-D [N,C,L], bias input");
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesTheConvolutionWithTheseWeightsAsConstants(int[] inputDims, Conv2d window, bool biasInput)
    {
        var xs = new TensorShape(inputDims);
        int cg = xs[1] / window.Groups;
        var ws = xs.Rank == 3 ? new TensorShape(window.OutChannels, cg, window.KernelW) : new TensorShape(window.OutChannels, cg, window.KernelH, window.KernelW);
        var b = new NetworkBuilder("runtime conv");
        var x = b.Input(xs, "x");
        var w = b.Input(ws, "w");
        var inputs = biasInput ? new[] { x, w, b.Input(new TensorShape(window.OutChannels), "b") } : new[] { x, w };
        b.Add(new RuntimeConv(window), "conv", inputs).Output();
        var net = b.Build();

        using var s = new Session(Ctx, net);
        var rng = new Random(inputDims.Sum() + window.OutChannels);
        for (int run = 0; run < 2; run++)   // new weights each run: nothing of the first run's packing survives
        {
            var xv = TestData.Random(rng, xs.ElementCount);
            var wv = TestData.Random(rng, ws.ElementCount, 0.5f);
            var bv = TestData.Random(rng, window.OutChannels, 0.5f);
            s.SetInput(xv, 0);
            s.SetInput(wv, 1);
            if (biasInput) s.SetInput(bv, 2);
            s.Run();
            var y = new float[s.OutputShape(0).ElementCount];
            s.GetOutput(y);

            var rb = new NetworkBuilder("constant conv");
            rb.Input(xs, "x").Then(window with { Weights = wv, Bias = biasInput ? bv : window.Bias }, "conv").Output();
            var reference = rb.Build();
            Assert.That(s.OutputShape(0), Is.EqualTo(reference.Nodes[^1].OutputShape));
            TestData.AssertClose(CpuReference.Run(reference, xv)[0], y, $"run {run}");
        }
    }

    private static ConvTranspose2d TransposedWindow(int k, int f, int stride, int groups = 1, int pad = 0, int outputPad = 0, bool oneD = false, float[]? bias = null) => new()
    {
        OutChannels = k, KernelH = oneD ? 1 : f, KernelW = f, StrideH = oneD ? 1 : stride, StrideW = stride, Groups = groups,
        PadTop = oneD ? 0 : pad, PadBottom = oneD ? 0 : pad, PadLeft = pad, PadRight = pad, OutputPadH = oneD ? 0 : outputPad, OutputPadW = outputPad,
        Weights = Array.Empty<float>(), Bias = bias,
    };

    // Transposed: the 2x2/2 upsampling of decoders (sub-pixel for constant weights), 3x3/2 with padding and output
    // padding, groups with a ragged K/groups, a constant bias, 1-D.
    private static IEnumerable<TestCaseData> TransposedCases()
    {
        yield return new TestCaseData(new[] { 1, 6, 5, 7 }, TransposedWindow(4, 2, 2), true).SetName("transposed 2x2/2, bias input");
        yield return new TestCaseData(new[] { 2, 4, 6, 5 }, TransposedWindow(6, 3, 2, pad: 1, outputPad: 1), false).SetName("transposed 3x3/2 pad 1 output pad 1, batch 2");
        yield return new TestCaseData(new[] { 1, 6, 4, 4 }, TransposedWindow(10, 3, 1, groups: 2, bias: Enumerable.Range(0, 10).Select(i => i * 0.1f).ToArray()), false).SetName("transposed groups 2, ragged K/groups 5, constant bias");
        yield return new TestCaseData(new[] { 1, 3, 9 }, TransposedWindow(5, 4, 2, pad: 1, oneD: true), true).SetName("transposed 1-D");
    }

    [TestCaseSource(nameof(TransposedCases))]
    public void TransposedMatchesTheTransposedConvolutionWithTheseWeightsAsConstants(int[] inputDims, ConvTranspose2d window, bool biasInput)
    {
        var xs = new TensorShape(inputDims);
        int kg = window.OutChannels / window.Groups;
        var ws = xs.Rank == 3 ? new TensorShape(xs[1], kg, window.KernelW) : new TensorShape(xs[1], kg, window.KernelH, window.KernelW);
        var b = new NetworkBuilder("runtime conv transpose");
        var x = b.Input(xs, "x");
        var w = b.Input(ws, "w");
        var inputs = biasInput ? new[] { x, w, b.Input(new TensorShape(window.OutChannels), "b") } : new[] { x, w };
        b.Add(new RuntimeConvTranspose(window), "deconv", inputs).Output();
        var net = b.Build();
        var rng = new Random(inputDims.Sum() * 3 + window.OutChannels);
        var xv = TestData.Random(rng, xs.ElementCount);
        var wv = TestData.Random(rng, ws.ElementCount, 0.5f);
        var bv = TestData.Random(rng, window.OutChannels, 0.5f);
        var y = biasInput ? GpuSetUp.Run(net, xv, wv, bv)[0] : GpuSetUp.Run(net, xv, wv)[0];
        var rb = new NetworkBuilder("constant conv transpose");
        rb.Input(xs, "x").Then(window with { Weights = wv, Bias = biasInput ? bv : window.Bias }, "deconv").Output();
        TestData.AssertClose(CpuReference.Run(rb.Build(), xv)[0], y, "transposed with run-time weights");
    }

    [Test]
    public void OnnxConvTransposeWithGraphInputWeightsAgreesWithOnnxRuntime()
    {
        var g = new OnnxGraph();
        g.Output(g.Node("ConvTranspose", new[] { g.Input("x", 1, 4, 5, 6), g.Input("w", 4, 3, 3, 3), g.Input("b", 6) },
            ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }), ("output_padding", new long[] { 1, 0 }), ("group", 2L)));
        OnnxOracle.Compare(g, new Random(10), "ConvTranspose with graph-input weights");
    }

    [Test]
    public void WrongWeightOrBiasShapesNameTheNodeAndTheShapes()
    {
        var b = new NetworkBuilder("bad");
        var x = b.Input(new TensorShape(1, 6, 8, 8), "x");
        var w = b.Input(new TensorShape(8, 3, 3, 3), "w");
        var e = Assert.Throws<ArgumentException>(() => b.Add(new RuntimeConv(Window(8, 3, 3)), "conv", x, w))!;
        Assert.That(e.Message, Does.Contain("conv").And.Contain("[8,3,3,3]").And.Contain("[8,6,3,3]"));
        var bias = b.Input(new TensorShape(7), "bias");
        var e2 = Assert.Throws<ArgumentException>(() => b.Add(new RuntimeConv(Window(8, 3, 3, groups: 2)), "conv2", x, w, bias))!;
        Assert.That(e2.Message, Does.Contain("conv2").And.Contain("[7]").And.Contain("[8]"));
    }

    [Test]
    public void OnnxConvWithWeightsAndBiasAsGraphInputsAgreesWithOnnxRuntime()
    {
        var g = new OnnxGraph();
        var y = g.Node("Conv", new[] { g.Input("x", 2, 4, 9, 8), g.Input("w", 6, 2, 3, 3), g.Input("b", 6) },
            ("pads", new long[] { 1, 0, 1, 2 }), ("strides", new long[] { 1, 2 }), ("group", 2L));
        g.Output(g.Node("Relu", new[] { y }));
        OnnxOracle.Compare(g, new Random(7), "Conv with graph-input weights");
    }

    [Test]
    public void OnnxDepthwiseCrossCorrelationOfComputedWeightsAgreesWithOnnxRuntime()
    {
        // A Siamese tracker's head: the template's features [1,C,5,5] become depthwise filters [C,1,5,5] for the search
        // region's features [1,C,16,16] (the weights computed by the network), then a 1x1 convolution of constant weights.
        var g = new OnnxGraph();
        var r = new Random(8);
        const int c = 8;
        var z = g.Node("Relu", new[] { g.Node("Conv", new[] { g.Input("template", 1, 3, 7, 7), g.Random("wz", r, 0.4f, c, 3, 3, 3) }) });
        var filters = g.Node("Reshape", new[] { z, g.InitInts("shape", new long[] { c, 1, 5, 5 }, 4) });
        var search = g.Node("Relu", new[] { g.Node("Conv", new[] { g.Input("search", 1, 3, 18, 18), g.Random("wx", r, 0.4f, c, 3, 3, 3) }) });
        var xcorr = g.Node("Conv", new[] { search, filters }, ("group", (long)c));
        g.Output(g.Node("Conv", new[] { xcorr, g.Random("head", r, 0.3f, 2, c, 1, 1), g.Random("hb", r, 0.1f, 2) }));
        OnnxOracle.Compare(g, new Random(9), "depthwise cross-correlation");
    }
}

/// <summary>A Conv with run-time weights: the constant-weight reference with input 1 as the weights (and input 2 as the bias).</summary>
internal sealed class RuntimeConvReference : LayerReference<RuntimeConv>
{
    public override float[] Compute(RuntimeConv r, float[][] x, TensorShape[] s, TensorShape o) =>
        new Conv2dReference().Compute(r.Window with { Weights = x[1], Bias = x.Length == 3 ? x[2] : r.Window.Bias }, x[..1], s[..1], o);
}

/// <summary>A ConvTranspose with run-time weights: the constant-weight reference with input 1 as the weights (and input 2 as the bias).</summary>
internal sealed class RuntimeConvTransposeReference : LayerReference<RuntimeConvTranspose>
{
    public override float[] Compute(RuntimeConvTranspose r, float[][] x, TensorShape[] s, TensorShape o) =>
        new ConvTranspose2dReference().Compute(r.Window with { Weights = x[1], Bias = x.Length == 3 ? x[2] : r.Window.Bias }, x[..1], s[..1], o);
}
