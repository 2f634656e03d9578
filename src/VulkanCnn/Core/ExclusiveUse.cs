// Detects an object that is not thread-safe being used from two threads at the same time.
using System.Runtime.CompilerServices;

namespace VulkanCnn;

/// <summary>
/// The in-use flag of one object that must be used by one thread at a time (a session, a task, a pipeline). Every
/// public entry point enters it for the length of the call; a second thread entering while the first is inside gets
/// <see cref="InvalidOperationException"/> instead of corrupting the object's command buffers and staging memory. The
/// same thread may enter again (entry points call each other: <c>Run(input)</c> calls <c>SetInput</c>). It detects
/// overlapping calls only: two threads taking turns (A's SetInput, B's SetInput, A's Run) are not detected, which is
/// why the contract is one object per thread. No lock, no allocation: one interlocked compare-exchange per call.
/// </summary>
internal sealed class ExclusiveUse
{
    private readonly string _what;
    private int _thread;          // managed id of the thread inside, 0 when none
    private string? _member;      // what that thread called (for the message only)

    /// <param name="what">Names the object in the exception ("Session 'blazeface'").</param>
    public ExclusiveUse(string what) { _what = what; }

    /// <summary>True while some thread is inside.</summary>
    public bool InUse => Volatile.Read(ref _thread) != 0;

    /// <summary>Enters for the length of the returned scope (<c>using var use = guard.Enter();</c>).</summary>
    public Scope Enter([CallerMemberName] string member = "")
    {
        int me = Environment.CurrentManagedThreadId;
        int inside = Interlocked.CompareExchange(ref _thread, me, 0);
        if (inside == 0)
        {
            _member = member;
            return new Scope(this);
        }
        if (inside == me) return default;   // re-entered by the thread that is inside: the outer scope releases
        throw Busy(member, inside);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private InvalidOperationException Busy(string member, int inside) =>
        new($"{_what} is in use by another thread (managed thread {inside}, in {_member ?? "?"}) while thread " +
            $"{Environment.CurrentManagedThreadId} called {member}. It is not thread-safe: use one per thread, or serialise the calls.");

    private void Exit()
    {
        _member = null;
        Volatile.Write(ref _thread, 0);
    }

    /// <summary>Leaves the guard when disposed (a no-op for a nested entry).</summary>
    public readonly ref struct Scope
    {
        private readonly ExclusiveUse? _guard;
        internal Scope(ExclusiveUse guard) { _guard = guard; }
        public void Dispose() => _guard?.Exit();
    }
}
