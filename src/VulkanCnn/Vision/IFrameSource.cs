// IFrameSource: a stream of CPU frames of one size and pixel format, latest frame wins or every frame in order.
namespace VulkanCnn.Vision;

/// <summary>
/// A stream of frames of one size and <see cref="PixelFormat"/>, ready for <see cref="FramePreprocessor.Upload"/>.
/// With <see cref="FrameSourceOptions.DropFrames"/> (the default) the latest frame wins: a slow consumer gets the newest
/// frame, older unread frames are discarded and counted in <see cref="DroppedFrames"/>. Frame numbers count the frames
/// the source produced, from 0, so a gap in them is a drop. One consumer thread.
/// </summary>
public interface IFrameSource : IDisposable
{
    /// <summary>What is read: a file, URL, device or "testsrc".</summary>
    string Name { get; }
    /// <summary>Frame width in pixels.</summary>
    int Width { get; }
    /// <summary>Frame height in pixels.</summary>
    int Height { get; }
    /// <summary>Byte layout of the frames.</summary>
    PixelFormat Format { get; }
    /// <summary>Bytes of one frame (<see cref="FramePreprocessor.FrameBytes"/>).</summary>
    int FrameBytes { get; }
    /// <summary>Nominal frame rate (0 where the source does not say).</summary>
    double FramesPerSecond { get; }
    /// <summary>Frames produced but never returned because a newer one was there first.</summary>
    long DroppedFrames { get; }
    /// <summary>True once the source has ended and every frame was either returned or dropped.</summary>
    bool IsEnded { get; }

    /// <summary>
    /// Copies the newest frame not yet returned into <paramref name="frame"/> (<see cref="FrameBytes"/> bytes) without
    /// waiting. False when there is none (yet, or any more: see <see cref="IsEnded"/>). Throws if the source failed.
    /// </summary>
    bool TryGetLatest(Span<byte> frame, out long frameNumber);

    /// <summary>
    /// Like <see cref="TryGetLatest"/> but waits up to <paramref name="timeout"/> for a new frame. False at the end of the
    /// stream; a <see cref="TimeoutException"/> naming the source when nothing came in time.
    /// </summary>
    bool ReadLatest(Span<byte> frame, out long frameNumber, TimeSpan timeout);
}
