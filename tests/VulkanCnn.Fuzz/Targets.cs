// The four targets by name, with their seeds: built ones, the real models under .cache when present, and the saved
// corpus of past findings (tests/VulkanCnn.Tests/Fuzz/corpus/TARGET).
namespace VulkanCnn.Fuzz;

public static class Targets
{
    public static readonly string[] Names = { "onnx", "npy", "image", "cli" };

    /// <summary>The repository root above <paramref name="from"/> (the folder holding VulkanCnn.sln), or null.</summary>
    public static string? FindRepository(string from)
    {
        for (var d = new DirectoryInfo(from); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "VulkanCnn.sln"))) return d.FullName;
        return null;
    }

    /// <summary>The saved corpus folder of a target.</summary>
    public static string CorpusDir(string repository, string target) => Path.Combine(repository, "tests", "VulkanCnn.Tests", "Fuzz", "corpus", target);

    /// <summary>The corpus inputs of a target (sorted by name; none when the folder is absent).</summary>
    public static IReadOnlyList<(string Path, byte[] Bytes)> Corpus(string? repository, string target)
    {
        if (repository == null || !Directory.Exists(CorpusDir(repository, target))) return Array.Empty<(string, byte[])>();
        return Directory.GetFiles(CorpusDir(repository, target), "*.bin").OrderBy(f => f, StringComparer.Ordinal).Select(f => (f, File.ReadAllBytes(f))).ToArray();
    }

    /// <summary>A target by name. <paramref name="realModels"/>: also seed the ONNX target with .cache/models files up to 1 MiB.</summary>
    public static IFuzzTarget Create(string name, string? repository, bool realModels = true, IEnumerable<byte[]>? extraSeeds = null)
    {
        var corpus = Corpus(repository, name).Select(c => c.Bytes).Concat(extraSeeds ?? Array.Empty<byte[]>());
        return name switch
        {
            "onnx" => new OnnxTarget(OnnxSeeds.Small().Concat(realModels ? OnnxSeeds.Real(repository == null ? null : Path.Combine(repository, ".cache")) : Array.Empty<byte[]>()).Concat(corpus)),
            "npy" => new NpyTarget(corpus),
            "image" => new ImageTarget(corpus),
            "cli" => new CliTarget(corpus),
            _ => throw new ArgumentException($"unknown fuzz target '{name}'; the targets are {string.Join(", ", Names)}."),
        };
    }
}
