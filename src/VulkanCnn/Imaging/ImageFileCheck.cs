// Image files checked before they are decoded: PNG chunks and JPEG segments walked to their end marker (a file cut
// short is an error, not a picture with a black lower half), the size read from the header and held to
// ImageIO.MaxPixels with checked arithmetic, and only then decoded by ImageSharp. One path for every image reader.
using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace VulkanCnn.Imaging;

internal static class ImageFileCheck
{
    private static ReadOnlySpan<byte> PngSignature => new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };

    /// <summary>
    /// Reads, checks and decodes the image at <paramref name="path"/>. InvalidDataException naming the file for a truncated
    /// PNG or JPEG, a size of 0 or past <see cref="ImageIO.MaxPixels"/>, and whatever ImageSharp cannot decode.
    /// </summary>
    public static Image<Rgb24> LoadRgb24(string path) => DecodeRgb24(path, Read(path));

    /// <summary><see cref="LoadRgb24"/> for a file's bytes; <paramref name="path"/> names it in errors.</summary>
    public static Image<Rgb24> DecodeRgb24(string path, byte[] bytes)
    {
        Check(path, bytes);
        // ImageSharp's decoders (2.1) let NullReference, IndexOutOfRange, ArgumentOutOfRange and NotSupported exceptions
        // escape on corrupt data (found by fuzzing, tests/VulkanCnn.Fuzz): whatever the decoder throws on these bytes is
        // the file's fault and is reported as such, with the decoder's exception inside.
        try { return Image.Load<Rgb24>(bytes); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Cannot read image '{path}': {(e is ImageFormatException or InvalidMemoryOperationException ? e.Message : $"the decoder failed ({e.GetType().Name}: {e.Message})")}", e);
        }
    }

    /// <summary>The checked width and height of the image at <paramref name="path"/> (the whole file is checked, nothing decoded).</summary>
    public static (int Width, int Height) Identify(string path) => Check(path, Read(path));

    public static byte[] Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        return File.ReadAllBytes(path);
    }

    /// <summary>Checks the structure (PNG, JPEG) and the header's size; returns the size.</summary>
    public static (int Width, int Height) Check(string path, byte[] bytes)
    {
        long w, h;
        if (bytes.AsSpan().StartsWith(PngSignature)) (w, h) = Png(path, bytes);
        else if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) (w, h) = Jpeg(path, bytes);
        else
        {
            // Other formats (BMP, GIF, TGA, TIFF, WebP): ImageSharp reads the header; its decoders check the rest.
            IImageInfo? info;
            try { info = Image.Identify(bytes); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"Cannot read image '{path}': {(e is ImageFormatException ? e.Message : $"the decoder failed ({e.GetType().Name}: {e.Message})")}", e);
            }
            if (info == null)
                throw new InvalidDataException($"Cannot read image '{path}': unknown format ({bytes.Length} bytes; PNG, JPEG, BMP, GIF, TGA, TIFF and WebP are read).");
            (w, h) = (info.Width, info.Height);
        }
        if (w < 1 || h < 1)
            throw new InvalidDataException($"Image '{path}' is {w}x{h} pixels: an image needs at least one row and one column.");
        // w and h are below 2^32, so their product fits an unsigned 64-bit number; compare sides first anyway.
        if (w > ImageIO.MaxPixels || h > ImageIO.MaxPixels || (ulong)w * (ulong)h > ImageIO.MaxPixels)
            throw new InvalidDataException($"Image '{path}' is {w}x{h} pixels ({(ulong)w * (ulong)h:N0}), more than the {ImageIO.MaxPixels:N0} " +
                                           "(8192x8192) an image file may have (ImageIO.MaxPixels); it was not decoded.");
        return ((int)w, (int)h);
    }

    private static InvalidDataException Truncated(string path, string what) => new($"Image '{path}' is truncated: {what}.");

    // PNG: signature, then chunks of length (4, big-endian), type (4), data, CRC (4); IHDR first, IEND last. The
    // decoders' CRC and zlib checks cover the contents; this covers a file that stops early.
    private static (long W, long H) Png(string path, ReadOnlySpan<byte> b)
    {
        long pos = PngSignature.Length, w = -1, h = -1;
        bool first = true;
        while (true)
        {
            if (pos + 8 > b.Length)
                throw Truncated(path, $"it ends after {b.Length:N0} bytes without the IEND chunk that closes a PNG");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(b[(int)pos..]);
            string type = System.Text.Encoding.ASCII.GetString(b.Slice((int)pos + 4, 4));
            if (length > int.MaxValue)
                throw new InvalidDataException($"Image '{path}': PNG chunk '{type}' at byte {pos:N0} claims {length:N0} bytes (at most 2^31-1 are allowed).");
            long end = pos + 12 + length;
            if (end > b.Length)
                throw Truncated(path, $"its '{type}' chunk at byte {pos:N0} needs {12L + length:N0} bytes, the file ends {b.Length - pos:N0} bytes after its start");
            if (first)
            {
                if (type != "IHDR" || length != 13)
                    throw new InvalidDataException($"Image '{path}': a PNG starts with a 13-byte IHDR chunk, this one with '{type}' of {length} bytes.");
                w = BinaryPrimitives.ReadUInt32BigEndian(b[((int)pos + 8)..]);
                h = BinaryPrimitives.ReadUInt32BigEndian(b[((int)pos + 12)..]);
                first = false;
            }
            if (type == "IEND") return (w, h);
            pos = end;
        }
    }

    // JPEG: SOI, then marker segments (FF xx, length, data); after each SOS the entropy-coded data run to the next marker
    // that is not a stuffed 00 or a restart marker; EOI closes the image. The size comes from the SOFn segment.
    private static (long W, long H) Jpeg(string path, ReadOnlySpan<byte> b)
    {
        int pos = 2;
        long w = -1, h = -1;
        while (true)
        {
            // Bytes between segments that are not a marker are skipped, as libjpeg does (with a warning).
            while (pos < b.Length && b[pos] != 0xFF) pos++;
            while (pos < b.Length && b[pos] == 0xFF) pos++;   // fill bytes
            if (pos >= b.Length)
                throw Truncated(path, $"it ends after {b.Length:N0} bytes without the end-of-image marker (FF D9) that closes a JPEG");
            byte m = b[pos++];
            if (m == 0xD9)
            {
                if (w < 0) throw new InvalidDataException($"Image '{path}': the JPEG has no frame header (SOF), so no size.");
                return (w, h);
            }
            if (m is 0x01 or (>= 0xD0 and <= 0xD8)) continue;   // TEM, RSTn, SOI: no length
            if (pos + 2 > b.Length)
                throw Truncated(path, $"it ends inside the length of the segment FF {m:X2} at byte {pos - 2:N0}");
            int length = BinaryPrimitives.ReadUInt16BigEndian(b[pos..]);
            if (length < 2) throw new InvalidDataException($"Image '{path}': JPEG segment FF {m:X2} at byte {pos - 2:N0} has length {length} (at least 2).");
            if ((long)pos + length > b.Length)
                throw Truncated(path, $"its segment FF {m:X2} at byte {pos - 2:N0} needs {length + 2:N0} bytes, the file ends {b.Length - pos + 2:N0} bytes after its start");
            bool sof = m is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC);
            if (sof)
            {
                if (length < 8) throw new InvalidDataException($"Image '{path}': JPEG frame header of {length} bytes (at least 8).");
                h = BinaryPrimitives.ReadUInt16BigEndian(b[(pos + 3)..]);
                w = BinaryPrimitives.ReadUInt16BigEndian(b[(pos + 5)..]);
            }
            pos += length;
            if (m == 0xDA)
            {
                // Entropy-coded data: FF 00 is a stuffed FF and FF D0..D7 a restart marker; any other FF xx ends it.
                while (true)
                {
                    if (pos + 1 >= b.Length)
                        throw Truncated(path, $"its scan data run to the end of the file ({b.Length:N0} bytes) without the end-of-image marker (FF D9)");
                    if (b[pos] == 0xFF && b[pos + 1] != 0x00 && b[pos + 1] is not (>= 0xD0 and <= 0xD7) && b[pos + 1] != 0xFF) break;
                    pos++;
                }
            }
        }
    }
}
