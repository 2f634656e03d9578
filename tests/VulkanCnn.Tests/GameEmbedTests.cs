// The GameEmbed sample: its Silk.NET.Vulkan renderer puts the photograph where the scene says (checked against a CPU
// bilinear sampling of the texture through the scene's own placement), and the headless run writes its frames
// without validation errors. SwiftShader (or VULKANCNN_TEST_DEVICE) with the validation layer on.
using System.Diagnostics;
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

    private static byte[] LoadPng(string path) => LoadRgba(path, out _, out _);

    /// <summary>
    /// The whole sample headless: scene -> VulkanCnn (BlazeFace through the FramePipeline on the same device) -> PNGs.
    /// Every result carries the frame number of the render it came from, and its face box lies where the scene put the
    /// face in that frame; each output frame is that frame's render (byte for byte away from the overlay) with the
    /// latest box drawn in green.
    /// </summary>
    [Test]
    public void HeadlessRun_OutputFramesCarryTheFaceBoxWhereTheSceneDrewTheFace()
    {
        _ = Ctx;
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "gameembed-run");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        var o = new GameOptions
        {
            Width = W, Height = H, Frames = 6, Output = Path.Combine(dir, "out"), SceneOutput = Path.Combine(dir, "scene"),
            Device = GpuSetUp.DeviceChoice, Validation = GpuSetUp.Validation, Hud = false,
        };
        var log = new StringWriter();
        var run = GameApp.Run(o, log);
        TestContext.Progress.Write(log.ToString());
        Assert.That(run.ValidationErrors, Is.Empty, "validation errors on the shared device (game and VulkanCnn)");
        Assert.That(run.Frames, Is.EqualTo(6));
        Assert.That(run.Results, Is.Not.Empty, "no detection result came back");
        long previous = 0;
        foreach (var rec in run.Results)
        {
            var r = rec.Result;
            Assert.That(r.FrameNumber, Is.GreaterThan(previous), "results arrive in frame order");
            previous = r.FrameNumber;
            Assert.That(rec.GameFrame, Is.InRange(0, run.Frames - 1), $"result of VulkanCnn frame {r.FrameNumber} maps to a submitted game frame");
            Assert.That(rec.ArrivedAtFrame, Is.GreaterThanOrEqualTo(rec.GameFrame));
            var expected = Scene.FaceBox(rec.GameFrame, W, H);
            TestContext.Progress.WriteLine($"game frame {rec.GameFrame} (VulkanCnn #{r.FrameNumber}), arrived at {rec.ArrivedAtFrame}: " +
                string.Join("; ", r.Detections.Select(d => $"{d.Box} {d.Score:0.00} IoU {Iou(d.Box, expected):0.00}")));
            Assert.That(r.Detections, Has.Count.EqualTo(1), $"game frame {rec.GameFrame}: one face");
            Assert.That(Iou(r.Detections[0].Box, expected), Is.GreaterThanOrEqualTo(0.5), $"game frame {rec.GameFrame}: IoU with the scene's face box");
        }

        // Output frames: each equals its own render away from the box, and carries the box of the result it showed.
        int checkedFrames = 0;
        foreach (var rec in run.Results.Where(x => x.ArrivedAtFrame < run.Frames))
        {
            long k = rec.ArrivedAtFrame;
            var output = LoadPng(GameFrames.PngPath(o.Output!, k));
            var scene = LoadPng(GameFrames.PngPath(o.SceneOutput!, k));
            var box = rec.Result.Detections[0].Box;
            int margin = 24, differing = 0, outside = 0;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    if (x > box.X - margin && x < box.Right + margin && y > box.Y - margin && y < box.Bottom + margin) continue;
                    outside++;
                    int i = (y * W + x) * 4;
                    if (output[i] != scene[i] || output[i + 1] != scene[i + 1] || output[i + 2] != scene[i + 2]) differing++;
                }
            Assert.That(differing, Is.EqualTo(0), $"output frame {k} differs from render {k} at {differing} of {outside} pixels away from the box (wrong frame handed over?)");
            // The outline: walk the box's perimeter; a green pixel must lie within 2 pixels inside of each point.
            int perimeter = 0, green = 0, greenInScene = 0;
            bool IsGreen(byte[] img, int x, int y) { int i = (y * W + x) * 4; return img[i + 1] > 200 && img[i] < 90 && img[i + 2] < 90; }
            bool GreenNear(byte[] img, float px, float py)
            {
                for (int dy = -2; dy <= 2; dy++)
                    for (int dx = -2; dx <= 2; dx++)
                    {
                        int x = (int)MathF.Floor(px) + dx, y = (int)MathF.Floor(py) + dy;
                        if (x >= 0 && y >= 0 && x < W && y < H && IsGreen(img, x, y)) return true;
                    }
                return false;
            }
            for (int t = 0; t < 40; t++)
            {
                float f = (t + 0.5f) / 40;
                foreach (var (px, py) in new[] { (box.X + f * box.W, box.Y + 1), (box.X + f * box.W, box.Bottom - 1), (box.X + 1, box.Y + f * box.H), (box.Right - 1, box.Y + f * box.H) })
                {
                    perimeter++;
                    if (GreenNear(output, px, py)) green++;
                    if (GreenNear(scene, px, py)) greenInScene++;
                }
            }
            TestContext.Progress.WriteLine($"output frame {k}: {green}/{perimeter} outline points green (render: {greenInScene})");
            Assert.That(green, Is.GreaterThanOrEqualTo(perimeter * 9 / 10), $"output frame {k}: the face box outline");
            Assert.That(greenInScene, Is.LessThan(perimeter / 10), $"render {k} itself has no green outline");
            checkedFrames++;
        }
        Assert.That(checkedFrames, Is.GreaterThan(0), "no result arrived during the run, so no output frame could be checked");
    }

    /// <summary>
    /// --window on an Xvfb display (skipped where Xvfb is not installed): the sample runs as its own process, shows 6
    /// frames and holds the last; a real screenshot of the display (ffmpeg x11grab) shows that frame's render with the
    /// green face box where the scene put the face. The run must end with exit code 0 (validation on: no errors).
    /// </summary>
    [Test]
    public void WindowedRun_ScreenshotShowsTheFrameWithTheFaceBox()
    {
        _ = Ctx;
        const string xvfb = "/usr/bin/Xvfb";
        if (!File.Exists(xvfb)) Assert.Ignore("Xvfb is not installed (scripts/setup.sh installs it).");
        int display = Enumerable.Range(70, 60).First(n => !File.Exists($"/tmp/.X11-unix/X{n}") && !File.Exists($"/tmp/.X{n}-lock"));
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "gameembed-window");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        using var server = Process.Start(new ProcessStartInfo(xvfb) { ArgumentList = { $":{display}", "-screen", "0", "1024x768x24", "-nolisten", "tcp" },
                                                                      RedirectStandardError = true, RedirectStandardOutput = true })!;
        Process? game = null;
        try
        {
            var sw = Stopwatch.StartNew();
            while (!File.Exists($"/tmp/.X11-unix/X{display}") && sw.Elapsed.TotalSeconds < 10) Thread.Sleep(50);
            Assert.That(File.Exists($"/tmp/.X11-unix/X{display}"), $"Xvfb :{display} did not start");

            string dll = typeof(GameApp).Assembly.Location;
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { dll, "--window", "--frames", "6", "--hold", "4", "--size", $"{W}x{H}", "--device", GpuSetUp.DeviceChoice,
                                      "--no-hud", "--scene-output", Path.Combine(dir, "scene") })
                psi.ArgumentList.Add(a);
            if (GpuSetUp.Validation) psi.ArgumentList.Add("--validation");
            psi.Environment["DISPLAY"] = $":{display}";
            var log = new System.Text.StringBuilder();
            var holding = new ManualResetEventSlim();
            game = Process.Start(psi)!;
            game.OutputDataReceived += (_, e) => { if (e.Data == null) return; lock (log) log.AppendLine(e.Data); if (e.Data.StartsWith("holding")) holding.Set(); };
            game.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.AppendLine(e.Data); };
            game.BeginOutputReadLine();
            game.BeginErrorReadLine();
            bool held = holding.Wait(TimeSpan.FromSeconds(180));
            string Log() { lock (log) return log.ToString(); }
            Assert.That(held, $"the windowed run did not reach its last frame:\n{Log()}");
            Thread.Sleep(500);
            string shot = Path.Combine(dir, "screenshot.png");
            using (var grab = Process.Start(new ProcessStartInfo("ffmpeg")
                   {
                       ArgumentList = { "-hide_banner", "-loglevel", "error", "-y", "-f", "x11grab", "-draw_mouse", "0", "-video_size", $"{W}x{H}",
                                        "-i", $":{display}+0,0", "-frames:v", "1", shot },
                       RedirectStandardError = true,
                   })!)
            {
                string err = grab.StandardError.ReadToEnd();
                Assert.That(grab.WaitForExit(30_000) && grab.ExitCode == 0, $"ffmpeg x11grab failed: {err}");
            }
            Assert.That(game.WaitForExit(60_000), "the sample did not exit after holding its last frame");
            game.WaitForExit();
            TestContext.Progress.Write(Log());
            Assert.That(game.ExitCode, Is.EqualTo(0), $"exit code (1 = validation errors or a failure):\n{Log()}");

            // The screenshot: the window's content at the screen's top-left corner.
            var screen = LoadPng(shot);
            var scene = LoadPng(GameFrames.PngPath(Path.Combine(dir, "scene"), 5));
            var face = Scene.FaceBox(5, W, H);
            int minX = W, minY = H, maxX = -1, maxY = -1, greenCount = 0;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    int i = (y * W + x) * 4;
                    if (screen[i + 1] > 200 && screen[i] < 90 && screen[i + 2] < 90)
                    {
                        greenCount++;
                        minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
                    }
                }
            Assert.That(greenCount, Is.GreaterThan(100), $"no green face box on the screen (screenshot {shot})");
            var greenBox = new Box(minX, minY, maxX - minX + 1, maxY - minY + 1);
            TestContext.Progress.WriteLine($"green on screen: {greenCount} pixels in {greenBox}; the scene's face box ({face.X:0.0}, {face.Y:0.0}, {face.W:0.0}x{face.H:0.0}), IoU {Iou(greenBox, face):0.00}");
            Assert.That(Iou(greenBox, face), Is.GreaterThanOrEqualTo(0.5), $"the green box (and its label) on the screen against the scene's face box; screenshot {shot}");
            double sum = 0;
            int n = 0;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    if (x > face.X - 30 && x < face.X + face.W + 30 && y > face.Y - 30 && y < face.Y + face.H + 30) continue;
                    int i = (y * W + x) * 4;
                    for (int c = 0; c < 3; c++) sum += Math.Abs(screen[i + c] - scene[i + c]);
                    n += 3;
                }
            TestContext.Progress.WriteLine($"screen vs render of frame 5 away from the box: mean |diff| {sum / n:0.00}");
            Assert.That(sum / n, Is.LessThanOrEqualTo(2.0), $"the screen away from the box should show render 5; screenshot {shot}");
        }
        finally
        {
            if (game is { HasExited: false }) game.Kill();
            game?.Dispose();
            if (!server.HasExited) server.Kill();
            server.WaitForExit(5000);
        }
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
