// Reshape (an alias, no GPU work) and Constant (uploaded values copied into the activation buffer).
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class ReshapeTests : GpuTest
{
    [Test]
    public void ReshapeKeepsValuesAndFeedsTheNextLayer()
    {
        var rng = new Random(5);
        var b = new NetworkBuilder();
        var r = b.Add(new Reshape(new Shape(6, 5, 1)), "r", b.Input(3, 2, 5));
        b.Add(new Softmax(), "sm", r).Output();
        var net = b.Build();
        var x = TestData.Random(rng, 30);
        TestData.AssertClose(Reference.CpuReference.Run(net, x)[0], RunGpu(net, x)[0], "reshape then softmax");
    }

    [Test]
    public void ReshapeRejectsAnotherSize()
    {
        var b = new NetworkBuilder();
        var ex = Assert.Throws<ArgumentException>(() => b.Add(new Reshape(new Shape(7, 1, 1)), "r", b.Input(3, 2, 1)));
        Assert.That(ex!.Message, Does.Contain("r:").And.Contain("6 values").And.Contain("7 values"));
    }

    [Test]
    public void ConstantOperandOfAnAddition([Values(1, 3, 105)] int n)
    {
        var rng = new Random(n);
        var shape = n == 105 ? new Shape(3, 5, 7) : new Shape(n, 1, 1);
        var values = TestData.Random(rng, shape.Size);
        var b = new NetworkBuilder();
        var k = b.Add(new Constant(shape, values), "k");
        b.Add(new Binary(BinaryOp.Add), "sum", b.Input(3, 5, 7), k).Output();
        var net = b.Build();
        var x = TestData.Random(rng, 105);
        TestData.AssertClose(Reference.CpuReference.Run(net, x)[0], RunGpu(net, x)[0], $"x + constant {shape}");
    }
}

/// <summary>Reshape keeps the values in order.</summary>
internal sealed class ReshapeReference : LayerReference<Reshape>
{
    public override float[] Compute(Reshape layer, float[][] x, TensorShape[] s, TensorShape o) =>
        (float[])x[0].Clone();
}

/// <summary>Flatten (Layers/Input.cs) keeps the values in order.</summary>
internal sealed class FlattenReference : LayerReference<Flatten>
{
    public override float[] Compute(Flatten layer, float[][] x, TensorShape[] s, TensorShape o) =>
        (float[])x[0].Clone();
}

/// <summary>Identity (Layers/Input.cs) is its input.</summary>
internal sealed class IdentityReference : LayerReference<Identity>
{
    public override float[] Compute(Identity layer, float[][] x, TensorShape[] s, TensorShape o) =>
        (float[])x[0].Clone();
}

/// <summary>A constant is its values.</summary>
internal sealed class ConstantReference : LayerReference<Constant>
{
    public override float[] Compute(Constant k, float[][] x, TensorShape[] s, TensorShape o) =>
        (float[])k.Values.Clone();
}
