// Test kit for the frame pipeline: a tiny VisionTask ("brightest cell" detector) whose post-processing copies the
// network output on the GPU, synthetic frames with a bright square, and host-side Vulkan images and semaphores.
using Silk.NET.Vulkan;
using VulkanCnn.Graph;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;
using Image = Silk.NET.Vulkan.Image;
using PixelFormat = VulkanCnn.Vision.PixelFormat;
using Semaphore = Silk.NET.Vulkan.Semaphore;

namespace VulkanCnn.Tests.Vision;

/// <summary>
/// A 32x32 model (or <c>size</c>x<c>size</c>, size a multiple of 4): two 2x2 average pools, a 1x1 convolution summing the channels /3 and a 1x1 identity convolution, so
/// output (cx, cy) is the mean brightness (0..1) of model cell (cx, cy) of 4x4 input pixels. Its GPU post-processing copies
/// that 8x8 map into its own host-visible buffer; ReadResult reports the brightest cell as one detection.
/// </summary>
internal sealed unsafe class BrightCellTask : VisionTask
{
    public const int Size = 32, Cells = 8, Cell = 4;
    private readonly int _cells;
    private readonly VulkanContext _ctx;
    private readonly Session _session;
    private readonly MemoryArena _arena;
    private readonly BufferSlice _map;
    public int PostprocessRecordings;

    public BrightCellTask(VulkanContext ctx, int size = Size)
    {
        _ctx = ctx;
        _cells = size / Cell;
        Input = new PreprocessOptions { Width = size, Height = size, Resize = ResizeMode.Stretch };
        var b = new NetworkBuilder("bright-cell");
        b.Input(3, size, size)
         .AvgPool(2, 2).AvgPool(2, 2)
         .Conv(1, 1, new[] { 1f / 3, 1f / 3, 1f / 3 }, new[] { 0f })
         .Conv(1, 1, new[] { 1f }, new[] { 0f })
         .Output();
        _session = new Session(ctx, b.Build());
        _arena = new MemoryArena(ctx, MemoryUsage.Staging);
        _map = _arena.Allocate((ulong)(_cells * _cells * 4), "bright-cell map");
    }

    public override Session Session => _session;
    public override PreprocessOptions Input { get; }
    public override string Name => "bright-cell";

    internal override void RecordPostprocess(CommandBuffer cmd)
    {
        PostprocessRecordings++;
        var vk = _ctx.Vk;
        var src = _session.OutputBuffer(0);
        var before = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit, DstAccessMask = AccessFlags.TransferReadBit };
        vk.CmdPipelineBarrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, PipelineStageFlags.TransferBit, 0, 1, &before, 0, null, 0, null);
        var region = new BufferCopy(src.Offset, _map.Offset, (ulong)(_cells * _cells * 4));
        vk.CmdCopyBuffer(cmd, src.Buffer, _map.Buffer, 1, &region);
        var after = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.TransferWriteBit, DstAccessMask = AccessFlags.HostReadBit };
        vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.HostBit, 0, 1, &after, 0, null, 0, null);
    }

    /// <summary>The 8x8 map of the last completed run.</summary>
    public float[] Map() => new ReadOnlySpan<float>(_map.Mapped, _cells * _cells).ToArray();

    internal override VisionResult ReadResult(long frameNumber, FrameTransform transform)
    {
        var m = new ReadOnlySpan<float>(_map.Mapped, _cells * _cells);
        int best = 0;
        for (int i = 1; i < m.Length; i++) if (m[i] > m[best]) best = i;
        int cx = best % _cells, cy = best / _cells;
        var (x0, y0) = transform.ToFrame(cx * Cell, cy * Cell);
        var (x1, y1) = transform.ToFrame((cx + 1) * Cell, (cy + 1) * Cell);
        var d = new Detection(new Box(x0, y0, x1 - x0, y1 - y0), m[best], 0, "bright", Array.Empty<(float, float)>());
        return new VisionResult { FrameNumber = frameNumber, Detections = new[] { d } };
    }

    public static readonly Rgba BoxColor = new(255, 0, 0);

    public override void Draw(VisionResult result, OverlayScene scene)
    {
        foreach (var d in result.Detections) scene.Boxes.Add(new OverlayBox(d.Box, BoxColor, 2f));
    }

    protected override void Dispose(bool disposing)
    {
        _arena.Dispose();
        _session.Dispose();
    }
}

/// <summary>Synthetic frames, host images and semaphores for pipeline tests.</summary>
internal static unsafe class PipelineKit
{
    /// <summary>
    /// An RGBA frame of dim noise (seeded) with a white square that fully covers model cell (cx, cy) of
    /// <see cref="BrightCellTask"/> when the frame is stretched to 32x32.
    /// </summary>
    public static byte[] Frame(int w, int h, int cx, int cy, int seed)
    {
        var rng = new Random(seed);
        var f = new byte[w * h * 4];
        for (int i = 0; i < w * h; i++)
        {
            f[4 * i] = (byte)rng.Next(10, 60); f[4 * i + 1] = (byte)rng.Next(10, 60); f[4 * i + 2] = (byte)rng.Next(10, 60); f[4 * i + 3] = 255;
        }
        double sx = (double)w / BrightCellTask.Size, sy = (double)h / BrightCellTask.Size;
        int x0 = (int)Math.Floor(cx * 4 * sx) - 1, x1 = (int)Math.Ceiling((cx + 1) * 4 * sx) + 1;
        int y0 = (int)Math.Floor(cy * 4 * sy) - 1, y1 = (int)Math.Ceiling((cy + 1) * 4 * sy) + 1;
        for (int y = Math.Max(0, y0); y < Math.Min(h, y1); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(w, x1); x++)
            {
                int i = 4 * (y * w + x);
                f[i] = f[i + 1] = f[i + 2] = 250;
            }
        return f;
    }

    /// <summary>The task's expected 8x8 map for an RGBA frame, from the C# preprocessing reference and plain averaging.</summary>
    public static float[] ExpectedMap(byte[] rgba, int w, int h, PreprocessOptions o)
    {
        var t = FramePreprocessorTests.Reference(rgba, w, h, PixelFormat.Rgba8, o);
        int n = BrightCellTask.Size, plane = n * n;
        var map = new float[BrightCellTask.Cells * BrightCellTask.Cells];
        for (int cy = 0; cy < BrightCellTask.Cells; cy++)
            for (int cx = 0; cx < BrightCellTask.Cells; cx++)
            {
                double s = 0;
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < 4; y++)
                        for (int x = 0; x < 4; x++) s += t[c * plane + (cy * 4 + y) * n + cx * 4 + x];
                map[cy * BrightCellTask.Cells + cx] = (float)(s / 48);
            }
        return map;
    }

    /// <summary>Box outlines drawn in plain C# by the documented rule (centre inside, closer than thickness to an edge; opaque colour).</summary>
    public static byte[] DrawBoxes(byte[] rgba, int w, int h, IEnumerable<OverlayBox> boxes)
    {
        var o = (byte[])rgba.Clone();
        foreach (var b in boxes)
        {
            float x0 = b.Box.X, y0 = b.Box.Y, x1 = b.Box.Right, y1 = b.Box.Bottom, t = b.Thickness;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float px = x + 0.5f, py = y + 0.5f;
                    if (px < x0 || px > x1 || py < y0 || py > y1) continue;
                    if (!(px - x0 < t || x1 - px < t || py - y0 < t || y1 - py < t)) continue;
                    int i = 4 * (y * w + x);
                    o[i] = b.Color.R; o[i + 1] = b.Color.G; o[i + 2] = b.Color.B;
                }
        }
        return o;
    }

    /// <summary>A host-side image (what a game renders into): optimal tiling, TRANSFER_SRC | TRANSFER_DST.</summary>
    public sealed class HostImage : IDisposable
    {
        private readonly VulkanContext _ctx;
        public readonly Image Image;
        private readonly DeviceMemory _memory;
        public readonly int Width, Height;
        public readonly Format Format;

        public HostImage(VulkanContext ctx, int w, int h, Format format)
        {
            _ctx = ctx; Width = w; Height = h; Format = format;
            var vk = ctx.Vk;
            var ci = new ImageCreateInfo
            {
                SType = StructureType.ImageCreateInfo, ImageType = ImageType.Type2D, Format = format, Extent = new Extent3D((uint)w, (uint)h, 1),
                MipLevels = 1, ArrayLayers = 1, Samples = SampleCountFlags.Count1Bit, Tiling = ImageTiling.Optimal,
                Usage = ImageUsageFlags.TransferSrcBit | ImageUsageFlags.TransferDstBit | ImageUsageFlags.SampledBit | ImageUsageFlags.ColorAttachmentBit,
                SharingMode = SharingMode.Exclusive, InitialLayout = ImageLayout.Undefined,
            };
            Image img;
            vk.CreateImage(ctx.Device, &ci, null, &img).Check("vkCreateImage");
            Image = img;
            vk.GetImageMemoryRequirements(ctx.Device, img, out var req);
            uint type = 0;
            for (uint i = 0; i < ctx.MemoryProperties.MemoryTypeCount; i++)
                if ((req.MemoryTypeBits & (1u << (int)i)) != 0) { type = i; break; }
            var ai = new MemoryAllocateInfo { SType = StructureType.MemoryAllocateInfo, AllocationSize = req.Size, MemoryTypeIndex = type };
            DeviceMemory mem;
            vk.AllocateMemory(ctx.Device, &ai, null, &mem).Check("vkAllocateMemory");
            _memory = mem;
            vk.BindImageMemory(ctx.Device, img, mem, 0).Check("vkBindImageMemory");
        }

        /// <summary>Fills the image with <paramref name="bytes"/> (4 bytes a pixel) and leaves it in <paramref name="layout"/>.</summary>
        public void Fill(byte[] bytes, ImageLayout layout, ImageLayout from = ImageLayout.Undefined)
        {
            using var arena = new MemoryArena(_ctx, MemoryUsage.Staging);
            var staging = arena.Allocate((ulong)bytes.Length, "test image upload");
            bytes.CopyTo(new Span<byte>(staging.Mapped, bytes.Length));
            var image = Image;
            int w = Width, h = Height;
            _ctx.RunOnce(cmd =>
            {
                Transition(_ctx, cmd, image, from, ImageLayout.TransferDstOptimal);
                var region = new BufferImageCopy { BufferOffset = staging.Offset, ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1), ImageExtent = new Extent3D((uint)w, (uint)h, 1) };
                _ctx.Vk.CmdCopyBufferToImage(cmd, staging.Buffer, image, ImageLayout.TransferDstOptimal, 1, &region);
                Transition(_ctx, cmd, image, ImageLayout.TransferDstOptimal, layout);
            });
        }

        public void Dispose()
        {
            _ctx.Vk.DestroyImage(_ctx.Device, Image, null);
            _ctx.Vk.FreeMemory(_ctx.Device, _memory, null);
        }
    }

    /// <summary>A full (all stages, all accesses) layout transition; tests only.</summary>
    public static void Transition(VulkanContext ctx, CommandBuffer cmd, Image image, ImageLayout from, ImageLayout to)
    {
        var ib = new ImageMemoryBarrier
        {
            SType = StructureType.ImageMemoryBarrier, SrcAccessMask = AccessFlags.MemoryWriteBit, DstAccessMask = AccessFlags.MemoryReadBit | AccessFlags.MemoryWriteBit,
            OldLayout = from, NewLayout = to, SrcQueueFamilyIndex = Vk.QueueFamilyIgnored, DstQueueFamilyIndex = Vk.QueueFamilyIgnored, Image = image,
            SubresourceRange = new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1),
        };
        ctx.Vk.CmdPipelineBarrier(cmd, PipelineStageFlags.AllCommandsBit, PipelineStageFlags.AllCommandsBit, 0, 0, null, 0, null, 1, &ib);
    }

    /// <summary>Reads an image's RGBA bytes; it is in <paramref name="layout"/> and is left in it.</summary>
    public static byte[] ReadImage(VulkanContext ctx, Image image, int w, int h, ImageLayout layout)
    {
        using var arena = new MemoryArena(ctx, MemoryUsage.Staging);
        var staging = arena.Allocate((ulong)(w * h * 4), "test image read-back");
        ctx.RunOnce(cmd =>
        {
            Transition(ctx, cmd, image, layout, ImageLayout.TransferSrcOptimal);
            var region = new BufferImageCopy { BufferOffset = staging.Offset, ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1), ImageExtent = new Extent3D((uint)w, (uint)h, 1) };
            ctx.Vk.CmdCopyImageToBuffer(cmd, image, ImageLayout.TransferSrcOptimal, staging.Buffer, 1, &region);
            Transition(ctx, cmd, image, ImageLayout.TransferSrcOptimal, layout);
            var mb = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.TransferWriteBit, DstAccessMask = AccessFlags.HostReadBit };
            ctx.Vk.CmdPipelineBarrier(cmd, PipelineStageFlags.TransferBit, PipelineStageFlags.HostBit, 0, 1, &mb, 0, null, 0, null);
        });
        return new ReadOnlySpan<byte>(staging.Mapped, w * h * 4).ToArray();
    }

    public static Semaphore CreateSemaphore(VulkanContext ctx, bool timeline)
    {
        var ti = new SemaphoreTypeCreateInfo { SType = StructureType.SemaphoreTypeCreateInfo, SemaphoreType = SemaphoreType.Timeline };
        var si = new SemaphoreCreateInfo { SType = StructureType.SemaphoreCreateInfo, PNext = timeline ? &ti : null };
        Semaphore s;
        ctx.Vk.CreateSemaphore(ctx.Device, &si, null, &s).Check("vkCreateSemaphore");
        return s;
    }

    public static void DestroySemaphore(VulkanContext ctx, Semaphore s) => ctx.Vk.DestroySemaphore(ctx.Device, s, null);

    /// <summary>An empty submission that signals binary semaphore <paramref name="s"/> ("rendering is done").</summary>
    public static void Signal(VulkanContext ctx, Semaphore s)
    {
        var si = new SubmitInfo { SType = StructureType.SubmitInfo, SignalSemaphoreCount = 1, PSignalSemaphores = &s };
        ctx.QueueSubmit(&si, 1, default);
    }

    /// <summary>An empty submission that waits on binary semaphore <paramref name="s"/>, and waits for it on the host.</summary>
    public static void WaitOn(VulkanContext ctx, Semaphore s)
    {
        var stage = PipelineStageFlags.AllCommandsBit;
        var si = new SubmitInfo { SType = StructureType.SubmitInfo, WaitSemaphoreCount = 1, PWaitSemaphores = &s, PWaitDstStageMask = &stage };
        var fence = ctx.CreateFence();
        try
        {
            ctx.Vk.ResetFences(ctx.Device, 1, &fence).Check("vkResetFences");
            ctx.QueueSubmit(&si, 1, fence);
            ctx.WaitFence(fence);
        }
        finally { ctx.Vk.DestroyFence(ctx.Device, fence, null); }
    }

    /// <summary>Signals timeline <paramref name="s"/> to <paramref name="value"/> from the host.</summary>
    public static void HostSignal(VulkanContext ctx, Semaphore s, ulong value)
    {
        var si = new SemaphoreSignalInfo { SType = StructureType.SemaphoreSignalInfo, Semaphore = s, Value = value };
        ctx.Vk.SignalSemaphore(ctx.Device, &si).Check("vkSignalSemaphore");
    }

    /// <summary>Polls until the running inference (if any) has published its result.</summary>
    public static void WaitForResult(FramePipeline p)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            p.Poll();
            if (!p.InferenceInFlight) return;
            if (sw.Elapsed.TotalSeconds > 60) Assert.Fail("The inference did not finish within 60 s.");
            Thread.Sleep(1);
        }
    }
}
