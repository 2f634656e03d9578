// Where the tests find what set-up fetched (.cache/images, .cache/models): one lookup for every test that needs a
// photograph or a model; a missing file fails the test with the command that fetches it, never skips it.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace VulkanCnn.Tests;

public static class TestFiles
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "VulkanCnn.sln"))) return d.FullName;
        Assert.Fail("VulkanCnn.sln not found above the test directory.");
        return "";
    });

    /// <summary>The repository root (the folder holding VulkanCnn.sln).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The path of .cache/<paramref name="parts"/>; fails the test when set-up has not fetched it.</summary>
    public static string Cached(params string[] parts)
    {
        var path = Path.Combine(new[] { RepoRoot, ".cache" }.Concat(parts).ToArray());
        if (!File.Exists(path)) Assert.Fail($"{path} is missing: run scripts/setup.sh to fetch the test models and photographs.");
        return path;
    }

    public const int AstronautCropW = 512, AstronautCropH = 384;

    private static readonly Lazy<byte[]> AstronautCrop = new(() =>
    {
        var path = Cached("images", "astronaut.png");
        using var image = Image.Load<Rgba32>(path);
        Assert.That(image.Width >= AstronautCropW && image.Height >= AstronautCropH + 64, $"{path} is {image.Width}x{image.Height}, expected at least 512x448");
        var rgba = new byte[AstronautCropW * AstronautCropH * 4];
        for (int y = 0; y < AstronautCropH; y++)
            for (int x = 0; x < AstronautCropW; x++)
            {
                var p = image[x, y + 64];
                int i = (y * AstronautCropW + x) * 4;
                rgba[i] = p.R; rgba[i + 1] = p.G; rgba[i + 2] = p.B; rgba[i + 3] = p.A;
            }
        return rgba;
    });

    /// <summary>Rows 64..447 of astronaut.png (512x512) as RGBA bytes: a non-square 512x384 frame (shared, do not modify).</summary>
    public static byte[] AstronautRgba512x384() => AstronautCrop.Value;
}
