// The threading contract: a session used by a second thread while one is inside a call throws
// InvalidOperationException instead of mixing two threads' inputs and outputs; the context itself may be shared by
// threads that each use their own sessions (its queue and one-shot command pool are serialised).
using VulkanCnn.Graph;
using VulkanCnn.Tests.Core;
using VulkanCnn.Tests.Vulkan;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Tests.Graph;

public class SessionThreadingTests : GpuTest
{
    [Test]
    public void EveryEntryPointThrowsWhileAnotherThreadIsInside()
    {
        var (net, x, expected) = OwnContexts.SmallNet();
        using var s = new Session(Ctx, net);
        var y = new float[s.OutputShape().ElementCount];
        using (new HeldOnAnotherThread(s.Use))
        {
            foreach (var (name, call) in new (string, TestDelegate)[]
                     {
                         ("Run()", () => s.Run()), ("Run(input)", () => s.Run(x)), ("SetInput", () => s.SetInput(x)),
                         ("SetInput(name)", () => s.SetInput("x", x)), ("GetOutput", () => s.GetOutput(y)), ("Dispose", s.Dispose),
                     })
            {
                var e = Assert.Throws<InvalidOperationException>(call, name)!;
                Assert.That(e.Message, Does.Contain("Session 'lifetime'").And.Contain("another thread"), name);
            }
        }
        TestData.AssertClose(expected, s.Run(x), "the session after the other thread left (Dispose above was refused, not done)");
    }

    [Test]
    public void TwoThreadsRunningOneSessionGetTheirOwnAnswerOrAnError()
    {
        // Before the guard, one thread's input could be overwritten by the other's before its run: a silently wrong answer.
        var (net, _, _) = OwnContexts.SmallNet();
        using var s = new Session(Ctx, net);
        var rng = new Random(21);
        var inputs = new[] { TestData.Random(rng, 84), TestData.Random(rng, 84) };
        var expected = inputs.Select(i => Reference.CpuReference.Run(net, i)[0]).ToArray();
        int wrong = 0, refused = 0, right = 0;
        using var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < 400; i++)
            {
                try
                {
                    var y = s.Run(inputs[t]);
                    bool ok = y.Zip(expected[t]).All(p => Math.Abs(p.First - p.Second) <= 1e-3 * Math.Max(1, Math.Abs(p.Second)));
                    Interlocked.Increment(ref ok ? ref right : ref wrong);
                }
                catch (InvalidOperationException) { Interlocked.Increment(ref refused); }
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        TestContext.Progress.WriteLine($"two threads on one session: {right} right, {refused} refused, {wrong} wrong");
        Assert.That(wrong, Is.Zero, $"{wrong} runs returned another thread's answer or a mixture ({right} right, {refused} refused)");
        Assert.That(right, Is.GreaterThan(0));
    }

    [Test]
    public void ThreadsSharingAContextWithSessionsOfTheirOwnRunCorrectly()
    {
        var ctx = OwnContexts.Create();
        try
        {
            var (net, x, expected) = OwnContexts.SmallNet();
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            using var start = new Barrier(3);
            var threads = Enumerable.Range(0, 3).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    for (int i = 0; i < 6; i++)
                    {
                        using var s = new Session(ctx, net);
                        for (int k = 0; k < 20; k++)
                            if (s.Run(x).Zip(expected).Any(p => Math.Abs(p.First - p.Second) > 1e-3 * Math.Max(1, Math.Abs(p.Second))))
                                failures.Enqueue($"thread {t} session {i} run {k}: wrong answer");
                        // Uploads and other one-off command buffers share the context's pool: recorded concurrently here.
                        using var arena = new MemoryArena(ctx, MemoryUsage.Device);
                        var buf = arena.Allocate(4096, "fill");
                        for (int k = 0; k < 10; k++) ctx.RunOnce(cmd => ctx.Vk.CmdFillBuffer(cmd, buf.Buffer, buf.Offset, buf.Size, (uint)k));
                    }
                }
                catch (Exception e) { failures.Enqueue($"thread {t}: {e.GetType().Name}: {e.Message}"); }
            })).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(5)));
        }
        finally { ctx.Dispose(); }
        OwnContexts.AssertNoValidationErrors(ctx, "threads sharing a context (the layer's thread-safety checks included)");
    }
}
