// The GameEmbed sample: its Silk.NET.Vulkan renderer puts the photograph where the scene says (checked against a CPU
// bilinear sampling of the texture through the scene's own placement), and the headless run writes its frames
// without validation errors. SwiftShader (or VULKANCNN_TEST_DEVICE) with the validation layer on.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Samples.GameEmbed;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests;

public sealed class GameEmbedTests : GpuTest
{
    private const int W = 512, H = 384;

    /// <summary>The game's own device on the test device; skipped (not passed) where the library finds no device.</summary>
    private static GameDevice OpenDevice()
    {
        _ = Ctx; // Assert.Ignore without a Vulkan device
        return new GameDevice(GpuSetUp.DeviceChoice, GpuSetUp.Validation);
    }

    private static byte[] LoadRgba(string path, out int width, out int height)
    {
        using var image = Image.Load<Rgba32>(path);
        width = image.Width;
        height = image.Height;
        var rgba = new byte[width * height * 4];
        image.CopyPixelDataTo(rgba);
        return rgba;
    }

    /// <summary>Vulkan's linear filter with clamp-to-edge at texture coordinates (u, v), channel c.</summary>
    private static double Bilinear(byte[] rgba, int w, int h, double u, double v, int c)
    {
        double x = u * w - 0.5, y = v * h - 0.5;
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        double fx = x - x0, fy = y - y0;
        double At(int xi, int yi) => rgba[(Math.Clamp(yi, 0, h - 1) * w + Math.Clamp(xi, 0, w - 1)) * 4 + c];
        return (At(x0, y0) * (1 - fx) + At(x0 + 1, y0) * fx) * (1 - fy) + (At(x0, y0 + 1) * (1 - fx) + At(x0 + 1, y0 + 1) * fx) * fy;
    }

    /// <summary>
    /// Mean and max |rendered − expected| over a 25×25 grid of points inside the hero quad <paramref name="q"/>
    /// (kept 5 % away from its edges): each point's pixel centre is mapped back through the quad and the texture sampled.
    /// </summary>
    private static (double Mean, double Max) CompareHero(byte[] frame, Quad q, byte[] tex, int tw, int th)
    {
        double sum = 0, max = 0;
        int n = 0;
        for (int i = 0; i < 25; i++)
            for (int j = 0; j < 25; j++)
            {
                var (fx, fy) = q.ToFrame(-0.9f + 1.8f * i / 24, -0.9f + 1.8f * j / 24);
                int px = (int)MathF.Floor(fx), py = (int)MathF.Floor(fy);
                if (px < 0 || py < 0 || px >= W || py >= H) continue;
                var (lx, ly) = q.ToLocal(px + 0.5f, py + 0.5f);
                var (u, v) = q.ToUv(lx, ly);
                for (int c = 0; c < 3; c++)
                {
                    double d = Math.Abs(frame[(py * W + px) * 4 + c] - Bilinear(tex, tw, th, u, v, c));
                    sum += d;
                    max = Math.Max(max, d);
                    n++;
                }
            }
        Assert.That(n, Is.GreaterThan(25 * 25 * 3 / 2), "most of the hero's sample points should lie in the frame");
        return (sum / n, max);
    }

    [Test]
    public void Renderer_DrawsThePhotographWhereTheSceneSaysIt()
    {
        using var device = OpenDevice();
        using var renderer = new SceneRenderer(device, W, H, Path.GetDirectoryName(TestFiles.Cached("images", "astronaut.png"))!);
        var tex = LoadRgba(TestFiles.Cached("images", "astronaut.png"), out int tw, out int th);
        var frame = new byte[W * H * 4];
        // Frame 0 is upright; frame 40 is swayed by about 6 degrees and moved.
        foreach (long n in new long[] { 0, 1, 40 })
        {
            renderer.Render(n);
            renderer.ReadPixels(n, frame);
            var hero = Scene.Hero(n, W, H);
            var (mean, max) = CompareHero(frame, hero, tex, tw, th);
            TestContext.Progress.WriteLine($"frame {n}: hero at ({hero.CenterX:0.0}, {hero.CenterY:0.0}) angle {hero.Angle * 180 / MathF.PI:0.00}°, |diff| mean {mean:0.00} max {max:0.0}");
            if (mean > 1.5 || max > 12)
            {
                string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"gameembed_frame{n}.png");
                Image.LoadPixelData<Rgba32>(frame, W, H).SaveAsPng(path);
                Assert.Fail($"frame {n}: the hero quad differs from the CPU sampling of the photograph: mean |diff| {mean:0.00} (limit 1.5), max {max:0.0} (limit 12); frame written to {path}");
            }
            // The comparison can fail: the same photograph placed 6 pixels off does not match.
            var (shifted, _) = CompareHero(frame, hero with { CenterX = hero.CenterX + 6 }, tex, tw, th);
            Assert.That(shifted, Is.GreaterThan(5 * mean + 5), $"frame {n}: a 6-pixel shift should be visible (mean |diff| {shifted:0.00} vs {mean:0.00})");
        }
        Assert.That(device.ValidationErrors, Is.Empty, "validation errors on the game's device");
    }

    private static float Iou(Box a, (float X, float Y, float W, float H) b) => a.Iou(new Box(b.X, b.Y, b.W, b.H));

    /// <summary>The rendered scene alone (no frame pipeline): BlazeFace finds the astronaut where the scene put her face.</summary>
    [Test]
    public void RenderedScene_HasTheFaceWhereTheScenePutsIt()
    {
        using var device = OpenDevice();
        using var renderer = new SceneRenderer(device, W, H, Path.GetDirectoryName(TestFiles.Cached("images", "astronaut.png"))!);
        using var task = new BlazeFaceTask(Ctx, TestFiles.Cached("models", "blazeface", "ONNX", "face_detection_front_128x128_barracuda.onnx"), BlazeFaceModel.Front);
        var frame = new byte[W * H * 4];
        foreach (long n in new long[] { 0, 40 })
        {
            renderer.Render(n);
            renderer.ReadPixels(n, frame);
            var result = task.Run(frame, W, H, PixelFormat.Rgba8, n);
            var expected = Scene.FaceBox(n, W, H);
            TestContext.Progress.WriteLine($"frame {n}: expected face ({expected.X:0.0}, {expected.Y:0.0}, {expected.W:0.0}x{expected.H:0.0}); found " +
                string.Join("; ", result.Detections.Select(d => $"({d.Box.X:0.0}, {d.Box.Y:0.0}, {d.Box.W:0.0}x{d.Box.H:0.0}) {d.Score:0.00} IoU {Iou(d.Box, expected):0.00}")));
            Assert.That(result.Detections, Has.Count.EqualTo(1), $"frame {n}: one face");
            Assert.That(Iou(result.Detections[0].Box, expected), Is.GreaterThanOrEqualTo(0.5), $"frame {n}: IoU with the scene's face box");
        }
        Assert.That(device.ValidationErrors, Is.Empty);
    }

    [Test]
    public void Renderer_RejectsFramesOutOfOrderAndBadSizes()
    {
        using var device = OpenDevice();
        string photos = Path.GetDirectoryName(TestFiles.Cached("images", "astronaut.png"))!;
        Assert.That(() => new SceneRenderer(device, 32, 384, photos), Throws.ArgumentException.With.Message.Contains("32x384"));
        using var renderer = new SceneRenderer(device, W, H, photos);
        renderer.Render(5);
        Assert.That(() => renderer.Render(5), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Frame 5"));
        Assert.That(() => renderer.ReadPixels(3, new byte[W * H * 4]), Throws.ArgumentException.With.Message.Contains("Frame 3"));
        Assert.That(() => renderer.ReadPixels(5, new byte[10]), Throws.ArgumentException.With.Message.Contains("512x384x4"));
        Assert.That(device.ValidationErrors, Is.Empty);
    }

    [Test]
    public void Options_BadValuesNameTheOption()
    {
        Assert.That(() => GameOptions.Parse(new[] { "--frames", "0" }), Throws.InstanceOf<UsageException>().With.Message.Contains("--frames '0'"));
        Assert.That(() => GameOptions.Parse(new[] { "--size", "640by480" }), Throws.InstanceOf<UsageException>().With.Message.Contains("640by480"));
        Assert.That(() => GameOptions.Parse(new[] { "--output", "x.avi" }), Throws.InstanceOf<UsageException>().With.Message.Contains(".avi"));
        Assert.That(() => GameOptions.Parse(new[] { "--bogus" }), Throws.InstanceOf<UsageException>().With.Message.Contains("--bogus"));
        var o = GameOptions.Parse(new[] { "--frames", "7", "--size", "320x240", "--output", "out/x.mp4" });
        Assert.That((o.Frames, o.Width, o.Height, o.Output), Is.EqualTo((7L, 320, 240, "out/x.mp4")));
    }
}
