// FrameStats: a FramePipeline's per-stage GPU times, frame rate and frame counters.
namespace VulkanCnn.Vision;

/// <summary>Per-stage GPU times of the latest measured frame and inference, in milliseconds, and frame counters.</summary>
public readonly record struct FrameStats
{
    /// <summary>Copying the frame in (image or staging buffer to the frame buffer, format conversion).</summary>
    public double UploadMs { get; init; }
    /// <summary>Resize and normalisation into the model input.</summary>
    public double PreprocessMs { get; init; }
    /// <summary>The network (GPU timestamps of its last full run; in budget mode the sum of the layer groups).</summary>
    public double InferenceMs { get; init; }
    /// <summary>The task's GPU post-processing.</summary>
    public double PostprocessMs { get; init; }
    /// <summary>Drawing the overlay and copying to the output image.</summary>
    public double OverlayMs { get; init; }
    /// <summary>Frames submitted per second (host clock, smoothed).</summary>
    public double Fps { get; init; }
    public long FramesSubmitted { get; init; }
    /// <summary>Frames whose input went into an inference.</summary>
    public long FramesInferred { get; init; }
    /// <summary>Frames on which an inference was due but the previous one was still running (latest frame wins).</summary>
    public long FramesSkipped { get; init; }
}
