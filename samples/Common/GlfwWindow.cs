// A desktop window for Vulkan presentation through the system GLFW 3 (libglfw.so.3, Debian package libglfw3), bound by
// P/Invoke: no OpenGL context (GLFW_CLIENT_API = NO_API), the instance extensions a surface needs, surface creation,
// events, keys and the framebuffer size. Shared by the samples (linked as source, hence internal).
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;

namespace VulkanCnn.Samples.Common;

/// <summary>GLFW could not start (no library, no display) or refused a request; the message says what to do instead.</summary>
internal sealed class WindowException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One GLFW window without a graphics-API context, for a Vulkan swapchain. GLFW is process-global and not
/// thread-safe: create, poll and dispose windows on one thread (the main thread).
/// </summary>
internal sealed unsafe class GlfwWindow : IDisposable
{
    /// <summary>GLFW key codes used by the samples (GLFW_KEY_*).</summary>
    public static class Keys
    {
        public const int Space = 32, Escape = 256, Enter = 257, Tab = 258, Right = 262, Left = 263, Down = 264, Up = 265;
        /// <summary>Letters: 'A'..'Z' are their ASCII codes; digits '0'..'9' likewise.</summary>
        public static int Letter(char c) => char.ToUpperInvariant(c);
    }

    private static int _windows;
    private static readonly object Gate = new();
    private nint _handle;

    /// <summary>
    /// Opens a <paramref name="width"/>×<paramref name="height"/> window titled <paramref name="title"/>.
    /// Throws <see cref="WindowException"/> when GLFW is missing, there is no display, or Vulkan is unavailable to GLFW.
    /// </summary>
    public GlfwWindow(int width, int height, string title, bool resizable = true)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Window size {width}x{height} must be positive.");
        lock (Gate)
        {
            if (_windows == 0) Init();
            try
            {
                Native.glfwDefaultWindowHints();
                Native.glfwWindowHint(Native.ClientApi, Native.NoApi);
                Native.glfwWindowHint(Native.Resizable, resizable ? 1 : 0);
                _handle = Native.glfwCreateWindow(width, height, title, 0, 0);
                if (_handle == 0) throw new WindowException($"glfwCreateWindow failed for a {width}x{height} window: {LastError()}.");
                _windows++;
            }
            catch
            {
                if (_windows == 0) Native.glfwTerminate();
                throw;
            }
        }
    }

    /// <summary>The native GLFWwindow*.</summary>
    public nint Handle => _handle;

    /// <summary>True once the user closed the window (or <see cref="Close"/> was called).</summary>
    public bool ShouldClose { get { ThrowIfDisposed(); return Native.glfwWindowShouldClose(_handle) != 0; } }

    /// <summary>Asks the window to close: <see cref="ShouldClose"/> becomes true.</summary>
    public void Close() { ThrowIfDisposed(); Native.glfwSetWindowShouldClose(_handle, 1); }

    /// <summary>Processes pending window-system events (input, resize, close) without blocking.</summary>
    public void PollEvents() { ThrowIfDisposed(); Native.glfwPollEvents(); }

    /// <summary>Whether key <paramref name="key"/> (a <see cref="Keys"/> code) is held down.</summary>
    public bool IsKeyDown(int key) { ThrowIfDisposed(); return Native.glfwGetKey(_handle, key) == 1; }

    /// <summary>The drawable size in pixels (0×0 while minimised).</summary>
    public (int Width, int Height) FramebufferSize
    {
        get
        {
            ThrowIfDisposed();
            int w, h;
            Native.glfwGetFramebufferSize(_handle, &w, &h);
            return (w, h);
        }
    }

    /// <summary>Sets the title bar text.</summary>
    public string Title { set { ThrowIfDisposed(); Native.glfwSetWindowTitle(_handle, value); } }

    /// <summary>Asks the window system for a new client-area size (takes effect once events are polled).</summary>
    public void SetSize(int width, int height)
    {
        ThrowIfDisposed();
        if (width <= 0 || height <= 0) throw new ArgumentException($"Window size {width}x{height} must be positive.");
        Native.glfwSetWindowSize(_handle, width, height);
    }

    /// <summary>Moves the window's top-left corner to screen position (x, y).</summary>
    public void SetPosition(int x, int y) { ThrowIfDisposed(); Native.glfwSetWindowPos(_handle, x, y); }

    /// <summary>The instance extensions GLFW needs to create a surface on this platform (VK_KHR_surface and VK_KHR_xcb_surface, say).</summary>
    public static IReadOnlyList<string> RequiredInstanceExtensions()
    {
        lock (Gate)
        {
            bool temporary = _windows == 0;
            if (temporary) Init();
            try
            {
                uint n;
                byte** names = Native.glfwGetRequiredInstanceExtensions(&n);
                if (names == null) throw new WindowException($"GLFW found no way to present Vulkan to this window system: {LastError()}.");
                var list = new string[n];
                for (int i = 0; i < n; i++) list[i] = Marshal.PtrToStringUTF8((nint)names[i])!;
                return list;
            }
            finally { if (temporary) Native.glfwTerminate(); }
        }
    }

    /// <summary>Creates a VkSurfaceKHR for this window on <paramref name="instance"/> (created with <see cref="RequiredInstanceExtensions"/>); the caller destroys it.</summary>
    public SurfaceKHR CreateSurface(Instance instance)
    {
        ThrowIfDisposed();
        ulong surface;
        int r = Native.glfwCreateWindowSurface(instance.Handle, _handle, null, &surface);
        if (r != 0) throw new WindowException($"glfwCreateWindowSurface failed with VkResult {(Result)r}: {LastError()}.");
        return new SurfaceKHR(surface);
    }

    public void Dispose()
    {
        if (_handle == 0) return;
        lock (Gate)
        {
            Native.glfwDestroyWindow(_handle);
            _handle = 0;
            if (--_windows == 0) Native.glfwTerminate();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle == 0, this);

    private static void Init()
    {
        try
        {
            if (Native.glfwInit() == 0)
            {
                string why = LastError();
                string hint = string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY"))
                    ? " No display: DISPLAY is not set. Run under a desktop session or Xvfb (xvfb-run), or write files headless with --output instead of --window."
                    : " Check DISPLAY, or write files headless with --output instead of --window.";
                throw new WindowException($"GLFW could not start: {why}.{hint}");
            }
        }
        catch (DllNotFoundException e)
        {
            throw new WindowException("The GLFW library (libglfw.so.3) is not installed: run scripts/setup.sh (Debian package libglfw3), " +
                                      "or write files headless with --output instead of --window.", e);
        }
        if (Native.glfwVulkanSupported() == 0)
        {
            string why = LastError();
            Native.glfwTerminate();
            throw new WindowException($"GLFW finds no Vulkan loader it can present with: {why}.");
        }
    }

    private static string LastError()
    {
        byte* text;
        int code = Native.glfwGetError(&text);
        if (code == 0) return "no error reported";
        return $"GLFW error 0x{code:X5}: {(text != null ? Marshal.PtrToStringUTF8((nint)text) : "")}";
    }

    private static class Native
    {
        private const string Lib = "libglfw.so.3";
        public const int ClientApi = 0x00022001, NoApi = 0, Resizable = 0x00020003;

        [DllImport(Lib)] public static extern int glfwInit();
        [DllImport(Lib)] public static extern void glfwTerminate();
        [DllImport(Lib)] public static extern int glfwGetError(byte** description);
        [DllImport(Lib)] public static extern void glfwDefaultWindowHints();
        [DllImport(Lib)] public static extern void glfwWindowHint(int hint, int value);
        [DllImport(Lib)] public static extern nint glfwCreateWindow(int width, int height, [MarshalAs(UnmanagedType.LPUTF8Str)] string title, nint monitor, nint share);
        [DllImport(Lib)] public static extern void glfwDestroyWindow(nint window);
        [DllImport(Lib)] public static extern int glfwWindowShouldClose(nint window);
        [DllImport(Lib)] public static extern void glfwSetWindowShouldClose(nint window, int value);
        [DllImport(Lib)] public static extern void glfwSetWindowTitle(nint window, [MarshalAs(UnmanagedType.LPUTF8Str)] string title);
        [DllImport(Lib)] public static extern void glfwSetWindowPos(nint window, int x, int y);
        [DllImport(Lib)] public static extern void glfwSetWindowSize(nint window, int width, int height);
        [DllImport(Lib)] public static extern void glfwPollEvents();
        [DllImport(Lib)] public static extern int glfwGetKey(nint window, int key);
        [DllImport(Lib)] public static extern void glfwGetFramebufferSize(nint window, int* width, int* height);
        [DllImport(Lib)] public static extern int glfwVulkanSupported();
        [DllImport(Lib)] public static extern byte** glfwGetRequiredInstanceExtensions(uint* count);
        [DllImport(Lib)] public static extern int glfwCreateWindowSurface(nint instance, nint window, void* allocator, ulong* surface);
    }
}
