// The game's own Vulkan set-up, as any Silk.NET.Vulkan game would have it: instance (with the validation layer when
// asked), a physical device chosen by name or index, a device with one graphics queue and timeline semaphores, and the
// small helpers (memory types, one-off command buffers) the renderer needs. Nothing here is VulkanCnn.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Silk.NET.Core;
using Silk.NET.Vulkan;
using Semaphore = Silk.NET.Vulkan.Semaphore;

namespace VulkanCnn.Samples.GameEmbed;

/// <summary>A Vulkan call of the game failed.</summary>
internal sealed class GameVulkanException(string message) : Exception(message);

internal static class GameCheck
{
    public static void Check(this Result r, [CallerArgumentExpression(nameof(r))] string call = "")
    {
        if (r < Result.Success) throw new GameVulkanException($"{call} failed with {r}.");
    }
}

/// <summary>The game's instance, device and graphics queue. Owns them all.</summary>
internal sealed unsafe class GameDevice : IDisposable
{
    public const string SwiftShaderIcd = "/usr/lib/chromium/vk_swiftshader_icd.json";

    public readonly Vk Vk;
    public readonly Instance Instance;
    public readonly PhysicalDevice PhysicalDevice;
    public readonly Device Device;
    public readonly uint QueueFamily;
    public readonly Queue Queue;
    public readonly string DeviceName;
    public readonly PhysicalDeviceMemoryProperties MemoryProperties;
    /// <summary>The window surface (null handle when headless); destroyed with the instance.</summary>
    public readonly SurfaceKHR Surface;
    private readonly DebugUtilsMessengerEXT _messenger;
    private readonly GCHandle _self;
    private readonly List<string> _validationErrors = new();
    private readonly CommandPool _oneShotPool;
    private bool _disposed;

    /// <summary>Validation errors reported on this instance so far (the game's calls and VulkanCnn's alike).</summary>
    public IReadOnlyList<string> ValidationErrors { get { lock (_validationErrors) return _validationErrors.ToArray(); } }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    /// <param name="device">Device index or name substring ("swiftshader", "llvmpipe", "nvidia"); null: VULKANCNN_DEVICE, else the first GPU.</param>
    /// <param name="validation">Enable VK_LAYER_KHRONOS_validation and collect its errors.</param>
    /// <param name="instanceExtensions">Extra instance extensions (a window system's surface extensions).</param>
    /// <param name="deviceExtensions">Extra device extensions (VK_KHR_swapchain for a window).</param>
    /// <param name="createSurface">Makes the window surface on the new instance; the chosen queue must then present to it.</param>
    public GameDevice(string? device, bool validation, IReadOnlyList<string>? instanceExtensions = null, IReadOnlyList<string>? deviceExtensions = null,
                      Func<Instance, SurfaceKHR>? createSurface = null)
    {
        // SwiftShader's manifest is outside the loader's search path: add it unless the user chose drivers himself.
        if (OperatingSystem.IsLinux() && File.Exists(SwiftShaderIcd) &&
            new[] { "VK_ICD_FILENAMES", "VK_DRIVER_FILES", "VK_ADD_DRIVER_FILES" }.All(v => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))))
        {
            SetEnv("VK_ADD_DRIVER_FILES", SwiftShaderIcd, 0);
            Environment.SetEnvironmentVariable("VK_ADD_DRIVER_FILES", SwiftShaderIcd);
        }
        Vk = Vk.GetApi();
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
        var instExts = new List<string>(instanceExtensions ?? Array.Empty<string>());
        if (validation) instExts.Add("VK_EXT_debug_utils");
        var layers = validation ? new[] { "VK_LAYER_KHRONOS_validation" } : Array.Empty<string>();
        var messengerInfo = new DebugUtilsMessengerCreateInfoEXT
        {
            SType = StructureType.DebugUtilsMessengerCreateInfoExt,
            MessageSeverity = DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt | DebugUtilsMessageSeverityFlagsEXT.WarningBitExt,
            MessageType = DebugUtilsMessageTypeFlagsEXT.GeneralBitExt | DebugUtilsMessageTypeFlagsEXT.ValidationBitExt,
            PfnUserCallback = new PfnDebugUtilsMessengerCallbackEXT(&OnMessage),
            PUserData = (void*)GCHandle.ToIntPtr(_self),
        };
        using (var names = new NativeStrings(instExts.Concat(layers).Append("GameEmbed")))
        {
            var app = new ApplicationInfo
            {
                SType = StructureType.ApplicationInfo, PApplicationName = names[^1], PEngineName = names[^1], ApiVersion = Vk.Version12,
            };
            var extPtrs = stackalloc byte*[instExts.Count + 1];
            for (int i = 0; i < instExts.Count; i++) extPtrs[i] = names[i];
            var layerPtrs = stackalloc byte*[1];
            if (validation) layerPtrs[0] = names[instExts.Count];
            var ci = new InstanceCreateInfo
            {
                SType = StructureType.InstanceCreateInfo, PApplicationInfo = &app,
                EnabledExtensionCount = (uint)instExts.Count, PpEnabledExtensionNames = extPtrs,
                EnabledLayerCount = (uint)layers.Length, PpEnabledLayerNames = layerPtrs,
                PNext = validation ? &messengerInfo : null,
            };
            Instance inst;
            Vk.CreateInstance(&ci, null, &inst).Check("vkCreateInstance");
            Instance = inst;
        }
        try
        {
            if (validation)
            {
                var create = (delegate* unmanaged<Instance, DebugUtilsMessengerCreateInfoEXT*, AllocationCallbacks*, DebugUtilsMessengerEXT*, Result>)
                    (void*)Vk.GetInstanceProcAddr(Instance, "vkCreateDebugUtilsMessengerEXT").Handle;
                DebugUtilsMessengerEXT m;
                create(Instance, &messengerInfo, null, &m).Check("vkCreateDebugUtilsMessengerEXT");
                _messenger = m;
            }
            if (createSurface != null) Surface = createSurface(Instance);
            (PhysicalDevice, QueueFamily, DeviceName) = ChoosePhysicalDevice(device ?? Environment.GetEnvironmentVariable("VULKANCNN_DEVICE"));
            Device = CreateDevice(deviceExtensions ?? Array.Empty<string>());
            Vk.GetDeviceQueue(Device, QueueFamily, 0, out Queue);
            Vk.GetPhysicalDeviceMemoryProperties(PhysicalDevice, out MemoryProperties);
            var pi = new CommandPoolCreateInfo { SType = StructureType.CommandPoolCreateInfo, QueueFamilyIndex = QueueFamily };
            Vk.CreateCommandPool(Device, &pi, null, out _oneShotPool).Check("vkCreateCommandPool");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static Bool32 OnMessage(DebugUtilsMessageSeverityFlagsEXT severity, DebugUtilsMessageTypeFlagsEXT types,
                                    DebugUtilsMessengerCallbackDataEXT* data, void* user)
    {
        try
        {
            if (user != null && GCHandle.FromIntPtr((nint)user).Target is GameDevice g)
            {
                string text = Marshal.PtrToStringUTF8((nint)data->PMessage) ?? "";
                if ((severity & DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt) != 0)
                    lock (g._validationErrors) g._validationErrors.Add(text);
                else Console.Error.WriteLine("validation warning: " + text);
            }
        }
        catch { /* never throw into the driver */ }
        return false;
    }

    private (PhysicalDevice, uint, string) ChoosePhysicalDevice(string? choice)
    {
        uint n = 0;
        Vk.EnumeratePhysicalDevices(Instance, ref n, null).Check("vkEnumeratePhysicalDevices");
        var all = new PhysicalDevice[n];
        fixed (PhysicalDevice* p = all) Vk.EnumeratePhysicalDevices(Instance, ref n, p).Check("vkEnumeratePhysicalDevices");
        var candidates = new List<(PhysicalDevice Pd, uint Family, string Name, PhysicalDeviceType Type, int Index)>();
        for (int i = 0; i < n; i++)
        {
            Vk.GetPhysicalDeviceProperties(all[i], out var props);
            string name = Marshal.PtrToStringUTF8((nint)props.DeviceName) ?? "?";
            uint fc = 0;
            Vk.GetPhysicalDeviceQueueFamilyProperties(all[i], ref fc, null);
            var fams = new QueueFamilyProperties[fc];
            fixed (QueueFamilyProperties* f = fams) Vk.GetPhysicalDeviceQueueFamilyProperties(all[i], ref fc, f);
            // One family for both the game's graphics and VulkanCnn's compute: no queue-ownership transfers needed.
            int family = -1;
            for (int q = 0; q < fc && family < 0; q++)
                if ((fams[q].QueueFlags & (QueueFlags.GraphicsBit | QueueFlags.ComputeBit)) == (QueueFlags.GraphicsBit | QueueFlags.ComputeBit) && CanPresent(all[i], (uint)q))
                    family = q;
            if (family < 0 || props.ApiVersion < Vk.Version12) continue;
            candidates.Add((all[i], (uint)family, name, props.DeviceType, i));
        }
        if (candidates.Count == 0)
            throw new GameVulkanException($"No Vulkan 1.2 device with a graphics+compute queue{(Surface.Handle != 0 ? " that presents to the window" : "")} was found. " +
                                          "Without a GPU, install SwiftShader (scripts/setup.sh).");
        if (!string.IsNullOrWhiteSpace(choice))
        {
            var hit = candidates.FirstOrDefault(c => (int.TryParse(choice, out int k) && c.Index == k) || c.Name.Contains(choice, StringComparison.OrdinalIgnoreCase));
            if (hit.Name == null)
                throw new GameVulkanException($"No Vulkan device matches '{choice}'; devices: {string.Join(", ", candidates.Select(c => $"{c.Index}: {c.Name}"))}.");
            return (hit.Pd, hit.Family, hit.Name);
        }
        int Rank(PhysicalDeviceType t) => t switch { PhysicalDeviceType.DiscreteGpu => 0, PhysicalDeviceType.IntegratedGpu => 1, PhysicalDeviceType.VirtualGpu => 2, _ => 3 };
        var best = candidates.OrderBy(c => Rank(c.Type)).ThenBy(c => c.Name.Contains("llvmpipe", StringComparison.OrdinalIgnoreCase) ? 0 : 1).First();
        return (best.Pd, best.Family, best.Name);
    }

    /// <summary>Whether queue family <paramref name="family"/> presents to <see cref="Surface"/> (always true when headless).</summary>
    private bool CanPresent(PhysicalDevice pd, uint family)
    {
        if (Surface.Handle == 0) return true;
        var getSupport = (delegate* unmanaged<PhysicalDevice, uint, SurfaceKHR, Bool32*, Result>)
            (void*)Vk.GetInstanceProcAddr(Instance, "vkGetPhysicalDeviceSurfaceSupportKHR").Handle;
        Bool32 ok = false;
        getSupport(pd, family, Surface, &ok).Check("vkGetPhysicalDeviceSurfaceSupportKHR");
        return ok;
    }

    private Device CreateDevice(IReadOnlyList<string> extensions)
    {
        var v12 = new PhysicalDeviceVulkan12Features { SType = StructureType.PhysicalDeviceVulkan12Features };
        var f2 = new PhysicalDeviceFeatures2 { SType = StructureType.PhysicalDeviceFeatures2, PNext = &v12 };
        Vk.GetPhysicalDeviceFeatures2(PhysicalDevice, &f2);
        if (!v12.TimelineSemaphore)
            throw new GameVulkanException($"{DeviceName} lacks timeline semaphores (Vulkan 1.2), which the frame hand-over uses.");
        // Enable only what the game and VulkanCnn use: timeline semaphores.
        var enable12 = new PhysicalDeviceVulkan12Features { SType = StructureType.PhysicalDeviceVulkan12Features, TimelineSemaphore = true };
        float priority = 1f;
        var qci = new DeviceQueueCreateInfo { SType = StructureType.DeviceQueueCreateInfo, QueueFamilyIndex = QueueFamily, QueueCount = 1, PQueuePriorities = &priority };
        using var names = new NativeStrings(extensions);
        var extPtrs = stackalloc byte*[extensions.Count + 1];
        for (int i = 0; i < extensions.Count; i++) extPtrs[i] = names[i];
        var ci = new DeviceCreateInfo
        {
            SType = StructureType.DeviceCreateInfo, PNext = &enable12, QueueCreateInfoCount = 1, PQueueCreateInfos = &qci,
            EnabledExtensionCount = (uint)extensions.Count, PpEnabledExtensionNames = extPtrs,
        };
        Device d;
        Vk.CreateDevice(PhysicalDevice, &ci, null, &d).Check("vkCreateDevice");
        return d;
    }

    /// <summary>A memory type allowed by <paramref name="typeBits"/> with all of <paramref name="flags"/>.</summary>
    public uint MemoryType(uint typeBits, MemoryPropertyFlags flags)
    {
        for (int i = 0; i < MemoryProperties.MemoryTypeCount; i++)
            if ((typeBits & (1u << i)) != 0 && (MemoryProperties.MemoryTypes[i].PropertyFlags & flags) == flags) return (uint)i;
        throw new GameVulkanException($"No memory type with {flags} among bits 0x{typeBits:x}.");
    }

    /// <summary>A buffer with its own memory; host-visible memory stays mapped at <c>Mapped</c>.</summary>
    public (Silk.NET.Vulkan.Buffer Buffer, DeviceMemory Memory, nint Mapped) CreateBuffer(ulong size, BufferUsageFlags usage, bool hostVisible)
    {
        var bi = new BufferCreateInfo { SType = StructureType.BufferCreateInfo, Size = size, Usage = usage, SharingMode = SharingMode.Exclusive };
        Vk.CreateBuffer(Device, &bi, null, out var buffer).Check("vkCreateBuffer");
        Vk.GetBufferMemoryRequirements(Device, buffer, out var req);
        var flags = hostVisible ? MemoryPropertyFlags.HostVisibleBit | MemoryPropertyFlags.HostCoherentBit : MemoryPropertyFlags.DeviceLocalBit;
        var ai = new MemoryAllocateInfo { SType = StructureType.MemoryAllocateInfo, AllocationSize = req.Size, MemoryTypeIndex = MemoryType(req.MemoryTypeBits, flags) };
        Vk.AllocateMemory(Device, &ai, null, out var memory).Check("vkAllocateMemory");
        Vk.BindBufferMemory(Device, buffer, memory, 0).Check("vkBindBufferMemory");
        void* mapped = null;
        if (hostVisible) Vk.MapMemory(Device, memory, 0, Vk.WholeSize, 0, &mapped).Check("vkMapMemory");
        return (buffer, memory, (nint)mapped);
    }

    /// <summary>A 2-D RGBA8 image in device memory.</summary>
    public (Image Image, DeviceMemory Memory) CreateImage(int width, int height, Format format, ImageUsageFlags usage)
    {
        var ii = new ImageCreateInfo
        {
            SType = StructureType.ImageCreateInfo, ImageType = ImageType.Type2D, Format = format,
            Extent = new Extent3D((uint)width, (uint)height, 1), MipLevels = 1, ArrayLayers = 1, Samples = SampleCountFlags.Count1Bit,
            Tiling = ImageTiling.Optimal, Usage = usage, SharingMode = SharingMode.Exclusive, InitialLayout = ImageLayout.Undefined,
        };
        Vk.CreateImage(Device, &ii, null, out var image).Check("vkCreateImage");
        Vk.GetImageMemoryRequirements(Device, image, out var req);
        var ai = new MemoryAllocateInfo { SType = StructureType.MemoryAllocateInfo, AllocationSize = req.Size, MemoryTypeIndex = MemoryType(req.MemoryTypeBits, MemoryPropertyFlags.DeviceLocalBit) };
        Vk.AllocateMemory(Device, &ai, null, out var memory).Check("vkAllocateMemory");
        Vk.BindImageMemory(Device, image, memory, 0).Check("vkBindImageMemory");
        return (image, memory);
    }

    public ImageView CreateView(Image image, Format format)
    {
        var vi = new ImageViewCreateInfo
        {
            SType = StructureType.ImageViewCreateInfo, Image = image, ViewType = ImageViewType.Type2D, Format = format,
            SubresourceRange = new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1),
        };
        Vk.CreateImageView(Device, &vi, null, out var view).Check("vkCreateImageView");
        return view;
    }

    /// <summary>Records and runs a one-off command buffer and waits for it (loading time only).</summary>
    public void RunOnce(Action<CommandBuffer> record)
    {
        var ai = new CommandBufferAllocateInfo { SType = StructureType.CommandBufferAllocateInfo, CommandPool = _oneShotPool, Level = CommandBufferLevel.Primary, CommandBufferCount = 1 };
        CommandBuffer cb;
        Vk.AllocateCommandBuffers(Device, &ai, &cb).Check("vkAllocateCommandBuffers");
        var fi = new FenceCreateInfo { SType = StructureType.FenceCreateInfo };
        Vk.CreateFence(Device, &fi, null, out var fence).Check("vkCreateFence");
        try
        {
            var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo, Flags = CommandBufferUsageFlags.OneTimeSubmitBit };
            Vk.BeginCommandBuffer(cb, &bi).Check("vkBeginCommandBuffer");
            record(cb);
            Vk.EndCommandBuffer(cb).Check("vkEndCommandBuffer");
            var si = new SubmitInfo { SType = StructureType.SubmitInfo, CommandBufferCount = 1, PCommandBuffers = &cb };
            Vk.QueueSubmit(Queue, 1, &si, fence).Check("vkQueueSubmit");
            Vk.WaitForFences(Device, 1, &fence, true, 60_000_000_000UL).Check("vkWaitForFences");
        }
        finally
        {
            Vk.DestroyFence(Device, fence, null);
            Vk.FreeCommandBuffers(Device, _oneShotPool, 1, &cb);
        }
    }

    /// <summary>An image layout transition with the given stages and accesses.</summary>
    public void Barrier(CommandBuffer cb, Image image, ImageLayout from, ImageLayout to, PipelineStageFlags srcStage, AccessFlags srcAccess,
                        PipelineStageFlags dstStage, AccessFlags dstAccess)
    {
        var b = new ImageMemoryBarrier
        {
            SType = StructureType.ImageMemoryBarrier, OldLayout = from, NewLayout = to, SrcAccessMask = srcAccess, DstAccessMask = dstAccess,
            SrcQueueFamilyIndex = Vk.QueueFamilyIgnored, DstQueueFamilyIndex = Vk.QueueFamilyIgnored, Image = image,
            SubresourceRange = new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1),
        };
        Vk.CmdPipelineBarrier(cb, srcStage, dstStage, 0, 0, null, 0, null, 1, &b);
    }

    /// <summary>A timeline semaphore starting at <paramref name="initial"/>.</summary>
    public Semaphore CreateTimeline(ulong initial = 0)
    {
        var type = new SemaphoreTypeCreateInfo { SType = StructureType.SemaphoreTypeCreateInfo, SemaphoreType = SemaphoreType.Timeline, InitialValue = initial };
        var si = new SemaphoreCreateInfo { SType = StructureType.SemaphoreCreateInfo, PNext = &type };
        Vk.CreateSemaphore(Device, &si, null, out var s).Check("vkCreateSemaphore");
        return s;
    }

    /// <summary>Blocks the host until timeline <paramref name="semaphore"/> reaches <paramref name="value"/> (bounded: a hung GPU is an error).</summary>
    public void WaitTimeline(Semaphore semaphore, ulong value)
    {
        var wi = new SemaphoreWaitInfo { SType = StructureType.SemaphoreWaitInfo, SemaphoreCount = 1, PSemaphores = &semaphore, PValues = &value };
        var r = Vk.WaitSemaphores(Device, &wi, 60_000_000_000UL);
        if (r == Result.Timeout) throw new GameVulkanException($"Timeline semaphore did not reach {value} within 60 s.");
        r.Check("vkWaitSemaphores");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (Device.Handle != 0)
        {
            Vk.DeviceWaitIdle(Device);
            if (_oneShotPool.Handle != 0) Vk.DestroyCommandPool(Device, _oneShotPool, null);
            Vk.DestroyDevice(Device, null);
        }
        if (Instance.Handle != 0)
        {
            if (Surface.Handle != 0)
            {
                var destroySurface = (delegate* unmanaged<Instance, SurfaceKHR, AllocationCallbacks*, void>)
                    (void*)Vk.GetInstanceProcAddr(Instance, "vkDestroySurfaceKHR").Handle;
                destroySurface(Instance, Surface, null);
            }
            if (_messenger.Handle != 0)
            {
                var destroy = (delegate* unmanaged<Instance, DebugUtilsMessengerEXT, AllocationCallbacks*, void>)
                    (void*)Vk.GetInstanceProcAddr(Instance, "vkDestroyDebugUtilsMessengerEXT").Handle;
                destroy(Instance, _messenger, null);
            }
            Vk.DestroyInstance(Instance, null);
        }
        if (_self.IsAllocated) _self.Free();
    }
}

/// <summary>UTF-8 copies of strings for Vulkan create-infos, freed together.</summary>
internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly nint[] _ptrs;
    public NativeStrings(IEnumerable<string> strings) => _ptrs = strings.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
    public byte* this[Index i] => (byte*)_ptrs[i];
    public void Dispose() { foreach (var p in _ptrs) Marshal.FreeCoTaskMem(p); }
}
