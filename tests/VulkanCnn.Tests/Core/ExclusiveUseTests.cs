// The in-use guard of objects that are not thread-safe: a second thread inside at the same time is an error naming
// the object and both calls; the same thread may re-enter; leaving frees it for any thread; no allocation per call.
namespace VulkanCnn.Tests.Core;

/// <summary>Holds a guard on a thread of its own until disposed.</summary>
internal sealed class HeldOnAnotherThread : IDisposable
{
    private readonly ManualResetEventSlim _entered = new(), _release = new();
    private readonly Thread _thread;

    public HeldOnAnotherThread(ExclusiveUse guard)
    {
        _thread = new Thread(() =>
        {
            using var use = guard.Enter("Hold");
            _entered.Set();
            _release.Wait();
        }) { IsBackground = true, Name = "guard holder" };
        _thread.Start();
        if (!_entered.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("The holder thread did not enter the guard.");
    }

    public void Dispose()
    {
        _release.Set();
        _thread.Join();
        _entered.Dispose();
        _release.Dispose();
    }
}

public class ExclusiveUseTests
{
    [Test]
    public void ASecondThreadInsideThrowsNamingTheObjectAndBothCalls()
    {
        var guard = new ExclusiveUse("Session 'tiny'");
        using (new HeldOnAnotherThread(guard))
        {
            Assert.That(guard.InUse);
            var e = Assert.Throws<InvalidOperationException>(() => { using var use = guard.Enter("Run"); })!;
            Assert.That(e.Message, Does.Contain("Session 'tiny'").And.Contain("Hold").And.Contain("Run").And.Contain("another thread"));
        }
        Assert.That(guard.InUse, Is.False, "leaving frees the guard");
        using (var use = guard.Enter("Run")) Assert.That(guard.InUse);
        Assert.That(guard.InUse, Is.False);
    }

    [Test]
    public void TheThreadInsideMayEnterAgainAndTheOuterScopeReleases()
    {
        var guard = new ExclusiveUse("x");
        using (var outer = guard.Enter("Run"))
        {
            using (var inner = guard.Enter("SetInput")) Assert.That(guard.InUse);
            Assert.That(guard.InUse, "the nested scope must not release the outer one");
            var e = Assert.Throws<InvalidOperationException>(() => Task.Run(() => { using var u = guard.Enter("Other"); }).GetAwaiter().GetResult())!;
            Assert.That(e.Message, Does.Contain("Run"));
        }
        Assert.That(guard.InUse, Is.False);
    }

    [Test]
    public void EnteringAllocatesNothing()
    {
        var guard = new ExclusiveUse("x");
        for (int i = 0; i < 10; i++) { using var w = guard.Enter(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            using var outer = guard.Enter();
            using var inner = guard.Enter();
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
