// What an overlay draws: box outlines, keypoint discs, line segments, text labels and a model-resolution mask.
namespace VulkanCnn.Vision;

/// <summary>A box outline: the pixels whose centre lies inside <see cref="Box"/> and less than <see cref="Thickness"/> from one of its edges.</summary>
public readonly record struct OverlayBox(Box Box, Rgba Color, float Thickness = 2f);

/// <summary>A filled disc (keypoint): the pixels whose centre is at most <see cref="Radius"/> from (X, Y).</summary>
public readonly record struct OverlayPoint(float X, float Y, Rgba Color, float Radius = 3f);

/// <summary>A line segment: the pixels whose centre is at most Thickness/2 from the segment.</summary>
public readonly record struct OverlaySegment(float X0, float Y0, float X1, float Y1, Rgba Color, float Thickness = 2f);

/// <summary>
/// Text on a filled background. The top-left corner is (⌊X⌋, ⌊Y⌋); with s = <see cref="Scale"/> and n characters the
/// background covers (6n+1)·s × 9·s pixels and glyph k's 5×7 cells of s×s pixels start at (⌊X⌋ + s + 6ks, ⌊Y⌋ + s).
/// </summary>
public readonly record struct OverlayLabel(float X, float Y, string Text, Rgba Color, Rgba Background, int Scale = 1)
{
    /// <summary>Width and height in pixels of a label of <paramref name="length"/> characters at <paramref name="scale"/>.</summary>
    public static (int Width, int Height) Size(int length, int scale) =>
        ((BitmapFont.Advance * length + 1) * scale, (BitmapFont.GlyphHeight + 2) * scale);
}

/// <summary>
/// A map at model resolution, blended over the frame. Frame pixel centre (x+0.5, y+0.5) maps to model position
/// (x+0.5)·ScaleX + OffsetX (likewise y) through <see cref="Transform"/> (a preprocessor's <see cref="FramePreprocessor.Transform"/>
/// for letterboxed input) and takes the map value of the model pixel it falls in (nearest); positions outside the
/// map draw nothing. With a <see cref="Threshold"/>, values ≥ Threshold are drawn in <see cref="Color"/>; without one,
/// values are class ids (rounded to the nearest integer), ids ≤ 0 are background and id i is drawn in
/// <see cref="Colors.ForClass"/>(i). Each drawn pixel becomes round(src·(1−Alpha) + colour·Alpha) per channel.
/// </summary>
public sealed record OverlayMask(ReadOnlyMemory<float> Values, int Width, int Height, FrameTransform Transform)
{
    /// <summary>Probability threshold; null means the values are class ids.</summary>
    public float? Threshold { get; init; }
    /// <summary>Colour of the thresholded mask (its alpha is ignored; <see cref="Alpha"/> is used).</summary>
    public Rgba Color { get; init; } = Colors.ForClass(0);
    /// <summary>Opacity of the mask, 0..1.</summary>
    public float Alpha { get; init; } = 0.5f;
    /// <summary>
    /// Threshold mode only: interpolate the map bilinearly before thresholding (half-pixel centres, edge values
    /// repeated; positions outside the map still draw nothing), for smooth mask edges when the map is much smaller than
    /// the frame. Class ids are always sampled nearest.
    /// </summary>
    public bool Bilinear { get; init; }
}
