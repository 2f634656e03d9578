// RenderFrame: the host-rendered image handed to a FramePipeline for one frame, with its semaphores.
using Silk.NET.Vulkan;
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
