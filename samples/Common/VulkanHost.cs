// A sample application's own Vulkan instance and device, made for presenting to a window (surface extensions,
// VK_KHR_swapchain, a queue that does graphics, compute and presentation), with the validation layer's messages
// collected; VulkanCnn then adopts the device through VulkanContext's adopt constructor.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Silk.NET.Core;
using Silk.NET.Core.Native;
using Silk.NET.Vulkan;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Samples.Common;

/// <summary>
/// Owns a VkInstance (with the given surface extensions), a window surface, and a VkDevice with VK_KHR_swapchain and
/// one queue that supports graphics (blits), compute (VulkanCnn) and presentation to that surface. With validation on,
/// every error the layer reports, including objects still alive at vkDestroyDevice/vkDestroyInstance, lands in
/// <see cref="ValidationErrors"/>, which stays readable after <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class VulkanHost : IDisposable
{
    private readonly List<string> _errors = new();
    private readonly List<string> _warnings = new();
    private readonly GCHandle _self;
    private readonly DebugUtilsMessengerEXT _messenger;
    private bool _disposed;

    public Vk Vk { get; }
    public Instance Instance { get; }
    public PhysicalDevice PhysicalDevice { get; }
    public Device Device { get; }
    public uint QueueFamily { get; }
    public Queue Queue { get; }
    public SurfaceKHR Surface { get; private set; }
    /// <summary>The chosen device's name.</summary>
    public string DeviceName { get; }
    public bool ValidationEnabled { get; }

    /// <summary>Validation errors so far (also after Dispose: leaks are reported while destroying).</summary>
    public IReadOnlyList<string> ValidationErrors { get { lock (_errors) return _errors.ToArray(); } }
    /// <summary>Validation warnings so far.</summary>
    public IReadOnlyList<string> ValidationWarnings { get { lock (_errors) return _warnings.ToArray(); } }

    /// <param name="instanceExtensions">From <see cref="GlfwWindow.RequiredInstanceExtensions"/>.</param>
    /// <param name="createSurface">Makes the window surface on the new instance (<see cref="GlfwWindow.CreateSurface"/>).</param>
    /// <param name="device">Device index or name substring; default VULKANCNN_DEVICE, else the best device that can present.</param>
    /// <param name="validation">Turn on VK_LAYER_KHRONOS_validation; default VULKANCNN_VALIDATION=1.</param>
    public VulkanHost(IReadOnlyList<string> instanceExtensions, Func<Instance, SurfaceKHR> createSurface, string? device = null, bool? validation = null)
    {
        ArgumentNullException.ThrowIfNull(instanceExtensions);
        ArgumentNullException.ThrowIfNull(createSurface);
        AddSwiftShaderToLoader();
        Vk = Vk.GetApi();
        ValidationEnabled = validation ?? Environment.GetEnvironmentVariable("VULKANCNN_VALIDATION") == "1";
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
        try
        {
            (Instance, _messenger) = CreateInstance(instanceExtensions);
            Surface = createSurface(Instance);
            (PhysicalDevice, QueueFamily, DeviceName) = Choose(device ?? Environment.GetEnvironmentVariable("VULKANCNN_DEVICE"));
            Device = CreateDevice();
            Vk.GetDeviceQueue(Device, QueueFamily, 0, out var queue);
            Queue = queue;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>A VulkanCnn context on this device and queue; dispose it before this host.</summary>
    public VulkanContext CreateContext(string? pipelineCacheDirectory = null) =>
        new(Vk, Instance, PhysicalDevice, Device, QueueFamily, 0, pipelineCacheDirectory);

    /// <summary>Looks up a device-level function (extension functions are not in Silk.NET.Vulkan's core bindings).</summary>
    public nint DeviceProc(string name)
    {
        var p = (nint)Vk.GetDeviceProcAddr(Device, name).Handle;
        return p != 0 ? p : throw new InvalidOperationException($"{name} is missing from device '{DeviceName}'.");
    }

    /// <summary>Looks up an instance-level function.</summary>
    public nint InstanceProc(string name)
    {
        var p = (nint)Vk.GetInstanceProcAddr(Instance, name).Handle;
        return p != 0 ? p : throw new InvalidOperationException($"{name} is missing from the Vulkan instance.");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (Device.Handle != 0)
        {
            Vk.DeviceWaitIdle(Device);
            Vk.DestroyDevice(Device, null);
        }
        if (Instance.Handle != 0)
        {
            if (Surface.Handle != 0)
            {
                var destroySurface = (delegate* unmanaged<Instance, SurfaceKHR, AllocationCallbacks*, void>)InstanceProc("vkDestroySurfaceKHR");
                destroySurface(Instance, Surface, null);
                Surface = default;
            }
            if (_messenger.Handle != 0)
            {
                var destroy = (delegate* unmanaged<Instance, DebugUtilsMessengerEXT, AllocationCallbacks*, void>)InstanceProc("vkDestroyDebugUtilsMessengerEXT");
                destroy(Instance, _messenger, null);
            }
            // Objects still alive here are reported through the messenger chained into the instance's create info.
            Vk.DestroyInstance(Instance, null);
        }
        if (_self.IsAllocated) _self.Free();
    }

    // ----------------------------------------------------------------------------------------------------------

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>As VulkanContext does: SwiftShader's manifest sits outside the loader's search path, so add it unless the user chose drivers.</summary>
    private static void AddSwiftShaderToLoader()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(VulkanContext.SwiftShaderIcd)) return;
        foreach (var v in new[] { "VK_ICD_FILENAMES", "VK_DRIVER_FILES", "VK_ADD_DRIVER_FILES" })
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))) return;
        SetEnv("VK_ADD_DRIVER_FILES", VulkanContext.SwiftShaderIcd, 0);
        Environment.SetEnvironmentVariable("VK_ADD_DRIVER_FILES", VulkanContext.SwiftShaderIcd);
    }

    private (Instance, DebugUtilsMessengerEXT) CreateInstance(IReadOnlyList<string> extensions)
    {
        const string layer = "VK_LAYER_KHRONOS_validation";
        var exts = extensions.ToList();
        if (ValidationEnabled)
        {
            uint n = 0;
            Vk.EnumerateInstanceLayerProperties(ref n, null);
            var layers = new LayerProperties[n];
            fixed (LayerProperties* p = layers) Vk.EnumerateInstanceLayerProperties(ref n, p);
            if (!layers.Any(l => Marshal.PtrToStringUTF8((nint)l.LayerName) == layer))
                throw new InvalidOperationException($"Validation was requested but {layer} is not installed (apt-get install vulkan-validationlayers).");
            exts.Add("VK_EXT_debug_utils");
        }
        var name = SilkMarshal.StringToPtr("VulkanCnn sample");
        var layerNames = SilkMarshal.StringArrayToPtr(new[] { layer });
        var extNames = SilkMarshal.StringArrayToPtr(exts);
        try
        {
            var app = new ApplicationInfo { SType = StructureType.ApplicationInfo, PApplicationName = (byte*)name, PEngineName = (byte*)name, ApiVersion = Vk.Version11 };
            var messengerInfo = MessengerInfo();
            var ci = new InstanceCreateInfo
            {
                SType = StructureType.InstanceCreateInfo,
                PApplicationInfo = &app,
                EnabledLayerCount = ValidationEnabled ? 1u : 0u,
                PpEnabledLayerNames = (byte**)layerNames,
                EnabledExtensionCount = (uint)exts.Count,
                PpEnabledExtensionNames = (byte**)extNames,
                PNext = ValidationEnabled ? &messengerInfo : null,
            };
            Instance instance;
            var r = Vk.CreateInstance(&ci, null, &instance);
            if (r == Result.ErrorExtensionNotPresent)
                throw new NoVulkanDeviceException($"The Vulkan drivers offer no way to present to this window system (missing one of {string.Join(", ", exts)}).");
            if (r == Result.ErrorIncompatibleDriver) throw new NoVulkanDeviceException("vkCreateInstance found no compatible Vulkan driver.");
            r.Check("vkCreateInstance");
            var messenger = default(DebugUtilsMessengerEXT);
            if (ValidationEnabled)
            {
                var create = (delegate* unmanaged<Instance, DebugUtilsMessengerCreateInfoEXT*, AllocationCallbacks*, DebugUtilsMessengerEXT*, Result>)
                    (nint)Vk.GetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT").Handle;
                create(instance, &messengerInfo, null, &messenger).Check("vkCreateDebugUtilsMessengerEXT");
            }
            return (instance, messenger);
        }
        finally
        {
            SilkMarshal.Free(name);
            SilkMarshal.Free(layerNames);
            SilkMarshal.Free(extNames);
        }
    }

    private DebugUtilsMessengerCreateInfoEXT MessengerInfo() => new()
    {
        SType = StructureType.DebugUtilsMessengerCreateInfoExt,
        MessageSeverity = DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt | DebugUtilsMessageSeverityFlagsEXT.WarningBitExt,
        MessageType = DebugUtilsMessageTypeFlagsEXT.GeneralBitExt | DebugUtilsMessageTypeFlagsEXT.ValidationBitExt,
        PfnUserCallback = new PfnDebugUtilsMessengerCallbackEXT(&OnMessage),
        PUserData = (void*)GCHandle.ToIntPtr(_self),
    };

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static Bool32 OnMessage(DebugUtilsMessageSeverityFlagsEXT severity, DebugUtilsMessageTypeFlagsEXT types,
                                    DebugUtilsMessengerCallbackDataEXT* data, void* user)
    {
        try
        {
            if (user == null || GCHandle.FromIntPtr((nint)user).Target is not VulkanHost host) return false;
            var id = data->PMessageIdName != null ? Marshal.PtrToStringUTF8((nint)data->PMessageIdName) : "";
            var text = data->PMessage != null ? Marshal.PtrToStringUTF8((nint)data->PMessage) : "";
            lock (host._errors)
                ((severity & DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt) != 0 ? host._errors : host._warnings).Add($"{id}: {text}");
        }
        catch { /* never throw into the driver */ }
        return false;
    }

    private (PhysicalDevice, uint, string) Choose(string? choice)
    {
        uint n = 0;
        Vk.EnumeratePhysicalDevices(Instance, ref n, null).Check("vkEnumeratePhysicalDevices");
        var devices = new PhysicalDevice[n];
        fixed (PhysicalDevice* p = devices) Vk.EnumeratePhysicalDevices(Instance, ref n, p).Check("vkEnumeratePhysicalDevices");
        var getSupport = (delegate* unmanaged<PhysicalDevice, uint, SurfaceKHR, Bool32*, Result>)InstanceProc("vkGetPhysicalDeviceSurfaceSupportKHR");
        var candidates = new List<(PhysicalDevice Device, uint Family, string Name, string Driver, int Index, PhysicalDeviceType Type)>();
        var rejected = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var driver = new PhysicalDeviceDriverProperties { SType = StructureType.PhysicalDeviceDriverProperties };
            var props = new PhysicalDeviceProperties2 { SType = StructureType.PhysicalDeviceProperties2, PNext = &driver };
            Vk.GetPhysicalDeviceProperties2(devices[i], &props);
            string name = Marshal.PtrToStringUTF8((nint)props.Properties.DeviceName) ?? "?";
            string driverName = Marshal.PtrToStringUTF8((nint)driver.DriverName) ?? "";
            if (!HasExtension(devices[i], "VK_KHR_swapchain")) { rejected.Add($"{name}: no VK_KHR_swapchain"); continue; }
            uint fc = 0;
            Vk.GetPhysicalDeviceQueueFamilyProperties(devices[i], ref fc, null);
            var fams = new QueueFamilyProperties[fc];
            fixed (QueueFamilyProperties* f = fams) Vk.GetPhysicalDeviceQueueFamilyProperties(devices[i], ref fc, f);
            int family = -1;
            for (uint q = 0; q < fc && family < 0; q++)
            {
                const QueueFlags need = QueueFlags.GraphicsBit | QueueFlags.ComputeBit;
                if ((fams[q].QueueFlags & need) != need) continue;
                Bool32 ok;
                getSupport(devices[i], q, Surface, &ok).Check("vkGetPhysicalDeviceSurfaceSupportKHR");
                if (ok) family = (int)q;
            }
            if (family < 0) { rejected.Add($"{name}: no queue that does graphics, compute and presents to the window"); continue; }
            candidates.Add((devices[i], (uint)family, name, driverName, i, props.Properties.DeviceType));
        }
        string Known() => string.Join("; ", candidates.Select(c => $"{c.Index}: {c.Name}").Concat(rejected.Select(r => "unusable " + r)));
        if (!string.IsNullOrWhiteSpace(choice))
        {
            var pick = candidates.FirstOrDefault(c => int.TryParse(choice, out int k) && c.Index == k);
            if (pick.Name == null)
                pick = candidates.FirstOrDefault(c => c.Name.Contains(choice, StringComparison.OrdinalIgnoreCase) || c.Driver.Contains(choice, StringComparison.OrdinalIgnoreCase));
            if (pick.Name == null) throw new NoVulkanDeviceException($"No Vulkan device that can present to the window matches '{choice}'. Devices: {Known()}.");
            return (pick.Device, pick.Family, pick.Name);
        }
        if (candidates.Count == 0) throw new NoVulkanDeviceException($"No Vulkan device can present to the window. Devices: {Known()}.");
        static int Rank(PhysicalDeviceType t) => t switch
        {
            PhysicalDeviceType.DiscreteGpu => 0, PhysicalDeviceType.IntegratedGpu => 1, PhysicalDeviceType.VirtualGpu => 2, PhysicalDeviceType.Cpu => 3, _ => 4,
        };
        // As VulkanContext orders them: GPUs first; among CPU devices lavapipe is several times faster than SwiftShader.
        var best = candidates.OrderBy(c => Rank(c.Type)).ThenBy(c => c.Name.Contains("llvmpipe", StringComparison.OrdinalIgnoreCase) ? 0 : 1).ThenBy(c => c.Index).First();
        return (best.Device, best.Family, best.Name);
    }

    private bool HasExtension(PhysicalDevice device, string extension)
    {
        uint n = 0;
        Vk.EnumerateDeviceExtensionProperties(device, (byte*)null, ref n, null);
        var props = new ExtensionProperties[n];
        fixed (ExtensionProperties* p = props) Vk.EnumerateDeviceExtensionProperties(device, (byte*)null, ref n, p);
        return props.Any(e => Marshal.PtrToStringUTF8((nint)e.ExtensionName) == extension);
    }

    private Device CreateDevice()
    {
        float priority = 1f;
        var qci = new DeviceQueueCreateInfo { SType = StructureType.DeviceQueueCreateInfo, QueueFamilyIndex = QueueFamily, QueueCount = 1, PQueuePriorities = &priority };
        var ext = SilkMarshal.StringArrayToPtr(new[] { "VK_KHR_swapchain" });
        try
        {
            var ci = new DeviceCreateInfo
            {
                SType = StructureType.DeviceCreateInfo,
                QueueCreateInfoCount = 1,
                PQueueCreateInfos = &qci,
                EnabledExtensionCount = 1,
                PpEnabledExtensionNames = (byte**)ext,
            };
            Device device;
            Vk.CreateDevice(PhysicalDevice, &ci, null, &device).Check("vkCreateDevice");
            return device;
        }
        finally { SilkMarshal.Free(ext); }
    }
}
