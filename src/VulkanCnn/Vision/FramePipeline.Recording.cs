// FramePipeline's command recording: copy in, format conversion, pre-processing, overlay, output copy; inference timestamps.
using Silk.NET.Vulkan;
using VulkanCnn.Vulkan;
using Image = Silk.NET.Vulkan.Image;

namespace VulkanCnn.Vision;

public sealed unsafe partial class FramePipeline
{
    // ---------------------------------------------------------------------------------------------- recording

    private void RecordFrame(CommandBuffer cmd, int slot, RenderFrame? frame, PixelFormat format, bool preprocess)
    {
        var vk = _ctx.Vk;
        vk.ResetCommandBuffer(cmd, 0).Check("vkResetCommandBuffer");
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo, Flags = CommandBufferUsageFlags.OneTimeSubmitBit };
        vk.BeginCommandBuffer(cmd, &bi).Check("vkBeginCommandBuffer");
        uint q0 = (uint)(slot * FrameQueries);
        if (_timed) vk.CmdResetQueryPool(cmd, _frameQueries, q0, FrameQueries);
        // This slot's buffers were last used by a frame that has completed; order its writes before ours all the same.
        _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit | PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferWriteBit | AccessFlags.ShaderWriteBit,
                PipelineStageFlags.TransferBit | PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferReadBit | AccessFlags.TransferWriteBit | AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit);
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.TopOfPipeBit, _frameQueries, q0);

        // 1. The frame into the canvas (packed RGBA8).
        // RGBA arrives as it is (an image copy, or a buffer copy from staging); other formats go through the PACK pass.
        bool convert = format != PixelFormat.Rgba8;
        if (frame != null)
        {
            var target = convert ? _raw[slot] : _canvas[slot];
            bool transition = frame.Layout is not (ImageLayout.TransferSrcOptimal or ImageLayout.General);
            var copyLayout = transition ? ImageLayout.TransferSrcOptimal : frame.Layout;
            if (transition)
                ImageBarrier(cmd, frame.Image, frame.Layout, ImageLayout.TransferSrcOptimal, PipelineStageFlags.TransferBit, 0, PipelineStageFlags.TransferBit, AccessFlags.TransferReadBit);
            var region = new BufferImageCopy
            {
                BufferOffset = target.Offset,
                ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1),
                ImageExtent = new Extent3D((uint)Width, (uint)Height, 1),
            };
            vk.CmdCopyImageToBuffer(cmd, frame.Image, copyLayout, target.Buffer, 1, &region);
            // Back to the host's layout; the semaphore signal at the end of the batch orders the host's next use.
            if (transition)
                ImageBarrier(cmd, frame.Image, ImageLayout.TransferSrcOptimal, frame.Layout, PipelineStageFlags.TransferBit, 0, PipelineStageFlags.AllCommandsBit, 0);
            if (convert) _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit);
        }
        else if (!convert)
        {
            // The host wrote the staging slot before this submission: vkQueueSubmit makes host writes visible.
            var region = new BufferCopy(_raw[slot].Offset, _canvas[slot].Offset, (ulong)Width * (ulong)Height * 4);
            vk.CmdCopyBuffer(cmd, _raw[slot].Buffer, _canvas[slot].Buffer, 1, &region);
        }
        if (convert) RecordConvert(cmd, slot, format);
        _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.TransferBit | PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferWriteBit | AccessFlags.ShaderWriteBit,
                PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit | AccessFlags.TransferReadBit);
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _frameQueries, q0 + 1);

        // 2. Pre-processing into the session input when an inference starts on this frame.
        if (preprocess)
        {
            _pre.RecordInto(cmd, slot);
            // The network (later in this submission) reads the input: compute, or the transfer of its staging copy.
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit,
                    PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit | AccessFlags.TransferReadBit);
        }
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _frameQueries, q0 + 2);

        // 3. The overlay of the newest result.
        if (_overlay.RecordDraw(cmd, slot, _scene))
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.TransferBit, AccessFlags.TransferReadBit);
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _frameQueries, q0 + 3);

        // 4. Canvas -> output image, left in SHADER_READ_ONLY_OPTIMAL for the host to sample.
        ImageBarrier(cmd, _outputImage, _outputInitialised ? ImageLayout.ShaderReadOnlyOptimal : ImageLayout.Undefined, ImageLayout.TransferDstOptimal,
                     PipelineStageFlags.TransferBit, 0, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit);
        var copy = new BufferImageCopy
        {
            BufferOffset = _canvas[slot].Offset,
            ImageSubresource = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1),
            ImageExtent = new Extent3D((uint)Width, (uint)Height, 1),
        };
        vk.CmdCopyBufferToImage(cmd, _canvas[slot].Buffer, _outputImage, ImageLayout.TransferDstOptimal, 1, &copy);
        // ALL_COMMANDS as the second scope, so that the next frame's barriers (and the signal) chain after the transition.
        ImageBarrier(cmd, _outputImage, ImageLayout.TransferDstOptimal, ImageLayout.ShaderReadOnlyOptimal,
                     PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.AllCommandsBit, 0);
        _outputInitialised = true;
        // ReadOutput reads the canvas from the host after the frame completes.
        _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit,
                PipelineStageFlags.HostBit | PipelineStageFlags.TransferBit, AccessFlags.HostReadBit | AccessFlags.TransferReadBit);
        if (_timed) vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _frameQueries, q0 + 4);
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
    }

    private void RecordConvert(CommandBuffer cmd, int slot, PixelFormat format)
    {
        var vk = _ctx.Vk;
        // BGRA (swapchain-style host images and CPU frames) is a byte swap with a kernel of its own; every other format
        // goes through the general converter, preprocess.comp with PACK = 1.
        bool swizzle = format == PixelFormat.Bgra8;
        if (!_convert.TryGetValue(format, out var c))
        {
            // First frame of this format: one pipeline and one descriptor set per slot, kept for the pipeline's life.
            var kernel = swizzle
                ? _ctx.Pipelines.Get("swizzle_bgra", 2, (uint)sizeof(SwizzlePush), ReadOnlySpan<int>.Empty)
                : _ctx.Pipelines.Get("preprocess", 2, (uint)sizeof(FramePreprocessor.Push), new[] { (int)format, 0, 0, 0, 1 });
            var sets = new DescriptorSet[Slots];
            for (int i = 0; i < Slots; i++) sets[i] = WriteConvertSet(kernel, i);
            c = (kernel, sets);
            _convert[format] = c;
        }
        var set = c.Sets[slot];
        vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, c.Kernel.Pipeline);
        vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, c.Kernel.Layout, 0, 1, &set, 0, null);
        long work;
        if (swizzle)
        {
            var push = new SwizzlePush { Quads = (Width * Height + 3) / 4, Pixels = Width * Height };
            vk.CmdPushConstants(cmd, c.Kernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(SwizzlePush), &push);
            work = push.Quads;
        }
        else
        {
            var push = new FramePreprocessor.Push { SrcW = Width, SrcH = Height, DstW = Width, DstH = Height, ScaleX = 1, ScaleY = 1, PixelScale = 1, Std0 = 1, Std1 = 1, Std2 = 1 };
            vk.CmdPushConstants(cmd, c.Kernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(FramePreprocessor.Push), &push);
            work = (long)Width * Height;
        }
        var (x, y) = LayerCompiler.Grid((work + 63) / 64);
        vk.CmdDispatch(cmd, x, y, 1);
    }

    /// <summary>Mirror of the push-constant block of shaders/swizzle_bgra.comp.</summary>
    [PushConstants("swizzle_bgra")]
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    internal struct SwizzlePush
    {
        public int Quads, Pixels;
    }

    private void ImageBarrier(CommandBuffer cmd, Image image, ImageLayout from, ImageLayout to, PipelineStageFlags src, AccessFlags srcAccess,
                              PipelineStageFlags dst, AccessFlags dstAccess)
    {
        var ib = new ImageMemoryBarrier
        {
            SType = StructureType.ImageMemoryBarrier, SrcAccessMask = srcAccess, DstAccessMask = dstAccess, OldLayout = from, NewLayout = to,
            SrcQueueFamilyIndex = Vk.QueueFamilyIgnored, DstQueueFamilyIndex = Vk.QueueFamilyIgnored, Image = image,
            SubresourceRange = new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1),
        };
        _ctx.Vk.CmdPipelineBarrier(cmd, src, dst, 0, 0, null, 0, null, 1, &ib);
    }

    private CommandBuffer RecordInferStamp(bool reset, uint stamp, bool barrier)
    {
        var vk = _ctx.Vk;
        var cmd = _ctx.AllocateCommandBuffer(_pool);
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
        vk.BeginCommandBuffer(cmd, &bi).Check("vkBeginCommandBuffer");
        if (barrier)
        {
            // The network's previous run (complete, but in an earlier submission) and this frame's pre-processing.
            _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit,
                    PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit | AccessFlags.TransferReadBit | AccessFlags.TransferWriteBit);
        }
        if (_timed)
        {
            if (reset) vk.CmdResetQueryPool(cmd, _inferQueries, 0, InferQueries);
            vk.CmdWriteTimestamp(cmd, PipelineStageFlags.BottomOfPipeBit, _inferQueries, stamp);
        }
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
        return cmd;
    }
}
