// FramePipelineOptions: how a FramePipeline schedules inference (every n-th frame, GPU budget) and what it draws.
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>How a <see cref="FramePipeline"/> schedules inference and what it draws.</summary>
public sealed record FramePipelineOptions
{
    /// <summary>Start inference on every n-th frame only (frames n, 2n, …; default 1 = every frame).</summary>
    public int EveryNthFrame { get; init; } = 1;
    /// <summary>Split the network's layers across frames so that each frame submits at most about this much GPU time.</summary>
    public double? GpuBudgetMs { get; init; }
    /// <summary>Draw the latest result into the output (default true).</summary>
    public bool Overlay { get; init; } = true;
    /// <summary>
    /// Frames per second and per-stage GPU latency (<see cref="FrameStats"/>) as a <see cref="Vision.Hud"/> panel in the
    /// top-left corner of the output, refreshed four times a second.
    /// </summary>
    public bool Hud { get; init; }
    /// <summary>
    /// The queue family the host uses the output image on. When it differs from VulkanCnn's
    /// (<see cref="VulkanContext.QueueFamilyIndex"/>), the output image is created with CONCURRENT sharing over both.
    /// </summary>
    public uint? HostQueueFamily { get; init; }
}
