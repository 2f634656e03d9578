// The game's scene: which photographs it shows and where every quad is at a given frame. Pure arithmetic, shared by
// the GPU renderer (which uploads these quads) and the tests (which predict the rendered pixels and the face box).
namespace VulkanCnn.Samples.GameEmbed;

/// <summary>
/// One quad in framebuffer pixels (y down): centre, half-size, clockwise angle in radians, the texture it shows
/// (-1: the procedural background) and the texture rectangle (u0, v0)-(u1, v1) mapped onto it; local corner (-1,-1)
/// gets (u0, v0).
/// </summary>
internal readonly record struct Quad(float CenterX, float CenterY, float HalfW, float HalfH, float Angle, int Texture,
                                     float U0, float V0, float U1, float V1)
{
    /// <summary>Framebuffer position of the quad-local point (lx, ly), both in -1..1.</summary>
    public (float X, float Y) ToFrame(float lx, float ly)
    {
        float x = lx * HalfW, y = ly * HalfH, c = MathF.Cos(Angle), s = MathF.Sin(Angle);
        return (CenterX + x * c - y * s, CenterY + x * s + y * c);
    }

    /// <summary>Quad-local coordinates (-1..1 inside) of framebuffer point (x, y).</summary>
    public (float Lx, float Ly) ToLocal(float x, float y)
    {
        float dx = x - CenterX, dy = y - CenterY, c = MathF.Cos(Angle), s = MathF.Sin(Angle);
        return ((dx * c + dy * s) / HalfW, (-dx * s + dy * c) / HalfH);
    }

    /// <summary>Texture coordinates (0..1) of quad-local point (lx, ly).</summary>
    public (float U, float V) ToUv(float lx, float ly) => (U0 + (U1 - U0) * (lx * 0.5f + 0.5f), V0 + (V1 - V0) * (ly * 0.5f + 0.5f));
}

/// <summary>The photographs and their animation. Frame n is at time n / <see cref="FramesPerSecond"/> seconds.</summary>
internal static class Scene
{
    public const double FramesPerSecond = 30;

    /// <summary>Texture files under .cache/images (fetched by scripts/setup.sh); index 0 is the hero (the face).</summary>
    public static readonly string[] Photos = { "astronaut.png", "chelsea.png", "coffee.png" };

    /// <summary>The hero shows rows 64..447 of the 512x512 astronaut photograph: the tests' 512x384 crop.</summary>
    public const float HeroV0 = 64f / 512, HeroV1 = 448f / 512;
    public const int HeroCropW = 512, HeroCropH = 384;

    /// <summary>
    /// The astronaut's face in the 512x384 crop: the library's hand-measured box (178, 88, 94x98) is in the full 512x512
    /// photograph (brows to chin; see tests/VulkanCnn.Tests/Vision/BlazeFaceTests.cs), so 64 rows higher in the crop.
    /// </summary>
    public const float FaceX = 178, FaceY = 88 - 64, FaceW = 94, FaceH = 98;

    /// <summary>Quads drawn at frame <paramref name="frame"/>, back to front: background, the two small photographs, the hero.</summary>
    public static void Layout(long frame, int width, int height, Span<Quad> quads)
    {
        if (quads.Length < QuadCount) throw new ArgumentException($"Scene.Layout needs room for {QuadCount} quads, got {quads.Length}.", nameof(quads));
        float t = (float)(frame / FramesPerSecond);
        quads[0] = new Quad(width / 2f, height / 2f, width / 2f, height / 2f, 0, -1, 0, 0, 1, 1);
        // Two small photographs circling in the corners, spinning.
        float small = height * 0.17f;
        quads[1] = new Quad(width * (0.18f + 0.06f * MathF.Cos(t * 1.7f)), height * (0.24f + 0.08f * MathF.Sin(t * 1.7f)),
                            small * 451f / 300f, small, t * 0.9f, 1, 0, 0, 1, 1);
        quads[2] = new Quad(width * (0.82f + 0.06f * MathF.Sin(t * 1.3f)), height * (0.78f + 0.07f * MathF.Cos(t * 1.3f)),
                            small * 1.5f, small, -t * 0.6f, 2, 0, 0, 1, 1);
        quads[3] = Hero(frame, width, height);
    }

    public const int QuadCount = 4;

    /// <summary>The astronaut quad: 85 % of the frame, drifting and swaying by up to ±8 degrees.</summary>
    public static Quad Hero(long frame, int width, int height)
    {
        float t = (float)(frame / FramesPerSecond);
        float scale = 0.85f * MathF.Min((float)width / HeroCropW, (float)height / HeroCropH);
        return new Quad(width * (0.5f + 0.06f * MathF.Sin(t * 0.9f)), height * (0.5f + 0.05f * MathF.Sin(t * 1.3f + 0.5f)),
                        HeroCropW / 2f * scale, HeroCropH / 2f * scale, 8f * MathF.PI / 180f * MathF.Sin(t * 0.7f),
                        0, 0, HeroV0, 1, HeroV1);
    }

    /// <summary>
    /// Where the face is in the frame: the hand-measured box's centre carried through the hero's placement, with the
    /// box's size scaled (a detector's box stays upright and about face-sized under a small rotation).
    /// </summary>
    public static (float X, float Y, float W, float H) FaceBox(long frame, int width, int height)
    {
        var q = Hero(frame, width, height);
        float lx = (FaceX + FaceW / 2) / HeroCropW * 2 - 1, ly = (FaceY + FaceH / 2) / HeroCropH * 2 - 1;
        var (cx, cy) = q.ToFrame(lx, ly);
        float s = q.HalfW * 2 / HeroCropW;
        return (cx - FaceW * s / 2, cy - FaceH * s / 2, FaceW * s, FaceH * s);
    }
}
