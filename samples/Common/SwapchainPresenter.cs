// Shows frames in a window: a VkSwapchainKHR on a surface, fed from host RGBA8 pixels (through a staging buffer and
// an RGBA8 image) or from an RGBA8 VkImage, blitted scaled and letterboxed into the next swapchain image and presented.
// Extension functions (VK_KHR_surface, VK_KHR_swapchain) are loaded here with vkGet*ProcAddr.
using System.Runtime.CompilerServices;
using Silk.NET.Vulkan;
using VulkanCnn.Vulkan;
using Semaphore = Silk.NET.Vulkan.Semaphore;
using VkBuffer = Silk.NET.Vulkan.Buffer;

namespace VulkanCnn.Samples.Common;

/// <summary>Turns a failed VkResult into a <see cref="VulkanException"/> naming the call (the samples' copy of the library's internal check).</summary>
internal static class SampleVk
{
    public static void Check(this Result result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result < Result.Success) throw new VulkanException($"{call} failed with {result}.", result, call);
    }
}

/// <summary>
/// Presents RGBA8 frames to a window surface. Each <see cref="Present(ReadOnlySpan{byte}, int, int)"/> acquires the next
/// swapchain image, copies the frame into it with a blit (which also converts R8G8B8A8 to a B8G8R8A8 swapchain and
/// scales to the window, keeping the aspect ratio with black bars), and queues it for presentation. Two frames may be
/// in flight; the swapchain is recreated when the window is resized or the surface reports out-of-date/suboptimal.
/// Uses the queue it is given without locking: call it from the thread that submits VulkanCnn's work to that queue.
/// </summary>
internal sealed unsafe class SwapchainPresenter : IDisposable
{
    private const int InFlight = 2;
    private const ulong AcquireTimeoutNs = 5_000_000_000UL;

    private readonly Vk _vk;
    private readonly Instance _instance;
    private readonly PhysicalDevice _pd;
    private readonly Device _device;
    private readonly Queue _queue;
    private readonly SurfaceKHR _surface;
    private readonly Func<(int Width, int Height)> _framebufferSize;
    private readonly bool _vsync;
    private readonly PhysicalDeviceMemoryProperties _memory;

    // VK_KHR_surface / VK_KHR_swapchain entry points.
    private readonly delegate* unmanaged<PhysicalDevice, SurfaceKHR, SurfaceCapabilitiesKHR*, Result> _getCaps;
    private readonly delegate* unmanaged<PhysicalDevice, SurfaceKHR, uint*, SurfaceFormatKHR*, Result> _getFormats;
    private readonly delegate* unmanaged<PhysicalDevice, SurfaceKHR, uint*, PresentModeKHR*, Result> _getModes;
    private readonly delegate* unmanaged<Device, SwapchainCreateInfoKHR*, AllocationCallbacks*, SwapchainKHR*, Result> _createSwapchain;
    private readonly delegate* unmanaged<Device, SwapchainKHR, AllocationCallbacks*, void> _destroySwapchain;
    private readonly delegate* unmanaged<Device, SwapchainKHR, uint*, Image*, Result> _getImages;
    private readonly delegate* unmanaged<Device, SwapchainKHR, ulong, Semaphore, Fence, uint*, Result> _acquire;
    private readonly delegate* unmanaged<Queue, PresentInfoKHR*, Result> _present;

    private readonly CommandPool _pool;
    private readonly CommandBuffer[] _cmds = new CommandBuffer[InFlight];
    private readonly Fence[] _fences = new Fence[InFlight];
    private readonly Semaphore[] _acquired = new Semaphore[InFlight];
    private readonly VkBuffer[] _staging = new VkBuffer[InFlight];
    private readonly DeviceMemory[] _stagingMemory = new DeviceMemory[InFlight];
    private readonly byte*[] _stagingMapped = new byte*[InFlight];
    private ulong _stagingBytes;
    private Image _source;
    private DeviceMemory _sourceMemory;
    private int _sourceW, _sourceH;

    private SwapchainKHR _swapchain;
    private Image[] _images = Array.Empty<Image>();
    private Semaphore[] _rendered = Array.Empty<Semaphore>();   // one per swapchain image: reused only after that image is re-acquired
    private bool _recreate;
    private long _frame;
    private bool _disposed;

    /// <summary>
    /// Creates a presenter for <paramref name="surface"/>. <paramref name="queue"/> (of <paramref name="queueFamily"/>)
    /// must support graphics (blits) and presentation to the surface, and <paramref name="device"/> must have
    /// VK_KHR_swapchain. <paramref name="framebufferSize"/> gives the window's drawable size in pixels.
    /// <paramref name="vsync"/> false prefers mailbox or immediate presentation (lowest latency) over FIFO.
    /// </summary>
    public SwapchainPresenter(Vk vk, Instance instance, PhysicalDevice physicalDevice, Device device, uint queueFamily, Queue queue,
                              SurfaceKHR surface, Func<(int Width, int Height)> framebufferSize, bool vsync = false)
    {
        _vk = vk ?? throw new ArgumentNullException(nameof(vk));
        _instance = instance; _pd = physicalDevice; _device = device; _queue = queue; _surface = surface;
        _framebufferSize = framebufferSize ?? throw new ArgumentNullException(nameof(framebufferSize));
        _vsync = vsync;
        if (instance.Handle == 0 || physicalDevice.Handle == 0 || device.Handle == 0 || queue.Handle == 0 || surface.Handle == 0)
            throw new ArgumentException("A swapchain presenter needs non-null instance, physical device, device, queue and surface handles.");
        _vk.GetPhysicalDeviceMemoryProperties(_pd, out _memory);
        _getCaps = (delegate* unmanaged<PhysicalDevice, SurfaceKHR, SurfaceCapabilitiesKHR*, Result>)InstanceProc("vkGetPhysicalDeviceSurfaceCapabilitiesKHR");
        _getFormats = (delegate* unmanaged<PhysicalDevice, SurfaceKHR, uint*, SurfaceFormatKHR*, Result>)InstanceProc("vkGetPhysicalDeviceSurfaceFormatsKHR");
        _getModes = (delegate* unmanaged<PhysicalDevice, SurfaceKHR, uint*, PresentModeKHR*, Result>)InstanceProc("vkGetPhysicalDeviceSurfacePresentModesKHR");
        _createSwapchain = (delegate* unmanaged<Device, SwapchainCreateInfoKHR*, AllocationCallbacks*, SwapchainKHR*, Result>)DeviceProc("vkCreateSwapchainKHR");
        _destroySwapchain = (delegate* unmanaged<Device, SwapchainKHR, AllocationCallbacks*, void>)DeviceProc("vkDestroySwapchainKHR");
        _getImages = (delegate* unmanaged<Device, SwapchainKHR, uint*, Image*, Result>)DeviceProc("vkGetSwapchainImagesKHR");
        _acquire = (delegate* unmanaged<Device, SwapchainKHR, ulong, Semaphore, Fence, uint*, Result>)DeviceProc("vkAcquireNextImageKHR");
        _present = (delegate* unmanaged<Queue, PresentInfoKHR*, Result>)DeviceProc("vkQueuePresentKHR");
        try
        {
            var pci = new CommandPoolCreateInfo { SType = StructureType.CommandPoolCreateInfo, QueueFamilyIndex = queueFamily, Flags = CommandPoolCreateFlags.ResetCommandBufferBit };
            CommandPool pool;
            _vk.CreateCommandPool(_device, &pci, null, &pool).Check();
            _pool = pool;
            var ai = new CommandBufferAllocateInfo { SType = StructureType.CommandBufferAllocateInfo, CommandPool = _pool, Level = CommandBufferLevel.Primary, CommandBufferCount = InFlight };
            fixed (CommandBuffer* c = _cmds) _vk.AllocateCommandBuffers(_device, &ai, c).Check();
            for (int i = 0; i < InFlight; i++)
            {
                var fi = new FenceCreateInfo { SType = StructureType.FenceCreateInfo, Flags = FenceCreateFlags.SignaledBit };
                fixed (Fence* f = &_fences[i]) _vk.CreateFence(_device, &fi, null, f).Check();
                _acquired[i] = CreateSemaphore();
            }
            CreateSwapchain();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>A presenter for <paramref name="host"/>'s surface, device and queue.</summary>
    public SwapchainPresenter(VulkanHost host, Func<(int Width, int Height)> framebufferSize, bool vsync = false)
        : this(host.Vk, host.Instance, host.PhysicalDevice, host.Device, host.QueueFamily, host.Queue, host.Surface, framebufferSize, vsync) { }

    /// <summary>The swapchain's pixel format (B8G8R8A8 or R8G8B8A8, UNORM preferred over SRGB).</summary>
    public Format Format { get; private set; }
    /// <summary>The swapchain's size in pixels (0×0 while the window is minimised).</summary>
    public (int Width, int Height) Extent { get; private set; }
    /// <summary>The presentation mode in use.</summary>
    public PresentModeKHR PresentMode { get; private set; }
    /// <summary>How many times the swapchain was recreated (resizes, out-of-date surfaces).</summary>
    public int Recreations { get; private set; }
    /// <summary>Frames presented so far.</summary>
    public long FramesPresented { get; private set; }

    /// <summary>Forces the swapchain to be recreated before the next frame (the window was resized).</summary>
    public void Invalidate() => _recreate = true;

    /// <summary>
    /// Presents <paramref name="rgba"/> (<paramref name="width"/>×<paramref name="height"/> RGBA8, rows packed). Returns
    /// false when nothing could be shown (window minimised). The pixels are copied before it returns.
    /// </summary>
    public bool Present(ReadOnlySpan<byte> rgba, int width, int height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (width <= 0 || height <= 0 || rgba.Length != (long)width * height * 4)
            throw new ArgumentException($"A {width}x{height} RGBA8 frame has {(long)Math.Max(width, 0) * Math.Max(height, 0) * 4} bytes; got {rgba.Length}.", nameof(rgba));
        int slot = (int)(_frame % InFlight);
        WaitSlot(slot);
        EnsureSource(width, height);
        rgba.CopyTo(new Span<byte>(_stagingMapped[slot], rgba.Length));
        return Submit(slot, new Source(default, ImageLayout.Undefined, width, height, 0, 0, default));
    }

    /// <summary>
    /// Presents an RGBA8 image the caller rendered (created with TRANSFER_SRC usage; <paramref name="width"/>×<paramref name="height"/>).
    /// The image is in <paramref name="layout"/>, last written at <paramref name="srcStage"/> with <paramref name="srcAccess"/>
    /// by work already submitted to this queue (or signalled through <paramref name="wait"/>); it is returned to that
    /// layout. A UNORM image on an SRGB swapchain is encoded to sRGB by the blit.
    /// </summary>
    public bool Present(Image image, ImageLayout layout, int width, int height, PipelineStageFlags srcStage = PipelineStageFlags.AllCommandsBit,
                        AccessFlags srcAccess = AccessFlags.MemoryWriteBit, Semaphore wait = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (image.Handle == 0 || width <= 0 || height <= 0) throw new ArgumentException($"Presenting needs an image and a positive size; got {width}x{height}.");
        int slot = (int)(_frame % InFlight);
        WaitSlot(slot);
        return Submit(slot, new Source(image, layout, width, height, srcStage, srcAccess, wait));
    }

    // -------------------------------------------------------------------------------------------------------------

    /// <summary>What to present: the staging buffer of the slot (Image null) or a caller's image.</summary>
    private readonly record struct Source(Image Image, ImageLayout Layout, int Width, int Height, PipelineStageFlags Stage, AccessFlags Access, Semaphore Wait);

    /// <summary>Records the copy of <paramref name="src"/> into swapchain image <paramref name="dst"/> (in TRANSFER_DST layout).</summary>
    private void RecordCopy(CommandBuffer cmd, int slot, in Source src, Image dst)
    {
        var (dstW, dstH) = Extent;
        if (src.Image.Handle == 0)
        {
            var toDst = ImageBarrier(_source, ImageLayout.Undefined, ImageLayout.TransferDstOptimal, 0, AccessFlags.TransferWriteBit);
            _vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.TransferBit, 0, 0, null, 0, null, 1, &toDst);
            var region = new BufferImageCopy
            {
                ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1),
                ImageExtent = new Extent3D((uint)src.Width, (uint)src.Height, 1),
            };
            _vk.CmdCopyBufferToImage(cmd, _staging[slot], _source, ImageLayout.TransferDstOptimal, 1, &region);
            var toSrc = ImageBarrier(_source, ImageLayout.TransferDstOptimal, ImageLayout.TransferSrcOptimal, AccessFlags.TransferWriteBit, AccessFlags.TransferReadBit);
            _vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.TransferBit, 0, 0, null, 0, null, 1, &toSrc);
            Blit(cmd, _source, src.Width, src.Height, dst, dstW, dstH);
            return;
        }
        var toRead = ImageBarrier(src.Image, src.Layout, ImageLayout.TransferSrcOptimal, src.Access, AccessFlags.TransferReadBit);
        _vk.CmdPipelineBarrier(cmd, src.Stage, PipelineStageFlags.TransferBit, 0, 0, null, 0, null, 1, &toRead);
        Blit(cmd, src.Image, src.Width, src.Height, dst, dstW, dstH);
        if (src.Layout != ImageLayout.TransferSrcOptimal && src.Layout != ImageLayout.Undefined)
        {
            var back = ImageBarrier(src.Image, ImageLayout.TransferSrcOptimal, src.Layout, 0, 0);
            _vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.AllCommandsBit, 0, 0, null, 0, null, 1, &back);
        }
    }

    private bool Submit(int slot, in Source src)
    {
        var extraWait = src.Wait;
        var size = _framebufferSize();
        if (size.Width <= 0 || size.Height <= 0) return false;               // minimised: nothing to present to
        if (_recreate || size != Extent) { CreateSwapchain(); if (Extent.Width == 0) return false; }

        uint index = 0;
        var r = _acquire(_device, _swapchain, AcquireTimeoutNs, _acquired[slot], default, &index);
        if (r == Result.ErrorOutOfDateKhr)
        {
            CreateSwapchain();
            if (Extent.Width == 0) return false;
            r = _acquire(_device, _swapchain, AcquireTimeoutNs, _acquired[slot], default, &index);
        }
        if (r == Result.Timeout || r == Result.NotReady) throw new VulkanException("vkAcquireNextImageKHR timed out: the window system did not release a swapchain image.", r, "vkAcquireNextImageKHR");
        if (r == Result.SuboptimalKhr) _recreate = true;
        else r.Check("vkAcquireNextImageKHR");

        var cmd = _cmds[slot];
        _vk.ResetCommandBuffer(cmd, 0).Check();
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo, Flags = CommandBufferUsageFlags.OneTimeSubmitBit };
        _vk.BeginCommandBuffer(cmd, &bi).Check();
        var dst = _images[index];
        // The acquire semaphore is waited on at the transfer stage, so this barrier's source scope chains to it.
        var toDst = ImageBarrier(dst, ImageLayout.Undefined, ImageLayout.TransferDstOptimal, 0, AccessFlags.TransferWriteBit);
        _vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.TransferBit, 0, 0, null, 0, null, 1, &toDst);
        RecordCopy(cmd, slot, src, dst);
        var toPresent = ImageBarrier(dst, ImageLayout.TransferDstOptimal, ImageLayout.PresentSrcKhr, AccessFlags.TransferWriteBit, 0);
        _vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.BottomOfPipeBit, 0, 0, null, 0, null, 1, &toPresent);
        _vk.EndCommandBuffer(cmd).Check();

        var waits = stackalloc Semaphore[2] { _acquired[slot], extraWait };
        var stages = stackalloc PipelineStageFlags[2] { PipelineStageFlags.TransferBit, PipelineStageFlags.TransferBit };
        var signal = _rendered[index];
        var si = new SubmitInfo
        {
            SType = StructureType.SubmitInfo,
            WaitSemaphoreCount = extraWait.Handle != 0 ? 2u : 1u,
            PWaitSemaphores = waits,
            PWaitDstStageMask = stages,
            CommandBufferCount = 1,
            PCommandBuffers = &cmd,
            SignalSemaphoreCount = 1,
            PSignalSemaphores = &signal,
        };
        var fence = _fences[slot];
        _vk.ResetFences(_device, 1, &fence).Check();
        _vk.QueueSubmit(_queue, 1, &si, fence).Check();
        _frame++;

        var swapchain = _swapchain;
        var pi = new PresentInfoKHR
        {
            SType = StructureType.PresentInfoKhr,
            WaitSemaphoreCount = 1,
            PWaitSemaphores = &signal,
            SwapchainCount = 1,
            PSwapchains = &swapchain,
            PImageIndices = &index,
        };
        r = _present(_queue, &pi);
        if (r == Result.ErrorOutOfDateKhr || r == Result.SuboptimalKhr) _recreate = true;
        else r.Check("vkQueuePresentKHR");
        FramesPresented++;
        return true;
    }

    /// <summary>Scales (src) into the destination with its aspect ratio, centred, black bars around.</summary>
    private void Blit(CommandBuffer cmd, Image src, int srcW, int srcH, Image dst, int dstW, int dstH)
    {
        double s = Math.Min((double)dstW / srcW, (double)dstH / srcH);
        int w = Math.Max(1, (int)Math.Round(srcW * s)), h = Math.Max(1, (int)Math.Round(srcH * s));
        int x = (dstW - w) / 2, y = (dstH - h) / 2;
        if (w != dstW || h != dstH)
        {
            var black = new ClearColorValue(0f, 0f, 0f, 1f);
            var range = new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1);
            _vk.CmdClearColorImage(cmd, dst, ImageLayout.TransferDstOptimal, &black, 1, &range);
            var order = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.TransferWriteBit, DstAccessMask = AccessFlags.TransferWriteBit };
            _vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.TransferBit, 0, 1, &order, 0, null, 0, null);
        }
        var blit = new ImageBlit { SrcSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1), DstSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1) };
        blit.SrcOffsets[0] = new Offset3D(0, 0, 0);
        blit.SrcOffsets[1] = new Offset3D(srcW, srcH, 1);
        blit.DstOffsets[0] = new Offset3D(x, y, 0);
        blit.DstOffsets[1] = new Offset3D(x + w, y + h, 1);
        // Same size: nearest keeps pixels exact. Scaled: linear.
        var filter = w == srcW && h == srcH ? Filter.Nearest : Filter.Linear;
        _vk.CmdBlitImage(cmd, src, ImageLayout.TransferSrcOptimal, dst, ImageLayout.TransferDstOptimal, 1, &blit, filter);
    }

    private static ImageMemoryBarrier ImageBarrier(Image image, ImageLayout from, ImageLayout to, AccessFlags src, AccessFlags dst) => new()
    {
        SType = StructureType.ImageMemoryBarrier,
        OldLayout = from,
        NewLayout = to,
        SrcAccessMask = src,
        DstAccessMask = dst,
        SrcQueueFamilyIndex = Vk.QueueFamilyIgnored,
        DstQueueFamilyIndex = Vk.QueueFamilyIgnored,
        Image = image,
        SubresourceRange = new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1),
    };

    private void WaitSlot(int slot)
    {
        var f = _fences[slot];
        var r = _vk.WaitForFences(_device, 1, &f, true, 60_000_000_000UL);
        if (r == Result.Timeout) throw new VulkanException("Presenting a frame did not finish within 60 s.", r, "vkWaitForFences");
        r.Check("vkWaitForFences");
    }

    private void CreateSwapchain()
    {
        _recreate = false;
        _vk.DeviceWaitIdle(_device).Check();
        SurfaceCapabilitiesKHR caps;
        _getCaps(_pd, _surface, &caps).Check("vkGetPhysicalDeviceSurfaceCapabilitiesKHR");
        var (fw, fh) = _framebufferSize();
        var extent = caps.CurrentExtent.Width != uint.MaxValue ? caps.CurrentExtent
            : new Extent2D(Math.Clamp((uint)Math.Max(fw, 0), caps.MinImageExtent.Width, caps.MaxImageExtent.Width),
                           Math.Clamp((uint)Math.Max(fh, 0), caps.MinImageExtent.Height, caps.MaxImageExtent.Height));
        var old = _swapchain;
        DestroyImagesAndSemaphores();
        if (extent.Width == 0 || extent.Height == 0)
        {
            if (old.Handle != 0) _destroySwapchain(_device, old, null);
            _swapchain = default;
            Extent = (0, 0);
            _recreate = true;
            return;
        }
        if ((caps.SupportedUsageFlags & ImageUsageFlags.TransferDstBit) == 0)
            throw new NotSupportedException($"The window surface's images cannot be transfer destinations (supported usage {caps.SupportedUsageFlags}).");
        var (format, colorSpace) = ChooseFormat();
        var mode = ChooseMode();
        uint count = Math.Max(caps.MinImageCount + 1, 2);
        if (caps.MaxImageCount > 0) count = Math.Min(count, caps.MaxImageCount);
        var alpha = CompositeAlphaFlagsKHR.OpaqueBitKhr;
        if ((caps.SupportedCompositeAlpha & alpha) == 0)
            alpha = (CompositeAlphaFlagsKHR)((uint)caps.SupportedCompositeAlpha & (uint)-(int)caps.SupportedCompositeAlpha);   // lowest supported bit
        var ci = new SwapchainCreateInfoKHR
        {
            SType = StructureType.SwapchainCreateInfoKhr,
            Surface = _surface,
            MinImageCount = count,
            ImageFormat = format,
            ImageColorSpace = colorSpace,
            ImageExtent = extent,
            ImageArrayLayers = 1,
            ImageUsage = ImageUsageFlags.TransferDstBit,
            ImageSharingMode = SharingMode.Exclusive,
            PreTransform = caps.CurrentTransform,
            CompositeAlpha = alpha,
            PresentMode = mode,
            Clipped = true,
            OldSwapchain = old,
        };
        SwapchainKHR swapchain;
        var r = _createSwapchain(_device, &ci, null, &swapchain);
        if (old.Handle != 0) _destroySwapchain(_device, old, null);
        _swapchain = default;
        r.Check("vkCreateSwapchainKHR");
        _swapchain = swapchain;
        uint n = 0;
        _getImages(_device, _swapchain, &n, null).Check("vkGetSwapchainImagesKHR");
        _images = new Image[n];
        fixed (Image* p = _images) _getImages(_device, _swapchain, &n, p).Check("vkGetSwapchainImagesKHR");
        _rendered = new Semaphore[n];
        for (int i = 0; i < n; i++) _rendered[i] = CreateSemaphore();
        if (Format != format) DestroySource();   // the intermediate image's format follows the swapchain's (UNORM or SRGB)
        Format = format;
        PresentMode = mode;
        Extent = ((int)extent.Width, (int)extent.Height);
        Recreations++;
    }

    private (Format, ColorSpaceKHR) ChooseFormat()
    {
        uint n = 0;
        _getFormats(_pd, _surface, &n, null).Check("vkGetPhysicalDeviceSurfaceFormatsKHR");
        var formats = new SurfaceFormatKHR[n];
        fixed (SurfaceFormatKHR* p = formats) _getFormats(_pd, _surface, &n, p).Check("vkGetPhysicalDeviceSurfaceFormatsKHR");
        // UNORM first: the frame's bytes reach the screen unchanged. SRGB works too (the intermediate image is SRGB then).
        foreach (var want in new[] { Format.B8G8R8A8Unorm, Format.R8G8B8A8Unorm, Format.B8G8R8A8Srgb, Format.R8G8B8A8Srgb })
            foreach (var f in formats)
                if (f.Format == want && CanBlitTo(want)) return (f.Format, f.ColorSpace);
        throw new NotSupportedException($"The window surface offers no 8-bit RGBA/BGRA format that blits can write: {string.Join(", ", formats.Select(f => f.Format))}.");
    }

    private bool CanBlitTo(Format format)
    {
        _vk.GetPhysicalDeviceFormatProperties(_pd, format, out var props);
        return (props.OptimalTilingFeatures & FormatFeatureFlags.BlitDstBit) != 0;
    }

    private PresentModeKHR ChooseMode()
    {
        if (_vsync) return PresentModeKHR.FifoKhr;
        uint n = 0;
        _getModes(_pd, _surface, &n, null).Check("vkGetPhysicalDeviceSurfacePresentModesKHR");
        var modes = new PresentModeKHR[n];
        fixed (PresentModeKHR* p = modes) _getModes(_pd, _surface, &n, p).Check("vkGetPhysicalDeviceSurfacePresentModesKHR");
        if (modes.Contains(PresentModeKHR.MailboxKhr)) return PresentModeKHR.MailboxKhr;
        if (modes.Contains(PresentModeKHR.ImmediateKhr)) return PresentModeKHR.ImmediateKhr;
        return PresentModeKHR.FifoKhr;
    }

    /// <summary>Makes the staging buffers and the intermediate image fit a width×height frame (reallocated only on a size change).</summary>
    private void EnsureSource(int width, int height)
    {
        ulong bytes = (ulong)width * (ulong)height * 4;
        if (bytes > _stagingBytes)
        {
            _vk.DeviceWaitIdle(_device).Check();
            DestroyStaging();
            for (int i = 0; i < InFlight; i++)
            {
                var bci = new BufferCreateInfo { SType = StructureType.BufferCreateInfo, Size = bytes, Usage = BufferUsageFlags.TransferSrcBit, SharingMode = SharingMode.Exclusive };
                fixed (VkBuffer* b = &_staging[i]) _vk.CreateBuffer(_device, &bci, null, b).Check();
                _vk.GetBufferMemoryRequirements(_device, _staging[i], out var req);
                _stagingMemory[i] = Allocate(req, MemoryPropertyFlags.HostVisibleBit | MemoryPropertyFlags.HostCoherentBit, required: true);
                _vk.BindBufferMemory(_device, _staging[i], _stagingMemory[i], 0).Check();
                void* mapped;
                _vk.MapMemory(_device, _stagingMemory[i], 0, bytes, 0, &mapped).Check();
                _stagingMapped[i] = (byte*)mapped;
            }
            _stagingBytes = bytes;
        }
        if (_source.Handle != 0 && _sourceW == width && _sourceH == height) return;
        _vk.DeviceWaitIdle(_device).Check();
        DestroySource();
        bool srgb = Format is Format.B8G8R8A8Srgb or Format.R8G8B8A8Srgb;
        var ici = new ImageCreateInfo
        {
            SType = StructureType.ImageCreateInfo,
            ImageType = ImageType.Type2D,
            Format = srgb ? Format.R8G8B8A8Srgb : Format.R8G8B8A8Unorm,
            Extent = new Extent3D((uint)width, (uint)height, 1),
            MipLevels = 1,
            ArrayLayers = 1,
            Samples = SampleCountFlags.Count1Bit,
            Tiling = ImageTiling.Optimal,
            Usage = ImageUsageFlags.TransferDstBit | ImageUsageFlags.TransferSrcBit,
            SharingMode = SharingMode.Exclusive,
            InitialLayout = ImageLayout.Undefined,
        };
        Image image;
        _vk.CreateImage(_device, &ici, null, &image).Check();
        _source = image;
        _vk.GetImageMemoryRequirements(_device, _source, out var ireq);
        _sourceMemory = Allocate(ireq, MemoryPropertyFlags.DeviceLocalBit, required: false);
        _vk.BindImageMemory(_device, _source, _sourceMemory, 0).Check();
        _sourceW = width;
        _sourceH = height;
    }

    private DeviceMemory Allocate(MemoryRequirements req, MemoryPropertyFlags want, bool required)
    {
        int type = -1;
        for (int i = 0; i < _memory.MemoryTypeCount && type < 0; i++)
            if ((req.MemoryTypeBits & (1u << i)) != 0 && (_memory.MemoryTypes[i].PropertyFlags & want) == want) type = i;
        if (type < 0 && !required)
            for (int i = 0; i < _memory.MemoryTypeCount && type < 0; i++)
                if ((req.MemoryTypeBits & (1u << i)) != 0) type = i;
        if (type < 0) throw new NotSupportedException($"No memory type with {want} for a {req.Size}-byte presentation resource.");
        var ai = new MemoryAllocateInfo { SType = StructureType.MemoryAllocateInfo, AllocationSize = req.Size, MemoryTypeIndex = (uint)type };
        DeviceMemory mem;
        _vk.AllocateMemory(_device, &ai, null, &mem).Check();
        return mem;
    }

    private Semaphore CreateSemaphore()
    {
        var ci = new SemaphoreCreateInfo { SType = StructureType.SemaphoreCreateInfo };
        Semaphore s;
        _vk.CreateSemaphore(_device, &ci, null, &s).Check();
        return s;
    }

    private nint InstanceProc(string name)
    {
        var p = (nint)_vk.GetInstanceProcAddr(_instance, name).Handle;
        return p != 0 ? p : throw new NotSupportedException($"{name} is missing: create the instance with VK_KHR_surface and the window system's surface extension.");
    }

    private nint DeviceProc(string name)
    {
        var p = (nint)_vk.GetDeviceProcAddr(_device, name).Handle;
        return p != 0 ? p : throw new NotSupportedException($"{name} is missing: create the device with VK_KHR_swapchain.");
    }

    private void DestroyImagesAndSemaphores()
    {
        foreach (var s in _rendered) if (s.Handle != 0) _vk.DestroySemaphore(_device, s, null);
        _rendered = Array.Empty<Semaphore>();
        _images = Array.Empty<Image>();
    }

    private void DestroyStaging()
    {
        for (int i = 0; i < InFlight; i++)
        {
            if (_staging[i].Handle != 0) _vk.DestroyBuffer(_device, _staging[i], null);
            if (_stagingMemory[i].Handle != 0) _vk.FreeMemory(_device, _stagingMemory[i], null);   // unmaps too
            _staging[i] = default; _stagingMemory[i] = default; _stagingMapped[i] = null;
        }
        _stagingBytes = 0;
    }

    private void DestroySource()
    {
        if (_source.Handle != 0) _vk.DestroyImage(_device, _source, null);
        if (_sourceMemory.Handle != 0) _vk.FreeMemory(_device, _sourceMemory, null);
        _source = default; _sourceMemory = default;
        _sourceW = _sourceH = 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_device.Handle == 0) return;
        _vk.DeviceWaitIdle(_device);
        DestroyImagesAndSemaphores();
        if (_swapchain.Handle != 0) _destroySwapchain(_device, _swapchain, null);
        _swapchain = default;
        DestroyStaging();
        DestroySource();
        for (int i = 0; i < InFlight; i++)
        {
            if (_fences[i].Handle != 0) _vk.DestroyFence(_device, _fences[i], null);
            if (_acquired[i].Handle != 0) _vk.DestroySemaphore(_device, _acquired[i], null);
        }
        if (_pool.Handle != 0) _vk.DestroyCommandPool(_device, _pool, null);
    }
}
