// The general tensor model: batches through the image layers, and any-rank, any-axis data movement, softmax,
// broadcasting, reductions and matrix products, each on the GPU against the C# reference (itself written per element
// from the definitions). Every case has a batch or rank the (D,H,W) engine could not express.
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Layers;

public class TensorRankTests : GpuTest
{
    private static float[] W(Random rng, int n) => TestData.Random(rng, n, 0.5f);

    [TestCase(1, 1)]
    [TestCase(3, 1)]
    [TestCase(3, 8)]   // depthwise kernel (one input channel per group)
    public void ConvolutionOfABatchEqualsEachImageAlone(int batch, int groups)
    {
        var rng = new Random(batch * 10 + groups);
        int c = 8, k = 8;
        var conv = new Conv2d { OutChannels = k, KernelH = 3, KernelW = 3, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1, StrideH = 2, StrideW = 2,
                                Rounding = Rounding.Floor, Groups = groups, Weights = W(rng, k * (c / groups) * 9), Bias = W(rng, k), Activation = Activation.Relu };
        CheckLayer(conv, new[] { new TensorShape(batch, c, 9, 11) }, rng, $"conv batch {batch} groups {groups}");
    }

    [Test]
    public void WinogradConvolutionOfABatch()
    {
        // 3x3 stride 1 with 32 channels: the Winograd path, run image by image at per-image offsets; and with it off.
        var rng = new Random(12);
        var conv = new Conv2d { OutChannels = 32, KernelH = 3, KernelW = 3, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1,
                                Weights = W(rng, 32 * 32 * 9), Bias = W(rng, 32) };
        var b = new NetworkBuilder();
        b.Add(conv, "conv", b.Input(new TensorShape(3, 32, 28, 28))).Output();
        var net = b.Build();
        var x = TestData.Random(rng, 3 * 32 * 28 * 28);
        var expected = Reference.CpuReference.Run(net, x)[0];
        foreach (bool winograd in new[] { true, false })
        {
            using var s = new Session(Ctx, net, new SessionOptions { Winograd = winograd });
            s.SetInput(x);
            s.Run();
            var y = new float[s.OutputShape().ElementCount];
            s.GetOutput(y);
            TestData.AssertClose(expected, y, $"batch-3 conv, winograd {winograd}", 2e-3);
        }
    }

    [Test]
    public void ImageLayersOfABatch()
    {
        var rng = new Random(3);
        var s = new[] { new TensorShape(2, 5, 6, 7) };
        CheckLayer(new Pool2d { Kind = PoolKind.Max, KernelH = 2, KernelW = 2, StrideH = 2, StrideW = 2, Rounding = Rounding.Floor }, s, rng, "max pool batch 2");
        CheckLayer(new GlobalPool2d { Kind = PoolKind.Average }, s, rng, "global average batch 2");
        CheckLayer(new Upsample { Mode = UpsampleMode.Bilinear, ScaleH = 2, ScaleW = 2 }, s, rng, "bilinear batch 2");
        CheckLayer(new BatchNorm { Scale = W(rng, 5), Shift = W(rng, 5), Mean = W(rng, 5), Variance = new float[] { 1, 2, 3, 4, 5 } }, s, rng, "batch norm batch 2");
        CheckLayer(new InstanceNorm(W(rng, 5), W(rng, 5)), s, rng, "instance norm batch 2");
        CheckLayer(new Lrn { Size = 3 }, s, rng, "LRN batch 2");
        CheckLayer(new DepthToSpace(2), new[] { new TensorShape(2, 8, 3, 4) }, rng, "depth to space batch 2");
        CheckLayer(new SpaceToDepth(2), new[] { new TensorShape(2, 3, 4, 6) }, rng, "space to depth batch 2");
        CheckLayer(new Dense { OutFeatures = 6, Weights = W(rng, 6 * 210), Bias = W(rng, 6) }, s, rng, "dense batch 2");
    }

    [Test]
    public void OneDimensionalConvolutionAndPooling()
    {
        var rng = new Random(4);
        var conv = new Conv2d { OutChannels = 4, KernelH = 1, KernelW = 5, PadLeft = 2, PadRight = 2, Weights = W(rng, 4 * 3 * 5), Bias = W(rng, 4) };
        Assert.That(conv.OutputShape(new[] { new TensorShape(2, 3, 17) }, "c"), Is.EqualTo(new TensorShape(2, 4, 17)));
        CheckLayer(conv, new[] { new TensorShape(2, 3, 17) }, rng, "1-D conv");
        CheckLayer(new Pool2d { Kind = PoolKind.Average, KernelH = 1, KernelW = 3, StrideH = 1, StrideW = 2, Rounding = Rounding.Floor }, new[] { new TensorShape(2, 3, 17) }, rng, "1-D pool");
        var e = Assert.Throws<ArgumentException>(() => conv.OutputShape(new[] { new TensorShape(1, 3, 4, 4, 4) }, "c3d"))!;
        Assert.That(e.Message, Does.Contain("c3d").And.Contain("3-D").And.Contain("[1,3,4,4,4]"));
    }

    [TestCase(new[] { 1, 2, 58, 7, 7 }, new[] { 0, 2, 1, 3, 4 })]   // ShuffleNet's channel shuffle
    [TestCase(new[] { 1, 3, 85, 4, 5 }, new[] { 0, 1, 3, 4, 2 })]   // YOLOv5's head
    [TestCase(new[] { 2, 3, 4, 5, 2, 3 }, new[] { 5, 3, 1, 0, 4, 2 })]
    [TestCase(new[] { 7 }, new[] { 0 })]
    public void TransposeAtAnyRank(int[] dims, int[] perm) =>
        CheckLayer(new Transpose(perm), new[] { new TensorShape(dims) }, new Random(dims.Sum()), $"transpose {string.Join(",", perm)}");

    [Test]
    public void TransposeThatOnlyMovesSizeOneAxesIsFree()
    {
        var b = new NetworkBuilder();
        b.Add(new Transpose(0, 2, 1, 3), "t", b.Input(new TensorShape(2, 1, 5, 3))).Output();
        using var session = new Session(Ctx, b.Build());
        Assert.That(session.Network.Nodes.Select(n => n.Layer).OfType<Transpose>(), Is.Empty, "a renaming transpose becomes a reshape");
        Assert.That(session.DispatchCount, Is.Zero);
    }

    [TestCase(new[] { 1, 25, 6625 }, -1)]   // a CTC head: classes on the last axis
    [TestCase(new[] { 2, 4, 3, 5 }, 2)]
    [TestCase(new[] { 3, 7 }, 0)]
    [TestCase(new[] { 2, 3, 4 }, -2)]
    public void SoftmaxOnAnyAxis(int[] dims, int axis)
    {
        var rng = new Random(axis + 10);
        CheckLayer(new Softmax { Axis = axis }, new[] { new TensorShape(dims) }, rng, $"softmax axis {axis}", scale: 8);
        CheckLayer(new Softmax { Axis = axis, Log = true }, new[] { new TensorShape(dims) }, rng, $"log-softmax axis {axis}", scale: 8);
    }

    [TestCase(new[] { 2, 3, 1, 5 }, new[] { 4, 1 })]
    [TestCase(new[] { 1, 1, 6 }, new[] { 2, 3, 1, 1 })]
    [TestCase(new[] { 3, 1, 2, 1, 4, 1 }, new[] { 1, 5, 1, 3, 1, 2 })]
    [TestCase(new[] { 4 }, new[] { 3, 1 })]
    public void BroadcastingAtAnyRank(int[] a, int[] b)
    {
        var rng = new Random(a.Sum() * 7 + b.Sum());
        foreach (var op in new[] { BinaryOp.Add, BinaryOp.Sub, BinaryOp.Mul, BinaryOp.Max })
            CheckLayer(new Binary(op), new[] { new TensorShape(a), new TensorShape(b) }, rng, $"{op} [{string.Join(",", a)}] [{string.Join(",", b)}]");
    }

    [TestCase(new[] { 2, 3, 4, 5 }, new[] { 0 }, true)]
    [TestCase(new[] { 2, 3, 4, 5 }, new[] { -1 }, false)]
    [TestCase(new[] { 2, 3, 4, 5, 6 }, new[] { 0, 2, 4 }, false)]
    [TestCase(new[] { 3, 1, 7 }, new int[0], true)]
    public void ReduceOverAnyAxes(int[] dims, int[] axes, bool keep)
    {
        var rng = new Random(dims.Sum() + axes.Sum());
        foreach (var kind in new[] { ReduceKind.Sum, ReduceKind.Mean, ReduceKind.Max, ReduceKind.L2 })
            CheckLayer(new Reduce(kind, axes) { KeepDims = keep }, new[] { new TensorShape(dims) }, rng, $"{kind} over {string.Join(",", axes)}");
    }

    [Test]
    public void ConcatSliceAndPadOnAnyAxis()
    {
        var rng = new Random(6);
        CheckLayer(new Concat { Axis = 0 }, new[] { new TensorShape(2, 3, 4), new TensorShape(1, 3, 4) }, rng, "concat batch axis");
        CheckLayer(new Concat { Axis = -1 }, new[] { new TensorShape(2, 3, 4, 2), new TensorShape(2, 3, 4, 5) }, rng, "concat last axis");
        CheckLayer(new Slice(new[] { 1, 0, 4, 2 }, new[] { 1, 2, -2, 1 }, new[] { 2, 2, 3, 1 }), new[] { new TensorShape(3, 4, 5, 3) }, rng, "slice rank 4");
        CheckLayer(new Pad(new[] { 1, 0, 2 }, new[] { 0, 2, -1 }) { Value = 3 }, new[] { new TensorShape(2, 3, 4) }, rng, "pad every axis");
        CheckLayer(new Pad(new[] { 0, 1, 1, 0, 2 }, new[] { 1, 0, 1, 0, 2 }) { Mode = PaddingMode.Reflect }, new[] { new TensorShape(2, 3, 4, 2, 5) }, rng, "reflect rank 5");
    }

    [TestCase(new[] { 2, 4, 5, 3 }, new[] { 2, 4, 3, 6 })]   // attention Q·Kᵀ per head
    [TestCase(new[] { 1, 49, 32 }, new[] { 32, 16 })]         // a Linear layer on [1, T, C]
    [TestCase(new[] { 3, 1, 4, 5 }, new[] { 5, 2 })]
    [TestCase(new[] { 5 }, new[] { 2, 5, 3 })]                // a vector times a batch of matrices
    public void MatMulAtAnyRank(int[] a, int[] b) =>
        CheckLayer(new MatMul(), new[] { new TensorShape(a), new TensorShape(b) }, new Random(a.Sum() + b.Sum()), $"matmul [{string.Join(",", a)}]·[{string.Join(",", b)}]");

    [Test]
    public void ExpandTileGatherWhere()
    {
        var rng = new Random(8);
        CheckLayer(new Expand(new TensorShape(2, 1, 4, 5)), new[] { new TensorShape(3, 1, 5) }, rng, "expand to [2,3,4,5]");
        CheckLayer(new Tile(new[] { 2, 1, 3, 2 }), new[] { new TensorShape(1, 3, 2, 4) }, rng, "tile 2,1,3,2");
        var indices = new float[] { 2, 0, -1, 1, 1, 3 };
        CheckLayer(new Gather(1), new[] { new TensorShape(2, 4, 5), new TensorShape(2, 3) }, rng, "gather axis 1", inputs: new[] { null, indices });
        CheckLayer(new Gather(-1), new[] { new TensorShape(3, 5), new TensorShape(4) }, rng, "gather last axis", inputs: new[] { null, new float[] { 4, 0, -5, 2 } });
        var mask = Enumerable.Range(0, 12).Select(i => (float)(i % 3 == 0 ? 1 : 0)).ToArray();
        CheckLayer(new Where(), new[] { new TensorShape(3, 1, 4), new TensorShape(2, 3, 5, 1), new TensorShape(4) }, rng, "where broadcast", inputs: new[] { mask, null, null });
    }

    [Test]
    public void LayerNormAndAlongAxisOps()
    {
        var rng = new Random(9);
        CheckLayer(new LayerNorm(-1, W(rng, 24), W(rng, 24)), new[] { new TensorShape(2, 7, 24) }, rng, "layer norm last axis", scale: 3);
        CheckLayer(new LayerNorm(1, null, null) { Epsilon = 1e-3f }, new[] { new TensorShape(3, 4, 70) }, rng, "layer norm from axis 1", scale: 3);
        CheckLayer(new AlongAxis(AxisOp.CumSum, 1), new[] { new TensorShape(2, 9, 3) }, rng, "cumsum");
        CheckLayer(new AlongAxis(AxisOp.CumSum, -1) { Exclusive = true, Reverse = true }, new[] { new TensorShape(4, 6) }, rng, "cumsum exclusive reverse");
        CheckLayer(new AlongAxis(AxisOp.ArgMax, 1) { KeepDims = false }, new[] { new TensorShape(3, 8, 2) }, rng, "argmax");
        CheckLayer(new AlongAxis(AxisOp.ArgMin, 0), new[] { new TensorShape(5, 4) }, rng, "argmin");
        CheckLayer(new AlongAxis(AxisOp.Hardmax, -1), new[] { new TensorShape(2, 3, 7) }, rng, "hardmax");
        CheckLayer(new AlongAxis(AxisOp.TopKValues, -1) { K = 4 }, new[] { new TensorShape(3, 2, 9) }, rng, "top-4 values");
        CheckLayer(new AlongAxis(AxisOp.TopKIndices, 1) { K = 3, Smallest = true }, new[] { new TensorShape(2, 7, 3) }, rng, "bottom-3 indices");
        var gi = new float[] { 0, 3, -1, 2, 2, 1, 0, 0, 3, 1, -4, 2 };
        CheckLayer(new GatherElements(1), new[] { new TensorShape(2, 4, 3), new TensorShape(2, 2, 3) }, rng, "gather elements", inputs: new[] { null, gi });
        // Top-k with ties: equal values by lower index first (hand-checked).
        var t = new NetworkBuilder();
        t.Add(new AlongAxis(AxisOp.TopKIndices, 1) { K = 3 }, "top", t.Input(new TensorShape(1, 5))).Output();
        Assert.That(RunGpu(t.Build(), new float[] { 2, 5, 5, 1, 5 })[0], Is.EqualTo(new float[] { 1, 2, 4 }));
        // Ties: the first extreme, or the last with SelectLast (hand-checked).
        var b = new NetworkBuilder();
        b.Add(new AlongAxis(AxisOp.ArgMax, 1) { SelectLast = true }, "am", b.Input(new TensorShape(1, 4))).Output();
        Assert.That(RunGpu(b.Build(), new float[] { 1, 3, 3, 2 })[0], Is.EqualTo(new float[] { 2 }));
    }

    [Test]
    public void NewActivationsAndComparisons()
    {
        var rng = new Random(10);
        foreach (var k in new[] { ActivationKind.Erf, ActivationKind.Gelu, ActivationKind.GeluTanh, ActivationKind.Mish, ActivationKind.Softsign,
                                  ActivationKind.Floor, ActivationKind.Ceil, ActivationKind.Round, ActivationKind.Sign, ActivationKind.Not })
            CheckLayer(new ActivationLayer(new Activation(k)), new[] { new TensorShape(3, 50) }, rng, k.ToString(), scale: 4);
        foreach (var op in new[] { BinaryOp.Less, BinaryOp.Greater, BinaryOp.LessOrEqual, BinaryOp.GreaterOrEqual, BinaryOp.And, BinaryOp.Or, BinaryOp.Xor })
        {
            var ints = Enumerable.Range(0, 24).Select(i => (float)(i % 3 - 1)).ToArray();   // ties and zeros on purpose
            CheckLayer(new Binary(op), new[] { new TensorShape(2, 3, 4), new TensorShape(4) }, rng, op.ToString(), inputs: new[] { ints, new float[] { -1, 0, 1, 0 } });
        }
        // erf against hand-checked values (Abramowitz and Stegun table 7.1).
        var e = new NetworkBuilder();
        e.Add(new ActivationLayer(new Activation(ActivationKind.Erf)), "erf", e.Input(new TensorShape(4))).Output();
        TestData.AssertClose(new[] { 0.5204999f, 0.8427008f, -0.9953223f, 0f }, RunGpu(e.Build(), new float[] { 0.5f, 1f, -2f, 0f })[0], "erf table", 1e-5);
    }

    [TestCase(new[] { 1, 49, 32 }, 24)]
    [TestCase(new[] { 2, 5, 6, 16 }, 40)]
    [TestCase(new[] { 3, 7 }, 5)]
    [TestCase(new[] { 1, 1, 30 }, 9)]   // one row: the matrix-vector kernel
    public void LinearOnTheLastAxis(int[] dims, int n)
    {
        var rng = new Random(dims.Sum() + n);
        int k = dims[^1];
        CheckLayer(new Linear { OutFeatures = n, Weights = W(rng, n * k), Bias = W(rng, n), Activation = Activation.Relu }, new[] { new TensorShape(dims) }, rng, $"linear {string.Join(",", dims)} -> {n}");
    }

    [Test]
    public void SessionSetsAndReadsByName()
    {
        var b = new NetworkBuilder();
        var x = b.Input(new TensorShape(2, 3), "x");
        var y = b.Input(new TensorShape(3), "y");
        b.Add(new Binary(BinaryOp.Add), "sum", x, y).Output();
        using var s = new Session(Ctx, b.Build());
        Assert.That(s.InputNames, Is.EqualTo(new[] { "x", "y" }));
        Assert.That(s.OutputShape(0), Is.EqualTo(new TensorShape(2, 3)));
        s.SetInput("x", new float[] { 1, 2, 3, 4, 5, 6 });
        s.SetInput("y", new float[] { 10, 20, 30 });
        s.Run();
        var r = new float[6];
        s.GetOutput("sum", r);
        Assert.That(r, Is.EqualTo(new float[] { 11, 22, 33, 14, 25, 36 }));
        var e = Assert.Throws<ArgumentException>(() => s.SetInput("z", new float[1]))!;
        Assert.That(e.Message, Does.Contain("'z'").And.Contain("'x'").And.Contain("'y'"));
    }
}
