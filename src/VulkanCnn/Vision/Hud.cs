// A heads-up display for live views: frames per second and per-stage latency as overlay labels stacked into one
// background box in a corner of the frame, sized to stay legible from 320x240 to 1920x1080.
using System.Globalization;

namespace VulkanCnn.Vision;

/// <summary>The corner of the frame the <see cref="Hud"/> panel sits in.</summary>
public enum HudCorner { TopLeft, TopRight, BottomLeft, BottomRight }

/// <summary>
/// What a <see cref="Hud"/> shows: frame rate and the per-frame latency of each stage in milliseconds. A null stage
/// was not measured (its line shows "-"); stages a pipeline folds into another are reported as null, not zero.
/// </summary>
public readonly record struct HudStats(double Fps, double? CaptureMs = null, double? UploadMs = null, double? PreprocessMs = null,
                                       double? InferenceMs = null, double? PostprocessMs = null, double? OverlayMs = null);

/// <summary>
/// Lays out the HUD panel for frames of one size: a title line (fps and frame size), then one line per stage (capture,
/// upload, preprocess, inference, postprocess, overlay), left-aligned names and right-aligned milliseconds, all padded
/// to one width so their label backgrounds join into one box. The label scale grows with the frame (1 below 480 pixels
/// on the short side, 2 at 480, 3 at 720, 4 at 960); a panel that would not fit shrinks its scale, then its text.
/// <see cref="Update"/> formats strings (it allocates): call it a few times a second, not per frame;
/// <see cref="Draw"/> (labels for the GPU overlay) and <see cref="DrawInto"/> (blended on the host) allocate nothing.
/// </summary>
public sealed class Hud
{
    /// <summary>The stage names in display order.</summary>
    public static IReadOnlyList<string> StageNames { get; } = new[] { "capture", "upload", "preprocess", "inference", "postprocess", "overlay" };

    private const int NameWidth = 11, ValueWidth = 8;           // "postprocess" and "999.9 ms"
    private readonly List<OverlayLabel> _labels = new();
    private readonly string[] _lines = new string[1 + 6];

    /// <summary>
    /// Creates a HUD for <paramref name="frameWidth"/>×<paramref name="frameHeight"/> frames, placed in
    /// <paramref name="corner"/>; white text on translucent black unless colours are given.
    /// </summary>
    public Hud(int frameWidth, int frameHeight, HudCorner corner = HudCorner.TopLeft, Rgba? textColor = null, Rgba? background = null)
    {
        if (frameWidth <= 0 || frameHeight <= 0)
            throw new ArgumentException($"HUD frame size {frameWidth}x{frameHeight} must be positive.");
        FrameWidth = frameWidth;
        FrameHeight = frameHeight;
        Corner = corner;
        TextColor = textColor ?? Colors.White;
        Background = background ?? new Rgba(0, 0, 0, 176);
        Scale = Math.Max(1, Math.Min(frameWidth, frameHeight) / 240);
        Update(new HudStats(0));
    }

    public int FrameWidth { get; }
    public int FrameHeight { get; }
    public HudCorner Corner { get; }

    /// <summary>Label scale in frame pixels per font pixel (after shrinking to fit).</summary>
    public int Scale { get; private set; }

    /// <summary>Background colour of the panel.</summary>
    public Rgba Background { get; }

    /// <summary>Text colour.</summary>
    public Rgba TextColor { get; }

    /// <summary>Label text after the last <see cref="Update"/>, top to bottom (as drawn: lines that do not fit are left out).</summary>
    public IReadOnlyList<OverlayLabel> Labels => _labels;

    /// <summary>The panel's box in frame pixels (empty when nothing fits).</summary>
    public Box Bounds { get; private set; }

    /// <summary>Formats <paramref name="stats"/> into the panel's lines and lays them out.</summary>
    public void Update(in HudStats stats)
    {
        var c = CultureInfo.InvariantCulture;
        _lines[0] = $"{stats.Fps.ToString("0.0", c)} fps {FrameWidth}x{FrameHeight}";
        ReadOnlySpan<double?> ms = [stats.CaptureMs, stats.UploadMs, stats.PreprocessMs, stats.InferenceMs, stats.PostprocessMs, stats.OverlayMs];
        for (int i = 0; i < ms.Length; i++)
        {
            string value = ms[i] is { } v ? (Math.Min(Math.Max(v, 0), 9999.9)).ToString(v < 999.95 ? "0.0" : "0", c) + " ms" : "-";
            _lines[1 + i] = StageNames[i].PadRight(NameWidth) + value.PadLeft(ValueWidth);
        }
        Layout();
    }

    /// <summary>Adds the panel's labels to <paramref name="scene"/> (drawn over whatever the scene already holds).</summary>
    public void Draw(OverlayScene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        scene.Labels.AddRange(_labels);
    }

    /// <summary>
    /// Blends the panel straight into a host RGBA8 frame of <see cref="FrameWidth"/>×<see cref="FrameHeight"/> (rows
    /// packed), by the rules <see cref="OverlayRenderer"/> draws labels with (background, then glyph cells, each
    /// round(src·(1−a) + colour·a) with a = alpha/255; the frame's alpha is kept). For frames that are on the host
    /// anyway: it touches only the panel's pixels, 0.07 ms at 640×480 and 0.14 ms at 1280×720 on this machine, where
    /// the same panel through the GPU overlay adds 6 ms (lavapipe) to 14 ms (SwiftShader) per 640×480 frame on CPU
    /// devices. Allocates nothing.
    /// </summary>
    public void DrawInto(Span<byte> rgba)
    {
        long bytes = 4L * FrameWidth * FrameHeight;
        if (rgba.Length != bytes)
            throw new ArgumentException($"An RGBA8 frame of {FrameWidth}x{FrameHeight} has {bytes} bytes; got {rgba.Length}.", nameof(rgba));
        Span<byte> background = stackalloc byte[3 * 256], text = stackalloc byte[3 * 256];
        foreach (var l in _labels)
        {
            int s = l.Scale, x0 = (int)MathF.Floor(l.X), y0 = (int)MathF.Floor(l.Y);
            var (lw, lh) = OverlayLabel.Size(l.Text.Length, s);
            BlendTable(l.Background, background);
            BlendTable(l.Color, text);
            Fill(rgba, x0, y0, lw, lh, background);
            for (int k = 0; k < l.Text.Length; k++)
            {
                char c = l.Text[k];
                if (c == ' ') continue;
                ulong bits = BitmapFont.Glyph(c);
                int gx = x0 + s + BitmapFont.Advance * s * k, gy = y0 + s;
                for (int row = 0; row < BitmapFont.GlyphHeight; row++)
                    for (int col = 0; col < BitmapFont.GlyphWidth; col++)
                        if ((bits >> (row * BitmapFont.GlyphWidth + col) & 1) != 0) Fill(rgba, gx + col * s, gy + row * s, s, s, text);
            }
        }
    }

    /// <summary>
    /// out = table[src] per channel: overlay.comp's blend, round(src·(1−a) + colour·a) with halves up, in the same
    /// single-precision arithmetic.
    /// </summary>
    private static void BlendTable(Rgba color, Span<byte> table)
    {
        float a = color.A / 255f, keep = 1f - a;
        for (int v = 0; v < 256; v++)
        {
            table[v] = (byte)Math.Clamp(MathF.Floor(v * keep + color.R * a + 0.5f), 0, 255);
            table[256 + v] = (byte)Math.Clamp(MathF.Floor(v * keep + color.G * a + 0.5f), 0, 255);
            table[512 + v] = (byte)Math.Clamp(MathF.Floor(v * keep + color.B * a + 0.5f), 0, 255);
        }
    }

    /// <summary>Blends the w×h rectangle at (x, y), clipped to the frame, through <paramref name="table"/>.</summary>
    private void Fill(Span<byte> rgba, int x, int y, int w, int h, ReadOnlySpan<byte> table)
    {
        int xa = Math.Max(x, 0), xb = Math.Min(x + w, FrameWidth), ya = Math.Max(y, 0), yb = Math.Min(y + h, FrameHeight);
        if (xa >= xb || ya >= yb) return;
        for (int yy = ya; yy < yb; yy++)
        {
            var row = rgba.Slice(4 * (yy * FrameWidth + xa), 4 * (xb - xa));
            for (int i = 0; i < row.Length; i += 4)
            {
                row[i] = table[row[i]];
                row[i + 1] = table[256 + row[i + 1]];
                row[i + 2] = table[512 + row[i + 2]];
            }
        }
    }

    private void Layout()
    {
        _labels.Clear();
        int chars = 0;
        foreach (var l in _lines) chars = Math.Max(chars, l.Length);
        int scale = Math.Max(1, Math.Min(FrameWidth, FrameHeight) / 240);
        // Shrink the scale until the panel fits with its margin; then, at scale 1, cut characters and lines.
        while (scale > 1 && !Fits(chars, _lines.Length, scale)) scale--;
        Scale = scale;
        int margin = Margin(scale);
        int lineH = OverlayLabel.Size(1, scale).Height;
        int maxChars = Math.Min(chars, ((FrameWidth - 2 * margin) / scale - 1) / BitmapFont.Advance);
        int maxLines = Math.Min(_lines.Length, (FrameHeight - 2 * margin) / lineH);
        if (maxChars <= 0 || maxLines <= 0) { Bounds = default; return; }
        var (w, _) = OverlayLabel.Size(maxChars, scale);
        int h = maxLines * lineH;
        int x = Corner is HudCorner.TopLeft or HudCorner.BottomLeft ? margin : FrameWidth - margin - w;
        int y = Corner is HudCorner.TopLeft or HudCorner.TopRight ? margin : FrameHeight - margin - h;
        for (int i = 0; i < maxLines; i++)
        {
            string t = _lines[i].Length > maxChars ? _lines[i][..maxChars] : _lines[i].PadRight(maxChars);
            _labels.Add(new OverlayLabel(x, y + i * lineH, t, TextColor, Background, scale));
        }
        Bounds = new Box(x, y, w, h);
    }

    private static int Margin(int scale) => 4 * scale;

    private bool Fits(int chars, int lines, int scale)
    {
        var (w, h) = OverlayLabel.Size(chars, scale);
        return w + 2 * Margin(scale) <= FrameWidth && lines * h + 2 * Margin(scale) <= FrameHeight;
    }
}
