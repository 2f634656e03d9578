// ClassificationTask: GPU softmax and top-k against a plain C# softmax and sort (double precision), on seeded builder
// networks (1000 classes), exact ties, raw scores without softmax, and LeNet-5 on a photograph.
using VulkanCnn.Graph;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class ClassificationTaskTests : GpuTest
{
    private static readonly PreprocessOptions Tiny = new() { Width = 8, Height = 8, Resize = ResizeMode.Stretch };

    /// <summary>Input 3×8×8 → flatten → dense to <paramref name="classes"/> with the given weights and bias.</summary>
    private static Network DenseNet(int classes, float[] weights, float[] bias)
    {
        var b = new NetworkBuilder("dense-classifier");
        b.Input(3, 8, 8).Flatten().Dense(classes, weights, bias).Output();
        return b.Build();
    }

    /// <summary>The reference: softmax in double (or the values as they are), sorted by value then lower index; the first k.</summary>
    private static List<(int Id, double P)> CpuTopK(float[] logits, int k, bool softmax)
    {
        double[] p = logits.Select(v => (double)v).ToArray();
        if (softmax)
        {
            double m = p.Max();
            var e = p.Select(v => Math.Exp(v - m)).ToArray();
            double s = e.Sum();
            p = e.Select(v => v / s).ToArray();
        }
        return p.Select((v, i) => (Id: i, P: v)).OrderByDescending(x => x.P).ThenBy(x => x.Id).Take(k).ToList();
    }

    private static void AssertTopK(List<(int Id, double P)> expected, IReadOnlyList<Classification> actual, string what)
    {
        Assert.That(actual.Select(c => c.ClassId), Is.EqualTo(expected.Select(e => e.Id)), $"{what}: classes");
        for (int i = 0; i < expected.Count; i++)
            Assert.That(actual[i].Score, Is.EqualTo(expected[i].P).Within(Math.Max(1e-6, 1e-4 * expected[i].P)), $"{what}: probability {i}");
    }

    [TestCase(1000, 5, 1)]
    [TestCase(1000, 16, 2)]
    [TestCase(10, 10, 3)]
    [TestCase(2048, 7, 4)]
    public void SoftmaxAndTopKEqualTheCpuOnASeededNetwork(int classes, int k, int seed)
    {
        var rng = new Random(seed);
        var net = DenseNet(classes, TestData.Random(rng, 192L * classes, 0.3f), TestData.Random(rng, classes, 1f));
        using var task = new ClassificationTask(Ctx, net, Tiny, k);
        task.Session.SetInput(TestData.Random(rng, 192, 1f));
        var result = task.Run(frameNumber: 9);
        var logits = new float[classes];
        task.Session.GetOutput(logits);
        AssertTopK(CpuTopK(logits, k, true), result.TopK, $"{classes} classes, k {k}");
        Assert.That(result.FrameNumber, Is.EqualTo(9));
        // Resubmitted: the same answer.
        AssertTopK(CpuTopK(logits, k, true), task.Run().TopK, "second run");
    }

    [Test]
    public void TiesGoToTheLowerClassAndRawScoresStayRaw()
    {
        // Zero weights: the outputs are the biases exactly, with ties.
        float[] bias = { 1f, 3f, -2f, 3f, 2.5f, 3f, 0f, 2.5f, -7f, 3f };
        var net = DenseNet(10, new float[1920], bias);
        string[] labels = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        using var raw = new ClassificationTask(Ctx, net, Tiny, k: 6, softmax: false, labels: labels);
        raw.Session.SetInput(new float[192]);
        var top = raw.Run().TopK;
        Assert.That(top.Select(c => c.ClassId), Is.EqualTo(new[] { 1, 3, 5, 9, 4, 7 }));
        Assert.That(top.Select(c => c.Score), Is.EqualTo(new[] { 3f, 3f, 3f, 3f, 2.5f, 2.5f }));
        Assert.That(top[0].Label, Is.EqualTo("c1"));
        using var soft = new ClassificationTask(Ctx, net, Tiny, k: 3);
        soft.Session.SetInput(new float[192]);
        AssertTopK(CpuTopK(bias, 3, true), soft.Run().TopK, "softmax with ties");
        var scene = new OverlayScene();
        raw.Draw(raw.Run(), scene);
        Assert.That(scene.Labels.Single().Text, Is.EqualTo("C1"));
    }

    [Test]
    public void ConvNetOnAPhotographThroughThePreprocessor()
    {
        // A small seeded RGB network (LeNet-5 here is grey): conv 3×3 → ReLU → global average → dense to 100 classes.
        var rng = new Random(7);
        var b = new NetworkBuilder("rgb-classifier");
        b.Input(3, 64, 64).Conv(16, 3, TestData.Random(rng, 16 * 3 * 9, 0.3f), TestData.Random(rng, 16, 0.1f), padding: 1, activation: global::VulkanCnn.Layers.Activation.Relu)
         .GlobalAvgPool().Flatten().Dense(100, TestData.Random(rng, 1600, 0.5f), TestData.Random(rng, 100, 0.5f)).Output();
        var net = b.Build();
        using var task = new ClassificationTask(Ctx, net, ClassificationTask.ImageNet(64), k: 4);
        var (rgba, w, h) = BlazeFaceTaskTests.LoadRgba("chelsea.png");
        var result = task.Run(rgba, w, h, PixelFormat.Rgba8);
        var logits = new float[100];
        task.Session.GetOutput(logits);
        AssertTopK(CpuTopK(logits, 4, true), result.TopK, "conv net");
        TestContext.Out.WriteLine($"post-processing {task.LastPostprocessMilliseconds:0.00} ms");
    }

    [Test]
    public void RejectsNetworksThatAreNotClassifiers()
    {
        // A map, not a vector.
        var b = new NetworkBuilder("map");
        b.Input(3, 8, 8).Conv(4, 1, new float[12]).Output();
        var e = Assert.Throws<ArgumentException>(() => new ClassificationTask(Ctx, b.Build(), Tiny, name: "map"));
        Assert.That(e!.Message, Does.Contain("'map'").And.Contain("not a classifier").And.Contain("8x8x4"));
        string face = BlazeFaceTaskTests.Model(BlazeFaceModel.Front);
        var fit = Assert.Throws<ArgumentException>(() => ClassificationTask.FromOnnx(Ctx, face));
        Assert.That(fit!.Message, Does.Contain("224x224"));
        var net = DenseNet(10, new float[1920], new float[10]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClassificationTask(Ctx, net, Tiny, k: 17));
        Assert.Throws<ArgumentException>(() => new ClassificationTask(Ctx, net, Tiny, labels: new[] { "a" }));
    }
}
