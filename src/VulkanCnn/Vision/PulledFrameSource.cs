// PulledFrameSource: the base of sources whose frames are generated on demand from their index (test pattern, images).
using System.Diagnostics;

namespace VulkanCnn.Vision;

/// <summary>
/// Frames generated on demand from their index (test pattern, images): real-time sources take the index from the clock
/// (latest wins, skipped indices are drops); the others return every index in turn.
/// </summary>
public abstract class PulledFrameSource : IFrameSource
{
    private readonly Stopwatch _clock = new();
    private long _last = -1;
    private bool _disposed;

    private protected PulledFrameSource(string name, int width, int height, FrameSourceOptions options, double fps, long? count)
    {
        FrameSource.Validate(options);
        Name = name;
        Width = width;
        Height = height;
        Format = options.Format;
        FrameBytes = FrameSource.FrameBytesOf($"'{name}'", width, height, options.Format);
        FramesPerSecond = fps;
        Count = count;
        Options = options;
    }

    private protected FrameSourceOptions Options { get; }
    private protected long? Count { get; }
    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Width { get; }
    /// <inheritdoc/>
    public int Height { get; }
    /// <inheritdoc/>
    public PixelFormat Format { get; }
    /// <inheritdoc/>
    public int FrameBytes { get; }
    /// <inheritdoc/>
    public double FramesPerSecond { get; }
    /// <inheritdoc/>
    public long DroppedFrames { get; private set; }
    /// <inheritdoc/>
    public bool IsEnded => !Options.Loop && Count is { } c && _last >= c - 1;

    /// <summary>Writes frame <paramref name="index"/> (already reduced modulo the count when looping).</summary>
    private protected abstract void Render(long index, Span<byte> frame);

    /// <inheritdoc/>
    public bool TryGetLatest(Span<byte> frame, out long frameNumber)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame.Length != FrameBytes)
            throw new ArgumentException($"A {Width}x{Height} {Format} frame of '{Name}' has {FrameBytes} bytes; the buffer has {frame.Length}.", nameof(frame));
        frameNumber = -1;
        if (IsEnded) return false;
        long next = _last + 1;
        if (Options.Realtime)
        {
            if (!_clock.IsRunning) _clock.Start();
            long now = (long)Math.Floor(_clock.Elapsed.TotalSeconds * FramesPerSecond);
            if (!Options.Loop && Count is { } c) now = Math.Min(now, c - 1);
            if (now < next) return false;
            if (Options.DropFrames) { DroppedFrames += now - next; next = now; }
        }
        Render(Count is { } n ? next % n : next, frame);
        frameNumber = _last = next;
        return true;
    }

    /// <inheritdoc/>
    public bool ReadLatest(Span<byte> frame, out long frameNumber, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!TryGetLatest(frame, out frameNumber))
        {
            if (IsEnded) return false;
            if (deadline.Elapsed > timeout) throw new TimeoutException($"No frame from '{Name}' within {timeout.TotalSeconds:0.###} s.");
            Thread.Sleep(1);
        }
        return true;
    }

    /// <inheritdoc/>
    public virtual void Dispose() => _disposed = true;
}
