// The .npy and image targets: bytes straight into ImageIO's readers (the same code paths as the file readers).
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Imaging;

namespace VulkanCnn.Fuzz;

/// <summary>ImageIO.ReadNpy on bytes; documented: InvalidDataException naming the file.</summary>
public sealed class NpyTarget : IFuzzTarget
{
    public const string Source = "fuzz.npy";

    public NpyTarget(IEnumerable<byte[]>? extraSeeds = null)
    {
        var seeds = new List<byte[]>();
        foreach (var shape in new[] { new[] { 3 }, new[] { 2, 3 }, new[] { 1, 2, 2, 2 }, Array.Empty<int>(), new[] { 0 } })
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            seeds.Add(ImageIO.NpyArrayBytes(Source, Enumerable.Range(0, n).Select(i => i * 0.5f).ToArray(), shape));
        }
        Seeds = seeds.Concat(extraSeeds ?? Array.Empty<byte[]>()).ToArray();
    }

    public string Name => "npy";

    public IReadOnlyList<byte[]> Seeds { get; }

    public byte[] Mutate(byte[] seed, Random rng)
    {
        // Half of the time a mutation of the header text alone (the part the reader parses).
        if (rng.Next(2) == 0 && seed.Length > 12)
        {
            int headerEnd = Math.Min(seed.Length, 10 + BitConverter.ToUInt16(seed, 8));
            var header = seed.AsSpan(0, headerEnd).ToArray();
            var mutated = ByteMutator.Mutate(header, rng);
            return mutated.Concat(seed.Skip(headerEnd)).ToArray();
        }
        return ByteMutator.Mutate(seed, rng);
    }

    public Outcome Execute(byte[] input)
    {
        try
        {
            var (data, shape) = ImageIO.ReadNpy(input, Source);
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (shape.Any(d => d < 0) || count != data.Length)
                return Outcome.Finding("shape and data disagree", $"shape ({string.Join(",", shape)}), {data.Length} values");
            return Outcome.Ok;
        }
        catch (Exception e) { return Judge.Exception(e, Source, new[] { typeof(InvalidDataException) }); }
    }
}

/// <summary>ImageIO.Load on PNG and JPEG bytes (grey and resized variants by the first byte's parity); documented:
/// InvalidDataException naming the file.</summary>
public sealed class ImageTarget : IFuzzTarget
{
    public const string Source = "fuzz.img";

    public ImageTarget(IEnumerable<byte[]>? extraSeeds = null)
    {
        var seeds = new List<byte[]>();
        foreach (var (w, h) in new[] { (1, 1), (5, 3), (16, 16), (33, 17) })
        {
            using var img = new Image<Rgb24>(w, h);
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img[x, y] = new Rgb24((byte)(x * 16), (byte)(y * 16), (byte)(x ^ y));
            using var png = new MemoryStream(); img.SaveAsPng(png); seeds.Add(png.ToArray());
            using var jpg = new MemoryStream(); img.SaveAsJpeg(jpg); seeds.Add(jpg.ToArray());
        }
        Seeds = seeds.Concat(extraSeeds ?? Array.Empty<byte[]>()).ToArray();
    }

    public string Name => "image";

    public IReadOnlyList<byte[]> Seeds { get; }

    public byte[] Mutate(byte[] seed, Random rng) => ByteMutator.Mutate(seed, rng);

    public Outcome Execute(byte[] input)
    {
        try
        {
            // The resize and grey options come from the input itself, so that a saved input replays the same way.
            int sel = input.Length > 0 ? input[^1] % 4 : 0;
            var (pixels, shape) = ImageIO.Load(input, Source, grayscale: sel == 1, width: sel == 2 ? 7 : null, height: sel == 3 ? 5 : null);
            if (shape.W < 1 || shape.H < 1 || (long)shape.W * shape.H > ImageIO.MaxPixels || pixels.Length != shape.Size)
                return Outcome.Finding("bad shape", $"{shape} with {pixels.Length} values");
            return Outcome.Ok;
        }
        catch (Exception e) { return Judge.Exception(e, Source, new[] { typeof(InvalidDataException) }, "SixLabors."); }
    }
}
