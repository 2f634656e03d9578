// The GPU frame preprocessor against a plain C# pipeline (unpack, BT.601 YUV, bilinear or area tent, letterbox/crop, normalise,
// layout) on a real photograph in every pixel format, resize mode and layout; the frame transform; bad frames; a soak.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Graph;
using VulkanCnn.Tests.Reference;
using VulkanCnn.Vision;
using PixelFormat = VulkanCnn.Vision.PixelFormat;

namespace VulkanCnn.Tests.Vision;

public class FramePreprocessorTests : GpuTest
{
    // ------------------------------------------------------------------------------------------ test frames

    private const int PhotoW = 512, PhotoH = 384;
    private static readonly Lazy<byte[]> PhotoRgba = new(LoadPhoto);

    /// <summary>Rows 64..447 of astronaut.png (512x512) as RGBA bytes: a non-square 512x384 frame.</summary>
    private static byte[] LoadPhoto() => TestFiles.AstronautRgba512x384();

    private static byte ToByte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);

    // BT.601 limited-range encoding (the forward direction of what the shader decodes).
    private static (double Y, double U, double V) Yuv(byte[] rgba, int i)
    {
        double r = rgba[i], g = rgba[i + 1], b = rgba[i + 2];
        return (16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255,
                128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255,
                128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255);
    }

    /// <summary>The frame in <paramref name="format"/>, converted from RGBA bytes.</summary>
    internal static byte[] Convert(byte[] rgba, int w, int h, PixelFormat format)
    {
        int n = w * h;
        switch (format)
        {
            case PixelFormat.Rgba8:
                return (byte[])rgba.Clone();
            case PixelFormat.Bgra8:
            {
                var o = new byte[n * 4];
                for (int i = 0; i < n; i++) { o[4 * i] = rgba[4 * i + 2]; o[4 * i + 1] = rgba[4 * i + 1]; o[4 * i + 2] = rgba[4 * i]; o[4 * i + 3] = rgba[4 * i + 3]; }
                return o;
            }
            case PixelFormat.Rgb24:
            {
                var o = new byte[n * 3];
                for (int i = 0; i < n; i++) { o[3 * i] = rgba[4 * i]; o[3 * i + 1] = rgba[4 * i + 1]; o[3 * i + 2] = rgba[4 * i + 2]; }
                return o;
            }
            case PixelFormat.Yuyv:
            {
                var o = new byte[n * 2];
                for (int i = 0; i < n; i += 2)
                {
                    var a = Yuv(rgba, 4 * i);
                    var b = Yuv(rgba, 4 * i + 4);
                    o[2 * i] = ToByte(a.Y); o[2 * i + 1] = ToByte((a.U + b.U) / 2);
                    o[2 * i + 2] = ToByte(b.Y); o[2 * i + 3] = ToByte((a.V + b.V) / 2);
                }
                return o;
            }
            case PixelFormat.Nv12:
            {
                var o = new byte[n * 3 / 2];
                for (int i = 0; i < n; i++) o[i] = ToByte(Yuv(rgba, 4 * i).Y);
                for (int y = 0; y < h; y += 2)
                    for (int x = 0; x < w; x += 2)
                    {
                        double u = 0, v = 0;
                        foreach (var (dx, dy) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
                        {
                            var c = Yuv(rgba, 4 * ((y + dy) * w + x + dx));
                            u += c.U / 4; v += c.V / 4;
                        }
                        o[n + y / 2 * w + x] = ToByte(u);
                        o[n + y / 2 * w + x + 1] = ToByte(v);
                    }
                return o;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(format));
    }

    // ------------------------------------------------------------------------------------------ the reference

    /// <summary>R, G, B (0..255) of every pixel decoded from the packed frame.</summary>
    internal static double[] Decode(byte[] f, int w, int h, PixelFormat format)
    {
        var rgb = new double[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                double r, g, b;
                switch (format)
                {
                    case PixelFormat.Rgba8: r = f[4 * i]; g = f[4 * i + 1]; b = f[4 * i + 2]; break;
                    case PixelFormat.Bgra8: b = f[4 * i]; g = f[4 * i + 1]; r = f[4 * i + 2]; break;
                    case PixelFormat.Rgb24: r = f[3 * i]; g = f[3 * i + 1]; b = f[3 * i + 2]; break;
                    default:
                    {
                        double Y, U, V;
                        if (format == PixelFormat.Yuyv)
                        {
                            int pair = i / 2 * 4;
                            Y = f[pair + (i % 2 == 0 ? 0 : 2)]; U = f[pair + 1]; V = f[pair + 3];
                        }
                        else
                        {
                            int uv = w * h + y / 2 * w + x / 2 * 2;
                            Y = f[i]; U = f[uv]; V = f[uv + 1];
                        }
                        // ITU-R BT.601 limited range: 255/219 on Y, 255/224 · (1.402, 0.344136, 0.714136, 1.772) on chroma.
                        double c = 255.0 / 219 * (Y - 16), d = 255.0 / 224 * (U - 128), e = 255.0 / 224 * (V - 128);
                        r = Math.Clamp(c + 1.402 * e, 0, 255);
                        g = Math.Clamp(c - 0.344136 * d - 0.714136 * e, 0, 255);
                        b = Math.Clamp(c + 1.772 * d, 0, 255);
                        break;
                    }
                }
                rgb[3 * i] = r; rgb[3 * i + 1] = g; rgb[3 * i + 2] = b;
            }
        return rgb;
    }

    /// <summary>The whole pipeline in plain C#, written from the documented conventions.</summary>
    internal static float[] Reference(byte[] frame, int fw, int fh, PixelFormat format, PreprocessOptions o)
    {
        var rgb = Decode(frame, fw, fh, format);
        int W = o.Width, H = o.Height;
        // Where the frame goes: model = frame * s + off; letterbox content rounded to whole pixels.
        double sx, sy, offX = 0, offY = 0;
        int cx0 = 0, cy0 = 0, cx1 = W, cy1 = H;
        if (o.Resize == ResizeMode.Stretch) { sx = (double)W / fw; sy = (double)H / fh; }
        else if (o.Resize == ResizeMode.Letterbox)
        {
            double s = Math.Min((double)W / fw, (double)H / fh);
            int cw = (int)Math.Round(fw * s), ch = (int)Math.Round(fh * s);
            cx0 = (W - cw) / 2; cy0 = (H - ch) / 2; cx1 = cx0 + cw; cy1 = cy0 + ch;
            sx = (double)cw / fw; sy = (double)ch / fh; offX = cx0; offY = cy0;
        }
        else
        {
            double s = Math.Max((double)W / fw, (double)H / fh);
            sx = sy = s; offX = (W - fw * s) / 2; offY = (H - fh * s) / 2;
        }
        // An axis shrinking by 2x or more is first box-averaged by k = floor(shrink) (the last box of a row or column
        // averages the pixels that remain); the reduced image is then resampled as the frame, at scale s·k.
        int kx = BoxFactor(sx), ky = BoxFactor(sy);
        if (kx > 1 || ky > 1)
        {
            rgb = BoxAverage(rgb, fw, fh, kx, ky, out fw, out fh);
            sx *= kx; sy *= ky;
        }
        int C = o.Channels;
        var output = new float[C * W * H];
        for (int oy = 0; oy < H; oy++)
            for (int ox = 0; ox < W; ox++)
            {
                var v = new double[3];
                if (ox < cx0 || ox >= cx1 || oy < cy0 || oy >= cy1)
                    v[0] = v[1] = v[2] = o.PadValue;
                else if (1 / sx > 1.5 || 1 / sy > 1.5)
                {
                    // Shrinking by more than 1.5x: a tent (triangle) filter whose radius is the shrink factor, as
                    // ImageSharp's Triangle resampler does; taps outside the frame are dropped and the weights renormalised.
                    double rx = 1 / sx > 1.5 ? 1 / sx : 1, ry = 1 / sy > 1.5 ? 1 / sy : 1;
                    double fx = (ox + 0.5 - offX) / sx - 0.5, fy = (oy + 0.5 - offY) / sy - 0.5;
                    var acc = new double[3];
                    double wsum = 0;
                    for (int y = Math.Max(0, (int)Math.Ceiling(fy - ry)); y <= Math.Min(fh - 1, (int)Math.Floor(fy + ry)); y++)
                        for (int x = Math.Max(0, (int)Math.Ceiling(fx - rx)); x <= Math.Min(fw - 1, (int)Math.Floor(fx + rx)); x++)
                        {
                            double w = Math.Max(0, 1 - Math.Abs(x - fx) / rx) * Math.Max(0, 1 - Math.Abs(y - fy) / ry);
                            if (w <= 0) continue;
                            for (int c = 0; c < 3; c++) acc[c] += w * rgb[3 * (y * fw + x) + (o.Bgr ? 2 - c : c)];
                            wsum += w;
                        }
                    for (int c = 0; c < 3; c++) v[c] = (acc[c] / wsum * o.Scale - o.Mean[c]) / o.Std[c];
                }
                else
                {
                    double fx = Math.Clamp((ox + 0.5 - offX) / sx - 0.5, 0, fw - 1);
                    double fy = Math.Clamp((oy + 0.5 - offY) / sy - 0.5, 0, fh - 1);
                    int x0 = (int)Math.Floor(fx), y0 = (int)Math.Floor(fy);
                    int x1 = Math.Min(x0 + 1, fw - 1), y1 = Math.Min(y0 + 1, fh - 1);
                    double lx = fx - x0, ly = fy - y0;
                    for (int c = 0; c < 3; c++)
                    {
                        int src = o.Bgr ? 2 - c : c;
                        double P(int x, int y) => rgb[3 * (y * fw + x) + src];
                        double pix = (1 - ly) * ((1 - lx) * P(x0, y0) + lx * P(x1, y0)) + ly * ((1 - lx) * P(x0, y1) + lx * P(x1, y1));
                        v[c] = (pix * o.Scale - o.Mean[c]) / o.Std[c];
                    }
                }
                for (int c = 0; c < C; c++)
                    output[o.Layout == TensorLayout.Nchw ? c * W * H + oy * W + ox : (oy * W + ox) * C + c] = c < 3 ? (float)v[c] : o.Alpha;
            }
        return output;
    }

    /// <summary>floor(shrink) for an axis shrinking by 2x or more (model/frame scale ≤ 1/2), else 1.</summary>
    internal static int BoxFactor(double scale) => 1 / scale >= 2 - 1e-4 ? (int)Math.Floor(1 / scale + 1e-4) : 1;

    /// <summary>Mean of each kx×ky block of an RGB image; blocks at the right and bottom edges may be smaller.</summary>
    internal static double[] BoxAverage(double[] rgb, int w, int h, int kx, int ky, out int rw, out int rh)
    {
        rw = (w + kx - 1) / kx; rh = (h + ky - 1) / ky;
        var r = new double[rw * rh * 3];
        for (int by = 0; by < rh; by++)
            for (int bx = 0; bx < rw; bx++)
            {
                int n = 0;
                for (int y = by * ky; y < Math.Min(h, (by + 1) * ky); y++)
                    for (int x = bx * kx; x < Math.Min(w, (bx + 1) * kx); x++, n++)
                        for (int c = 0; c < 3; c++) r[3 * (by * rw + bx) + c] += rgb[3 * (y * w + x) + c];
                for (int c = 0; c < 3; c++) r[3 * (by * rw + bx) + c] /= n;
            }
        return r;
    }

    private static float[] RunGpu(byte[] frame, int fw, int fh, PixelFormat format, PreprocessOptions o)
    {
        using var pre = new FramePreprocessor(Ctx, fw, fh, format, o);
        pre.Process(frame);
        return pre.ReadOutput();
    }

    // ------------------------------------------------------------------------------------------ the photograph

    [Test]
    public void MatchesReferenceOnPhoto(
        [Values] PixelFormat format, [Values] ResizeMode resize, [Values] TensorLayout layout)
    {
        var frame = Convert(PhotoRgba.Value, PhotoW, PhotoH, format);
        var o = new PreprocessOptions { Width = 128, Height = 128, Resize = resize, Layout = layout, PadValue = 0.5f };
        var expected = Reference(frame, PhotoW, PhotoH, format, o);
        var actual = RunGpu(frame, PhotoW, PhotoH, format, o);
        // Both sides decode the same packed bytes, so YUV needs no wider tolerance than RGB: 1e-3 on [0, 1] values.
        TestData.AssertClose(expected, actual, $"{PhotoW}x{PhotoH} {format} -> 128x128 {resize} {layout}");
    }

    [Test]
    public void YuvDecodingStaysCloseToThePhotograph([Values(PixelFormat.Yuyv, PixelFormat.Nv12)] PixelFormat format)
    {
        // Guards the reference itself: YUV 4:2:x round trip of the photo differs from RGB only by rounding and chroma
        // subsampling, a mean absolute error of a few grey values.
        var o = new PreprocessOptions { Width = 128, Height = 96, Resize = ResizeMode.Stretch };
        var yuv = RunGpu(Convert(PhotoRgba.Value, PhotoW, PhotoH, format), PhotoW, PhotoH, format, o);
        var rgb = RunGpu(PhotoRgba.Value, PhotoW, PhotoH, PixelFormat.Rgba8, o);
        double mean = yuv.Zip(rgb, (a, b) => Math.Abs(a - b)).Average() * 255;
        Assert.That(mean, Is.LessThan(3), $"{format}: mean |YUV decode − RGB| is {mean:F2} grey values");
    }

    [TestCase(PixelFormat.Rgb24, ResizeMode.Letterbox, TensorLayout.Nhwc)]
    [TestCase(PixelFormat.Nv12, ResizeMode.CenterCrop, TensorLayout.Nchw)]
    [TestCase(PixelFormat.Bgra8, ResizeMode.Stretch, TensorLayout.Nchw)]
    public void NormalisationChannelOrderAndPad(PixelFormat format, ResizeMode resize, TensorLayout layout)
    {
        var frame = Convert(PhotoRgba.Value, PhotoW, PhotoH, format);
        var minusOneToOne = new PreprocessOptions { Width = 96, Height = 80, Resize = resize, Layout = layout, Scale = 1 / 127.5f, Mean = new[] { 1f, 1f, 1f }, PadValue = -1 };
        var imageNetBgr = new PreprocessOptions
        {
            Width = 96, Height = 80, Resize = resize, Layout = layout, Bgr = true, PadValue = 0,
            Mean = new[] { 0.406f, 0.456f, 0.485f }, Std = new[] { 0.225f, 0.224f, 0.229f },
        };
        foreach (var (o, what) in new[] { (minusOneToOne, "[-1, 1]"), (imageNetBgr, "ImageNet BGR") })
        {
            var expected = Reference(frame, PhotoW, PhotoH, format, o);
            var actual = RunGpu(frame, PhotoW, PhotoH, format, o);
            TestData.AssertClose(expected, actual, $"{format} -> 96x80 {resize} {layout} {what}");
            if (what == "[-1, 1]")
                Assert.That(actual.Min() >= -1.0001f && actual.Max() <= 1.0001f, $"{what}: range {actual.Min()}..{actual.Max()}");
        }
    }

    // Every other BGRA test shrinks the 512x384 photograph by 2x or more, which goes through the box reduction
    // (preprocess_reduce_rgba) and never reaches preprocess_rgba's own BGRA swap: these sizes do (bilinear up to 1.5x,
    // the area tent between 1.5x and 2x, and an enlargement).
    [TestCase(400, 300)]
    [TestCase(300, 220)]
    [TestCase(640, 480)]
    public void BgraWithoutABoxReductionHasItsRedAndBlueInPlace(int width, int height)
    {
        Assert.That((FramePreprocessor.BoxFactor((float)width / PhotoW), FramePreprocessor.BoxFactor((float)height / PhotoH)), Is.EqualTo((1, 1)),
                    "no box reduction at this size");
        var bgra = Convert(PhotoRgba.Value, PhotoW, PhotoH, PixelFormat.Bgra8);
        var o = new PreprocessOptions { Width = width, Height = height, Resize = ResizeMode.Stretch, Layout = TensorLayout.Nchw };
        var actual = RunGpu(bgra, PhotoW, PhotoH, PixelFormat.Bgra8, o);
        TestData.AssertClose(Reference(bgra, PhotoW, PhotoH, PixelFormat.Bgra8, o), actual, $"{PhotoW}x{PhotoH} BGRA -> {width}x{height}");
        // The same picture sent as RGBA must give the same tensor; and the photograph's red and blue planes differ
        // enough (the astronaut's suit and flag) that a swap cannot pass.
        var fromRgba = RunGpu(PhotoRgba.Value, PhotoW, PhotoH, PixelFormat.Rgba8, o);
        TestData.AssertClose(fromRgba, actual, $"BGRA against RGBA of the same photograph -> {width}x{height}");
        int plane = width * height;
        double redBlue = Enumerable.Range(0, plane).Average(i => Math.Abs(actual[i] - actual[2 * plane + i]));
        Assert.That(redBlue, Is.GreaterThan(0.02), "red and blue planes of the photograph differ");
    }

    // ------------------------------------------------------------------------------------------ transform

    [Test]
    public void LetterboxOf640x480Into128x128()
    {
        var o = new PreprocessOptions { Width = 128, Height = 128 };
        var t = FramePreprocessor.ComputeTransform(640, 480, o);
        Assert.That(t, Is.EqualTo(new FrameTransform(0.2f, 0.2f, 0, 16)));
        Assert.That(t.ToFrame(0, 16), Is.EqualTo((0f, 0f)));
        Assert.That(t.ToFrame(128, 112), Is.EqualTo((640f, 480f)));
        Assert.That(t.ToModel(320, 240), Is.EqualTo((64f, 64f)));

        // On the GPU: rows 0..15 and 112..127 are bars holding PadValue, the rest is the (white) frame.
        var white = Enumerable.Repeat((byte)255, 640 * 480 * 4).ToArray();
        using var pre = new FramePreprocessor(Ctx, 640, 480, PixelFormat.Rgba8, o with { PadValue = -7 });
        Assert.That(pre.Transform, Is.EqualTo(t));
        pre.Process(white);
        var y = pre.ReadOutput();
        for (int c = 0; c < 3; c++)
            for (int row = 0; row < 128; row++)
            {
                float expected = row < 16 || row >= 112 ? -7f : 1f;
                Assert.That(y[c * 128 * 128 + row * 128 + 5], Is.EqualTo(expected).Within(1e-5), $"channel {c} row {row}");
            }
    }

    [Test]
    public void TransformRoundTrips([Values] ResizeMode resize)
    {
        var rng = new Random(4);
        foreach (var (fw, fh, w, h) in new[] { (640, 480, 128, 128), (1280, 720, 256, 192), (333, 517, 224, 224), (100, 100, 37, 91) })
        {
            var t = FramePreprocessor.ComputeTransform(fw, fh, new PreprocessOptions { Width = w, Height = h, Resize = resize });
            for (int k = 0; k < 20; k++)
            {
                float x = (float)rng.NextDouble() * w, y = (float)rng.NextDouble() * h;
                var f = t.ToFrame(x, y);
                var m = t.ToModel(f.X, f.Y);
                Assert.That(m.X, Is.EqualTo(x).Within(1e-3), $"{resize} {fw}x{fh} -> {w}x{h}: x of ({x}, {y})");
                Assert.That(m.Y, Is.EqualTo(y).Within(1e-3), $"{resize} {fw}x{fh} -> {w}x{h}: y of ({x}, {y})");
            }
            // The whole model input maps inside the frame for crop, the whole frame inside the model input otherwise.
            if (resize == ResizeMode.CenterCrop)
            {
                var a = t.ToFrame(0, 0); var b = t.ToFrame(w, h);
                Assert.That(a.X >= -1e-3 && a.Y >= -1e-3 && b.X <= fw + 1e-3 && b.Y <= fh + 1e-3, $"crop {fw}x{fh} -> {w}x{h}: ({a}) to ({b})");
            }
            else
            {
                var a = t.ToModel(0, 0); var b = t.ToModel(fw, fh);
                Assert.That(a.X >= 0 && a.Y >= 0 && b.X <= w + 1e-3 && b.Y <= h + 1e-3, $"{resize} {fw}x{fh} -> {w}x{h}: ({a}) to ({b})");
            }
        }
    }

    // ------------------------------------------------------------------------------------------ errors

    [Test]
    public void WrongFrameSizeNamesBothNumbers()
    {
        using var pre = new FramePreprocessor(Ctx, 64, 48, PixelFormat.Rgba8, new PreprocessOptions { Width = 32, Height = 32 });
        var e = Assert.Throws<ArgumentException>(() => pre.Upload(new byte[64 * 48 * 3]))!;
        Assert.That(e.Message, Does.Contain("12288").And.Contain("9216"));
        Assert.That(FramePreprocessor.FrameBytes(64, 48, PixelFormat.Nv12), Is.EqualTo(64 * 48 * 3 / 2));
        Assert.That(FramePreprocessor.FrameBytes(64, 48, PixelFormat.Yuyv), Is.EqualTo(64 * 48 * 2));
        Assert.That(FramePreprocessor.FrameBytes(64, 48, PixelFormat.Rgb24), Is.EqualTo(64 * 48 * 3));
    }

    [Test]
    public void OddSizesAndBadOptionsAreRejected()
    {
        var o = new PreprocessOptions { Width = 32, Height = 32 };
        var e = Assert.Throws<ArgumentException>(() => new FramePreprocessor(Ctx, 64, 47, PixelFormat.Nv12, o))!;
        Assert.That(e.Message, Does.Contain("NV12").And.Contain("64x47"));
        Assert.Throws<ArgumentException>(() => new FramePreprocessor(Ctx, 63, 48, PixelFormat.Yuyv, o));
        Assert.Throws<ArgumentException>(() => new FramePreprocessor(Ctx, 64, 48, PixelFormat.Rgba8, o with { Std = new[] { 1f, 0f, 1f } }));
        Assert.Throws<ArgumentException>(() => new FramePreprocessor(Ctx, 64, 48, PixelFormat.Rgba8, o with { Mean = new[] { 0.5f } }));
        Assert.Throws<ArgumentException>(() => new FramePreprocessor(Ctx, 64, 48, PixelFormat.Rgba8, o with { Width = 0 }));
        using var pre = new FramePreprocessor(Ctx, 64, 48, PixelFormat.Rgba8, o);
        Assert.Throws<InvalidOperationException>(() => pre.Run());
        Assert.Throws<ArgumentException>(() => pre.GetOutput(new float[10]));
    }

    // ------------------------------------------------------------------------------------------ chaining and soak

    [Test]
    public void WritesStraightIntoASessionInput()
    {
        var b = new NetworkBuilder("pool");
        b.Input(3, 64, 64).MaxPool(2, 2).Output();
        var net = b.Build();
        using var session = new Session(Ctx, net);
        var o = new PreprocessOptions { Width = 64, Height = 64, Resize = ResizeMode.CenterCrop, Mean = new[] { 0.5f, 0.5f, 0.5f } };
        var frame = Convert(PhotoRgba.Value, PhotoW, PhotoH, PixelFormat.Nv12);
        using var pre = new FramePreprocessor(session, 0, PhotoW, PhotoH, PixelFormat.Nv12, o);
        pre.Process(frame);
        session.Run();
        var actual = new float[session.OutputShape().ElementCount];
        session.GetOutput(actual);
        var expected = CpuReference.Run(net, Reference(frame, PhotoW, PhotoH, PixelFormat.Nv12, o))[0];
        TestData.AssertClose(expected, actual, "NV12 photo -> 64x64 crop -> max pool in a session");

        var wrong = new PreprocessOptions { Width = 32, Height = 32 };
        var e = Assert.Throws<ArgumentException>(() => new FramePreprocessor(session, 0, PhotoW, PhotoH, PixelFormat.Nv12, wrong))!;
        Assert.That(e.Message, Does.Contain("12288").And.Contain("3072"));
    }

    [Test]
    public void TwoHundredFramesWithFlatMemory()
    {
        const int fw = 96, fh = 64;
        var rng = new Random(200);
        var frames = Enumerable.Range(0, 2).Select(_ =>
        {
            var rgba = new byte[fw * fh * 4];
            rng.NextBytes(rgba);
            return Convert(rgba, fw, fh, PixelFormat.Yuyv);
        }).ToArray();
        var o = new PreprocessOptions { Width = 40, Height = 40, Layout = TensorLayout.Nhwc };
        int blocksBefore = Ctx.Allocator.LiveBlocks;
        using (var pre = new FramePreprocessor(Ctx, fw, fh, PixelFormat.Yuyv, o))
        {
            int blocks = Ctx.Allocator.LiveBlocks;
            for (int i = 0; i < 200; i++)
            {
                // Upload of frame i+1 overlaps the conversion of frame i: the ring has two slots.
                pre.Upload(frames[i % 2]);
                pre.Submit();
                if (i % 50 == 49)
                    TestData.AssertClose(Reference(frames[i % 2], fw, fh, PixelFormat.Yuyv, o), pre.ReadOutput(), $"frame {i}");
            }
            pre.Wait();
            Assert.That(Ctx.Allocator.LiveBlocks, Is.EqualTo(blocks), "memory blocks after 200 frames");
        }
        Assert.That(Ctx.Allocator.LiveBlocks, Is.EqualTo(blocksBefore), "memory blocks after Dispose");
    }

    // ------------------------------------------------------------------------------------------ 4 channels

    [Test]
    public void FourChannelsAddAConstantAlpha([Values] TensorLayout layout, [Values(ResizeMode.Letterbox, ResizeMode.Stretch)] ResizeMode resize)
    {
        var frame = Convert(PhotoRgba.Value, PhotoW, PhotoH, PixelFormat.Rgb24);
        var o = new PreprocessOptions { Width = 96, Height = 96, Resize = resize, Layout = layout, Channels = 4, Alpha = -2.5f, PadValue = 0.5f, Scale = 1 };
        var actual = RunGpu(frame, PhotoW, PhotoH, PixelFormat.Rgb24, o);
        Assert.That(actual, Has.Length.EqualTo(4 * 96 * 96));
        TestData.AssertClose(Reference(frame, PhotoW, PhotoH, PixelFormat.Rgb24, o), actual, $"4 channels {resize} {layout}");
        // The colour channels are exactly the 3-channel output; the 4th is Alpha everywhere, letterbox bars included.
        var three = RunGpu(frame, PhotoW, PhotoH, PixelFormat.Rgb24, o with { Channels = 3 });
        int plane = 96 * 96;
        for (int i = 0; i < plane; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                float a = layout == TensorLayout.Nchw ? actual[c * plane + i] : actual[4 * i + c];
                float b = layout == TensorLayout.Nchw ? three[c * plane + i] : three[3 * i + c];
                if (a != b) Assert.Fail($"pixel {i} channel {c}: 4-channel {a}, 3-channel {b}");
            }
            float alpha = layout == TensorLayout.Nchw ? actual[3 * plane + i] : actual[4 * i + 3];
            if (alpha != -2.5f) Assert.Fail($"pixel {i}: alpha {alpha}");
        }
        var e = Assert.Throws<ArgumentException>(() => new FramePreprocessor(Ctx, 64, 48, PixelFormat.Rgba8, o with { Channels = 2 }))!;
        Assert.That(e.Message, Does.Contain("Channels is 2"));
    }
}
