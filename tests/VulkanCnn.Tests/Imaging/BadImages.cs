// Image files for error tests: the astronaut photograph re-encoded in memory (to be cut short), and PNGs written
// byte by byte whose header claims any size.
using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace VulkanCnn.Tests.Imaging;

internal static class BadImages
{
    /// <summary>The astronaut photograph encoded as <paramref name="ext"/> (.png or .jpg) in memory.</summary>
    internal static byte[] Photo(string ext)
    {
        using var image = Image.Load<Rgb24>(TestFiles.Cached("images", "astronaut.png"));
        using var ms = new MemoryStream();
        if (ext == ".png") image.SaveAsPng(ms); else image.SaveAsJpeg(ms);
        return ms.ToArray();
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    private static void Chunk(MemoryStream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(head.AsSpan(4).ToArray().Concat(data).ToArray()));
        s.Write(crc);
    }

    /// <summary>A structurally complete PNG (8-bit RGB) whose IHDR claims <paramref name="w"/>×<paramref name="h"/>, with
    /// one row of zero pixel data (a valid zlib stream) whatever the header says.</summary>
    internal static byte[] PngClaiming(uint w, uint h)
    {
        var s = new MemoryStream();
        s.Write(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A });
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8; ihdr[9] = 2; // 8 bits, RGB
        Chunk(s, "IHDR", ihdr);
        var z = new MemoryStream();
        using (var zs = new System.IO.Compression.ZLibStream(z, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            zs.Write(new byte[1 + 3 * 4]);
        Chunk(s, "IDAT", z.ToArray());
        Chunk(s, "IEND", Array.Empty<byte>());
        return s.ToArray();
    }
}
