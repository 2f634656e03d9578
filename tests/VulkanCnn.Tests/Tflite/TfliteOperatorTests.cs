// Every imported TFLite operator on small synthetic graphs (written with TfliteWriter): the GPU result against the NHWC
// C# reference on seeded random data, odd sizes, strides, SAME/VALID padding, fused activations; and the refusals.
using VulkanCnn.Tflite;

namespace VulkanCnn.Tests.Tflite;

public class TfliteOperatorTests : GpuTest
{
    private const int ADD = 0, AVG = 1, CONCAT = 2, CONV = 3, DW = 4, DEQ = 6, LOGISTIC = 14, MAXP = 17, MUL = 18, RELU = 19, RELU6 = 21,
        RESHAPE = 22, RESIZE = 23, SOFTMAX = 25, TANH = 28, CUSTOM = 32, PAD = 34, MEAN = 40, SUB = 41, DIV = 42, PRELU = 54, TCONV = 67, HSWISH = 117;

    private static float[] Rand(Random r, int n, float lo = -1, float hi = 1) => Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * (float)r.NextDouble()).ToArray();

    private static int N(int[] s) => s.Aggregate(1, (a, d) => a * d);

    /// <summary>Imports the graph, runs it on the GPU and the reference on the same random inputs, compares (mixed 1e-3).</summary>
    private static void Check(TfliteGraph g, string what, int seed = 1)
    {
        var model = TfliteModel.Load(g.Build(), what + ".tflite");
        var import = TfliteImporter.Import(model);
        var r = new Random(seed);
        var inputs = model.Inputs.Select(i => Rand(r, N(model.Tensors[i].Shape))).ToArray();
        var gpu = GpuSetUp.Run(import.Network, inputs);
        var cpu = TfliteReference.Run(model, inputs);
        for (int o = 0; o < cpu.Length; o++)
        {
            Assert.That(gpu[o], Has.Length.EqualTo(cpu[o].Length), what);
            var (worst, at) = TfliteModelTests.Worst(gpu[o], cpu[o]);
            for (int i = 0; i < cpu[o].Length; i++)
            {
                float a = gpu[o][i], b = cpu[o][i], d = Math.Abs(a - b);
                if (!(d <= 1e-3f || d <= 1e-3f * Math.Max(Math.Abs(a), Math.Abs(b))))
                    Assert.Fail($"{what}, output {o} [{string.Join(",", model.Tensors[model.Outputs[o]].Shape)}]: element {i} GPU {a}, reference {b}; worst |diff| {worst} at {at}");
            }
        }
    }

    private static FbT Opt(params (int, object)[] f) => new(f);

    [TestCase(9, 11, 5, 7, 3, 3, 2, 2, 1, 1, true, 3)]    // SAME, stride 2, odd sizes, fused ReLU6
    [TestCase(8, 8, 4, 6, 3, 2, 1, 1, 2, 1, false, 1)]    // VALID, non-square kernel, dilation 2, fused ReLU
    [TestCase(7, 10, 3, 5, 5, 5, 3, 2, 1, 1, true, 4)]    // SAME, kernel 5, strides 3×2, fused tanh
    public void Conv2dAndDepthwise(int h, int w, int c, int o, int kh, int kw, int sh, int sw, int dh, int dw, bool same, int act)
    {
        var r = new Random(h * 31 + w);
        var g = new TfliteGraph();
        int x = g.Input("x", 1, h, w, c);
        // Float16 weights through DEQUANTIZE, as MediaPipe stores them.
        int wh = g.Half("w16", new[] { o, kh, kw, c }, Rand(r, o * kh * kw * c));
        int wf = g.Tensor("w", new[] { o, kh, kw, c });
        g.Op(DEQ, new[] { wh }, new[] { wf }, version: 2);
        int b = g.Const("b", new[] { o }, Rand(r, o));
        int oh1 = same ? (h + sh - 1) / sh : (h - (kh - 1) * dh - 1) / sh + 1, ow1 = same ? (w + sw - 1) / sw : (w - (kw - 1) * dw - 1) / sw + 1;
        int y = g.Tensor("conv", new[] { 1, oh1, ow1, o });
        g.Op(CONV, new[] { x, wf, b }, new[] { y }, 1, Opt((0, (byte)(same ? 0 : 1)), (1, sw), (2, sh), (3, (byte)act), (4, dw), (5, dh)));
        // Depthwise, multiplier 2, the other padding.
        int dwk = g.Const("dw", new[] { 1, kh, kw, 2 * o }, Rand(r, kh * kw * 2 * o));
        int db = g.Const("db", new[] { 2 * o }, Rand(r, 2 * o));
        bool same2 = !same || oh1 < (kh - 1) * dh + 1 || ow1 < (kw - 1) * dw + 1;
        int oh2 = same2 ? oh1 : oh1 - (kh - 1) * dh, ow2 = same2 ? ow1 : ow1 - (kw - 1) * dw;
        int z = g.Tensor("dwconv", new[] { 1, oh2, ow2, 2 * o });
        g.Op(DW, new[] { y, dwk, db }, new[] { z }, 2, Opt((0, (byte)(same2 ? 0 : 1)), (1, 1), (2, 1), (3, 2), (4, (byte)act), (5, dw), (6, dh)));
        g.Outputs.Add(z);
        Check(g, $"conv {h}x{w}x{c} -> {o}, {kh}x{kw}/{sh}x{sw} dil {dh}x{dw} {(same ? "SAME" : "VALID")} act {act}");
    }

    [TestCase(5, 7, 3, 4, 3, 2, true)]
    [TestCase(6, 6, 2, 3, 2, 2, false)]
    [TestCase(4, 5, 3, 2, 4, 3, true)]
    public void TransposeConvBuiltinAndMediaPipe(int h, int w, int c, int o, int k, int s, bool same)
    {
        var r = new Random(h * 7 + k);
        var g = new TfliteGraph();
        int x = g.Input("x", 1, h, w, c);
        int oh = same ? h * s : (h - 1) * s + k, ow = same ? w * s : (w - 1) * s + k;
        int shape = g.Ints("shape", new[] { 4 }, new[] { 1, oh, ow, o });
        int wt = g.Const("w", new[] { o, k, k, c }, Rand(r, o * k * k * c));
        int b = g.Const("b", new[] { o }, Rand(r, o));
        int y = g.Tensor("tconv", new[] { 1, oh, ow, o });
        g.Op(TCONV, new[] { shape, wt, x, b }, new[] { y }, 49, Opt((0, (byte)(same ? 0 : 1)), (1, s), (2, s), (3, (byte)1)), version: 3);
        // MediaPipe's Convolution2DTransposeBias on the same input: TfLiteTransposeConvParams {padding, stride_w, stride_h}.
        int z = g.Tensor("tconvbias", new[] { 1, oh, ow, o });
        var p = new[] { same ? 1 : 2, s, s }.SelectMany(BitConverter.GetBytes).ToArray();
        g.Op(CUSTOM, new[] { x, wt, b }, new[] { z }, custom: "Convolution2DTransposeBias", customOptions: p);
        g.Outputs.Add(y); g.Outputs.Add(z);
        Check(g, $"transpose conv {h}x{w}x{c} -> {o}, {k}x{k}/{s} {(same ? "SAME" : "VALID")}");
    }

    [TestCase(9, 7, 3, 3, 2, true)]
    [TestCase(8, 10, 2, 3, 3, false)]
    [TestCase(5, 5, 5, 5, 1, false)]   // a window over the whole image: global pooling
    public void Pools(int h, int w, int fh, int fw, int s, bool same)
    {
        var g = new TfliteGraph();
        int x = g.Input("x", 1, h, w, 6);
        int oh = same ? (h + s - 1) / s : (h - fh) / s + 1, ow = same ? (w + s - 1) / s : (w - fw) / s + 1;
        var opt = Opt((0, (byte)(same ? 0 : 1)), (1, s), (2, s), (3, fw), (4, fh), (5, (byte)0));
        int a = g.Tensor("avg", new[] { 1, oh, ow, 6 });
        g.Op(AVG, new[] { x }, new[] { a }, 5, opt);
        int m = g.Tensor("max", new[] { 1, oh, ow, 6 });
        g.Op(MAXP, new[] { x }, new[] { m }, 5, Opt((0, (byte)(same ? 0 : 1)), (1, s), (2, s), (3, fw), (4, fh), (5, (byte)1)));
        g.Outputs.Add(a); g.Outputs.Add(m);
        Check(g, $"pools {h}x{w} {fh}x{fw}/{s} {(same ? "SAME" : "VALID")}");
    }

    [Test]
    public void ElementwiseActivationsPreluConcatPadMeanReshape()
    {
        var r = new Random(5);
        var g = new TfliteGraph();
        int x = g.Input("x", 1, 5, 6, 4);
        int y = g.Input("y", 1, 1, 1, 4);   // a run-time per-channel operand (squeeze-and-excitation)
        int T(string n, params int[] s) => g.Tensor(n, s);
        int mul = g.Op(MUL, new[] { x, y }, new[] { T("mul", 1, 5, 6, 4) }, 21, Opt((0, (byte)0)));
        int sub = g.Op(SUB, new[] { mul, g.Const("c", new[] { 4 }, Rand(r, 4)) }, new[] { T("sub", 1, 5, 6, 4) }, 28, Opt((0, (byte)1)));
        int div = g.Op(DIV, new[] { x, g.Const("d", new[] { 1, 1, 1, 4 }, Rand(r, 4, 0.5f, 2)) }, new[] { T("div", 1, 5, 6, 4) }, 29, Opt((0, (byte)0)));
        int add = g.Op(ADD, new[] { sub, div }, new[] { T("add", 1, 5, 6, 4) }, 11, Opt((0, (byte)3)));
        int hs = g.Op(HSWISH, new[] { add }, new[] { T("hswish", 1, 5, 6, 4) });
        int pr = g.Op(PRELU, new[] { div, g.Const("alpha", new[] { 1, 1, 4 }, Rand(r, 4)) }, new[] { T("prelu", 1, 5, 6, 4) });
        int lg = g.Op(LOGISTIC, new[] { pr }, new[] { T("sigmoid", 1, 5, 6, 4) });
        int th = g.Op(TANH, new[] { x }, new[] { T("tanh", 1, 5, 6, 4) });
        int r6 = g.Op(RELU6, new[] { g.Op(RELU, new[] { th }, new[] { T("relu", 1, 5, 6, 4) }) }, new[] { T("relu6", 1, 5, 6, 4) });
        int cat = g.Op(CONCAT, new[] { hs, lg, r6 }, new[] { T("concat", 1, 5, 6, 12) }, 10, Opt((0, -1), (1, (byte)0)));
        int pad = g.Op(PAD, new[] { cat, g.Ints("pads", new[] { 4, 2 }, new[] { 0, 0, 1, 2, 0, 1, 3, 1 }) }, new[] { T("pad", 1, 8, 7, 16) });
        int mean = g.Op(MEAN, new[] { pad, g.Ints("axes", new[] { 2 }, new[] { 1, 2 }) }, new[] { T("mean", 1, 16) }, 27, Opt((0, false)));
        int meanC = g.Op(MEAN, new[] { pad, g.Ints("axesC", new[] { 1 }, new[] { 3 }) }, new[] { T("meanC", 1, 8, 7, 1) }, 27, Opt((0, true)));
        int rs = g.Op(RESHAPE, new[] { pad, g.Ints("shape", new[] { 2 }, new[] { 8, 112 }) }, new[] { T("reshape", 8, 112) }, 17, Opt());
        g.Outputs.AddRange(new[] { mean, meanC, rs, cat });
        Check(g, "elementwise, activations, PReLU, concatenation, pad, mean, reshape");
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public void ResizeBilinear(bool align, bool half)
    {
        var g = new TfliteGraph();
        int x = g.Input("x", 1, 5, 7, 3);
        int up = g.Op(RESIZE, new[] { x, g.Ints("size", new[] { 2 }, new[] { 10, 11 }) }, new[] { g.Tensor("up", new[] { 1, 10, 11, 3 }) }, 15, Opt((2, align), (3, half)));
        int down = g.Op(RESIZE, new[] { x, g.Ints("size2", new[] { 2 }, new[] { 3, 4 }) }, new[] { g.Tensor("down", new[] { 1, 3, 4, 3 }) }, 15, Opt((2, align), (3, half)));
        g.Outputs.Add(up); g.Outputs.Add(down);
        Check(g, $"resize bilinear align_corners {align} half_pixel_centers {half}");
    }

    [Test]
    public void UnsupportedOperatorsAreListedAtOnce()
    {
        var g = new TfliteGraph();
        int x = g.Input("x", 1, 4, 4, 3);
        int a = g.Op(SOFTMAX, new[] { x }, new[] { g.Tensor("sm", new[] { 1, 4, 4, 3 }) }, 9, Opt((0, 1f)));
        int b = g.Op(CUSTOM, new[] { x }, new[] { g.Tensor("foo", new[] { 1, 4, 4, 3 }) }, custom: "FooBar");
        int c = g.Op(ADD, new[] { a, b }, new[] { g.Tensor("sum", new[] { 1, 4, 4, 3 }) }, 11, Opt());
        g.Outputs.Add(c);
        var e = Assert.Throws<NotSupportedException>(() => TfliteImporter.Import(TfliteModel.Load(g.Build(), "two.tflite")))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.Contain("'two.tflite' uses 2 thing(s)"));
        Assert.That(e.Message, Does.Contain("operator 0 (SOFTMAX, version 1): operator not supported"));
        Assert.That(e.Message, Does.Contain("operator 1 (FooBar, version 1): custom operator not supported"));
        Assert.That(e.Message, Does.Not.Contain("operator 2"), "an operator that depends only on refused results is not listed again");
    }

    [Test]
    public void QuantisedModelsAreRefusedNamingTheTensors()
    {
        var g = new TfliteGraph();
        int x = g.Input("x", 1, 4, 4, 3);
        int w = g.Tensor("w_int8", new[] { 2, 1, 1, 3 }, 9, new byte[6], quantized: true);
        int y = g.Op(CONV, new[] { x, w }, new[] { g.Tensor("y", new[] { 1, 4, 4, 2 }) }, 1, Opt());
        g.Outputs.Add(y);
        var e = Assert.Throws<NotSupportedException>(() => TfliteImporter.Import(TfliteModel.Load(g.Build(), "q.tflite")))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.Contain("integer-quantised").And.Contain("'w_int8' [2,1,1,3] Int8"));
    }
}
