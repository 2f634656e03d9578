// Softmax and log-softmax over channels on the GPU: classifier outputs (1×1 maps, C = 1000 and 7) reduced by one
// workgroup, and per-pixel maps; inputs with a large range to exercise the max subtraction.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class SoftmaxTests : GpuTest
{
    [Test]
    public void MatchesReference([Values(false, true)] bool log,
                                 [Values("1000x1x1", "7x1x1", "1x1x1", "6x5x9", "130x3x5")] string shape,
                                 [Values(1f, 40f)] float scale)
    {
        var d = shape.Split('x').Select(int.Parse).ToArray();
        var s = new Shape(d[0], d[1], d[2]);
        var rng = new Random(s.C * 7 + s.H + (log ? 1 : 0) + (int)scale);
        CheckLayer(new Softmax { Log = log }, new[] { s }, rng, $"{(log ? "log-softmax" : "softmax")} over C={s.C} at {s.W}x{s.H} pixels, inputs ±{scale}", scale);
    }

    [Test]
    public void SumsToOneAtEveryPixel()
    {
        var rng = new Random(4);
        var s = new Shape(11, 5, 9);
        var b = new VulkanCnn.Graph.NetworkBuilder();
        b.Input(s).Softmax("sm").Output();
        var y = RunGpu(b.Build(), TestData.Random(rng, s.Size, 20f))[0];
        for (int p = 0; p < 45; p++)
        {
            double sum = 0;
            for (int c = 0; c < 11; c++) sum += y[c * 45 + p];
            Assert.That(sum, Is.EqualTo(1.0).Within(1e-5), $"pixel {p}");
        }
    }
}

/// <summary>Softmax and log-softmax along one axis, max-subtracted, in double.</summary>
internal sealed class SoftmaxReference : LayerReference<Softmax>
{
    public override float[] Compute(Softmax sm, float[][] x, TensorShape[] s, TensorShape o) =>
        SoftmaxRef(sm, x[0], s[0]);

    public static float[] SoftmaxRef(Softmax sm, float[] x, TensorShape s)
    {
        int axis = sm.Axis < 0 ? sm.Axis + s.Rank : sm.Axis;
        long inner = s.Product(axis + 1, s.Rank), outer = s.Product(0, axis);
        int c = s[axis];
        var y = new float[x.Length];
        for (long o = 0; o < outer; o++)
            for (long p = 0; p < inner; p++)
            {
                long b = o * c * inner + p;
                double max = double.NegativeInfinity;
                for (int k = 0; k < c; k++) max = Math.Max(max, x[b + k * inner]);
                double sum = 0;
                for (int k = 0; k < c; k++) sum += Math.Exp(x[b + k * inner] - max);
                for (int k = 0; k < c; k++)
                    y[b + k * inner] = (float)(sm.Log ? x[b + k * inner] - max - Math.Log(sum) : Math.Exp(x[b + k * inner] - max) / sum);
            }
        return y;
    }
}
