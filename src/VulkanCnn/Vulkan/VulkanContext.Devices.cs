// The context's device choice: physical devices listed, described and ranked; the logical device created.
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;

namespace VulkanCnn.Vulkan;

public sealed unsafe partial class VulkanContext
{
    private static List<(PhysicalDevice Device, DeviceInfo Info)> EnumerateDevices(Vk vk, Instance instance)
    {
        uint count = 0;
        var r = vk.EnumeratePhysicalDevices(instance, ref count, null);
        if (r == Result.ErrorInitializationFailed) return new();
        r.Check("vkEnumeratePhysicalDevices");
        var arr = new PhysicalDevice[count];
        fixed (PhysicalDevice* p = arr) vk.EnumeratePhysicalDevices(instance, ref count, p).Check("vkEnumeratePhysicalDevices");
        var list = new List<(PhysicalDevice, DeviceInfo)>();
        for (int i = 0; i < count; i++)
        {
            if (!HasComputeQueue(vk, arr[i])) continue;
            list.Add((arr[i], Describe(vk, arr[i], i)));
        }
        return list;
    }

    private static (PhysicalDevice, DeviceInfo) SelectDevice(List<(PhysicalDevice Device, DeviceInfo Info)> devices, string? choice)
    {
        if (!string.IsNullOrWhiteSpace(choice))
        {
            if (int.TryParse(choice, out int idx))
            {
                var byIndex = devices.FirstOrDefault(d => d.Info.Index == idx);
                if (byIndex.Info != null) return byIndex;
            }
            var byName = devices.FirstOrDefault(d => d.Info.Name.Contains(choice, StringComparison.OrdinalIgnoreCase) ||
                                                     d.Info.DriverName.Contains(choice, StringComparison.OrdinalIgnoreCase));
            if (byName.Info != null) return byName;
            var known = string.Join("; ", devices.Select(d => d.Info.ToString()));
            var hint = choice.Contains("swiftshader", StringComparison.OrdinalIgnoreCase) ? " " + NoVulkanDeviceException.InstallHint : "";
            throw new NoVulkanDeviceException($"No Vulkan device matches '{choice}'. Devices found: {known}.{hint}");
        }
        // Best first: by device kind; among CPU devices lavapipe (llvmpipe) is several times faster than SwiftShader.
        return devices.OrderBy(d => d.Info.Kind)
                      .ThenBy(d => d.Info.Name.Contains("llvmpipe", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
                      .ThenBy(d => d.Info.Index).First();
    }

    private static bool HasComputeQueue(Vk vk, PhysicalDevice pd)
    {
        uint n = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(pd, ref n, null);
        var fams = new QueueFamilyProperties[n];
        fixed (QueueFamilyProperties* f = fams) vk.GetPhysicalDeviceQueueFamilyProperties(pd, ref n, f);
        return fams.Any(f => (f.QueueFlags & QueueFlags.ComputeBit) != 0);
    }

    /// <summary>Prefers a compute-only family (asynchronous compute beside the game's graphics queue), else any with compute.</summary>
    private static uint FindComputeQueueFamily(Vk vk, PhysicalDevice pd)
    {
        uint n = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(pd, ref n, null);
        var fams = new QueueFamilyProperties[n];
        fixed (QueueFamilyProperties* f = fams) vk.GetPhysicalDeviceQueueFamilyProperties(pd, ref n, f);
        for (uint i = 0; i < n; i++)
            if ((fams[i].QueueFlags & QueueFlags.ComputeBit) != 0 && (fams[i].QueueFlags & QueueFlags.GraphicsBit) == 0 && fams[i].TimestampValidBits > 0)
                return i;
        for (uint i = 0; i < n; i++)
            if ((fams[i].QueueFlags & QueueFlags.ComputeBit) != 0) return i;
        throw new NoVulkanDeviceException("The selected device has no compute queue.");
    }

    internal static DeviceInfo Describe(Vk vk, PhysicalDevice pd, int index)
    {
        var driver = new PhysicalDeviceDriverProperties { SType = StructureType.PhysicalDeviceDriverProperties };
        var subgroup = new PhysicalDeviceSubgroupProperties { SType = StructureType.PhysicalDeviceSubgroupProperties, PNext = &driver };
        var props2 = new PhysicalDeviceProperties2 { SType = StructureType.PhysicalDeviceProperties2, PNext = &subgroup };
        vk.GetPhysicalDeviceProperties2(pd, &props2);
        var p = props2.Properties;

        var f16 = new PhysicalDeviceShaderFloat16Int8Features { SType = StructureType.PhysicalDeviceShaderFloat16Int8Features };
        var s16 = new PhysicalDevice16BitStorageFeatures { SType = StructureType.PhysicalDevice16BitStorageFeatures, PNext = &f16 };
        var feats2 = new PhysicalDeviceFeatures2 { SType = StructureType.PhysicalDeviceFeatures2, PNext = &s16 };
        vk.GetPhysicalDeviceFeatures2(pd, &feats2);

        // Subgroup size control (min/max) is Vulkan 1.3 / an extension; report the fixed size where it is absent.
        uint minSg = subgroup.SubgroupSize, maxSg = subgroup.SubgroupSize;
        if (p.ApiVersion >= Vk.Version13)
        {
            var sgc = new PhysicalDeviceSubgroupSizeControlProperties { SType = StructureType.PhysicalDeviceSubgroupSizeControlProperties };
            var pp = new PhysicalDeviceProperties2 { SType = StructureType.PhysicalDeviceProperties2, PNext = &sgc };
            vk.GetPhysicalDeviceProperties2(pd, &pp);
            if (sgc.MinSubgroupSize > 0) { minSg = sgc.MinSubgroupSize; maxSg = sgc.MaxSubgroupSize; }
        }

        vk.GetPhysicalDeviceMemoryProperties(pd, out var mem);
        ulong localHeap = 0;
        for (int i = 0; i < mem.MemoryHeapCount; i++)
            if ((mem.MemoryHeaps[i].Flags & MemoryHeapFlags.DeviceLocalBit) != 0) localHeap = Math.Max(localHeap, mem.MemoryHeaps[i].Size);

        uint n = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(pd, ref n, null);
        var fams = new QueueFamilyProperties[n];
        fixed (QueueFamilyProperties* f = fams) vk.GetPhysicalDeviceQueueFamilyProperties(pd, ref n, f);
        bool computeOnly = fams.Any(f => (f.QueueFlags & QueueFlags.ComputeBit) != 0 && (f.QueueFlags & QueueFlags.GraphicsBit) == 0);
        bool timestamps = p.Limits.TimestampComputeAndGraphics || fams.Any(f => (f.QueueFlags & QueueFlags.ComputeBit) != 0 && f.TimestampValidBits > 0);

        var maintenance3 = new PhysicalDeviceMaintenance3Properties { SType = StructureType.PhysicalDeviceMaintenance3Properties };
        var pm = new PhysicalDeviceProperties2 { SType = StructureType.PhysicalDeviceProperties2, PNext = &maintenance3 };
        vk.GetPhysicalDeviceProperties2(pd, &pm);

        string name = Marshal.PtrToStringUTF8((nint)p.DeviceName) ?? "?";
        string driverName = Marshal.PtrToStringUTF8((nint)driver.DriverName) ?? "";
        string driverInfo = Marshal.PtrToStringUTF8((nint)driver.DriverInfo) ?? "";
        var uuid = new byte[16];
        for (int i = 0; i < 16; i++) uuid[i] = p.PipelineCacheUuid[i];
        string cacheKey = $"{p.VendorID:x4}-{p.DeviceID:x4}-{p.DriverVersion:x8}-{Convert.ToHexString(uuid).ToLowerInvariant()}";
        var kind = p.DeviceType switch
        {
            PhysicalDeviceType.DiscreteGpu => DeviceKind.Discrete,
            PhysicalDeviceType.IntegratedGpu => DeviceKind.Integrated,
            PhysicalDeviceType.VirtualGpu => DeviceKind.Virtual,
            PhysicalDeviceType.Cpu => DeviceKind.Cpu,
            _ => DeviceKind.Other,
        };
        string api = $"{p.ApiVersion >> 22}.{(p.ApiVersion >> 12) & 0x3ff}.{p.ApiVersion & 0xfff}";
        return new DeviceInfo(index, name, kind, driverName, driverInfo, api, p.VendorID, p.DeviceID,
            p.Limits.MaxStorageBufferRange, maintenance3.MaxMemoryAllocationSize, localHeap, p.Limits.MinStorageBufferOffsetAlignment,
            p.Limits.MaxComputeWorkGroupInvocations, p.Limits.MaxComputeWorkGroupCount[0], p.Limits.MaxComputeSharedMemorySize,
            p.Limits.MaxPushConstantsSize, subgroup.SubgroupSize, minSg, maxSg,
            s16.StorageBuffer16BitAccess, f16.ShaderFloat16, timestamps, p.Limits.TimestampPeriod, computeOnly, cacheKey);
    }

    private static bool SupportsTimelineSemaphores(Vk vk, PhysicalDevice pd)
    {
        vk.GetPhysicalDeviceProperties(pd, out var p);
        if (p.ApiVersion < Vk.Version12) return false;
        var tl = new PhysicalDeviceTimelineSemaphoreFeatures { SType = StructureType.PhysicalDeviceTimelineSemaphoreFeatures };
        var f2 = new PhysicalDeviceFeatures2 { SType = StructureType.PhysicalDeviceFeatures2, PNext = &tl };
        vk.GetPhysicalDeviceFeatures2(pd, &f2);
        return tl.TimelineSemaphore;
    }

    private static Device CreateDevice(Vk vk, PhysicalDevice pd, uint family, bool timeline)
    {
        var tl = new PhysicalDeviceTimelineSemaphoreFeatures { SType = StructureType.PhysicalDeviceTimelineSemaphoreFeatures, TimelineSemaphore = true };
        float priority = 1f;
        var qci = new DeviceQueueCreateInfo
        {
            SType = StructureType.DeviceQueueCreateInfo,
            QueueFamilyIndex = family,
            QueueCount = 1,
            PQueuePriorities = &priority,
        };
        var ci = new DeviceCreateInfo
        {
            SType = StructureType.DeviceCreateInfo,
            QueueCreateInfoCount = 1,
            PQueueCreateInfos = &qci,
            PNext = timeline ? &tl : null,
        };
        Device device;
        vk.CreateDevice(pd, &ci, null, &device).Check("vkCreateDevice");
        return device;
    }
}
