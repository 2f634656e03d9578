// The single place where VkResult values become exceptions.
using System.Runtime.CompilerServices;
using Silk.NET.Vulkan;

namespace VulkanCnn.Vulkan;

/// <summary>A Vulkan call failed. <see cref="Call"/> is the source text of the call, <see cref="Result"/> what it returned.</summary>
public class VulkanException : Exception
{
    public VulkanException(string message, Result result = Result.ErrorUnknown, string call = "", Exception? inner = null) : base(message, inner)
    {
        Result = result;
        Call = call;
    }

    public Result Result { get; }
    public string Call { get; }
}

/// <summary>The device was lost (driver reset, GPU hang, removed device). Every object of the context is unusable.</summary>
public sealed class DeviceLostException : VulkanException
{
    public DeviceLostException(string message, string call, Exception? inner = null) : base(message, Result.ErrorDeviceLost, call, inner) { }
}

/// <summary>No usable Vulkan device (or loader) was found.</summary>
public sealed class NoVulkanDeviceException : VulkanException
{
    public const string InstallHint =
        "Install a Vulkan driver. Without a GPU, the SwiftShader software device works: " +
        "'apt-get install libvulkan1 chromium-common' (its driver manifest is /usr/lib/chromium/vk_swiftshader_icd.json), " +
        "or lavapipe: 'apt-get install mesa-vulkan-drivers'. scripts/setup.sh installs both.";

    public NoVulkanDeviceException(string message) : base(message + " " + InstallHint, Result.ErrorInitializationFailed) { }
}

internal static class VkCheck
{
    [ThreadStatic] private static InjectedFault? t_fault;

    /// <summary>Throws when <paramref name="result"/> is not Success (or another non-error code the caller allows).</summary>
    public static void Check(this Result result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (t_fault != null) result = t_fault.Apply(result, call);
        if (result >= Result.Success) return;
        Throw(result, call);
    }

    /// <summary>
    /// Test seam: on this thread, until the returned object is disposed, checked calls whose text contains
    /// <paramref name="call"/> (ordinal, ignoring case: "vkQueueSubmit") report <paramref name="result"/> instead of what
    /// the driver returned, after the first <paramref name="skip"/> such calls. The driver's call has happened (and
    /// succeeded): inject into calls that create nothing (submits, waits), or the created object leaks.
    /// </summary>
    internal static InjectedFault InjectFault(string call, Result result, int skip = 0)
    {
        if (result >= Result.Success) throw new ArgumentOutOfRangeException(nameof(result), result, "Inject an error code.");
        if (t_fault != null) throw new InvalidOperationException("A fault is already injected on this thread.");
        return t_fault = new InjectedFault(call, result, skip);
    }

    /// <summary>A fault injected by <see cref="InjectFault"/>; <see cref="Hits"/> counts the results it replaced.</summary>
    internal sealed class InjectedFault(string call, Result result, int skip) : IDisposable
    {
        private int _seen;
        public int Hits { get; private set; }

        public Result Apply(Result actual, string text)
        {
            if (!text.Contains(call, StringComparison.OrdinalIgnoreCase) || _seen++ < skip) return actual;
            Hits++;
            return result;
        }

        public void Dispose()
        {
            if (t_fault == this) t_fault = null;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(Result result, string call)
    {
        if (result == Result.ErrorDeviceLost)
            throw new DeviceLostException($"Vulkan device lost in {call}. The context must be disposed and re-created.", call);
        string hint = result switch
        {
            Result.ErrorOutOfDeviceMemory => " (the device ran out of memory: use a smaller input or model)",
            Result.ErrorOutOfHostMemory => " (the host ran out of memory)",
            Result.ErrorLayerNotPresent => " (install vulkan-validationlayers, or turn validation off)",
            Result.ErrorExtensionNotPresent => " (the driver lacks a required extension)",
            Result.ErrorIncompatibleDriver => " (no compatible Vulkan driver: " + NoVulkanDeviceException.InstallHint + ")",
            _ => "",
        };
        throw new VulkanException($"{call} failed with {result}{hint}.", result, call);
    }
}
