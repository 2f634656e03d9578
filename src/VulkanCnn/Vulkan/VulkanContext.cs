// The Vulkan instance, device and queue VulkanCnn runs on: created here, or adopted from a host application.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Silk.NET.Core;
using Silk.NET.Vulkan;

namespace VulkanCnn.Vulkan;

/// <summary>Options for creating a <see cref="VulkanContext"/>. Unset values fall back to environment variables.</summary>
public sealed record VulkanContextOptions
{
    /// <summary>Device index or a case-insensitive substring of its name ("swiftshader", "llvmpipe", "nvidia").
    /// Default: environment variable VULKANCNN_DEVICE, else the best device (discrete &gt; integrated &gt; virtual &gt; CPU).</summary>
    public string? Device { get; init; }

    /// <summary>Turn on VK_LAYER_KHRONOS_validation. Default: VULKANCNN_VALIDATION=1.</summary>
    public bool? Validation { get; init; }

    /// <summary>
    /// With <see cref="Validation"/>: also turn on the layer's synchronization validation (missing barriers and
    /// semaphore waits become SYNC-HAZARD errors). Slower; for tests of code that records its own synchronisation.
    /// </summary>
    public bool SynchronizationValidation { get; init; }

    /// <summary>Receives validation-layer messages (warnings and errors). Errors are also kept in <see cref="VulkanContext.ValidationErrors"/>.</summary>
    public Action<ValidationMessage>? ValidationCallback { get; init; }

    /// <summary>Folder for the on-disk pipeline cache. Default: VULKANCNN_CACHE_DIR, else ~/.cache/vulkancnn. Empty string: no disk cache.</summary>
    public string? PipelineCacheDirectory { get; init; }
}

/// <summary>A message from the validation layer.</summary>
public sealed record ValidationMessage(bool IsError, string MessageId, string Text);

/// <summary>
/// Owns (or adopts) a Vulkan device and its compute queue, the memory allocator, and the compiled compute pipelines.
/// Disposing it waits for the device to go idle and frees everything it created; an adopted device is left alive.
/// </summary>
public sealed unsafe partial class VulkanContext : IDisposable
{
    /// <summary>Where Debian's chromium-common package puts the SwiftShader driver manifest.</summary>
    public const string SwiftShaderIcd = "/usr/lib/chromium/vk_swiftshader_icd.json";

    internal readonly Vk Vk;
    internal readonly Instance Instance;
    internal readonly PhysicalDevice PhysicalDevice;
    internal readonly Device Device;
    internal readonly Queue Queue;
    internal readonly uint QueueFamily;
    internal readonly PhysicalDeviceMemoryProperties MemoryProperties;
    internal readonly MemoryAllocator Allocator;
    internal readonly PipelineStore Pipelines;
    /// <summary>Timeline semaphores (Vulkan 1.2 core) are enabled on the device: frame pipelines poll them.</summary>
    internal readonly bool TimelineSemaphores;

    private readonly bool _ownsInstance, _ownsDevice;
    private readonly DebugUtilsMessengerEXT _messenger;
    private readonly GCHandle _selfHandle;
    private readonly Action<ValidationMessage>? _validationCallback;
    private readonly List<string> _validationErrors = new();

    /// <summary>The device this context runs on.</summary>
    public DeviceInfo DeviceInfo { get; }

    /// <summary>The queue family VulkanCnn submits to (a compute-only family where the device has one).</summary>
    public uint QueueFamilyIndex => QueueFamily;

    /// <summary>True when the validation layer is active.</summary>
    public bool ValidationEnabled { get; }

    /// <summary>Validation errors reported so far (tests fail on any).</summary>
    public IReadOnlyList<string> ValidationErrors { get { lock (_validationErrors) return _validationErrors.ToArray(); } }

    /// <summary>Forget the validation errors collected so far.</summary>
    public void ClearValidationErrors() { lock (_validationErrors) _validationErrors.Clear(); }

    /// <summary>Creates an instance and a device with a compute queue.</summary>
    public VulkanContext(VulkanContextOptions? options = null)
    {
        options ??= new VulkanContextOptions();
        _validationCallback = options.ValidationCallback;
        bool validation = options.Validation ?? Environment.GetEnvironmentVariable("VULKANCNN_VALIDATION") == "1";
        Vk = LoadApi();
        _selfHandle = GCHandle.Alloc(this, GCHandleType.Weak);
        (Instance, _messenger, ValidationEnabled) = CreateInstance(Vk, validation, _selfHandle, validation && options.SynchronizationValidation);
        _ownsInstance = true;
        try
        {
            var devices = EnumerateDevices(Vk, Instance);
            if (devices.Count == 0)
                throw new NoVulkanDeviceException("The Vulkan loader found no physical device.");
            var choice = options.Device ?? Environment.GetEnvironmentVariable("VULKANCNN_DEVICE");
            var (pd, info) = SelectDevice(devices, choice);
            PhysicalDevice = pd;
            DeviceInfo = info;
            QueueFamily = FindComputeQueueFamily(Vk, pd);
            TimelineSemaphores = SupportsTimelineSemaphores(Vk, pd);
            Device = CreateDevice(Vk, pd, QueueFamily, TimelineSemaphores);
            _ownsDevice = true;
            Vk.GetDeviceQueue(Device, QueueFamily, 0, out Queue);
            Vk.GetPhysicalDeviceMemoryProperties(pd, out MemoryProperties);
            Allocator = new MemoryAllocator(this);
            Pipelines = new PipelineStore(this, ResolveCacheDir(options.PipelineCacheDirectory));
        }
        catch
        {
            DestroyInstance();
            throw;
        }
    }

    /// <summary>
    /// Adopts a host application's Vulkan objects without taking ownership: a game shares its device and queue.
    /// The host must keep them alive until this context is disposed, and must not use that queue
    /// from another thread while VulkanCnn submits to it (or hand VulkanCnn a queue of its own). Pass
    /// <paramref name="timelineSemaphoresEnabled"/> true when the host created the device with the Vulkan 1.2
    /// timelineSemaphore feature on; frame pipelines then track their work with timeline semaphores instead of fences
    /// (both work; a host that waits on or signals timeline values in <see cref="Vision.RenderFrame"/> needs it on).
    /// </summary>
    public VulkanContext(Vk vk, Instance instance, PhysicalDevice physicalDevice, Device device, uint queueFamily, uint queueIndex,
                         string? pipelineCacheDirectory = null, bool timelineSemaphoresEnabled = false)
    {
        Vk = vk ?? throw new ArgumentNullException(nameof(vk));
        if (instance.Handle == 0 || physicalDevice.Handle == 0 || device.Handle == 0)
            throw new ArgumentException("Adopting a Vulkan device needs non-null instance, physical device and device handles.");
        Instance = instance;
        PhysicalDevice = physicalDevice;
        Device = device;
        QueueFamily = queueFamily;
        uint familyCount = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(physicalDevice, ref familyCount, null);
        var families = new QueueFamilyProperties[familyCount];
        fixed (QueueFamilyProperties* f = families) vk.GetPhysicalDeviceQueueFamilyProperties(physicalDevice, ref familyCount, f);
        if (queueFamily >= familyCount)
            throw new ArgumentException($"Queue family {queueFamily} does not exist: the device has {familyCount} families.", nameof(queueFamily));
        if ((families[queueFamily].QueueFlags & QueueFlags.ComputeBit) == 0)
            throw new ArgumentException($"Queue family {queueFamily} has no compute capability (flags {families[queueFamily].QueueFlags}).", nameof(queueFamily));
        if (queueIndex >= families[queueFamily].QueueCount)
            throw new ArgumentException($"Queue index {queueIndex} does not exist: family {queueFamily} has {families[queueFamily].QueueCount} queues.", nameof(queueIndex));
        vk.GetDeviceQueue(device, queueFamily, queueIndex, out Queue);
        vk.GetPhysicalDeviceMemoryProperties(physicalDevice, out MemoryProperties);
        DeviceInfo = Describe(vk, physicalDevice, 0);
        TimelineSemaphores = timelineSemaphoresEnabled && SupportsTimelineSemaphores(vk, physicalDevice);
        Allocator = new MemoryAllocator(this);
        Pipelines = new PipelineStore(this, ResolveCacheDir(pipelineCacheDirectory));
    }

    /// <summary>Lists the physical devices the Vulkan loader sees (SwiftShader included when installed).</summary>
    public static IReadOnlyList<DeviceInfo> ListDevices()
    {
        var vk = LoadApi();
        var (instance, _, _) = CreateInstance(vk, false, default, false);
        try { return EnumerateDevices(vk, instance).Select(d => d.Info).ToArray(); }
        finally { vk.DestroyInstance(instance, null); }
    }

    // ---------------------------------------------------------------------------------------------------------

    private static Vk LoadApi()
    {
        AddSwiftShaderToLoader();
        try { return Vk.GetApi(); }
        catch (Exception e) when (e is DllNotFoundException or FileNotFoundException or InvalidOperationException or TypeInitializationException)
        {
            throw new NoVulkanDeviceException($"The Vulkan loader (libvulkan.so.1) could not be loaded: {e.Message}.");
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>
    /// SwiftShader's manifest sits outside the loader's search path. Unless the user chose drivers explicitly,
    /// add it so that every installed device (GPUs, lavapipe and SwiftShader) can be listed and selected.
    /// .NET keeps its own copy of the environment, so the loader's getenv only sees what setenv writes.
    /// </summary>
    private static void AddSwiftShaderToLoader()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(SwiftShaderIcd)) return;
        foreach (var v in new[] { "VK_ICD_FILENAMES", "VK_DRIVER_FILES", "VK_ADD_DRIVER_FILES" })
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))) return;
        SetEnv("VK_ADD_DRIVER_FILES", SwiftShaderIcd, 0);
        Environment.SetEnvironmentVariable("VK_ADD_DRIVER_FILES", SwiftShaderIcd);
    }

    private static (Instance, DebugUtilsMessengerEXT, bool) CreateInstance(Vk vk, bool validation, GCHandle self, bool syncValidation)
    {
        const string layerName = "VK_LAYER_KHRONOS_validation";
        const string debugExt = "VK_EXT_debug_utils";
        if (validation)
        {
            uint n = 0;
            vk.EnumerateInstanceLayerProperties(ref n, null).Check();
            var layers = new LayerProperties[n];
            fixed (LayerProperties* p = layers) vk.EnumerateInstanceLayerProperties(ref n, p).Check();
            if (!layers.Any(l => Marshal.PtrToStringUTF8((nint)l.LayerName) == layerName))
                throw new VulkanException($"Validation was requested but {layerName} is not installed (apt-get install vulkan-validationlayers).",
                    Result.ErrorLayerNotPresent, "vkEnumerateInstanceLayerProperties");
        }

        var appName = Marshal.StringToHGlobalAnsi("VulkanCnn");
        var layerPtr = Marshal.StringToHGlobalAnsi(layerName);
        var extPtr = Marshal.StringToHGlobalAnsi(debugExt);
        var featuresExtPtr = Marshal.StringToHGlobalAnsi("VK_EXT_validation_features");
        try
        {
            var app = new ApplicationInfo
            {
                SType = StructureType.ApplicationInfo,
                PApplicationName = (byte*)appName,
                PEngineName = (byte*)appName,
                // 1.2 for timeline semaphores where the device has them; devices of 1.1 still work (feature off).
                ApiVersion = Vk.Version12,
            };
            var layers = stackalloc byte*[1] { (byte*)layerPtr };
            var exts = stackalloc byte*[2] { (byte*)extPtr, (byte*)featuresExtPtr };
            var messengerInfo = MessengerInfo(self);
            var syncFeature = ValidationFeatureEnableEXT.SynchronizationValidationExt;
            var features = new ValidationFeaturesEXT
            {
                SType = StructureType.ValidationFeaturesExt, EnabledValidationFeatureCount = 1, PEnabledValidationFeatures = &syncFeature,
            };
            // The instance's create info chains messenger -> features; the messenger created below gets no chain.
            var chained = messengerInfo;
            chained.PNext = &features;
            var ci = new InstanceCreateInfo
            {
                SType = StructureType.InstanceCreateInfo,
                PApplicationInfo = &app,
                EnabledLayerCount = validation ? 1u : 0u,
                PpEnabledLayerNames = layers,
                EnabledExtensionCount = validation ? (syncValidation ? 2u : 1u) : 0u,
                PpEnabledExtensionNames = exts,
                PNext = validation ? (syncValidation ? &chained : &messengerInfo) : null,
            };
            Instance instance;
            var r = vk.CreateInstance(&ci, null, &instance);
            if (r == Result.ErrorIncompatibleDriver)
                throw new NoVulkanDeviceException("vkCreateInstance found no compatible Vulkan driver.");
            r.Check("vkCreateInstance");
            var messenger = default(DebugUtilsMessengerEXT);
            if (validation)
            {
                var create = (delegate* unmanaged<Instance, DebugUtilsMessengerCreateInfoEXT*, AllocationCallbacks*, DebugUtilsMessengerEXT*, Result>)
                    (void*)vk.GetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT").Handle;
                if (create == null) throw new VulkanException("vkCreateDebugUtilsMessengerEXT is missing although validation is on.");
                create(instance, &messengerInfo, null, &messenger).Check("vkCreateDebugUtilsMessengerEXT");
            }
            return (instance, messenger, validation);
        }
        finally
        {
            Marshal.FreeHGlobal(appName);
            Marshal.FreeHGlobal(layerPtr);
            Marshal.FreeHGlobal(extPtr);
            Marshal.FreeHGlobal(featuresExtPtr);
        }
    }

    private static DebugUtilsMessengerCreateInfoEXT MessengerInfo(GCHandle self) => new()
    {
        SType = StructureType.DebugUtilsMessengerCreateInfoExt,
        MessageSeverity = DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt | DebugUtilsMessageSeverityFlagsEXT.WarningBitExt,
        MessageType = DebugUtilsMessageTypeFlagsEXT.GeneralBitExt | DebugUtilsMessageTypeFlagsEXT.ValidationBitExt |
                      DebugUtilsMessageTypeFlagsEXT.PerformanceBitExt,
        PfnUserCallback = new PfnDebugUtilsMessengerCallbackEXT(&OnDebugMessage),
        PUserData = (void*)GCHandle.ToIntPtr(self),
    };

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static Bool32 OnDebugMessage(DebugUtilsMessageSeverityFlagsEXT severity, DebugUtilsMessageTypeFlagsEXT types,
                                         DebugUtilsMessengerCallbackDataEXT* data, void* user)
    {
        try
        {
            if (user == null) return false;
            if (GCHandle.FromIntPtr((nint)user).Target is not VulkanContext ctx) return false;
            bool isError = (severity & DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt) != 0;
            var id = data->PMessageIdName != null ? Marshal.PtrToStringUTF8((nint)data->PMessageIdName) ?? "" : "";
            var text = data->PMessage != null ? Marshal.PtrToStringUTF8((nint)data->PMessage) ?? "" : "";
            if (isError) lock (ctx._validationErrors) ctx._validationErrors.Add($"{id}: {text}");
            ctx._validationCallback?.Invoke(new ValidationMessage(isError, id, text));
        }
        catch
        {
            // Never let an exception cross into the driver.
        }
        return false;
    }

    private static string? ResolveCacheDir(string? option)
    {
        var dir = option ?? Environment.GetEnvironmentVariable("VULKANCNN_CACHE_DIR");
        if (dir == null)
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            dir = string.IsNullOrEmpty(home) ? "" : Path.Combine(home, ".cache", "vulkancnn");
        }
        return dir.Length == 0 ? null : dir;
    }

    private void DestroyInstance()
    {
        if (_ownsInstance && Instance.Handle != 0)
        {
            if (_messenger.Handle != 0)
            {
                var destroy = (delegate* unmanaged<Instance, DebugUtilsMessengerEXT, AllocationCallbacks*, void>)
                    (void*)Vk.GetInstanceProcAddr(Instance, "vkDestroyDebugUtilsMessengerEXT").Handle;
                if (destroy != null) destroy(Instance, _messenger, null);
            }
            Vk.DestroyInstance(Instance, null);
        }
        if (_selfHandle.IsAllocated) _selfHandle.Free();
    }
}
