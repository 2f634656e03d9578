// The game's renderer: photographs uploaded once as textures, a render pass drawing textured quads into an RGBA8
// offscreen image, and per frame only the quads' placement written into mapped memory. Two frames in flight, each
// with its own target image and pre-recorded command buffer. Nothing here is VulkanCnn.
using System.Reflection;
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using Semaphore = Silk.NET.Vulkan.Semaphore;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Image = Silk.NET.Vulkan.Image;
using Buffer = Silk.NET.Vulkan.Buffer;

namespace VulkanCnn.Samples.GameEmbed;

internal sealed unsafe class SceneRenderer : IDisposable
{
    /// <summary>Frames in flight: frame n renders into target n mod Slots.</summary>
    public const int Slots = 2;
    public const Format TargetFormat = Format.R8G8B8A8Unorm;
    /// <summary>The layout the render pass leaves a target in (what the frame hand-over is told).</summary>
    public const ImageLayout TargetLayout = ImageLayout.TransferSrcOptimal;

    private const int QuadBytes = 48, HeaderBytes = 16;

    private readonly GameDevice _g;
    private readonly Vk _vk;
    public int Width { get; }
    public int Height { get; }

    private readonly List<(Image Image, DeviceMemory Memory, ImageView View, DescriptorSet Set)> _textures = new();
    private Sampler _sampler;
    private DescriptorSetLayout _frameLayout, _textureLayout;
    private DescriptorPool _pool;
    private PipelineLayout _pipelineLayout;
    private RenderPass _renderPass;
    private Pipeline _pipeline;
    private CommandPool _commandPool;
    private readonly Slot[] _slots = new Slot[Slots];
    private readonly Quad[] _quads = new Quad[Scene.QuadCount];
    private (Buffer Buffer, DeviceMemory Memory, nint Mapped) _readback;
    private ulong _lastSignal;
    private bool _disposed;

    /// <summary>Signalled with value n+1 when frame n has been rendered into its target.</summary>
    public Semaphore Rendered { get; }

    private struct Slot
    {
        public Image Image;
        public DeviceMemory Memory;
        public ImageView View;
        public Framebuffer Framebuffer;
        public Buffer Data;
        public DeviceMemory DataMemory;
        public nint Mapped;
        public DescriptorSet Set;
        public CommandBuffer Commands;
        public ulong LastSignal;   // the Rendered value of the last frame drawn in this slot
    }

    /// <param name="photoDir">Folder with <see cref="Scene.Photos"/> (.cache/images).</param>
    public SceneRenderer(GameDevice device, int width, int height, string photoDir)
    {
        if (width < 64 || height < 64 || width > 8192 || height > 8192)
            throw new ArgumentException($"Frame size {width}x{height} is out of range: width and height must be 64..8192.");
        _g = device;
        _vk = device.Vk;
        Width = width;
        Height = height;
        try
        {
            Rendered = device.CreateTimeline();
            CreateLayouts();
            foreach (var photo in Scene.Photos) LoadTexture(Path.Combine(photoDir, photo));
            CreatePipeline();
            var cpi = new CommandPoolCreateInfo { SType = StructureType.CommandPoolCreateInfo, QueueFamilyIndex = device.QueueFamily };
            _vk.CreateCommandPool(device.Device, &cpi, null, out _commandPool).Check("vkCreateCommandPool");
            Scene.Layout(0, width, height, _quads);
            for (int i = 0; i < Slots; i++) CreateSlot(ref _slots[i]);
            _readback = device.CreateBuffer((ulong)width * (ulong)height * 4, BufferUsageFlags.TransferDstBit, hostVisible: true);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The offscreen target of frame <paramref name="frame"/> (RGBA8, COLOR_ATTACHMENT | TRANSFER_SRC | SAMPLED).</summary>
    public Image Target(long frame) => _slots[frame % Slots].Image;
    public ImageView TargetView(long frame) => _slots[frame % Slots].View;

    /// <summary>
    /// Renders frame <paramref name="frame"/> (frame numbers must increase). The GPU waits for
    /// <paramref name="releaseSemaphore"/> ≥ <paramref name="releaseValue"/> (whoever read this target two frames ago
    /// is done with it) before writing the target, and signals <see cref="Rendered"/> = frame + 1. The host only waits
    /// for the slot's previous frame (two frames ago) to be rendered before it rewrites that slot's quad data.
    /// </summary>
    public Image Render(long frame, Semaphore releaseSemaphore = default, ulong releaseValue = 0)
    {
        ref var s = ref _slots[frame % Slots];
        if (frame < 0 || (ulong)frame + 1 <= _lastSignal)
            throw new ArgumentOutOfRangeException(nameof(frame), $"Frame {frame} must be above the last rendered frame {(long)_lastSignal - 1}.");
        if (s.LastSignal != 0) _g.WaitTimeline(Rendered, s.LastSignal);
        Scene.Layout(frame, Width, Height, _quads);
        var data = new Span<float>((void*)s.Mapped, HeaderBytes / 4 + Scene.QuadCount * QuadBytes / 4);
        data[0] = Width; data[1] = Height; data[2] = (float)(frame / Scene.FramesPerSecond); data[3] = 0;
        for (int i = 0; i < _quads.Length; i++)
        {
            var q = _quads[i];
            var d = data.Slice(4 + i * 12, 12);
            d[0] = q.CenterX; d[1] = q.CenterY; d[2] = q.HalfW; d[3] = q.HalfH;
            d[4] = MathF.Cos(q.Angle); d[5] = MathF.Sin(q.Angle); d[6] = q.Texture < 0 ? 0 : 1; d[7] = 0;
            d[8] = q.U0; d[9] = q.V0; d[10] = q.U1; d[11] = q.V1;
        }
        var cmd = s.Commands;
        var rendered = Rendered;
        ulong signal = (ulong)frame + 1;
        bool wait = releaseSemaphore.Handle != 0;
        var waitStage = PipelineStageFlags.ColorAttachmentOutputBit;
        var timeline = new TimelineSemaphoreSubmitInfo
        {
            SType = StructureType.TimelineSemaphoreSubmitInfo,
            WaitSemaphoreValueCount = wait ? 1u : 0u, PWaitSemaphoreValues = &releaseValue,
            SignalSemaphoreValueCount = 1, PSignalSemaphoreValues = &signal,
        };
        var si = new SubmitInfo
        {
            SType = StructureType.SubmitInfo, PNext = &timeline,
            WaitSemaphoreCount = wait ? 1u : 0u, PWaitSemaphores = &releaseSemaphore, PWaitDstStageMask = &waitStage,
            CommandBufferCount = 1, PCommandBuffers = &cmd,
            SignalSemaphoreCount = 1, PSignalSemaphores = &rendered,
        };
        _vk.QueueSubmit(_g.Queue, 1, &si, default).Check("vkQueueSubmit");
        s.LastSignal = _lastSignal = signal;
        return s.Image;
    }

    /// <summary>Copies frame <paramref name="frame"/>'s rendered target into <paramref name="rgba"/> (waits for it; debugging and tests).</summary>
    public void ReadPixels(long frame, Span<byte> rgba)
    {
        if (rgba.Length != Width * Height * 4)
            throw new ArgumentException($"ReadPixels needs {Width}x{Height}x4 = {Width * Height * 4} bytes, got {rgba.Length}.", nameof(rgba));
        if (_slots[frame % Slots].LastSignal != (ulong)frame + 1)
            throw new ArgumentException($"Frame {frame} is not the latest frame rendered into its target.", nameof(frame));
        _g.WaitTimeline(Rendered, (ulong)frame + 1);
        var image = _slots[frame % Slots].Image;
        var buffer = _readback.Buffer;
        _g.RunOnce(cb =>
        {
            // Make the render pass's writes (an earlier submission) visible to the copy.
            var mb = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.ColorAttachmentWriteBit, DstAccessMask = AccessFlags.TransferReadBit };
            _vk.CmdPipelineBarrier(cb, PipelineStageFlags.ColorAttachmentOutputBit, PipelineStageFlags.TransferBit, 0, 1, &mb, 0, null, 0, null);
            var region = new BufferImageCopy
            {
                ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1),
                ImageExtent = new Extent3D((uint)Width, (uint)Height, 1),
            };
            _vk.CmdCopyImageToBuffer(cb, image, TargetLayout, buffer, 1, &region);
            var hb = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = AccessFlags.TransferWriteBit, DstAccessMask = AccessFlags.HostReadBit };
            _vk.CmdPipelineBarrier(cb, PipelineStageFlags.TransferBit, PipelineStageFlags.HostBit, 0, 1, &hb, 0, null, 0, null);
        });
        new ReadOnlySpan<byte>((void*)_readback.Mapped, rgba.Length).CopyTo(rgba);
    }

    // ------------------------------------------------------------------------------------------------ set-up

    private void CreateLayouts()
    {
        var frameBinding = new DescriptorSetLayoutBinding
        {
            Binding = 0, DescriptorType = DescriptorType.StorageBuffer, DescriptorCount = 1,
            StageFlags = ShaderStageFlags.VertexBit | ShaderStageFlags.FragmentBit,
        };
        var li = new DescriptorSetLayoutCreateInfo { SType = StructureType.DescriptorSetLayoutCreateInfo, BindingCount = 1, PBindings = &frameBinding };
        _vk.CreateDescriptorSetLayout(_g.Device, &li, null, out _frameLayout).Check("vkCreateDescriptorSetLayout");
        var texBinding = new DescriptorSetLayoutBinding
        {
            Binding = 0, DescriptorType = DescriptorType.CombinedImageSampler, DescriptorCount = 1, StageFlags = ShaderStageFlags.FragmentBit,
        };
        li.PBindings = &texBinding;
        _vk.CreateDescriptorSetLayout(_g.Device, &li, null, out _textureLayout).Check("vkCreateDescriptorSetLayout");
        var sizes = stackalloc DescriptorPoolSize[2]
        {
            new DescriptorPoolSize(DescriptorType.StorageBuffer, Slots),
            new DescriptorPoolSize(DescriptorType.CombinedImageSampler, (uint)Scene.Photos.Length),
        };
        var pi = new DescriptorPoolCreateInfo
        {
            SType = StructureType.DescriptorPoolCreateInfo, MaxSets = (uint)(Slots + Scene.Photos.Length), PoolSizeCount = 2, PPoolSizes = sizes,
        };
        _vk.CreateDescriptorPool(_g.Device, &pi, null, out _pool).Check("vkCreateDescriptorPool");
        var si = new SamplerCreateInfo
        {
            SType = StructureType.SamplerCreateInfo, MagFilter = Filter.Linear, MinFilter = Filter.Linear, MipmapMode = SamplerMipmapMode.Nearest,
            AddressModeU = SamplerAddressMode.ClampToEdge, AddressModeV = SamplerAddressMode.ClampToEdge, AddressModeW = SamplerAddressMode.ClampToEdge,
            MaxLod = 0,
        };
        _vk.CreateSampler(_g.Device, &si, null, out _sampler).Check("vkCreateSampler");
    }

    private DescriptorSet AllocateSet(DescriptorSetLayout layout)
    {
        var ai = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = _pool, DescriptorSetCount = 1, PSetLayouts = &layout };
        DescriptorSet set;
        _vk.AllocateDescriptorSets(_g.Device, &ai, &set).Check("vkAllocateDescriptorSets");
        return set;
    }

    /// <summary>Loads a photograph (PNG/JPEG, ImageSharp) into a sampled RGBA8 texture, through a staging buffer.</summary>
    private void LoadTexture(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Photograph {path} is missing: run scripts/setup.sh to fetch it.", path);
        using var img = SixLabors.ImageSharp.Image.Load<Rgba32>(path);
        int w = img.Width, h = img.Height;
        var staging = _g.CreateBuffer((ulong)w * (ulong)h * 4, BufferUsageFlags.TransferSrcBit, hostVisible: true);
        try
        {
            img.CopyPixelDataTo(new Span<byte>((void*)staging.Mapped, w * h * 4));
            var (image, memory) = _g.CreateImage(w, h, TargetFormat, ImageUsageFlags.SampledBit | ImageUsageFlags.TransferDstBit);
            var view = _g.CreateView(image, TargetFormat);
            var set = AllocateSet(_textureLayout);
            _textures.Add((image, memory, view, set));
            _g.RunOnce(cb =>
            {
                _g.Barrier(cb, image, ImageLayout.Undefined, ImageLayout.TransferDstOptimal, PipelineStageFlags.TopOfPipeBit, 0,
                           PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit);
                var region = new BufferImageCopy
                {
                    ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1),
                    ImageExtent = new Extent3D((uint)w, (uint)h, 1),
                };
                _vk.CmdCopyBufferToImage(cb, staging.Buffer, image, ImageLayout.TransferDstOptimal, 1, &region);
                _g.Barrier(cb, image, ImageLayout.TransferDstOptimal, ImageLayout.ShaderReadOnlyOptimal, PipelineStageFlags.TransferBit,
                           AccessFlags.TransferWriteBit, PipelineStageFlags.FragmentShaderBit, AccessFlags.ShaderReadBit);
            });
            var info = new DescriptorImageInfo(_sampler, view, ImageLayout.ShaderReadOnlyOptimal);
            var write = new WriteDescriptorSet
            {
                SType = StructureType.WriteDescriptorSet, DstSet = set, DstBinding = 0, DescriptorCount = 1,
                DescriptorType = DescriptorType.CombinedImageSampler, PImageInfo = &info,
            };
            _vk.UpdateDescriptorSets(_g.Device, 1, &write, 0, null);
        }
        finally
        {
            _vk.DestroyBuffer(_g.Device, staging.Buffer, null);
            _vk.FreeMemory(_g.Device, staging.Memory, null);
        }
    }

    private ShaderModule LoadShader(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"shaders/{name}.spv")
            ?? throw new InvalidOperationException($"Embedded shader shaders/{name}.spv is missing: the build did not compile samples/GameEmbed/shaders/{name}.");
        var code = new byte[stream.Length];
        stream.ReadExactly(code);
        fixed (byte* p = code)
        {
            var ci = new ShaderModuleCreateInfo { SType = StructureType.ShaderModuleCreateInfo, CodeSize = (nuint)code.Length, PCode = (uint*)p };
            _vk.CreateShaderModule(_g.Device, &ci, null, out var module).Check("vkCreateShaderModule");
            return module;
        }
    }

    private void CreatePipeline()
    {
        // The target: cleared, drawn, then left in TRANSFER_SRC_OPTIMAL for whoever reads it (VulkanCnn's copy).
        var attachment = new AttachmentDescription
        {
            Format = TargetFormat, Samples = SampleCountFlags.Count1Bit, LoadOp = AttachmentLoadOp.Clear, StoreOp = AttachmentStoreOp.Store,
            StencilLoadOp = AttachmentLoadOp.DontCare, StencilStoreOp = AttachmentStoreOp.DontCare,
            InitialLayout = ImageLayout.Undefined, FinalLayout = TargetLayout,
        };
        var colorRef = new AttachmentReference(0, ImageLayout.ColorAttachmentOptimal);
        var subpass = new SubpassDescription { PipelineBindPoint = PipelineBindPoint.Graphics, ColorAttachmentCount = 1, PColorAttachments = &colorRef };
        var deps = stackalloc SubpassDependency[2]
        {
            // Waits (the semaphore at COLOR_ATTACHMENT_OUTPUT) come before the layout transition and the writes.
            new SubpassDependency(Vk.SubpassExternal, 0, PipelineStageFlags.ColorAttachmentOutputBit, PipelineStageFlags.ColorAttachmentOutputBit,
                                  0, AccessFlags.ColorAttachmentWriteBit),
            // The writes and the final transition complete before anything later in the queue copies from the target.
            new SubpassDependency(0, Vk.SubpassExternal, PipelineStageFlags.ColorAttachmentOutputBit, PipelineStageFlags.TransferBit,
                                  AccessFlags.ColorAttachmentWriteBit, AccessFlags.TransferReadBit),
        };
        var rpi = new RenderPassCreateInfo
        {
            SType = StructureType.RenderPassCreateInfo, AttachmentCount = 1, PAttachments = &attachment, SubpassCount = 1, PSubpasses = &subpass,
            DependencyCount = 2, PDependencies = deps,
        };
        _vk.CreateRenderPass(_g.Device, &rpi, null, out _renderPass).Check("vkCreateRenderPass");

        var setLayouts = stackalloc DescriptorSetLayout[2] { _frameLayout, _textureLayout };
        var pli = new PipelineLayoutCreateInfo { SType = StructureType.PipelineLayoutCreateInfo, SetLayoutCount = 2, PSetLayouts = setLayouts };
        _vk.CreatePipelineLayout(_g.Device, &pli, null, out _pipelineLayout).Check("vkCreatePipelineLayout");

        var vert = LoadShader("quad.vert");
        var frag = LoadShader("quad.frag");
        var main = Marshal.StringToCoTaskMemUTF8("main");
        try
        {
            var stages = stackalloc PipelineShaderStageCreateInfo[2]
            {
                new() { SType = StructureType.PipelineShaderStageCreateInfo, Stage = ShaderStageFlags.VertexBit, Module = vert, PName = (byte*)main },
                new() { SType = StructureType.PipelineShaderStageCreateInfo, Stage = ShaderStageFlags.FragmentBit, Module = frag, PName = (byte*)main },
            };
            var vertexInput = new PipelineVertexInputStateCreateInfo { SType = StructureType.PipelineVertexInputStateCreateInfo };
            var assembly = new PipelineInputAssemblyStateCreateInfo { SType = StructureType.PipelineInputAssemblyStateCreateInfo, Topology = PrimitiveTopology.TriangleStrip };
            var viewport = new Viewport(0, 0, Width, Height, 0, 1);
            var scissor = new Rect2D(new Offset2D(0, 0), new Extent2D((uint)Width, (uint)Height));
            var viewportState = new PipelineViewportStateCreateInfo
            {
                SType = StructureType.PipelineViewportStateCreateInfo, ViewportCount = 1, PViewports = &viewport, ScissorCount = 1, PScissors = &scissor,
            };
            var raster = new PipelineRasterizationStateCreateInfo
            {
                SType = StructureType.PipelineRasterizationStateCreateInfo, PolygonMode = PolygonMode.Fill, CullMode = CullModeFlags.None,
                FrontFace = FrontFace.CounterClockwise, LineWidth = 1,
            };
            var multisample = new PipelineMultisampleStateCreateInfo { SType = StructureType.PipelineMultisampleStateCreateInfo, RasterizationSamples = SampleCountFlags.Count1Bit };
            var blendAttachment = new PipelineColorBlendAttachmentState
            {
                ColorWriteMask = ColorComponentFlags.RBit | ColorComponentFlags.GBit | ColorComponentFlags.BBit | ColorComponentFlags.ABit,
            };
            var blend = new PipelineColorBlendStateCreateInfo { SType = StructureType.PipelineColorBlendStateCreateInfo, AttachmentCount = 1, PAttachments = &blendAttachment };
            var gpi = new GraphicsPipelineCreateInfo
            {
                SType = StructureType.GraphicsPipelineCreateInfo, StageCount = 2, PStages = stages, PVertexInputState = &vertexInput,
                PInputAssemblyState = &assembly, PViewportState = &viewportState, PRasterizationState = &raster, PMultisampleState = &multisample,
                PColorBlendState = &blend, Layout = _pipelineLayout, RenderPass = _renderPass, Subpass = 0,
            };
            _vk.CreateGraphicsPipelines(_g.Device, default, 1, &gpi, null, out _pipeline).Check("vkCreateGraphicsPipelines");
        }
        finally
        {
            Marshal.FreeCoTaskMem(main);
            _vk.DestroyShaderModule(_g.Device, vert, null);
            _vk.DestroyShaderModule(_g.Device, frag, null);
        }
    }

    private void CreateSlot(ref Slot s)
    {
        (s.Image, s.Memory) = _g.CreateImage(Width, Height, TargetFormat,
            ImageUsageFlags.ColorAttachmentBit | ImageUsageFlags.TransferSrcBit | ImageUsageFlags.SampledBit);
        s.View = _g.CreateView(s.Image, TargetFormat);
        var view = s.View;
        var fi = new FramebufferCreateInfo
        {
            SType = StructureType.FramebufferCreateInfo, RenderPass = _renderPass, AttachmentCount = 1, PAttachments = &view,
            Width = (uint)Width, Height = (uint)Height, Layers = 1,
        };
        _vk.CreateFramebuffer(_g.Device, &fi, null, out s.Framebuffer).Check("vkCreateFramebuffer");
        ulong dataBytes = HeaderBytes + (ulong)Scene.QuadCount * QuadBytes;
        (s.Data, s.DataMemory, s.Mapped) = _g.CreateBuffer(dataBytes, BufferUsageFlags.StorageBufferBit, hostVisible: true);
        s.Set = AllocateSet(_frameLayout);
        var bufferInfo = new DescriptorBufferInfo(s.Data, 0, dataBytes);
        var write = new WriteDescriptorSet
        {
            SType = StructureType.WriteDescriptorSet, DstSet = s.Set, DstBinding = 0, DescriptorCount = 1,
            DescriptorType = DescriptorType.StorageBuffer, PBufferInfo = &bufferInfo,
        };
        _vk.UpdateDescriptorSets(_g.Device, 1, &write, 0, null);

        // Recorded once: the quads' placement changes per frame through the mapped buffer, their textures do not.
        var ai = new CommandBufferAllocateInfo { SType = StructureType.CommandBufferAllocateInfo, CommandPool = _commandPool, Level = CommandBufferLevel.Primary, CommandBufferCount = 1 };
        CommandBuffer cb;
        _vk.AllocateCommandBuffers(_g.Device, &ai, &cb).Check("vkAllocateCommandBuffers");
        s.Commands = cb;
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
        _vk.BeginCommandBuffer(cb, &bi).Check("vkBeginCommandBuffer");
        var clear = new ClearValue(new ClearColorValue(0f, 0f, 0f, 1f));
        var rbi = new RenderPassBeginInfo
        {
            SType = StructureType.RenderPassBeginInfo, RenderPass = _renderPass, Framebuffer = s.Framebuffer,
            RenderArea = new Rect2D(new Offset2D(0, 0), new Extent2D((uint)Width, (uint)Height)), ClearValueCount = 1, PClearValues = &clear,
        };
        _vk.CmdBeginRenderPass(cb, &rbi, SubpassContents.Inline);
        _vk.CmdBindPipeline(cb, PipelineBindPoint.Graphics, _pipeline);
        var frameSet = s.Set;
        _vk.CmdBindDescriptorSets(cb, PipelineBindPoint.Graphics, _pipelineLayout, 0, 1, &frameSet, 0, null);
        for (int i = 0; i < _quads.Length; i++)
        {
            // The background reads no texture, but the layout has one: bind any.
            var texSet = _textures[Math.Max(0, _quads[i].Texture)].Set;
            _vk.CmdBindDescriptorSets(cb, PipelineBindPoint.Graphics, _pipelineLayout, 1, 1, &texSet, 0, null);
            _vk.CmdDraw(cb, 4, 1, 0, (uint)i);
        }
        _vk.CmdEndRenderPass(cb);
        _vk.EndCommandBuffer(cb).Check("vkEndCommandBuffer");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var d = _g.Device;
        _vk.DeviceWaitIdle(d);
        foreach (var s in _slots)
        {
            if (s.Framebuffer.Handle != 0) _vk.DestroyFramebuffer(d, s.Framebuffer, null);
            if (s.View.Handle != 0) _vk.DestroyImageView(d, s.View, null);
            if (s.Image.Handle != 0) _vk.DestroyImage(d, s.Image, null);
            if (s.Memory.Handle != 0) _vk.FreeMemory(d, s.Memory, null);
            if (s.Data.Handle != 0) _vk.DestroyBuffer(d, s.Data, null);
            if (s.DataMemory.Handle != 0) _vk.FreeMemory(d, s.DataMemory, null);
        }
        foreach (var t in _textures)
        {
            _vk.DestroyImageView(d, t.View, null);
            _vk.DestroyImage(d, t.Image, null);
            _vk.FreeMemory(d, t.Memory, null);
        }
        if (_readback.Buffer.Handle != 0) { _vk.DestroyBuffer(d, _readback.Buffer, null); _vk.FreeMemory(d, _readback.Memory, null); }
        if (_commandPool.Handle != 0) _vk.DestroyCommandPool(d, _commandPool, null);
        if (_pipeline.Handle != 0) _vk.DestroyPipeline(d, _pipeline, null);
        if (_pipelineLayout.Handle != 0) _vk.DestroyPipelineLayout(d, _pipelineLayout, null);
        if (_renderPass.Handle != 0) _vk.DestroyRenderPass(d, _renderPass, null);
        if (_pool.Handle != 0) _vk.DestroyDescriptorPool(d, _pool, null);
        if (_sampler.Handle != 0) _vk.DestroySampler(d, _sampler, null);
        if (_frameLayout.Handle != 0) _vk.DestroyDescriptorSetLayout(d, _frameLayout, null);
        if (_textureLayout.Handle != 0) _vk.DestroyDescriptorSetLayout(d, _textureLayout, null);
        if (Rendered.Handle != 0) _vk.DestroySemaphore(d, Rendered, null);
    }
}
