// MatMul of two run-time tensors on the GPU against the C# reference: odd sizes across the 32x32 tile and the 16-deep K
// steps, batches, a shared B, and a hand-checked product.
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Layers;

public class MatMulTests : GpuTest
{
    [TestCase(1, 1, 1, 1, false)]
    [TestCase(1, 5, 7, 3, false)]
    [TestCase(3, 33, 17, 31, false)]   // one past a tile in M and K, one short in N
    [TestCase(2, 64, 48, 65, false)]
    [TestCase(4, 9, 40, 12, true)]     // one B for every batch
    public void MatchesReference(int batch, int m, int k, int n, bool shareB)
    {
        var layer = new MatMul();
        CheckLayer(layer, new[] { new TensorShape(batch, m, k), shareB ? new TensorShape(k, n) : new TensorShape(batch, k, n) }, new Random(batch * 100 + m), $"MatMul {batch}x[{m}x{k}]·[{k}x{n}]");
    }

    [Test]
    public void TwoByTwoProductByHand()
    {
        var b = new NetworkBuilder();
        var x = b.Input(new TensorShape(2, 2), "x");
        var y = b.Input(new TensorShape(2, 2), "y");
        b.Add(new MatMul(), "mm", x, y).Output();
        var r = RunGpu(b.Build(), new float[] { 1, 2, 3, 4 }, new float[] { 5, 6, 7, 8 })[0];
        Assert.That(r, Is.EqualTo(new float[] { 19, 22, 43, 50 }));
    }

    [Test]
    public void RejectsInputsOfTheWrongSize()
    {
        var b = new NetworkBuilder();
        var x = b.Input(new TensorShape(1, 2, 3), "x");
        var y = b.Input(new TensorShape(1, 4, 2), "y");
        var ex = Assert.Throws<ArgumentException>(() => b.Add(new MatMul(), "mm", x, y));
        Assert.That(ex!.Message, Does.Contain("mm").And.Contain("[1,2,3]").And.Contain("[1,4,2]").And.Contain("3 and 4"));
    }
}
