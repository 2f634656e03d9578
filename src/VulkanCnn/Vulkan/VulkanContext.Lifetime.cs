// The context's lifetime: the objects created on it (sessions, pre-processors, pipelines, overlays, post-processing)
// are tracked and disposed before the device is destroyed; a lost device makes every later use an error.
using Silk.NET.Vulkan;

namespace VulkanCnn.Vulkan;

public sealed unsafe partial class VulkanContext
{
    // Every object that holds handles of this device, oldest first. Disposing the context disposes them newest first
    // (an owner is created after what it uses, or owns what it creates), so that vkDestroyDevice never sees a live child
    // and a child disposed later finds itself disposed already: a no-op instead of calls into a destroyed device.
    private readonly LinkedList<IDisposable> _children = new();
    private bool _disposing, _disposed;
    private volatile string? _lostIn;

    /// <summary>
    /// True once a Vulkan call reported VK_ERROR_DEVICE_LOST: every later call on the context or its objects throws
    /// <see cref="DeviceLostException"/>. Dispose the objects and the context (that still works) and create a new context.
    /// </summary>
    public bool IsDeviceLost => _lostIn != null;

    /// <summary>Registers <paramref name="child"/>, an object holding handles of this device; pass the result to <see cref="Untrack"/> in its Dispose.</summary>
    internal LinkedListNode<IDisposable> Track(IDisposable child)
    {
        lock (_children)
        {
            if (_disposing) throw new ObjectDisposedException(nameof(VulkanContext), DisposedMessage);
            return _children.AddLast(child);
        }
    }

    /// <summary>Forgets a child (idempotent; null for a child whose constructor failed before it registered).</summary>
    internal void Untrack(LinkedListNode<IDisposable>? node)
    {
        if (node == null) return;
        lock (_children)
            if (node.List == _children) _children.Remove(node);
    }

    /// <summary>Objects created on this context and not yet disposed (a leak check for tests).</summary>
    internal int LiveChildren { get { lock (_children) return _children.Count; } }

    private const string DisposedMessage =
        "The VulkanContext was disposed; the objects created on it (sessions, tasks, pipelines) were disposed with it.";

    /// <summary>Throws when the context is disposed (ObjectDisposedException) or its device was lost (DeviceLostException).</summary>
    internal void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(VulkanContext), DisposedMessage);
        if (_lostIn is { } call) throw new DeviceLostException(LostMessage(call, earlier: true), call);
    }

    private string LostMessage(string call, bool earlier) =>
        $"The Vulkan device {DeviceInfo.Name} was lost{(earlier ? " earlier" : "")} (in {call}): no object of this context can run any more. " +
        "Dispose them and the context, and create a new VulkanContext.";

    /// <summary>Records a lost device and returns the exception to throw, with the device named.</summary>
    private DeviceLostException Lost(DeviceLostException e)
    {
        _lostIn ??= e.Call;
        return new DeviceLostException(LostMessage(e.Call, earlier: false), e.Call, e);
    }

    /// <summary>
    /// Waits for the device to go idle, disposes every object still alive on this context (newest first), frees the
    /// memory and pipelines, and destroys the device and instance it created; an adopted device is left alive.
    /// Idempotent. Throws <see cref="InvalidOperationException"/>, destroying nothing more, when one of its objects is
    /// inside a call on another thread.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        lock (_children) _disposing = true;
        try { lock (_queueLock) Vk.QueueWaitIdle(Queue); } catch { /* a lost device still has to be torn down */ }
        while (true)
        {
            IDisposable child;
            lock (_children)
            {
                if (_children.Last is not { } last) break;
                child = last.Value;
            }
            ReportAlive(child);
            try { child.Dispose(); }
            catch (InvalidOperationException)
            {
                lock (_children) _disposing = false;
                throw;
            }
            Untrack(FindChild(child));   // a child that does not untrack itself is not disposed twice
        }
        Pipelines?.Dispose();
        Allocator?.Dispose();
        if (_oneShotPool.Handle != 0) Vk.DestroyCommandPool(Device, _oneShotPool, null);
        if (_ownsDevice) Vk.DestroyDevice(Device, null);
        _disposed = true;
        DestroyInstance();
    }

    /// <summary>
    /// With validation on, an object still alive when its context is disposed is reported as an error, as the layer
    /// reports objects alive at vkDestroyDevice: the context disposes it (no call into a destroyed device), but its owner
    /// forgot it, and leak tests must see that.
    /// </summary>
    private void ReportAlive(IDisposable child)
    {
        if (!ValidationEnabled) return;
        string text = $"{child.GetType().Name} was still alive at vkDestroyDevice: the VulkanContext disposed it. " +
                      "Dispose objects before their context (pipeline, task, context).";
        lock (_validationErrors) _validationErrors.Add($"{AliveAtDestroyId}: {text}");
        try { _validationCallback?.Invoke(new ValidationMessage(true, AliveAtDestroyId, text)); } catch { /* a callback must not stop the disposal */ }
    }

    /// <summary>Message id of <see cref="ReportAlive"/>'s errors in <see cref="ValidationErrors"/>.</summary>
    internal const string AliveAtDestroyId = "VulkanCnn-ObjectAliveAtDestroyDevice";

    private LinkedListNode<IDisposable>? FindChild(IDisposable child)
    {
        lock (_children) return _children.FindLast(child);
    }
}
