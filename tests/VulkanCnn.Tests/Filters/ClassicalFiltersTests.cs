// Classical filters: mask values, every filter on real photographs against true convolution written out here, mirroring,
// borders, the .npy format, and the vcnn filter command's error paths.
using System.Buffers.Binary;
using System.Text;
using VulkanCnn.Filters;
using VulkanCnn.Imaging;
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Filters;

/// <summary>The oracle of these tests, written from the notes' formula and sharing no code with the library.</summary>
internal static class FilterOracle
{
    /// <summary>f'(x, y) = Σᵢ Σⱼ f(x − i, y − j) g(i, j) per channel, with g[row j + rh, column i + rw]; pixels outside the image are
    /// 0 (Zero) or the nearest border pixel (Replicate).</summary>
    public static double[] Convolve(float[] f, Shape s, double[,] g, PaddingMode border)
    {
        int rh = g.GetLength(0) / 2, rw = g.GetLength(1) / 2;
        var y = new double[s.Size];
        for (int c = 0; c < s.C; c++)
            for (int py = 0; py < s.H; py++)
                for (int px = 0; px < s.W; px++)
                {
                    double acc = 0;
                    for (int j = -rh; j <= rh; j++)
                        for (int i = -rw; i <= rw; i++)
                        {
                            int sx = px - i, sy = py - j;
                            if (sx < 0 || sx >= s.W || sy < 0 || sy >= s.H)
                            {
                                if (border == PaddingMode.Zero) continue;
                                sx = Math.Clamp(sx, 0, s.W - 1);
                                sy = Math.Clamp(sy, 0, s.H - 1);
                            }
                            acc += f[(c * s.H + sy) * s.W + sx] * g[j + rh, i + rw];
                        }
                    y[(c * s.H + py) * s.W + px] = acc;
                }
        return y;
    }

    public static readonly double[,] SobelX = { { 1, 0, -1 }, { 2, 0, -2 }, { 1, 0, -1 } };
    public static readonly double[,] SobelY = { { 1, 2, 1 }, { 0, 0, 0 }, { -1, -2, -1 } };
    public static readonly double[,] Laplace4 = { { 0, 1, 0 }, { 1, -4, 1 }, { 0, 1, 0 } };
    public static readonly double[,] Laplace8 = { { 1, 1, 1 }, { 1, -8, 1 }, { 1, 1, 1 } };

    public static double[,] Mean(int n)
    {
        var g = new double[n, n];
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) g[a, b] = 1.0 / (n * n);
        return g;
    }

    public static double[,] Gaussian(int n, double sigma)
    {
        var g = new double[n, n];
        double sum = 0;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                double dy = a - n / 2, dx = b - n / 2;
                sum += g[a, b] = Math.Exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            }
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) g[a, b] /= sum;
        return g;
    }

    /// <summary>The expected result of a filter kind with the options the tests use.</summary>
    public static float[] Expected(FilterKind kind, float[] f, Shape s, FilterOptions o)
    {
        double[] r = kind switch
        {
            FilterKind.Mean => Convolve(f, s, Mean(o.Size!.Value), o.Border),
            FilterKind.Gaussian => Convolve(f, s, Gaussian(o.Size!.Value, o.Sigma!.Value), o.Border),
            FilterKind.SobelX => Convolve(f, s, SobelX, o.Border),
            FilterKind.SobelY => Convolve(f, s, SobelY, o.Border),
            FilterKind.Laplace => Convolve(f, s, o.LaplaceNeighbours == 8 ? Laplace8 : Laplace4, o.Border),
            _ => Gradient(kind, Convolve(f, s, SobelX, o.Border), Convolve(f, s, SobelY, o.Border)),
        };
        return r.Select(v => (float)v).ToArray();
    }

    private static double[] Gradient(FilterKind kind, double[] fx, double[] fy) =>
        fx.Zip(fy, (x, y) => kind == FilterKind.SobelMagnitude
            ? Math.Sqrt(x * x + y * y)
            : y == 0 ? (x < 0 ? Math.PI : 0) : Math.Atan2(y, x)).ToArray();   // the library's (−π, π] convention

    /// <summary>A photograph from .cache/images, downscaled; fails (never skips) when set-up has not fetched it.</summary>
    public static (float[] Pixels, Shape Shape) Photo(string name, bool grayscale, int width)
    {
        return ImageIO.Load(TestFiles.Cached("images", name), grayscale, width);
    }
}

public class ClassicalFiltersTests : GpuTest
{
    private static FilterOptions OptionsFor(FilterKind kind, PaddingMode border) => kind switch
    {
        FilterKind.Mean => new FilterOptions { Size = 5, Border = border },
        FilterKind.Gaussian => new FilterOptions { Size = 11, Sigma = 5, Border = border },
        _ => new FilterOptions { Border = border },
    };

    private static void CheckPhoto(FilterKind kind, FilterOptions options, float[] image, Shape shape, string what)
    {
        using var runner = new FilterRunner(Ctx);
        var actual = runner.Apply(kind, image, shape, options);
        var expected = FilterOracle.Expected(kind, image, shape, options);
        TestData.AssertClose(expected, actual, $"{what}: {ClassicalFilters.NameOf(kind)} {options} on {shape} (W×H×D)");
    }

    [Test]
    public void EveryFilterOnCameraPhotograph([Values] FilterKind kind, [Values(PaddingMode.Zero, PaddingMode.Replicate)] PaddingMode border)
    {
        var (image, shape) = FilterOracle.Photo("camera.png", grayscale: true, width: 128);
        Assert.That(shape, Is.EqualTo(new Shape(1, 128, 128)));
        CheckPhoto(kind, OptionsFor(kind, border), image, shape, "camera");
    }

    [Test]
    public void LargeMeanAndEightNeighbourLaplaceOnCameraPhotograph()
    {
        var (image, shape) = FilterOracle.Photo("camera.png", grayscale: true, width: 96);
        CheckPhoto(FilterKind.Mean, new FilterOptions { Size = 21 }, image, shape, "camera");
        CheckPhoto(FilterKind.Mean, new FilterOptions { Size = 11, Border = PaddingMode.Zero }, image, shape, "camera");
        CheckPhoto(FilterKind.Laplace, new FilterOptions { LaplaceNeighbours = 8 }, image, shape, "camera");
    }

    [Test]
    public void EveryFilterPerChannelOnAstronautPhotograph([Values] FilterKind kind)
    {
        var (image, shape) = FilterOracle.Photo("astronaut.png", grayscale: false, width: 80);
        Assert.That(shape, Is.EqualTo(new Shape(3, 80, 80)));
        CheckPhoto(kind, OptionsFor(kind, PaddingMode.Replicate), image, shape, "astronaut per channel");
    }

    [Test]
    public void AnImpulseReproducesTheMaskAsPrintedNotMirrored()
    {
        // Convolution of a single 1 with g gives g itself around the 1; cross-correlation would give g rotated by 180°.
        var mask = new FilterMask(new float[,] { { 1, 2, 3, 4, 5 }, { 6, 7, 8, 9, 10 }, { 11, 12, 13, 14, 15 } });
        var shape = new Shape(1, 7, 9);
        var image = new float[shape.Size];
        image[3 * 9 + 4] = 1;
        var y = RunGpu(ClassicalFilters.BuildNetwork(mask, shape, PaddingMode.Zero), image)[0];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 5; c++)
                Assert.That(y[(2 + r) * 9 + (2 + c)], Is.EqualTo(mask[r, c]), $"output at mask row {r}, column {c}");
        Assert.That(y.Sum(), Is.EqualTo(120f), "nothing outside the mask's footprint");
    }

    [Test]
    public void SobelSignsFollowTheNotes()
    {
        // f(x, y) = 10x + 3y: fx = 8·10 = 80 and fy = 8·3 = 24 inside (the Sobel masks weigh the difference 1+2+1 over 2 pixels);
        // with correlation instead of convolution both would come out negative.
        var shape = new Shape(1, 6, 8);
        var ramp = new float[shape.Size];
        for (int y = 0; y < 6; y++) for (int x = 0; x < 8; x++) ramp[y * 8 + x] = 10 * x + 3 * y;
        using var runner = new FilterRunner(Ctx);
        var fx = runner.Apply(FilterKind.SobelX, ramp, shape);
        var fy = runner.Apply(FilterKind.SobelY, ramp, shape);
        var dir = runner.Apply(FilterKind.SobelDirection, ramp, shape);
        int inner = 2 * 8 + 3;
        Assert.That(fx[inner], Is.EqualTo(80f));
        Assert.That(fy[inner], Is.EqualTo(24f));
        Assert.That(dir[inner], Is.EqualTo(Math.Atan2(24, 80)).Within(1e-5));
    }

    [Test]
    public void ZeroAndReplicateBordersDifferAtTheBorderOnly()
    {
        var (image, shape) = FilterOracle.Photo("camera.png", grayscale: true, width: 64);
        using var runner = new FilterRunner(Ctx);
        var zero = runner.Apply(FilterKind.Mean, image, shape, new FilterOptions { Size = 5, Border = PaddingMode.Zero });
        var repl = runner.Apply(FilterKind.Mean, image, shape, new FilterOptions { Size = 5, Border = PaddingMode.Replicate });
        int r = 2, ring = 0, differ = 0;
        for (int y = 0; y < shape.H; y++)
            for (int x = 0; x < shape.W; x++)
            {
                int i = y * shape.W + x;
                bool inside = y >= r && y < shape.H - r && x >= r && x < shape.W - r;
                if (inside) Assert.That(zero[i], Is.EqualTo(repl[i]).Within(1e-3), $"inside pixel ({x}, {y})");
                else
                {
                    ring++;
                    // Zeros darken: the photograph has no black border, so the zero-padded mean is lower everywhere on the ring.
                    if (repl[i] - zero[i] > 1) differ++;
                }
            }
        Assert.That(differ, Is.EqualTo(ring), $"border pixels where zero padding darkens the mean ({differ} of {ring})");
    }

    [Test]
    public void RunnerChecksTheImageLengthAndKeepsSessions()
    {
        using var runner = new FilterRunner(Ctx);
        var shape = new Shape(1, 5, 5);
        var e = Assert.Throws<ArgumentException>(() => runner.Apply(FilterKind.Mean, new float[24], shape))!;
        Assert.That(e.Message, Does.Contain("25").And.Contain("24"));
        var ones = Enumerable.Repeat(7f, 25).ToArray();
        Assert.That(runner.Apply(FilterKind.Mean, ones, shape), Is.All.EqualTo(7f).Within(1e-4));
        Assert.That(runner.Apply(FilterKind.Mean, ones, shape), Is.All.EqualTo(7f).Within(1e-4));
        runner.Dispose();
        runner.Dispose();
        Assert.Throws<ObjectDisposedException>(() => runner.Apply(FilterKind.Mean, ones, shape));
    }
}

/// <summary>What needs no GPU: masks, image and .npy files, and the command line's error paths.</summary>
public class FilterMaskAndFileTests
{
    [Test]
    public void MeanMasksSumToOne([Values(1, 3, 5, 11, 21)] int size)
    {
        var m = ClassicalFilters.Mean(size);
        Assert.That((m.Height, m.Width), Is.EqualTo((size, size)));
        Assert.That(m.Sum, Is.EqualTo(1).Within(1e-5));
        Assert.That(m.ToArray(), Is.All.EqualTo(1f / (size * size)));
    }

    [Test]
    public void GaussianIsNormalisedSymmetricWithTheRightCentre()
    {
        var g = ClassicalFilters.Gaussian(11, 5);
        Assert.That(g.Sum, Is.EqualTo(1).Within(1e-5));
        for (int r = 0; r < 11; r++)
            for (int c = 0; c < 11; c++)
            {
                Assert.That(g[r, c], Is.EqualTo(g[10 - r, c]), $"vertical symmetry at ({r}, {c})");
                Assert.That(g[r, c], Is.EqualTo(g[r, 10 - c]), $"horizontal symmetry at ({r}, {c})");
                Assert.That(g[r, c], Is.EqualTo(g[c, r]), $"diagonal symmetry at ({r}, {c})");
            }
        // Centre = 1 / Σ exp(−(i² + j²)/(2σ²)) over the mask, since exp(0) = 1 before normalisation.
        double z = 0;
        for (int j = -5; j <= 5; j++) for (int i = -5; i <= 5; i++) z += Math.Exp(-(i * i + j * j) / 50.0);
        Assert.That(g[5, 5], Is.EqualTo(1 / z).Within(1e-7));
        // 3x3, σ = 1: centre 1 / (1 + 4e^−½ + 4e^−1) ≈ 0.2042, corner e^−1 times that.
        var g3 = ClassicalFilters.Gaussian(3, 1);
        double c3 = 1 / (1 + 4 * Math.Exp(-0.5) + 4 * Math.Exp(-1));
        Assert.That(g3[1, 1], Is.EqualTo(c3).Within(1e-7));
        Assert.That(g3[0, 0], Is.EqualTo(c3 * Math.Exp(-1)).Within(1e-7));
        Assert.That(g3[1, 1], Is.EqualTo(0.2042).Within(1e-4));
    }

    [Test]
    public void SobelAndLaplaceAreTheNotesMasks()
    {
        Assert.That(ClassicalFilters.SobelX.ToArray(), Is.EqualTo(new float[] { 1, 0, -1, 2, 0, -2, 1, 0, -1 }));
        Assert.That(ClassicalFilters.SobelY.ToArray(), Is.EqualTo(new float[] { 1, 2, 1, 0, 0, 0, -1, -2, -1 }));
        Assert.That(ClassicalFilters.Laplace().ToArray(), Is.EqualTo(new float[] { 0, 1, 0, 1, -4, 1, 0, 1, 0 }));
        Assert.That(ClassicalFilters.Laplace(8).ToArray(), Is.EqualTo(new float[] { 1, 1, 1, 1, -8, 1, 1, 1, 1 }));
        Assert.That(ClassicalFilters.SobelX.Mirrored().ToArray(), Is.EqualTo(new float[] { -1, 0, 1, -2, 0, 2, -1, 0, 1 }));
        Assert.That(ClassicalFilters.Masks(FilterKind.SobelMagnitude), Has.Count.EqualTo(2));
    }

    [Test]
    public void BadFilterParametersNameTheValue()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.Mean(4))!.Message, Does.Contain("4").And.Contain("odd"));
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.Mean(0))!.Message, Does.Contain("0"));
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.Gaussian(5, 0))!.Message, Does.Contain("sigma").And.Contain("0"));
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.Gaussian(5, -2))!.Message, Does.Contain("-2"));
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.Laplace(6))!.Message, Does.Contain("6"));
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.Masks(FilterKind.SobelX, new FilterOptions { Size = 5 }))!.Message, Does.Contain("5").And.Contain("sobel-x"));
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.Masks(FilterKind.Mean, new FilterOptions { Sigma = 2 }))!.Message, Does.Contain("Sigma"));
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.BuildNetwork(FilterKind.Mean, new Shape(1, 8, 8), new FilterOptions { Border = PaddingMode.Reflect }))!.Message, Does.Contain("Reflect"));
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.BuildNetwork(new FilterMask(new float[2, 3]), new Shape(1, 8, 8)))!.Message, Does.Contain("3x2"));
        Assert.That(Assert.Throws<ArgumentException>(() => ClassicalFilters.Parse("blur"))!.Message, Does.Contain("blur").And.Contain("sobel-direction"));
        Assert.That(ClassicalFilters.Parse("Sobel-Direction"), Is.EqualTo(FilterKind.SobelDirection));
    }

    [Test]
    public void NetworkIsOneDepthwiseConvolutionWithMirroredMasks()
    {
        var net = ClassicalFilters.BuildNetwork(FilterKind.SobelMagnitude, new Shape(3, 10, 12), new FilterOptions { Border = PaddingMode.Zero });
        var conv = net.Nodes.Select(n => n.Layer).OfType<Conv2d>().Single();
        Assert.That((conv.Groups, conv.OutChannels, conv.PadTop, conv.PadLeft, conv.PaddingMode), Is.EqualTo((3, 6, 1, 1, PaddingMode.Zero)));
        Assert.That(conv.Weights.Take(18), Is.EqualTo(ClassicalFilters.SobelX.Mirrored().ToArray().Concat(ClassicalFilters.SobelY.Mirrored().ToArray())));
        Assert.That(net.Nodes[net.OutputIds[0]].OutputShape, Is.EqualTo(new Shape(3, 10, 12)));
        var mean = ClassicalFilters.BuildNetwork(FilterKind.Mean, new Shape(1, 30, 30), new FilterOptions { Size = 21 });
        Assert.That(mean.Nodes[mean.OutputIds[0]].OutputShape, Is.EqualTo(new Shape(1, 30, 30)), "padding (F−1)/2 keeps the size");
    }

    [Test]
    public void GreyConversionIsBt601()
    {
        var rgb = new float[] { 255, 0, 10, /* G */ 0, 255, 10, /* B */ 0, 0, 10 };
        var g = ImageIO.ToGray(rgb, new Shape(3, 1, 3));
        Assert.That(g[0], Is.EqualTo(0.299f * 255).Within(1e-3));
        Assert.That(g[1], Is.EqualTo(0.587f * 255).Within(1e-3));
        Assert.That(g[2], Is.EqualTo(10f), "a grey pixel keeps its value exactly");
    }

    [Test]
    public void NpyRoundTripGreyAndColour([Values(1, 3)] int channels)
    {
        var shape = new Shape(channels, 4, 5);
        var data = TestData.Random(new Random(3), shape.Size, 100f);
        var path = Path.Combine(Path.GetTempPath(), $"vcnn-test-{Guid.NewGuid():N}.npy");
        try
        {
            ImageIO.WriteNpy(path, data, shape);
            var bytes = File.ReadAllBytes(path);
            Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }));
            int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            Assert.That((10 + headerLength) % 64, Is.EqualTo(0), "data start aligned to 64 bytes");
            var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
            Assert.That(header, Does.StartWith("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 5" + (channels == 3 ? ", 3)" : ")")));
            Assert.That(header, Does.EndWith(" \n"));
            Assert.That(bytes.Length, Is.EqualTo(10 + headerLength + 4 * shape.Size));

            var (read, dims) = ImageIO.ReadNpy(path);
            Assert.That(dims, Is.EqualTo(channels == 1 ? new[] { 4, 5 } : new[] { 4, 5, 3 }));
            // The file is H×W×C: element (y, x, c) is the C×H×W element (c, y, x).
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < 4; y++)
                    for (int x = 0; x < 5; x++)
                        Assert.That(read[(y * 5 + x) * channels + c], Is.EqualTo(data[(c * 4 + y) * 5 + x]), $"({y}, {x}, {c})");
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void NpyReaderRejectsOtherTypesNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vcnn-test-{Guid.NewGuid():N}.npy");
        try
        {
            var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
            header += new string(' ', 128 - 10 - header.Length - 1) + "\n";
            var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
            bytes.AddRange(Encoding.ASCII.GetBytes(header));
            bytes.AddRange(new byte[16]);
            File.WriteAllBytes(path, bytes.ToArray());
            var e = Assert.Throws<InvalidDataException>(() => ImageIO.ReadNpy(path))!;
            Assert.That(e.Message, Does.Contain(path).And.Contain("<f8"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void ViewableImageIsScaledAndReadable()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vcnn-test-{Guid.NewGuid():N}.png");
        try
        {
            var shape = new Shape(1, 2, 3);
            ImageIO.SaveViewable(path, new float[] { -10, 0, 10, 20, 30, 40 }, shape, ViewScaling.MinMax);
            var (back, s) = ImageIO.Load(path, grayscale: true);
            Assert.That(s, Is.EqualTo(shape));
            Assert.That(back, Is.EqualTo(new float[] { 0, 51, 102, 153, 204, 255 }));
            ImageIO.SaveViewable(path, new float[] { -MathF.PI, MathF.PI / 2, MathF.PI, 0, 0, 0 }, shape, ViewScaling.Angle);
            Assert.That(ImageIO.Load(path, grayscale: true).Pixels.Take(3), Is.EqualTo(new float[] { 0, 191, 255 }));
            Assert.Throws<ArgumentException>(() => ImageIO.SaveViewable(Path.ChangeExtension(path, ".bmpx"), new float[6], shape, ViewScaling.Max));
        }
        finally { File.Delete(path); }
    }

    // ---- vcnn filter, in-process ----

    private static (int Code, string Out, string Err) Vcnn(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (VulkanCnn.Cli.Cli.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    private static string Camera()
    {
        return TestFiles.Cached("images", "camera.png");
    }

    [Test]
    public void FilterHelpPrintsUsage()
    {
        var (code, output, _) = Vcnn("filter", "--help");
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("vcnn filter KIND IN OUT").And.Contain("sobel-direction").And.Contain("--border"));
    }

    [TestCase(new[] { "filter", "blur", "IN", "x.png" }, "blur")]
    [TestCase(new[] { "filter", "mean", "IN", "x.png", "--size", "4" }, "4")]
    [TestCase(new[] { "filter", "mean", "IN", "x.png", "--size", "-3" }, "-3")]
    [TestCase(new[] { "filter", "gaussian", "IN", "x.png", "--sigma", "0" }, "sigma")]
    [TestCase(new[] { "filter", "gaussian", "IN", "x.png", "--sigma", "-1.5" }, "-1.5")]
    [TestCase(new[] { "filter", "sobel", "IN", "x.png", "--size", "5" }, "5")]
    [TestCase(new[] { "filter", "mean", "IN", "x.png", "--border", "mirror" }, "mirror")]
    [TestCase(new[] { "filter", "mean", "IN", "x.png", "--size", "three" }, "three")]
    [TestCase(new[] { "filter", "mean", "IN", "x.bmpx" }, ".bmpx")]
    [TestCase(new[] { "filter", "mean", "/nonexistent/photo.png", "x.png" }, "/nonexistent/photo.png")]
    [TestCase(new[] { "filter", "mean", "IN", "x.png", "--colour" }, "--colour")]
    [TestCase(new[] { "filter", "mean", "IN" }, "KIND IN OUT")]
    public void FilterErrorsExitNonZeroWithAMessage(string[] args, string mentioned)
    {
        args = args.Select(a => a == "IN" ? Camera() : a).ToArray();
        var (code, _, err) = Vcnn(args);
        Assert.That(code, Is.Not.Zero, err);
        Assert.That(err, Does.Contain(mentioned));
        Assert.That(err, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public void UnreadableImageIsReportedWithItsName()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vcnn-test-{Guid.NewGuid():N}.png");
        File.WriteAllText(path, "not an image");
        try
        {
            var (code, _, err) = Vcnn("filter", "mean", path, "x.png");
            Assert.That(code, Is.Not.Zero);
            Assert.That(err, Does.Contain(path).And.Not.Contain("   at "));
        }
        finally { File.Delete(path); }
    }
}

/// <summary>The command's happy path runs on the test device, so it lives with the GPU tests.</summary>
public class FilterCommandTests : GpuTest
{
    [Test]
    public void FilterWritesNpyEqualToTheLibraryResult()
    {
        var (image, shape) = FilterOracle.Photo("camera.png", grayscale: true, width: 48);
        var dir = Path.Combine(Path.GetTempPath(), $"vcnn-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var input = Path.Combine(dir, "small.png");
            ImageIO.SaveViewable(input, image, shape, ViewScaling.GreyValues);
            var npy = Path.Combine(dir, "sobel.npy");
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var err = new StringWriter();
            Console.SetOut(TextWriter.Null);
            Console.SetError(err);
            int code;
            try { code = VulkanCnn.Cli.Cli.Run(new[] { "filter", "sobel", input, npy, "--border", "zero", "--device", GpuSetUp.DeviceChoice }); }
            finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
            Assert.That(code, Is.Zero, err.ToString());
            var (data, dims) = ImageIO.ReadNpy(npy);
            Assert.That(dims, Is.EqualTo(new[] { 48, 48 }));
            using var runner = new FilterRunner(Ctx);
            var expected = runner.Apply(FilterKind.SobelMagnitude, image, shape, new FilterOptions { Border = PaddingMode.Zero });
            TestData.AssertClose(expected, data, "vcnn filter sobel vs FilterRunner");
            Assert.That(File.Exists(Path.Combine(dir, "sobel.png")), Is.False);
        }
        finally { Directory.Delete(dir, true); }
    }
}
