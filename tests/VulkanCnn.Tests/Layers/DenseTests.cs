// Dense (fully connected) layers on the GPU against the C# reference: small and wide, multi-dimensional inputs
// (implicit flatten), with and without bias and activation.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class DenseTests : GpuTest
{
    private static Dense RandomDense(Random rng, long n, int k, bool bias, Activation act) => new()
    {
        OutFeatures = k,
        Weights = TestData.Random(rng, n * k, 1f / MathF.Sqrt(n)),
        Bias = bias ? TestData.Random(rng, k, 0.5f) : null,
        Activation = act,
    };

    [Test]
    public void Small([Values(false, true)] bool bias, [Values(ActivationKind.None, ActivationKind.Relu, ActivationKind.Sigmoid)] ActivationKind act)
    {
        var rng = new Random(10 + (bias ? 1 : 0) + 2 * (int)act);
        var s = new Shape(5, 1, 1);
        CheckLayer(RandomDense(rng, 5, 3, bias, new Activation(act)), new[] { s }, rng, $"dense N=5 K=3 bias={bias} act={act}");
    }

    [Test]
    public void WideInputFromAMap([Values(false, true)] bool bias, [Values(ActivationKind.None, ActivationKind.Tanh)] ActivationKind act)
    {
        // N = 12·10·25 = 3000 inputs, K = 37 outputs (not a multiple of any channel block).
        var rng = new Random(20 + (bias ? 1 : 0) + 2 * (int)act);
        var s = new Shape(12, 10, 25);
        CheckLayer(RandomDense(rng, s.Size, 37, bias, new Activation(act)), new[] { s }, rng, $"dense N=3000 K=37 bias={bias} act={act}");
    }

    [Test]
    public void ManyOutputs()
    {
        var rng = new Random(30);
        var s = new Shape(67, 1, 1);
        CheckLayer(RandomDense(rng, 67, 1001, true, Activation.None), new[] { s }, rng, "dense N=67 K=1001");
    }

    [Test]
    public void AfterFlattenEqualsDenseOnTheMap()
    {
        var rng = new Random(31);
        var d = RandomDense(rng, 3 * 4 * 5, 6, true, Activation.Relu);
        var b = new NetworkBuilder();
        b.Input(3, 4, 5).Flatten("flat").Then(d, "fc").Output();
        var net = b.Build();
        var x = TestData.Random(rng, 60);
        TestData.AssertClose(CpuReference.Run(net, x)[0], RunGpu(net, x)[0], "flatten → dense 60→6 + ReLU");
    }

    [Test]
    public void WrongWeightCountNamesTheNumbers()
    {
        var b = new NetworkBuilder();
        var x = b.Input(2, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => x.Dense(5, new float[100], name: "fcbad"))!;
        Assert.That(e.Message, Does.Contain("fcbad").And.Contain("100").And.Contain("120"));
    }
}

/// <summary>Dense on each batch item's flattened values.</summary>
internal sealed class DenseReference : LayerReference<Dense>
{
    public override float[] Compute(Dense d, float[][] x, TensorShape[] s, TensorShape o) =>
        PerRow(x[0], s[0], o, xi => DenseRef(d, xi));

    public static float[] DenseRef(Dense d, float[] x)
    {
        var y = new float[d.OutFeatures];
        for (int k = 0; k < d.OutFeatures; k++)
        {
            double acc = d.Bias?[k] ?? 0;
            for (int i = 0; i < x.Length; i++) acc += (double)d.Weights[(long)k * x.Length + i] * x[i];
            y[k] = d.Activation.Apply((float)acc);
        }
        return y;
    }
}
