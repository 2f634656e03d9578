// What a physical device is and what it offers, as `vcnn devices` prints it.
namespace VulkanCnn.Vulkan;

/// <summary>Kind of Vulkan physical device, in the order the default selection prefers them.</summary>
public enum DeviceKind { Discrete, Integrated, Virtual, Cpu, Other }

/// <summary>One Vulkan physical device with the limits and optional features VulkanCnn cares about.</summary>
public sealed record DeviceInfo(
    int Index,
    string Name,
    DeviceKind Kind,
    string DriverName,
    string DriverInfo,
    string ApiVersion,
    uint VendorId,
    uint DeviceId,
    ulong MaxStorageBufferRange,
    ulong MaxMemoryAllocationSize,
    ulong DeviceLocalHeapBytes,
    ulong MinStorageBufferOffsetAlignment,
    uint MaxComputeWorkGroupInvocations,
    uint MaxComputeWorkGroupCountX,
    uint MaxComputeSharedMemorySize,
    uint MaxPushConstantsSize,
    uint SubgroupSize,
    uint MinSubgroupSize,
    uint MaxSubgroupSize,
    bool StorageBuffer16BitAccess,
    bool ShaderFloat16,
    bool TimestampsSupported,
    float TimestampPeriodNs,
    bool HasComputeOnlyQueue,
    string PipelineCacheKey)
{
    /// <summary>A one-line summary.</summary>
    public override string ToString() => $"#{Index} {Name} ({Kind}, {DriverName} {DriverInfo})";
}
