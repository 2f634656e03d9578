// The viewer's window and the Vulkan objects behind it (samples/Common): GLFW window, the application's own instance
// and device with the window's surface, VulkanCnn's context adopting that device, and the swapchain presenter.
using VulkanCnn.Samples.Common;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Samples.Viewer;

/// <summary>
/// Opens a window with everything needed to run VulkanCnn and present to it, and disposes them in reverse order.
/// <see cref="ValidationErrors"/> stays readable after <see cref="Dispose"/> (leaks are reported while destroying).
/// </summary>
internal sealed class ViewerWindow : IDisposable
{
    private bool _disposed;

    private ViewerWindow(GlfwWindow window, VulkanHost host, VulkanContext context, SwapchainPresenter presenter)
    {
        Window = window; Host = host; Context = context; Presenter = presenter;
    }

    public GlfwWindow Window { get; }
    public VulkanHost Host { get; }
    /// <summary>VulkanCnn's context on the host's device and queue (adopted, not owned).</summary>
    public VulkanContext Context { get; }
    public SwapchainPresenter Presenter { get; }
    /// <summary>The validation layer's errors on the host's instance and device, leaks at destruction included.</summary>
    public IReadOnlyList<string> ValidationErrors => Host.ValidationErrors;

    /// <summary>Opens a <paramref name="width"/>×<paramref name="height"/> window on <paramref name="device"/> (null: VULKANCNN_DEVICE or the best).</summary>
    public static ViewerWindow Open(int width, int height, string title, string? device, bool? validation, bool vsync = false)
    {
        var window = new GlfwWindow(width, height, title);
        VulkanHost? host = null;
        VulkanContext? context = null;
        try
        {
            host = new VulkanHost(GlfwWindow.RequiredInstanceExtensions(), window.CreateSurface, device, validation);
            context = host.CreateContext();
            var presenter = new SwapchainPresenter(host, () => window.FramebufferSize, vsync);
            return new ViewerWindow(window, host, context, presenter);
        }
        catch
        {
            context?.Dispose();
            host?.Dispose();
            window.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Presenter.Dispose();
        Context.Dispose();
        Host.Dispose();
        Window.Dispose();
    }
}
