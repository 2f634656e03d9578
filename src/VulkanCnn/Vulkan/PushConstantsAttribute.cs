// Marks the C# mirror of a shader's push-constant block. Each embedded shader with a push block has exactly one
// mirror, found through this attribute by a test that compares the struct's size with the block read from the SPIR-V;
// a layer's dispatch checks that its push struct names the kernel it is pushed to.
using System.Reflection;

namespace VulkanCnn.Vulkan;

/// <summary>The struct mirrors the push-constant block of the named embedded shaders (shaders/NAME.comp or a variant
/// of VulkanCnn.csproj); a name ending in <c>*</c> stands for every shader whose name starts with the rest.</summary>
[AttributeUsage(AttributeTargets.Struct, AllowMultiple = false)]
internal sealed class PushConstantsAttribute(params string[] shaders) : Attribute
{
    public IReadOnlyList<string> Shaders => _shaders;

    private readonly string[] _shaders = shaders;

    /// <summary>Whether <paramref name="shader"/> is one of the named shaders.</summary>
    public bool Names(string shader)
    {
        foreach (var s in _shaders)
            if (s.EndsWith('*') ? shader.StartsWith(s[..^1], StringComparison.Ordinal) : shader == s) return true;
        return false;
    }

    /// <summary>The attribute of <typeparamref name="T"/>, or null; read once per type.</summary>
    public static PushConstantsAttribute? Of<T>() => Cache<T>.Value;

    private static class Cache<T>
    {
        public static readonly PushConstantsAttribute? Value = typeof(T).GetCustomAttribute<PushConstantsAttribute>();
    }
}
