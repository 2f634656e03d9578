// Sessions: repeated runs with different inputs, a residual block, several inputs and outputs, and the errors for
// wrong sizes and for use after Dispose.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;

namespace VulkanCnn.Tests.Graph;

public class SessionTests : GpuTest
{
    private static Network SmallNet(int seed)
    {
        var rng = new Random(seed);
        var b = new NetworkBuilder("small");
        b.Input(3, 9, 10, "image").Conv(5, 3, TestData.Random(rng, 5 * 3 * 9, 0.4f), TestData.Random(rng, 5, 0.1f), padding: 1, activation: Activation.Relu, name: "conv")
         .MaxPool(2, 2, rounding: Rounding.Floor, name: "pool").Output();
        return b.Build();
    }

    [Test]
    public void TwoRunsWithDifferentInputsGiveEachItsOwnAnswer()
    {
        var net = SmallNet(1);
        var rng = new Random(2);
        var x1 = TestData.Random(rng, 270);
        var x2 = TestData.Random(rng, 270);
        using var s = new Session(Ctx, net);
        var y1 = s.Run(x1);
        var y2 = s.Run(x2);
        var y1Again = s.Run(x1);
        var e1 = CpuReference.Run(net, x1)[0];
        var e2 = CpuReference.Run(net, x2)[0];
        Assert.That(e1, Is.Not.EqualTo(e2), "the inputs must give different answers");
        TestData.AssertClose(e1, y1, "first run");
        TestData.AssertClose(e2, y2, "second run");
        Assert.That(y1Again, Is.EqualTo(y1), "same input, same session: bit-identical");
    }

    [Test]
    public void ResidualBlockMatchesReference()
    {
        // input → conv → relu → conv → add(input) → relu
        var rng = new Random(3);
        var b = new NetworkBuilder("residual");
        var x = b.Input(4, 9, 11, "x");
        var y = x.Conv(4, 3, TestData.Random(rng, 4 * 4 * 9, 0.4f), TestData.Random(rng, 4, 0.1f), padding: 1, name: "conv1").Relu("relu1")
                 .Conv(4, 3, TestData.Random(rng, 4 * 4 * 9, 0.4f), null, padding: 1, name: "conv2");
        y.Add(x, name: "add").Relu("relu").Output();
        var net = b.Build();
        var input = TestData.Random(rng, 4 * 9 * 11);
        using var s = new Session(Ctx, net);
        TestData.AssertClose(CpuReference.Run(net, input)[0], s.Run(input), "residual block");
        // The input survives the run (the add reads it after two convolutions).
        TestData.AssertClose(CpuReference.Run(net, input)[0], s.Run(input), "residual block, second run");
    }

    [Test]
    public void MultipleInputsAndOutputs()
    {
        var rng = new Random(4);
        var b = new NetworkBuilder("multi");
        var a = b.Input(3, 5, 7, "a");
        var g = b.Input(3, 1, 1, "gain");
        var c = b.Input(2, 5, 7, "c");
        var conv = a.Conv(3, 3, TestData.Random(rng, 3 * 3 * 9, 0.4f), padding: 1, name: "conv");
        conv.Mul(g, "scaled").Output();
        b.Add(new Concat(), "cat", conv, c).Softmax("sm").Output();
        a.GlobalMaxPool("gmax").Output();
        var net = b.Build();
        var inputs = new[] { TestData.Random(rng, 105), TestData.Random(rng, 3), TestData.Random(rng, 70) };
        var expected = CpuReference.Run(net, inputs);
        var actual = RunGpu(net, inputs);
        Assert.That(actual.Length, Is.EqualTo(3));
        string[] names = { "scaled", "sm", "gmax" };
        for (int i = 0; i < 3; i++) TestData.AssertClose(expected[i], actual[i], $"output {i} ({names[i]})");
        using var s = new Session(Ctx, net);
        Assert.That(s.InputShape(2), Is.EqualTo(new Shape(2, 5, 7)));
        Assert.That(s.OutputShape(1), Is.EqualTo(new Shape(5, 5, 7)));
    }

    [Test]
    public void SetInputWithWrongLengthNamesTheInputAndBothSizes()
    {
        using var s = new Session(Ctx, SmallNet(5));
        var e = Assert.Throws<ArgumentException>(() => s.SetInput(new float[269]))!;
        Assert.That(e.Message, Does.Contain("image").And.Contain("270").And.Contain("269"));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SetInput(new float[270], 1));
    }

    [Test]
    public void GetOutputWithWrongSizeNamesTheOutputAndBothSizes()
    {
        using var s = new Session(Ctx, SmallNet(6));
        s.Run(new float[270]);
        var e = Assert.Throws<ArgumentException>(() => s.GetOutput(new float[41]))!;
        Assert.That(e.Message, Does.Contain("pool").And.Contain("100").And.Contain("41"));   // 5 × 4 × 5 = 100
        Assert.Throws<ArgumentOutOfRangeException>(() => s.GetOutput(new float[100], 3));
    }

    [Test]
    public void DisposedSessionThrowsAndDisposeTwiceIsFine()
    {
        var s = new Session(Ctx, SmallNet(7));
        s.Run(new float[270]);
        s.Dispose();
        Assert.Throws<ObjectDisposedException>(() => s.Run());
        Assert.Throws<ObjectDisposedException>(() => s.SetInput(new float[270]));
        Assert.Throws<ObjectDisposedException>(() => s.GetOutput(new float[100]));
        Assert.DoesNotThrow(() => s.Dispose());
    }
}
