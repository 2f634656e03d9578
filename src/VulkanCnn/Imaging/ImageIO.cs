// Images in and out of the C×H×W float layout: PNG/JPEG loading (ImageSharp), BT.601 grey conversion, viewable
// PNG/JPEG output of float maps, and the NumPy .npy format (written from its specification, version 1.0).
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Layers;

namespace VulkanCnn.Imaging;

/// <summary>How a float map becomes 0..255 pixels for viewing.</summary>
public enum ViewScaling
{
    /// <summary>Values already are grey values 0..255 (low-pass results): rounded, and clamped only for display.</summary>
    GreyValues,
    /// <summary>Minimum → 0, maximum → 255, over all channels (signed results: Sobel fx/fy, Laplace).</summary>
    MinMax,
    /// <summary>0 → 0, maximum → 255 (non-negative results: gradient strength).</summary>
    Max,
    /// <summary>Angles in radians, −π → 0 and π → 255 (gradient direction).</summary>
    Angle,
}

/// <summary>Reading and writing images and .npy files. Pixels are C×H×W floats, channel-major, with grey values 0..255.</summary>
public static class ImageIO
{
    // Byte 0x93 is written as a number: "\x93" in a C# UTF-8 literal would become two bytes.
    /// <summary>
    /// The most pixels an image file may have (8192 × 8192 = 67,108,864): larger headers are rejected before anything is
    /// decoded or allocated. Its decoded RGB floats (768 MiB) are already far past what one tensor binding holds.
    /// </summary>
    public const long MaxPixels = 8192L * 8192;

    private static ReadOnlySpan<byte> NpyMagic => new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    /// <summary>
    /// Loads a PNG or JPEG (any format ImageSharp reads) as C×H×W floats with values 0..255: C = 3 (R, G, B), or C = 1 with
    /// <paramref name="grayscale"/> (ITU-R BT.601 luma). Optionally resized first (bicubic, by ImageSharp): give
    /// <paramref name="width"/> and/or <paramref name="height"/>; a missing one keeps the aspect ratio.
    /// A truncated PNG or JPEG, an image of 0 pixels or of more than <see cref="MaxPixels"/> (read from the header, before
    /// decoding) and an undecodable file are <see cref="InvalidDataException"/>s naming the file.
    /// </summary>
    public static (float[] Pixels, Shape Shape) Load(string path, bool grayscale = false, int? width = null, int? height = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckResizeTarget(path, width, height);
        return Decode(ImageFileCheck.Read(path), path, grayscale, width, height);
    }

    /// <summary>
    /// <see cref="Load(string, bool, int?, int?)"/> for an image file's bytes; <paramref name="name"/> stands for the file
    /// in error messages.
    /// </summary>
    public static (float[] Pixels, Shape Shape) Load(byte[] bytes, string name, bool grayscale = false, int? width = null, int? height = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(name);
        CheckResizeTarget(name, width, height);
        return Decode(bytes, name, grayscale, width, height);
    }

    private static void CheckResizeTarget(string path, int? width, int? height)
    {
        if (width is <= 0 || height is <= 0)
            throw new ArgumentException($"Resize target for '{path}' must be positive, got width {width}, height {height}.");
        if ((long?)width * height > MaxPixels)
            throw new ArgumentException($"Resize target {width}x{height} for '{path}' has more than {MaxPixels:N0} pixels (ImageIO.MaxPixels).");
    }

    private static (float[] Pixels, Shape Shape) Decode(byte[] bytes, string path, bool grayscale, int? width, int? height)
    {
        using var image = ImageFileCheck.DecodeRgb24(path, bytes);
        if (width != null || height != null)
        {
            // In double: a 1-pixel-high image resized to a given width may ask for a height past int.
            double rw = width ?? Math.Max(1, Math.Round((double)image.Width * height!.Value / image.Height));
            double rh = height ?? Math.Max(1, Math.Round((double)image.Height * width!.Value / image.Width));
            if (rw * rh > MaxPixels)
                throw new ArgumentException($"Resizing '{path}' ({image.Width}x{image.Height}) to {rw}x{rh} keeps the aspect ratio past {MaxPixels:N0} pixels (ImageIO.MaxPixels).");
            int w = (int)rw, h = (int)rh;
            image.Mutate(x => x.Resize(w, h));
        }
        var shape = new Shape(3, image.Height, image.Width);
        var rgb = new float[shape.Size];
        int hw = shape.H * shape.W;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    int p = y * shape.W + x;
                    rgb[p] = row[x].R;
                    rgb[hw + p] = row[x].G;
                    rgb[2 * hw + p] = row[x].B;
                }
            }
        });
        return grayscale ? (ToGray(rgb, shape), shape with { C = 1 }) : (rgb, shape);
    }

    /// <summary>
    /// Grey values Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601) of a 3×H×W image. Computed in double: for a grey source
    /// (R = G = B) the result is the grey value itself, exactly.
    /// </summary>
    public static float[] ToGray(ReadOnlySpan<float> rgb, Shape shape)
    {
        if (shape.C != 3 || rgb.Length != shape.Size)
            throw new ArgumentException($"Grey conversion needs a 3-channel image; got {rgb.Length} floats for shape {shape} (W×H×D).");
        int hw = shape.H * shape.W;
        var g = new float[hw];
        for (int p = 0; p < hw; p++)
            g[p] = (float)(0.299 * rgb[p] + 0.587 * rgb[hw + p] + 0.114 * rgb[2 * hw + p]);
        return g;
    }

    /// <summary>
    /// Writes a 1- or 3-channel float map as an 8-bit PNG (.png) or JPEG (.jpg, .jpeg), chosen by the extension of
    /// <paramref name="path"/>, scaled to 0..255 as <paramref name="scaling"/> says. The scale is shared by all channels.
    /// </summary>
    public static void SaveViewable(string path, ReadOnlySpan<float> data, Shape shape, ViewScaling scaling)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (shape.C is not (1 or 3) || data.Length != shape.Size)
            throw new ArgumentException($"'{path}': a viewable image needs 1 or 3 channels and {shape.Size} floats; got shape {shape} (W×H×D) and {data.Length} floats.");
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".png" or ".jpg" or ".jpeg"))
            throw new ArgumentException($"'{path}': unknown image extension '{ext}'; use .png, .jpg or .jpeg (or .npy for raw floats).");

        float lo = 0, hi = 255;
        switch (scaling)
        {
            case ViewScaling.MinMax:
                lo = float.PositiveInfinity; hi = float.NegativeInfinity;
                foreach (var v in data) { if (v < lo) lo = v; if (v > hi) hi = v; }
                break;
            case ViewScaling.Max:
                hi = 0;
                foreach (var v in data) hi = Math.Max(hi, v);
                break;
            case ViewScaling.Angle:
                lo = -MathF.PI; hi = MathF.PI;
                break;
        }
        // A constant map (hi == lo) has nothing to stretch: show it as black rather than divide by zero.
        float scale = hi > lo ? 255f / (hi - lo) : 0f;
        var bytes = new byte[data.Length];
        for (int i = 0; i < data.Length; i++)
            bytes[i] = (byte)Math.Clamp(MathF.Round((data[i] - lo) * scale), 0f, 255f);

        using Image image = shape.C == 1 ? Image.LoadPixelData<L8>(bytes, shape.W, shape.H) : Interleave(bytes, shape);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"Cannot write '{path}': directory '{dir}' does not exist.");
        if (ext == ".png") image.SaveAsPng(path); else image.SaveAsJpeg(path);
    }

    private static Image<Rgb24> Interleave(byte[] chw, Shape shape)
    {
        int hw = shape.H * shape.W;
        var rgb = new byte[3 * hw];
        for (int p = 0; p < hw; p++)
            for (int c = 0; c < 3; c++) rgb[3 * p + c] = chw[c * hw + p];
        return Image.LoadPixelData<Rgb24>(rgb, shape.W, shape.H);
    }

    /// <summary>
    /// Writes C×H×W floats as a NumPy .npy file (format version 1.0, little-endian float32 '&lt;f4', C order): shape (H, W)
    /// for one channel, else (H, W, C), the layout image libraries use; the data are transposed accordingly.
    /// </summary>
    public static void WriteNpy(string path, ReadOnlySpan<float> data, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (data.Length != shape.Size || shape.Size == 0)
            throw new ArgumentException($"'{path}': shape {shape} (W×H×D) needs {shape.Size} floats, got {data.Length}.");
        string dims = shape.C == 1 ? $"({shape.H}, {shape.W})" : $"({shape.H}, {shape.W}, {shape.C})";
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}";
        // Magic (6) + version (2) + header length (2) + dict + spaces + '\n' must be a multiple of 64 bytes, so the data
        // start aligned.
        int unpadded = 10 + dict.Length + 1;
        int total = (unpadded + 63) / 64 * 64;
        var header = dict + new string(' ', total - unpadded) + "\n";
        if (header.Length > ushort.MaxValue) throw new ArgumentException($"'{path}': .npy header of {header.Length} bytes is too long for format 1.0.");

        int hw = shape.H * shape.W;
        var bytes = new byte[total + 4 * data.Length];
        NpyMagic.CopyTo(bytes);
        bytes[6] = 1; bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(10));
        var body = bytes.AsSpan(total);
        int k = 0;
        for (int p = 0; p < hw; p++)
            for (int c = 0; c < shape.C; c++, k++)
                BinaryPrimitives.WriteSingleLittleEndian(body[(4 * k)..], data[c * hw + p]);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Writes floats as a float32 .npy array of the given dimensions (C order, as stored; no transposition).</summary>
    public static void WriteNpyArray(string path, ReadOnlySpan<float> data, IReadOnlyList<int> dims)
    {
        ArgumentNullException.ThrowIfNull(path);
        File.WriteAllBytes(path, NpyArrayBytes(path, data, dims));
    }

    /// <summary>The bytes of <see cref="WriteNpyArray"/>'s file (<paramref name="path"/> only names it in errors).</summary>
    internal static byte[] NpyArrayBytes(string path, ReadOnlySpan<float> data, IReadOnlyList<int> dims)
    {
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length) throw new ArgumentException($"'{path}': dimensions ({string.Join(", ", dims)}) need {count} floats, got {data.Length}.");
        string shape = dims.Count == 1 ? $"({dims[0]},)" : $"({string.Join(", ", dims)})";
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        int unpadded = 10 + dict.Length + 1;
        int total = (unpadded + 63) / 64 * 64;
        var header = dict + new string(' ', total - unpadded) + "\n";
        var bytes = new byte[total + 4 * data.Length];
        NpyMagic.CopyTo(bytes);
        bytes[6] = 1; bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(10));
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(total + 4 * i), data[i]);
        return bytes;
    }

    /// <summary>
    /// Reads a float32 .npy file (format 1.0, 2.0 or 3.0, little-endian '&lt;f4', C order) and returns its values in file
    /// order with its shape (for <see cref="WriteNpy"/> output: (H, W) or (H, W, C), not C×H×W). A corrupt file (magic,
    /// version, header length, dtype, shape, data length) is an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static (float[] Data, int[] Shape) ReadNpy(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ReadNpy(File.ReadAllBytes(path), path);
    }

    /// <summary><see cref="ReadNpy(string)"/> for a .npy file's bytes; <paramref name="path"/> names it in errors.</summary>
    public static (float[] Data, int[] Shape) ReadNpy(byte[] bytes, string path)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(NpyMagic))
            throw new InvalidDataException($"'{path}' is not a .npy file (no \\x93NUMPY magic in its {bytes.Length} bytes).");
        int major = bytes[6];
        // Sizes from the file are read into long and compared with the file's length before anything is allocated.
        long headerLength;
        int start;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); start = 10; }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new InvalidDataException($"'{path}': a .npy {major}.0 file has a 12-byte preamble, the file has {bytes.Length} bytes.");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
            start = 12;
        }
        else throw new InvalidDataException($"'{path}': .npy format version {major}.{bytes[7]} is not supported (1.0, 2.0, 3.0 are).");
        if (start + headerLength > bytes.Length)
            throw new InvalidDataException($"'{path}': .npy header of {headerLength} bytes runs past the end of the {bytes.Length}-byte file.");
        var header = Encoding.UTF8.GetString(bytes, start, (int)headerLength);

        string descr = DictValue(header, "descr", path).Trim('\'', '"');
        if (descr != "<f4") throw new InvalidDataException($"'{path}': dtype '{descr}' is not supported; only little-endian float32 '<f4' is.");
        if (DictValue(header, "fortran_order", path) != "False") throw new InvalidDataException($"'{path}': Fortran-order arrays are not supported.");
        var shapeValue = DictValue(header, "shape", path);
        if (!shapeValue.StartsWith('(') || !shapeValue.EndsWith(')'))
            throw new InvalidDataException($"'{path}': the .npy shape '{shapeValue}' is not a tuple.");
        var shapeText = shapeValue[1..^1];
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                             .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int d) ? d : throw new InvalidDataException($"'{path}': bad dimension '{s}' in shape ({shapeText}).")).ToArray();
        // The element count in checked arithmetic: (65536, 65536, 65536, 65536) would wrap to 0 and match an empty body.
        long count = 1;
        try { foreach (int d in shape) count = checked(count * d); }
        catch (OverflowException) { throw new InvalidDataException($"'{path}': shape ({shapeText}) has more elements than a 64-bit count holds."); }
        if (count > Array.MaxLength)
            throw new InvalidDataException($"'{path}': shape ({shapeText}) has {count} elements; at most {Array.MaxLength} fit one array.");
        long dataStart = start + headerLength;
        if (bytes.Length - dataStart != 4 * count)
            throw new InvalidDataException($"'{path}': shape ({shapeText}) needs {4 * count} data bytes, the file has {bytes.Length - dataStart}.");
        var data = new float[count];
        for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)dataStart + 4 * i));
        return (data, shape);
    }

    // The header is a Python dict literal; the three keys NumPy writes are found by name. A shape tuple contains commas,
    // so it ends at its closing parenthesis, other values at the next comma or brace.
    private static string DictValue(string header, string key, string path)
    {
        int k = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (k < 0) throw new InvalidDataException($"'{path}': .npy header has no '{key}': {header.Trim()}");
        int colon = header.IndexOf(':', k);
        int s = colon + 1;
        while (s < header.Length && header[s] == ' ') s++;
        int e = s < header.Length && header[s] == '(' ? header.IndexOf(')', s) + 1 : header.IndexOfAny(new[] { ',', '}' }, s);
        if (colon < 0 || e <= s) throw new InvalidDataException($"'{path}': cannot read '{key}' in .npy header: {header.Trim()}");
        return header[s..e].Trim();
    }
}
