// The frame pipeline: a host-rendered VkImage (or a CPU frame) in, a VisionTask run asynchronously on it, the latest
// result drawn over the frame into an output image, without the render loop ever waiting on the CPU for inference.
using Silk.NET.Vulkan;
using VulkanCnn.Vulkan;
using Image = Silk.NET.Vulkan.Image;
using Semaphore = Silk.NET.Vulkan.Semaphore;

namespace VulkanCnn.Vision;

/// <summary>
/// A host-owned image handed over for one frame. Format R8G8B8A8 or B8G8R8A8, UNORM or SRGB; its usage must include
/// TRANSFER_SRC. <see cref="Layout"/> is the layout it is in when <see cref="WaitSemaphore"/> signals; it is left in that
/// layout. See docs/vision-pipeline.md for the synchronisation contract.
/// </summary>
public sealed record RenderFrame(Image Image, Format Format, int Width, int Height, ImageLayout Layout)
{
    /// <summary>Signalled by the host when rendering into <see cref="Image"/> is done (binary or timeline); null handle: no wait.</summary>
    public Semaphore WaitSemaphore { get; init; }
    /// <summary>Timeline value to wait for; 0 means <see cref="WaitSemaphore"/> is a binary semaphore.</summary>
    public ulong WaitValue { get; init; }
    /// <summary>Signalled by VulkanCnn when it no longer reads <see cref="Image"/> and the output image is ready; null handle: none.</summary>
    public Semaphore SignalSemaphore { get; init; }
    /// <summary>Timeline value to signal; 0 means <see cref="SignalSemaphore"/> is a binary semaphore.</summary>
    public ulong SignalValue { get; init; }
}

/// <summary>How a <see cref="FramePipeline"/> schedules inference and what it draws.</summary>
public sealed record FramePipelineOptions
{
    /// <summary>Start inference on every n-th frame only (frames n, 2n, …; default 1 = every frame).</summary>
    public int EveryNthFrame { get; init; } = 1;
    /// <summary>Split the network's layers across frames so that each frame submits at most about this much GPU time.</summary>
    public double? GpuBudgetMs { get; init; }
    /// <summary>Draw the latest result into the output (default true).</summary>
    public bool Overlay { get; init; } = true;
    /// <summary>Frames-per-second and per-stage latency text in a corner.</summary>
    public bool Hud { get; init; }
    /// <summary>
    /// The queue family the host uses the output image on. When it differs from VulkanCnn's
    /// (<see cref="VulkanContext.QueueFamilyIndex"/>), the output image is created with CONCURRENT sharing over both.
    /// </summary>
    public uint? HostQueueFamily { get; init; }
}

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

/// <summary>
/// Runs a <see cref="VisionTask"/> on a stream of frames without blocking the caller on inference. API shape only in
/// this commit; the implementation follows.
/// </summary>
public sealed class FramePipeline : IDisposable
{
    public FramePipeline(VulkanContext context, VisionTask task, int width, int height, FramePipelineOptions? options = null)
        => throw new NotImplementedException("FramePipeline: API shape committed first; implementation in progress.");

    public long Submit(RenderFrame frame) => throw new NotImplementedException();
    public long Submit(ReadOnlySpan<byte> frame, PixelFormat format) => throw new NotImplementedException();
    public Image OutputImage => default;
    public ImageView OutputView => default;
    public void ReadOutput(Span<byte> rgba) => throw new NotImplementedException();
    public VisionResult? Latest => null;
    public FrameStats Stats => default;
    public void Dispose() { }
}
