// Concatenation on the GPU: along channels with 2 and 3 inputs whose sizes are not multiples of 4 (the copy shader
// reads vec4s), inputs computed by earlier layers, the same tensor twice; along height and width.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class ConcatTests : GpuTest
{
    [Test]
    public void TwoAndThreeInputs([Values(new[] { 3, 5 }, new[] { 1, 6, 3 }, new[] { 2, 7, 1 })] int[] channels)
    {
        var rng = new Random(channels.Sum());
        var shapes = channels.Select(c => new Shape(c, 7, 9)).ToArray();   // 63 pixels: odd sizes everywhere
        CheckLayer(new Concat(), shapes, rng, $"concat of {string.Join("+", channels)} channels");
    }

    [Test]
    public void InputsProducedByLayersAndRepeatedInput()
    {
        var rng = new Random(3);
        var b = new NetworkBuilder();
        var x = b.Input(3, 5, 7, "x");
        var r = x.Relu("relu");
        var t = x.Activate(Activation.Tanh, "tanh");
        b.Add(new Concat(), "cat", r, x, t, r).Output();
        var net = b.Build();
        Assert.That(net.Nodes[^1].OutputShape, Is.EqualTo(new Shape(12, 5, 7)));
        var input = TestData.Random(rng, 105);
        var expected = CpuReference.Run(net, input)[0];
        // Independent of the reference: the second block is the input itself.
        Assert.That(expected.AsSpan(105, 105).ToArray(), Is.EqualTo(input));
        TestData.AssertClose(expected, RunGpu(net, input)[0], "concat(relu, x, tanh, relu)");
    }

    [Test]
    public void AlongHeightAndWidth([Values(2, 3)] int axis)
    {
        var rng = new Random(axis);
        var shapes = axis == 2
            ? new[] { new Shape(3, 2, 5), new Shape(3, 7, 5), new Shape(3, 1, 5) }
            : new[] { new Shape(3, 4, 6), new Shape(3, 4, 1), new Shape(3, 4, 9) };
        var layer = new Concat { Axis = axis };
        var expectedShape = axis == 2 ? new Shape(3, 10, 5) : new Shape(3, 4, 16);
        Assert.That(layer.OutputShape(shapes.Select(v => (TensorShape)v).ToArray(), "cat"), Is.EqualTo((TensorShape)expectedShape));
        CheckLayer(layer, shapes, rng, $"concat along {axis}");
    }

    [Test]
    public void MismatchedSpatialSizesAreRejected()
    {
        var b = new NetworkBuilder();
        var x = b.Input(3, 5, 7, "x");
        var y = b.Input(3, 5, 6, "y");
        var e = Assert.Throws<ArgumentException>(() => b.Add(new Concat(), "badcat", x, y))!;
        Assert.That(e.Message, Does.Contain("badcat").And.Contain("[1,3,5,7]").And.Contain("[1,3,5,6]"));
    }
}

/// <summary>Concatenation on any axis: each input's elements moved along the axis.</summary>
internal sealed class ConcatReference : LayerReference<Concat>
{
    public override float[] Compute(Concat cat, float[][] x, TensorShape[] s, TensorShape o) =>
        ConcatRef(cat, x, s, o);

    public static float[] ConcatRef(Concat cat, float[][] x, TensorShape[] s, TensorShape o)
    {
        int axis = cat.Axis < 0 ? cat.Axis + o.Rank : cat.Axis;
        var y = new float[o.ElementCount];
        int at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            for (long e = 0; e < x[i].Length; e++)
            {
                var idx = Index(e, s[i]);
                idx[axis] += at;
                y[Flat(idx, o)] = x[i][e];
            }
            at += s[i][axis];
        }
        return y;
    }
}
