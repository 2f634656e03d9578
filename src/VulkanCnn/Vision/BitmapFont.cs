// The overlay's embedded 5x7 bitmap font, drawn for this project: digits, capital letters, space and . : % - / ( ).
namespace VulkanCnn.Vision;

/// <summary>
/// A 5×7 pixel font. Each glyph is 7 rows of 5 columns; bit <c>row·5 + column</c> (row 0 at the top, column 0 at the
/// left) is set where the glyph is lit. Lower-case letters are drawn with the capital glyphs.
/// </summary>
public static class BitmapFont
{
    /// <summary>Glyph width in font pixels.</summary>
    public const int GlyphWidth = 5;
    /// <summary>Glyph height in font pixels.</summary>
    public const int GlyphHeight = 7;
    /// <summary>Horizontal distance between glyph origins in font pixels (one blank column between glyphs).</summary>
    public const int Advance = 6;

    // Rows top to bottom, '#' lit.
    private static readonly Dictionary<char, string> Art = new()
    {
        [' '] = "..... ..... ..... ..... ..... ..... .....",
        ['.'] = "..... ..... ..... ..... ..... .##.. .##..",
        [':'] = "..... .##.. .##.. ..... .##.. .##.. .....",
        ['%'] = "##... ##..# ...#. ..#.. .#... #..## ...##",
        ['-'] = "..... ..... ..... ##### ..... ..... .....",
        ['/'] = "..... ....# ...#. ..#.. .#... #.... .....",
        ['('] = "...#. ..#.. .#... .#... .#... ..#.. ...#.",
        [')'] = ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
        ['0'] = ".###. #...# #..## #.#.# ##..# #...# .###.",
        ['1'] = "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
        ['2'] = ".###. #...# ....# ...#. ..#.. .#... #####",
        ['3'] = "##### ...#. ..#.. ...#. ....# #...# .###.",
        ['4'] = "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
        ['5'] = "##### #.... ####. ....# ....# #...# .###.",
        ['6'] = "..##. .#... #.... ####. #...# #...# .###.",
        ['7'] = "##### ....# ...#. ..#.. .#... .#... .#...",
        ['8'] = ".###. #...# #...# .###. #...# #...# .###.",
        ['9'] = ".###. #...# #...# .#### ....# ...#. .##..",
        ['A'] = ".###. #...# #...# ##### #...# #...# #...#",
        ['B'] = "####. #...# #...# ####. #...# #...# ####.",
        ['C'] = ".###. #...# #.... #.... #.... #...# .###.",
        ['D'] = "###.. #..#. #...# #...# #...# #..#. ###..",
        ['E'] = "##### #.... #.... ####. #.... #.... #####",
        ['F'] = "##### #.... #.... ####. #.... #.... #....",
        ['G'] = ".###. #...# #.... #.### #...# #...# .####",
        ['H'] = "#...# #...# #...# ##### #...# #...# #...#",
        ['I'] = ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
        ['J'] = "..### ...#. ...#. ...#. ...#. #..#. .##..",
        ['K'] = "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
        ['L'] = "#.... #.... #.... #.... #.... #.... #####",
        ['M'] = "#...# ##.## #.#.# #.#.# #...# #...# #...#",
        ['N'] = "#...# #...# ##..# #.#.# #..## #...# #...#",
        ['O'] = ".###. #...# #...# #...# #...# #...# .###.",
        ['P'] = "####. #...# #...# ####. #.... #.... #....",
        ['Q'] = ".###. #...# #...# #...# #.#.# #..#. .##.#",
        ['R'] = "####. #...# #...# ####. #.#.. #..#. #...#",
        ['S'] = ".#### #.... #.... .###. ....# ....# ####.",
        ['T'] = "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
        ['U'] = "#...# #...# #...# #...# #...# #...# .###.",
        ['V'] = "#...# #...# #...# #...# #...# .#.#. ..#..",
        ['W'] = "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
        ['X'] = "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
        ['Y'] = "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
        ['Z'] = "##### ....# ...#. ..#.. .#... #.... #####",
    };

    private static readonly Dictionary<char, ulong> Bits = Art.ToDictionary(kv => kv.Key, kv => Parse(kv.Key, kv.Value));

    private static ulong Parse(char c, string art)
    {
        var rows = art.Split(' ');
        if (rows.Length != GlyphHeight || rows.Any(r => r.Length != GlyphWidth))
            throw new InvalidOperationException($"Glyph '{c}' must be {GlyphHeight} rows of {GlyphWidth} columns.");
        ulong bits = 0;
        for (int y = 0; y < GlyphHeight; y++)
            for (int x = 0; x < GlyphWidth; x++)
                if (rows[y][x] == '#') bits |= 1UL << (y * GlyphWidth + x);
        return bits;
    }

    /// <summary>The characters the font can draw (lower-case letters too, as capitals).</summary>
    public static IEnumerable<char> Characters => Bits.Keys;

    /// <summary>Whether <paramref name="c"/> can be drawn.</summary>
    public static bool Supports(char c) => Bits.ContainsKey(char.ToUpperInvariant(c));

    /// <summary>The glyph of <paramref name="c"/>: bit row·5 + column is lit.</summary>
    /// <exception cref="ArgumentException">The font has no glyph for <paramref name="c"/>.</exception>
    public static ulong Glyph(char c) => Bits.TryGetValue(char.ToUpperInvariant(c), out var g) ? g : throw new ArgumentException(GlyphErrorText(c));

    internal static string GlyphErrorText(char c) =>
        $"the overlay font has no glyph for '{c}' (U+{(int)c:X4}); it draws digits, letters, space and {string.Concat(Bits.Keys.Where(k => !char.IsLetterOrDigit(k) && k != ' '))}.";

    /// <summary>Whether pixel (<paramref name="x"/>, <paramref name="y"/>) of the glyph of <paramref name="c"/> is lit.</summary>
    public static bool IsLit(char c, int x, int y) => (Glyph(c) >> (y * GlyphWidth + x) & 1) != 0;
}
