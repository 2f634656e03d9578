// FrameSourceOptions: how a frame source is opened (format, size, rate, dropping, looping, ffmpeg settings).
namespace VulkanCnn.Vision;

/// <summary>How a frame source is opened. Unset values take the source's own.</summary>
public sealed record FrameSourceOptions
{
    /// <summary>Output pixel format (default RGBA).</summary>
    public PixelFormat Format { get; init; } = PixelFormat.Rgba8;
    /// <summary>
    /// Frame size. Webcams capture at it (<c>-video_size</c>), videos and images are resized to it; with only one of
    /// Width and Height the other keeps the aspect ratio. The test pattern's default is 640×480.
    /// </summary>
    public int? Width { get; init; }
    /// <inheritdoc cref="Width"/>
    public int? Height { get; init; }
    /// <summary>Webcam capture rate (<c>-framerate</c>); the pace of the test pattern and of images with <see cref="Realtime"/> (default 30).</summary>
    public double? FramesPerSecond { get; init; }
    /// <summary>Latest frame wins (default). False: every frame is delivered in order and the producer waits for the consumer.</summary>
    public bool DropFrames { get; init; } = true;
    /// <summary>
    /// Produce frames at <see cref="FramesPerSecond"/> (video files: their own rate, ffmpeg's <c>-re</c>) instead of as fast
    /// as they are read. Cameras and live streams are real-time anyway.
    /// </summary>
    public bool Realtime { get; init; }
    /// <summary>Start again at the end (video files, image folders); frame numbers keep increasing.</summary>
    public bool Loop { get; init; }
    /// <summary>Frames the ffmpeg reader keeps (2..16, default 3): one being read, one being filled, the newest waiting.</summary>
    public int RingSize { get; init; } = 3;
    /// <summary>How long ffmpeg may take to open its input before the source gives up (default 10 s).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The ffmpeg executable (default "ffmpeg", found on PATH).</summary>
    public string FfmpegPath { get; init; } = "ffmpeg";
    /// <summary>Extra ffmpeg arguments placed before <c>-i</c> (for example <c>-input_format mjpeg</c> for a webcam).</summary>
    public IReadOnlyList<string> InputArguments { get; init; } = Array.Empty<string>();
}
