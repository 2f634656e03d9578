// Where the samples find the files scripts/setup.sh fetched (.cache/images, .cache/models) from wherever they run.
namespace VulkanCnn.Samples.Common;

internal static class SampleFiles
{
    /// <summary>The repository root (the folder holding VulkanCnn.sln) above the executable or the current directory; null if none.</summary>
    public static string? FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "VulkanCnn.sln"))) return d.FullName;
        return null;
    }

    /// <summary>A path under the repository's .cache (relative to the current directory when no root is found).</summary>
    public static string Cache(params string[] parts) =>
        Path.Combine(new[] { FindRoot() ?? ".", ".cache" }.Concat(parts).ToArray());
}
