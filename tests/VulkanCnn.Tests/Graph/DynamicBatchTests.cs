// Dynamic batch: one session compiled for a largest batch runs every batch up to it, each against the C# reference of
// the network at that batch and against its own items run one at a time; target shapes that carry the batch follow it;
// the errors for batches out of range, inputs set for another batch and networks that fix or mix their batch.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;

namespace VulkanCnn.Tests.Graph;

public class DynamicBatchTests : GpuTest
{
    /// <summary>Winograd-sized 3x3 convolution, a depthwise one, pooling, flatten and a dense head: every batch path.</summary>
    private static Network ConvNet(int seed)
    {
        var rng = new Random(seed);
        var b = new NetworkBuilder("convnet");
        b.Input(3, 12, 12, "image")
         .Conv(16, 3, TestData.Random(rng, 16 * 3 * 9, 0.4f), TestData.Random(rng, 16, 0.1f), padding: 1, activation: Activation.Relu, name: "conv1")
         .Conv(16, 3, TestData.Random(rng, 16 * 16 * 9, 0.2f), TestData.Random(rng, 16, 0.1f), padding: 1, name: "conv2_winograd")
         .Then(new Conv2d { OutChannels = 16, KernelH = 3, KernelW = 3, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1, Groups = 16,
                            Weights = TestData.Random(rng, 16 * 9, 0.5f), Bias = TestData.Random(rng, 16, 0.1f) }, "depthwise")
         .MaxPool(2, 2, name: "pool")
         .Flatten("flat")
         .Dense(7, TestData.Random(rng, 7 * 16 * 36, 0.1f), TestData.Random(rng, 7, 0.1f), name: "fc").Output();
        return b.Build();
    }

    [Test]
    public void EveryBatchUpToTheMaximumMatchesTheReferenceAndItsItemsAlone()
    {
        var net = ConvNet(1);
        const int max = 5;
        using var s = new Session(Ctx, net, new SessionOptions { MaxBatch = max });
        Assert.That(s.MaxBatch, Is.EqualTo(max));
        Assert.That(s.InputShape(0), Is.EqualTo(new TensorShape(max, 3, 12, 12)));
        ulong weights = s.WeightBytes;
        var rng = new Random(2);
        int item = 3 * 12 * 12;
        var single = new float[max][];
        using (var one = new Session(Ctx, net))
            for (int i = 0; i < max; i++) single[i] = one.Run(TestData.Random(new Random(100 + i), item));
        foreach (int batch in new[] { 3, 1, max, 2, 4, 3 })
        {
            var x = new float[batch * item];
            for (int i = 0; i < batch; i++) TestData.Random(new Random(100 + i), item).CopyTo(x, i * item);
            s.SetInput(x);
            s.Run(batch);
            Assert.That(s.LastBatch, Is.EqualTo(batch));
            var y = new float[s.OutputShape(0, batch).ElementCount];
            Assert.That(y.Length, Is.EqualTo(batch * 7));
            s.GetOutput(y);
            TestData.AssertClose(CpuReference.Run(net.WithBatch(batch), x)[0], y, $"batch {batch}");
            for (int i = 0; i < batch; i++)
                TestData.AssertClose(single[i], y.AsSpan(i * 7, 7).ToArray(), $"batch {batch}, item {i} against its batch-1 run");
        }
        Assert.That(s.WeightBytes, Is.EqualTo(weights), "later batch sizes reuse the uploaded weights");
        _ = rng;
    }

    [Test]
    public void WeightsAreUploadedOnceForEveryImageOfAWinogradBatch()
    {
        var net = ConvNet(3);
        using var one = new Session(Ctx, net);
        using var four = new Session(Ctx, net, new SessionOptions { MaxBatch = 4 });
        Assert.That(four.WeightBytes, Is.EqualTo(one.WeightBytes), "the same layers hold the same weights at batch 4");
    }

    [Test]
    public void ReshapesThatCarryTheBatchFollowIt()
    {
        // A channel shuffle: [N,8,5,5] -> [N,2,4,5,5] -> transpose(0,2,1,3,4) -> [N,8,5,5], then a reshape to [N*8, 25]
        // and a softmax over its last axis: two target shapes whose leading axis is the batch (N and N*8).
        var b = new NetworkBuilder("shuffle");
        b.Input(new TensorShape(3, 8, 5, 5), "x")
         .Then(new Reshape(new TensorShape(3, 2, 4, 5, 5)), "split")
         .Then(new Transpose(0, 2, 1, 3, 4), "swap")
         .Then(new Reshape(new TensorShape(3, 8, 5, 5)), "merge")
         .Then(new Reshape(new TensorShape(24, 25)), "rows")
         .Then(new Softmax { Axis = -1 }, "softmax").Output();
        var net = b.Build();
        using var s = new Session(Ctx, net);
        Assert.That(s.MaxBatch, Is.EqualTo(3));
        var x = TestData.Random(new Random(4), 2 * 200, 3f);
        var y = s.Run(x);   // two items: a run of batch 2
        Assert.That(s.LastBatch, Is.EqualTo(2));
        Assert.That(s.OutputShape(0, 2), Is.EqualTo(new TensorShape(16, 25)));
        TestData.AssertClose(CpuReference.Run(net.WithBatch(2), x)[0], y, "shuffle at batch 2");
    }

    [Test]
    public void BatchesOutOfRangeAndInputsOfAnotherBatchAreRefused()
    {
        using var s = new Session(Ctx, ConvNet(5), new SessionOptions { MaxBatch = 3 });
        Assert.That(() => s.Run(0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("1 to 3"));
        Assert.That(() => s.Run(4), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("1 to 3"));
        s.SetInput(new float[2 * 432]);
        var e = Assert.Throws<ArgumentException>(() => s.Run(3))!;
        Assert.That(e.Message, Does.Contain("'image' holds 2 batch item(s)").And.Contain("Run(2)"));
        var bad = Assert.Throws<ArgumentException>(() => s.SetInput(new float[433]))!;
        Assert.That(bad.Message, Does.Contain("432 floats per batch item").And.Contain("1 to 3"));
        Assert.That(() => s.SetInput(new float[4 * 432]), Throws.ArgumentException);
        s.Run(2);
        Assert.That(() => s.GetOutput(new float[3 * 7]), Throws.ArgumentException.With.Message.Contains("batch 2"));
    }

    [Test]
    public void ANetworkThatFixesOrMixesItsBatchNamesTheNode()
    {
        // A reduction over the batch axis mixes the items: its output does not grow with the batch.
        var b = new NetworkBuilder("mix");
        b.Input(new TensorShape(4, 6), "x").Then(new Reduce(ReduceKind.Mean, new[] { 0 }), "batch_mean").Output();
        var net = b.Build();
        var e = Assert.Throws<ArgumentException>(() => net.WithBatch(2))!;
        Assert.That(e.Message, Does.Contain("batch_mean").And.Contain("batch 4").And.Contain("batch 2"));
        using var s = new Session(Ctx, net);
        Assert.That(() => s.Run(2), Throws.ArgumentException.With.Message.Contains("batch_mean"));
    }
}
