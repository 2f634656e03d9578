// Leaks and long runs: one session run thousands of times, and many sessions created and disposed, must leave the
// allocator's live block count where it started, keep giving the right answer, and raise no validation error.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;

namespace VulkanCnn.Tests.Vulkan;

public class SoakTests : GpuTest
{
    private static Network SmallNet()
    {
        var rng = new Random(9);
        var b = new NetworkBuilder("soak");
        var x = b.Input(3, 8, 9, "x");
        var y = x.Conv(4, 3, TestData.Random(rng, 4 * 3 * 9, 0.4f), TestData.Random(rng, 4, 0.1f), padding: 1, name: "conv")
                 .Then(new BatchNorm { Scale = new[] { 1f, 2, 3, 4 }, Shift = new float[4], Mean = new float[4], Variance = new[] { 1f, 1, 1, 1 } }, "bn").Relu("relu");
        b.Add(new Concat(), "cat", y, x).GlobalAvgPool("gap").Flatten("flat")
         .Dense(5, TestData.Random(rng, 5 * 7, 0.5f), TestData.Random(rng, 5, 0.1f), name: "fc").Softmax("prob").Output();
        return b.Build();
    }

    [Test]
    public void OneSessionRunTwoThousandTimes()
    {
        var net = SmallNet();
        var rng = new Random(1);
        var inputs = new[] { TestData.Random(rng, 216), TestData.Random(rng, 216) };
        var expected = inputs.Select(x => CpuReference.Run(net, x)[0]).ToArray();
        int start = Ctx.Allocator.LiveBlocks;
        using (var s = new Session(Ctx, net))
        {
            Assert.That(Ctx.Allocator.LiveBlocks, Is.GreaterThan(start), "a session allocates blocks (or this test proves nothing)");
            var y = new float[5];
            for (int i = 0; i < 2000; i++)
            {
                s.SetInput(inputs[i % 2]);
                s.Run();
                if (i < 2 || i >= 1998 || i % 250 == 0)
                {
                    s.GetOutput(y);
                    TestData.AssertClose(expected[i % 2], y, $"run {i}");
                }
            }
        }
        Assert.That(Ctx.Allocator.LiveBlocks, Is.EqualTo(start), "blocks left alive after the session was disposed");
    }

    [Test]
    public void FiftySessionsCreatedAndDisposed()
    {
        var net = SmallNet();
        var x = TestData.Random(new Random(2), 216);
        var expected = CpuReference.Run(net, x)[0];
        int start = Ctx.Allocator.LiveBlocks;
        for (int i = 0; i < 50; i++)
        {
            using var s = new Session(Ctx, net, new SessionOptions { Optimize = i % 2 == 0 });
            if (i % 10 == 0) TestData.AssertClose(expected, s.Run(x), $"session {i}");
        }
        Assert.That(Ctx.Allocator.LiveBlocks, Is.EqualTo(start), "blocks left alive after 50 sessions");
    }
}
