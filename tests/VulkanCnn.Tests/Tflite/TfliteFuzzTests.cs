// Truncated and bit-flipped copies of a real model: loading and importing either succeeds or fails with one of the
// documented exceptions (InvalidDataException for a corrupt file; NotSupportedException or ArgumentException for a
// well-formed file whose content the importer refuses), never another exception, a crash or a hang.
using System.Diagnostics;
using VulkanCnn.Tflite;

namespace VulkanCnn.Tests.Tflite;

public class TfliteFuzzTests
{
    private static bool Documented(Exception e) => e is InvalidDataException or NotSupportedException or ArgumentException;

    private static string? Try(byte[] bytes, string name)
    {
        try { TfliteImporter.Import(TfliteModel.Load(bytes, name)); return null; }
        catch (Exception e) when (Documented(e)) { return e.GetType().Name; }
    }

    [Test]
    public void TruncationsAndBitFlipsGiveClearErrors()
    {
        var original = File.ReadAllBytes(TestFiles.Cached("models", "mediapipe", "selfie_segmentation.tflite"));
        var r = new Random(11);
        var outcomes = new Dictionary<string, int>();
        var sw = Stopwatch.StartNew();
        void Count(string? o) { o ??= "imported"; outcomes[o] = outcomes.GetValueOrDefault(o) + 1; }
        // Truncations: every length at the start (headers, vtables), then random lengths.
        for (int n = 0; n < 64; n++) Count(Try(original[..n], $"truncated to {n}"));
        for (int k = 0; k < 400; k++)
        {
            int n = r.Next(original.Length);
            var e = Try(original[..n], $"truncated to {n}");
            Assert.That(e, Is.Not.Null, $"a copy cut at {n} of {original.Length} bytes imported without complaint");
            Count(e);
        }
        // Bit flips: 1 to 4 random bits, half of them inside the flatbuffer's tables (past the weights' buffers).
        for (int k = 0; k < 2000; k++)
        {
            var b = (byte[])original.Clone();
            int flips = 1 + r.Next(4);
            for (int f = 0; f < flips; f++)
            {
                int at = k % 2 == 0 ? r.Next(b.Length) : b.Length - 1 - r.Next(Math.Min(b.Length, 24000));
                b[at] ^= (byte)(1 << r.Next(8));
            }
            Count(Try(b, $"mutation {k}"));
        }
        TestContext.Out.WriteLine($"{sw.ElapsedMilliseconds} ms: " + string.Join(", ", outcomes.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.That(outcomes.GetValueOrDefault(nameof(InvalidDataException)), Is.GreaterThan(0));
    }

    [Test]
    public void ErrorsNameTheFileAndTheOffsets()
    {
        var original = File.ReadAllBytes(TestFiles.Cached("models", "mediapipe", "selfie_segmentation.tflite"));
        var e = Assert.Throws<InvalidDataException>(() => TfliteModel.Load(original[..1000], "cut.tflite"))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.StartWith("'cut.tflite' (1000 bytes) is not a valid TFLite flatbuffer").And.Contain("offset"));
        var notTflite = Assert.Throws<InvalidDataException>(() => TfliteModel.Load(System.Text.Encoding.ASCII.GetBytes("\x18\0\0\0ONNXxxxxxxxx"), "x.tflite"))!;
        Assert.That(notTflite.Message, Does.Contain("'ONNX', not 'TFL3'"));
    }
}
