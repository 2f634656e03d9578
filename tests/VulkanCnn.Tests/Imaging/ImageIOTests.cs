// Bad image and .npy files: truncated PNG and JPEG, 0x0 and oversized headers, corrupt .npy headers; each must be an
// InvalidDataException naming the file (and the numbers), from ImageIO and from the image frame source alike.
using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Imaging;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Imaging;

public class ImageIOTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("vcnn-imageio-").FullName;

    [OneTimeTearDown]
    public void RemoveDir()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // ------------------------------------------------------------------------------------------ truncated images

    [TestCase(".png")]
    [TestCase(".jpg")]
    public void AnImageCutInHalfIsAnErrorNamingTheFile(string ext)
    {
        var bytes = BadImages.Photo(ext);
        string whole = Write("whole" + ext, bytes);
        string half = Write("half" + ext, bytes[..(bytes.Length / 2)]);
        Assert.That(ImageIO.Load(whole).Shape.Size, Is.EqualTo(3 * 512 * 512), "the uncut file must load");

        var e = Assert.Throws<InvalidDataException>(() => ImageIO.Load(half))!;
        Assert.That(e.Message, Does.Contain(half).And.Contain("truncated"));
        e = Assert.Throws<InvalidDataException>(() =>
        {
            using var source = FrameSource.Open(half);
            source.ReadLatest(new byte[source.FrameBytes], out _, TimeSpan.FromSeconds(5));
        })!;
        Assert.That(e.Message, Does.Contain(half).And.Contain("truncated"));
    }

    [Test]
    public void APngWithoutItsEndChunkIsTruncated()
    {
        var bytes = BadImages.Photo(".png");
        string path = Write("noiend.png", bytes[..^12]);   // IEND is the last 12 bytes
        var e = Assert.Throws<InvalidDataException>(() => ImageIO.Load(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("IEND"));
    }

    [Test]
    public void AJpegWithoutItsEndMarkerIsTruncated()
    {
        var bytes = BadImages.Photo(".jpg");
        Assert.That(bytes[^2..], Is.EqualTo(new byte[] { 0xFF, 0xD9 }));
        string path = Write("noeoi.jpg", bytes[..^2]);
        var e = Assert.Throws<InvalidDataException>(() => ImageIO.Load(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("truncated"));
    }

    [TestCase("ff.jpg", "")]
    [TestCase("ffgrey.jpg", "-pix_fmt gray")]
    [TestCase("ff.png", "")]
    public void ImagesFromAnotherEncoderPassTheChecks(string name, string extra)
    {
        // ffmpeg's encoders lay out segments and chunks differently from ImageSharp's (JFIF, DHT/DQT order, IDAT sizes).
        string path = Path.Combine(_dir, name);
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in new[] { "-y", "-loglevel", "error", "-i", TestFiles.Cached("images", "chelsea.png") }
                          .Concat(extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Append(path))
            psi.ArgumentList.Add(a);
        System.Diagnostics.Process p;
        try { p = System.Diagnostics.Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { Assert.Fail($"ffmpeg is not installed ({e.Message}): run scripts/setup.sh."); return; }
        using (p)
        {
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.That(p.ExitCode, Is.Zero, err);
        }
        var (pixels, shape) = ImageIO.Load(path);
        Assert.That(shape, Is.EqualTo(new VulkanCnn.Shape(3, 300, 451)));
        Assert.That(pixels.Average(), Is.InRange(20f, 235f), "decoded, not blank");
    }

    // ------------------------------------------------------------------------------------------ sizes from headers

    [Test]
    public void AZeroByZeroPngIsAnErrorNamingTheFileAndTheSize()
    {
        string path = Write("empty.png", BadImages.PngClaiming(0, 0));
        var e = Assert.Throws<InvalidDataException>(() => ImageIO.Load(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("0x0"));
        e = Assert.Throws<InvalidDataException>(() => FrameSource.Open(path).Dispose())!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("0x0"));
    }

    [Test]
    public void AHugePngHeaderIsRejectedBeforeDecodingWithTheNumbersAndTheLimit()
    {
        string path = Write("huge.png", BadImages.PngClaiming(100000, 100000));
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<InvalidDataException>(() => ImageIO.Load(path))!;
        Assert.That(GC.GetTotalAllocatedBytes(precise: true) - before, Is.LessThan(16 << 20), "rejected before anything large is allocated");
        Assert.That(e.Message, Does.Contain(path).And.Contain("100000x100000").And.Contain(ImageIO.MaxPixels.ToString("N0")));
        e = Assert.Throws<InvalidDataException>(() => FrameSource.Open(path).Dispose())!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("100000x100000"));
    }

    [Test]
    public void APngHeaderPastTheSignedRangeIsRejected()
    {
        // PNG allows sides up to 2^31-1; 0x80000000 does not fit an int and must not wrap to a negative size.
        string path = Write("wrap.png", BadImages.PngClaiming(0x80000000, 1));
        var e = Assert.Throws<InvalidDataException>(() => ImageIO.Load(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("2147483648"));
    }

    [Test]
    public void AWideImageUnderThePixelLimitLoads()
    {
        // Only the pixel count is limited, not a side: 20000x2 loads.
        using var image = new Image<Rgb24>(20000, 2);
        string path = Path.Combine(_dir, "wide.png");
        image.SaveAsPng(path);
        Assert.That(ImageIO.Load(path, grayscale: true).Shape, Is.EqualTo(new VulkanCnn.Shape(1, 2, 20000)));
    }

    // ------------------------------------------------------------------------------------------ .npy

    private static byte[] Npy(byte major, string header, int dataBytes, uint? headerLength = null)
    {
        int pre = major == 1 ? 10 : 12;
        var h = Encoding.ASCII.GetBytes(header);
        var bytes = new byte[pre + h.Length + dataBytes];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 }.CopyTo(bytes, 0);
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)(headerLength ?? (uint)h.Length));
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), headerLength ?? (uint)h.Length);
        h.CopyTo(bytes, pre);
        return bytes;
    }

    private const string Good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";

    [Test]
    public void AWellFormedNpyReads()
    {
        var bytes = Npy(2, Good, 24);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(bytes.Length - 4), 6.5f);
        var (data, shape) = ImageIO.ReadNpy(Write("good.npy", bytes));
        Assert.That(shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(data[5], Is.EqualTo(6.5f));
    }

    [TestCase("hugeheader", 2, Good, 24, 0xFFFFFFF0u, "header of 4294967280 bytes")]
    [TestCase("hugeheader1", 1, Good, 24, 0xFFF0u, "header of 65520 bytes")]
    [TestCase("magic", 0, Good, 24, null, "magic")]
    [TestCase("dtype", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n", 48, null, "'<f8'")]
    [TestCase("fortran", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", 24, null, "Fortran")]
    [TestCase("overflow", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536, 65536), }\n", 0, null, "(65536, 65536, 65536, 65536)")]
    [TestCase("toolarge", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2), }\n", 0, null, "4294967294 elements")]
    [TestCase("short", 1, Good, 20, null, "needs 24 data bytes, the file has 20")]
    [TestCase("negative", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }\n", 24, null, "'-2'")]
    [TestCase("noshape", 1, "{'descr': '<f4', 'fortran_order': False, }\n", 24, null, "'shape'")]
    [TestCase("unclosed", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3\n", 24, null, "'shape'")]
    [TestCase("version", 9, Good, 24, null, "version 9.0")]
    public void ACorruptNpyIsInvalidDataNamingTheFile(string name, int major, string header, int dataBytes, uint? headerLength, string message)
    {
        var bytes = Npy((byte)Math.Max(major, 1), header, dataBytes, headerLength);
        if (major == 0) bytes[1] = (byte)'X';
        else bytes[6] = (byte)major;
        string path = Write(name + ".npy", bytes);
        var e = Assert.Throws<InvalidDataException>(() => ImageIO.ReadNpy(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain(message));
    }

    [TestCase(0)]
    [TestCase(5)]
    [TestCase(11)]
    public void ATooShortNpyIsInvalidData(int length)
    {
        var bytes = Npy(2, Good, 24)[..length];
        string path = Write($"short{length}.npy", bytes);
        var e = Assert.Throws<InvalidDataException>(() => ImageIO.ReadNpy(path))!;
        Assert.That(e.Message, Does.Contain(path));
    }
}
