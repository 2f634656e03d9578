// Rgba (an 8-bit colour with opacity) and Colors (the per-class palette) that overlays are drawn in.
namespace VulkanCnn.Vision;

/// <summary>An 8-bit RGBA colour; A is the opacity a primitive is blended with (255 opaque).</summary>
public readonly record struct Rgba(byte R, byte G, byte B, byte A = 255)
{
    /// <summary>R | G≪8 | B≪16 | A≪24: the byte order of an RGBA8 pixel read as a little-endian uint.</summary>
    public uint Packed => R | (uint)G << 8 | (uint)B << 16 | (uint)A << 24;

    /// <summary>The same colour with opacity <paramref name="a"/>.</summary>
    public Rgba WithAlpha(byte a) => this with { A = a };
}

/// <summary>A fixed palette of well-separated colours, one per class id.</summary>
public static class Colors
{
    private static readonly Rgba[] PaletteArray =
    {
        new(230, 25, 75), new(60, 180, 75), new(255, 225, 25), new(0, 130, 200), new(245, 130, 48), new(145, 30, 180),
        new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212), new(0, 128, 128), new(220, 190, 255),
        new(170, 110, 40), new(255, 250, 200), new(128, 0, 0), new(170, 255, 195), new(128, 128, 0), new(255, 215, 180),
        new(0, 0, 128), new(128, 128, 128),
    };

    /// <summary>The palette; class id i has colour Palette[i mod Count].</summary>
    public static IReadOnlyList<Rgba> Palette => PaletteArray;

    /// <summary>The colour of class <paramref name="classId"/> (≥ 0).</summary>
    public static Rgba ForClass(int classId) => classId >= 0 ? PaletteArray[classId % PaletteArray.Length]
        : throw new ArgumentOutOfRangeException(nameof(classId), $"Class id {classId} must be 0 or more.");

    /// <summary>Opaque white.</summary>
    public static Rgba White => new(255, 255, 255);
    /// <summary>Opaque black.</summary>
    public static Rgba Black => new(0, 0, 0);
}
