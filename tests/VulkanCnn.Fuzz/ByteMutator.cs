// Format-blind mutations of a byte array: bit flips, byte insertion, deletion and replacement, interesting integers
// written over the bytes (1, 2, 4 or 8 wide, either byte order), block copies and truncation.
using System.Buffers.Binary;

namespace VulkanCnn.Fuzz;

public static class ByteMutator
{
    /// <summary>Integers at the edges of sizes and counts: zero, signs, powers of two and the limits of each width.</summary>
    public static readonly long[] Interesting =
    {
        0, 1, -1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256, 1000, 1023, 1024, 4096, 32767, 32768,
        65535, 65536, 46341, 100000, 1 << 20, 1 << 24, int.MaxValue / 2, int.MaxValue - 1, int.MaxValue, (long)int.MaxValue + 1,
        uint.MaxValue, 1L << 32, 1L << 40, 1L << 62, long.MaxValue, int.MinValue, long.MinValue, -2, -128, -32768, -65536,
    };

    /// <summary>One to <paramref name="maxSteps"/> stacked mutations of a copy of <paramref name="data"/>.</summary>
    public static byte[] Mutate(byte[] data, Random rng, int maxSteps = 4, int maxLength = 1 << 26)
    {
        var b = new List<byte>(data);
        int steps = 1 + rng.Next(maxSteps);
        for (int s = 0; s < steps; s++) Step(b, rng);
        if (b.Count > maxLength) b.RemoveRange(maxLength, b.Count - maxLength);
        return b.ToArray();
    }

    private static void Step(List<byte> b, Random rng)
    {
        int op = rng.Next(b.Count == 0 ? 1 : 8);
        int at = b.Count == 0 ? 0 : rng.Next(b.Count);
        switch (op)
        {
            case 0:   // insert 1 to 8 random bytes
            {
                int n = 1 + rng.Next(8);
                var ins = new byte[n]; rng.NextBytes(ins);
                b.InsertRange(rng.Next(b.Count + 1), ins);
                break;
            }
            case 1: b[at] ^= (byte)(1 << rng.Next(8)); break;   // bit flip
            case 2: b[at] = (byte)rng.Next(256); break;   // byte replaced
            case 3: b.RemoveRange(at, Math.Min(b.Count - at, 1 + rng.Next(rng.Next(2) == 0 ? 4 : 64))); break;   // delete
            case 4:   // an interesting integer written over the bytes
            {
                long v = Interesting[rng.Next(Interesting.Length)];
                int width = new[] { 1, 2, 4, 8 }[rng.Next(4)];
                var w = new byte[8];
                if (rng.Next(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(w, v); else BinaryPrimitives.WriteInt64BigEndian(w, v << (8 * (8 - width)));
                for (int i = 0; i < width && at + i < b.Count; i++) b[at + i] = w[i];
                break;
            }
            case 5:   // a block copied over or into another place
            {
                int len = 1 + rng.Next(Math.Min(b.Count - at, 32));
                var block = b.GetRange(at, len);
                int to = rng.Next(b.Count);
                if (rng.Next(2) == 0) b.InsertRange(to, block);
                else for (int i = 0; i < len && to + i < b.Count; i++) b[to + i] = block[i];
                break;
            }
            case 6: b.RemoveRange(at, b.Count - at); break;   // truncated
            default:   // a small arithmetic change of one byte
                b[at] = (byte)(b[at] + rng.Next(-8, 9));
                break;
        }
    }
}
