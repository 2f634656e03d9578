// The context's queue: submissions serialised on it, fences, command pools, one-off command buffers.
using Silk.NET.Vulkan;

namespace VulkanCnn.Vulkan;

public sealed unsafe partial class VulkanContext
{
    // vkQueueSubmit and vkQueueWaitIdle need the queue externally synchronised, and a command pool with its command
    // buffers is externally synchronised too: sessions created on several threads at once share the one-shot pool.
    private readonly object _queueLock = new(), _oneShotLock = new();
    private CommandPool _oneShotPool;

    /// <summary>Submits a command buffer and waits on its fence. Serialised: the queue is externally synchronised.</summary>
    internal void SubmitAndWait(CommandBuffer cmd, Fence fence)
    {
        Submit(cmd, fence);
        WaitFence(fence);
    }

    /// <summary>Submits a command buffer that signals <paramref name="fence"/> (reset here) and returns without waiting.</summary>
    internal void Submit(CommandBuffer cmd, Fence fence)
    {
        ThrowIfDisposed();
        var si = new SubmitInfo { SType = StructureType.SubmitInfo, CommandBufferCount = 1, PCommandBuffers = &cmd };
        try
        {
            lock (_queueLock)
            {
                Vk.ResetFences(Device, 1, &fence).Check("vkResetFences");
                Vk.QueueSubmit(Queue, 1, &si, fence).Check("vkQueueSubmit");
            }
        }
        catch (DeviceLostException e) { throw Lost(e); }
    }

    /// <summary>One vkQueueSubmit of <paramref name="count"/> batches, serialised with every other submission.</summary>
    internal void QueueSubmit(SubmitInfo* batches, uint count, Fence fence)
    {
        ThrowIfDisposed();
        try { lock (_queueLock) Vk.QueueSubmit(Queue, count, batches, fence).Check("vkQueueSubmit"); }
        catch (DeviceLostException e) { throw Lost(e); }
    }

    internal void WaitFence(Fence fence)
    {
        // A bounded wait turns a hung GPU into an error instead of a hung process.
        const ulong timeoutNs = 120UL * 1_000_000_000UL;
        var r = Vk.WaitForFences(Device, 1, &fence, true, timeoutNs);
        if (r == Result.Timeout)
            throw new VulkanException("vkWaitForFences timed out after 120 s: the GPU did not finish the work.", r, "vkWaitForFences");
        try { r.Check("vkWaitForFences"); }
        catch (DeviceLostException e) { throw Lost(e); }
    }

    /// <summary>
    /// For Dispose: waits (bounded) for <paramref name="fence"/> and ignores what the wait reports: a lost device still
    /// has its objects destroyed, and a disposal must not throw.
    /// </summary>
    internal void DrainFence(Fence fence)
    {
        if (fence.Handle != 0) Vk.WaitForFences(Device, 1, &fence, true, 10_000_000_000UL);
    }

    /// <summary>For Dispose: waits for the queue to go idle, ignoring a lost device (its objects are still destroyed).</summary>
    internal void DrainQueue()
    {
        lock (_queueLock) Vk.QueueWaitIdle(Queue);
    }

    internal Fence CreateFence()
    {
        var fi = new FenceCreateInfo { SType = StructureType.FenceCreateInfo, Flags = FenceCreateFlags.SignaledBit };
        Fence f;
        Vk.CreateFence(Device, &fi, null, &f).Check("vkCreateFence");
        return f;
    }

    internal CommandPool CreateCommandPool()
    {
        var pi = new CommandPoolCreateInfo
        {
            SType = StructureType.CommandPoolCreateInfo,
            QueueFamilyIndex = QueueFamily,
            Flags = CommandPoolCreateFlags.ResetCommandBufferBit,
        };
        CommandPool pool;
        Vk.CreateCommandPool(Device, &pi, null, &pool).Check("vkCreateCommandPool");
        return pool;
    }

    internal CommandBuffer AllocateCommandBuffer(CommandPool pool)
    {
        var ai = new CommandBufferAllocateInfo
        {
            SType = StructureType.CommandBufferAllocateInfo,
            CommandPool = pool,
            Level = CommandBufferLevel.Primary,
            CommandBufferCount = 1,
        };
        CommandBuffer cb;
        Vk.AllocateCommandBuffers(Device, &ai, &cb).Check("vkAllocateCommandBuffers");
        return cb;
    }

    /// <summary>Records a global memory barrier: writes in <paramref name="srcAccess"/> at <paramref name="src"/> made visible to <paramref name="dstAccess"/> at <paramref name="dst"/>.</summary>
    internal void CmdMemoryBarrier(CommandBuffer cmd, PipelineStageFlags src, AccessFlags srcAccess, PipelineStageFlags dst, AccessFlags dstAccess)
    {
        var mb = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = srcAccess, DstAccessMask = dstAccess };
        Vk.CmdPipelineBarrier(cmd, src, dst, 0, 1, &mb, 0, null, 0, null);
    }

    /// <summary>Records and runs a one-off command buffer (uploads at load time; never on the per-frame path).</summary>
    internal void RunOnce(Action<CommandBuffer> record)
    {
        ThrowIfDisposed();
        lock (_oneShotLock)
        {
            if (_oneShotPool.Handle == 0) _oneShotPool = CreateCommandPool();
            var cb = AllocateCommandBuffer(_oneShotPool);
            Fence fence = default;
            try
            {
                fence = CreateFence();
                var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo, Flags = CommandBufferUsageFlags.OneTimeSubmitBit };
                Vk.BeginCommandBuffer(cb, &bi).Check("vkBeginCommandBuffer");
                record(cb);
                Vk.EndCommandBuffer(cb).Check("vkEndCommandBuffer");
                SubmitAndWait(cb, fence);
            }
            finally
            {
                // After a failed wait the work may still run: it must finish before its command buffer is freed.
                if (fence.Handle != 0 && Vk.GetFenceStatus(Device, fence) == Result.NotReady) lock (_queueLock) Vk.QueueWaitIdle(Queue);
                if (fence.Handle != 0) Vk.DestroyFence(Device, fence, null);
                Vk.FreeCommandBuffers(Device, _oneShotPool, 1, &cb);
            }
        }
    }

    /// <summary>Waits until the device has finished all work (on the queue VulkanCnn uses).</summary>
    public void WaitIdle()
    {
        ThrowIfDisposed();
        try { lock (_queueLock) Vk.QueueWaitIdle(Queue).Check("vkQueueWaitIdle"); }
        catch (DeviceLostException e) { throw Lost(e); }
    }
}
