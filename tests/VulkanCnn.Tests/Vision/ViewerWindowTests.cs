// The viewer's live window (--window) for real: the viewer runs as its own process on a private Xvfb display with the
// validation layer on, and a screenshot of the X display (ffmpeg x11grab) must show the photograph, the face box
// drawn by the overlay and the HUD; SIGTERM must end it cleanly (exit 0: no validation error, no leaked object).
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Samples.Viewer;

namespace VulkanCnn.Tests.Vision;

[NonParallelizable]
public class ViewerWindowTests
{
    // The hand-measured face (x 178..272, y 88..186 of the 512x512 photograph), in the 512x384 crop of rows 64..447.
    private const int FaceX = 178, FaceY = 88 - 64, FaceW = 94, FaceH = 98;
    private static Process? _xvfb;
    private static string _display = "";

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static string? OnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, exe)).FirstOrDefault(File.Exists);

    [OneTimeSetUp]
    public void StartXvfb()
    {
        var xvfb = OnPath("Xvfb");
        if (xvfb == null) Assert.Ignore("Xvfb is not installed (scripts/setup.sh installs it): the window test needs a virtual X display.");
        // A display number nobody uses: no socket and no lock file.
        int n = Enumerable.Range(90, 100).First(i => !File.Exists($"/tmp/.X11-unix/X{i}") && !File.Exists($"/tmp/.X{i}-lock"));
        _display = $":{n}";
        var psi = new ProcessStartInfo(xvfb) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { _display, "-screen", "0", "1024x768x24", "-nolisten", "tcp" }) psi.ArgumentList.Add(a);
        _xvfb = Process.Start(psi)!;
        _ = _xvfb.StandardError.ReadToEndAsync();
        _ = _xvfb.StandardOutput.ReadToEndAsync();
        var sw = Stopwatch.StartNew();
        while (!File.Exists($"/tmp/.X11-unix/X{n}"))
        {
            if (_xvfb.HasExited || sw.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"Xvfb {_display} did not start.");
            Thread.Sleep(50);
        }
    }

    [OneTimeTearDown]
    public void StopXvfb()
    {
        if (_xvfb is { HasExited: false })
        {
            Kill(_xvfb.Id, 15);
            if (!_xvfb.WaitForExit(5000)) _xvfb.Kill();
        }
        _xvfb?.Dispose();
    }

    /// <summary>Starts the viewer executable with <paramref name="args"/> on the test display (or none), collecting its output.</summary>
    private static (Process Process, StringBuilder Out, StringBuilder Err) StartViewer(bool display, params string[] args)
    {
        var exe = Path.Combine(TestContext.CurrentContext.TestDirectory, "VulkanCnn.Viewer");
        Assert.That(File.Exists(exe), $"{exe} is missing: the test project builds the viewer beside itself.");
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("WAYLAND_DISPLAY");
        if (display) psi.Environment["DISPLAY"] = _display; else psi.Environment.Remove("DISPLAY");
        psi.Environment["VULKANCNN_DEVICE"] = GpuSetUp.DeviceChoice;
        psi.Environment["VULKANCNN_VALIDATION"] = GpuSetUp.Validation ? "1" : "0";
        var p = Process.Start(psi)!;
        var o = new StringBuilder();
        var e = new StringBuilder();
        p.OutputDataReceived += (_, d) => { if (d.Data != null) lock (o) o.AppendLine(d.Data); };
        p.ErrorDataReceived += (_, d) => { if (d.Data != null) lock (e) e.AppendLine(d.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return (p, o, e);
    }

    private static string Log(StringBuilder o, StringBuilder e) { lock (o) lock (e) return $"stdout:\n{o}\nstderr:\n{e}"; }

    /// <summary>A real screenshot of the display's top-left w×h pixels.</summary>
    private static Image<Rgb24> Screenshot(int w, int h, string path)
    {
        var ffmpeg = OnPath("ffmpeg") ?? throw new AssertionException("ffmpeg is not installed (scripts/setup.sh installs it).");
        var psi = new ProcessStartInfo(ffmpeg) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-y", "-f", "x11grab", "-video_size", $"{w}x{h}", "-i", $"{_display}.0+0,0", "-frames:v", "1", path })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(30_000)) { p.Kill(); Assert.Fail("ffmpeg x11grab hung"); }
        Assert.That(p.ExitCode, Is.EqualTo(0), $"ffmpeg x11grab failed: {err.Result}");
        return Image.Load<Rgb24>(path);
    }

    /// <summary>Runs the viewer in a window on the photograph crop, waits for it to show, screenshots, ends it with SIGTERM.</summary>
    private static Image<Rgb24> RunAndShoot(string name, int shotW, int shotH, params string[] extra)
    {
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "viewer-window");
        Directory.CreateDirectory(dir);
        string crop = Path.Combine(dir, "astronaut-512x384.png");
        using (var img = Image.LoadPixelData<Rgba32>(TestFiles.AstronautRgba512x384(), TestFiles.AstronautCropW, TestFiles.AstronautCropH))
            img.SaveAsPng(crop);
        var (p, o, e) = StartViewer(true, new[] { "--source", crop, "--window", "--seconds", "300" }.Concat(extra).ToArray());
        using var _ = p;
        try
        {
            var sw = Stopwatch.StartNew();
            while (!Log(o, e).Contains("window: first frame presented"))
            {
                if (p.HasExited) Assert.Fail($"The viewer exited with {p.ExitCode} before showing a frame.\n{Log(o, e)}");
                if (sw.Elapsed > TimeSpan.FromSeconds(180)) Assert.Fail($"No frame presented within 180 s.\n{Log(o, e)}");
                Thread.Sleep(100);
            }
            Thread.Sleep(1000);   // the still frame is re-presented every 100 ms; let the X server show it
            string shot = Path.Combine(dir, name);
            var image = Screenshot(shotW, shotH, shot);
            TestContext.Out.WriteLine($"screenshot: {shot}");
            Assert.That(Kill(p.Id, 15), Is.EqualTo(0), "SIGTERM");
            if (!p.WaitForExit(60_000)) Assert.Fail($"The viewer did not end within 60 s of SIGTERM.\n{Log(o, e)}");
            p.WaitForExit();
            Assert.That(p.ExitCode, Is.EqualTo(0), $"exit code (3 = validation errors, leaks included)\n{Log(o, e)}");
            if (GpuSetUp.Validation) Assert.That(Log(o, e), Does.Contain("validation on"));
            TestContext.Out.WriteLine(Log(o, e));
            return image;
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
    }

    private static bool IsBoxGreen(Rgb24 c) => c.G >= 200 && c.R <= 80 && c.B <= 80;

    [Test]
    public void WindowShowsThePhotoWithTheFaceBoxAndHud()
    {
        using var shot = RunAndShoot("window.png", TestFiles.AstronautCropW, TestFiles.AstronautCropH);
        var photo = TestFiles.AstronautRgba512x384();
        int w = TestFiles.AstronautCropW, h = TestFiles.AstronautCropH;

        // The box: along each edge of the hand-measured face, most positions have box-green pixels within 12 pixels of
        // it (the detector's box is close to, not equal to, the hand-measured one). The photograph has no such green.
        const int slack = 12;
        int hits = 0, tries = 0;
        bool GreenNear(int x, int y, bool vertical)
        {
            for (int d = -slack; d <= slack; d++)
            {
                int xx = vertical ? x + d : x, yy = vertical ? y : y + d;
                if (xx >= 0 && yy >= 0 && xx < w && yy < h && IsBoxGreen(shot[xx, yy])) return true;
            }
            return false;
        }
        for (int x = FaceX + slack; x < FaceX + FaceW - slack; x++)
        {
            tries += 2;
            hits += (GreenNear(x, FaceY, false) ? 1 : 0) + (GreenNear(x, FaceY + FaceH, false) ? 1 : 0);
        }
        for (int y = FaceY + slack; y < FaceY + FaceH - slack; y++)
        {
            tries += 2;
            hits += (GreenNear(FaceX, y, true) ? 1 : 0) + (GreenNear(FaceX + FaceW, y, true) ? 1 : 0);
        }
        Assert.That(hits, Is.GreaterThan(tries * 9 / 10), $"{hits} of {tries} edge positions have the box's green nearby");
        int photoGreen = 0;
        for (int i = 0; i < w * h; i++) if (IsBoxGreen(new Rgb24(photo[4 * i], photo[4 * i + 1], photo[4 * i + 2]))) photoGreen++;
        Assert.That(photoGreen, Is.LessThan(20), "the photograph itself has (almost) no box green");

        // The HUD: at 512x384 its scale is 1, so the panel is 19 characters (6·19+1 = 115 pixels) by 7 lines (63 pixels)
        // at a 4-pixel margin. Every pixel in it is white text or the photograph under translucent black (alpha 176).
        int text = 0, shade = 0, other = 0;
        for (int y = 4; y < 4 + 63; y++)
            for (int x = 4; x < 4 + 115; x++)
            {
                var c = shot[x, y];
                int i = 4 * (y * w + x);
                static int Shaded(byte v) => (int)Math.Floor(v * (1 - 176 / 255.0) + 0.5);
                if (c.R == 255 && c.G == 255 && c.B == 255) text++;
                else if (Math.Abs(c.R - Shaded(photo[i])) <= 2 && Math.Abs(c.G - Shaded(photo[i + 1])) <= 2 && Math.Abs(c.B - Shaded(photo[i + 2])) <= 2) shade++;
                else other++;
            }
        Assert.That(other, Is.Zero, $"HUD panel: {text} text pixels, {shade} shaded photo pixels, {other} neither");
        Assert.That(text, Is.GreaterThan(115 * 63 / 10), "the HUD has text");
        Assert.That(shade, Is.GreaterThan(115 * 63 / 2), "the HUD's background shades the photograph");

        // The photograph everywhere else, pixel for pixel (same size: the blit copies without scaling).
        int same = 0, total = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool nearFace = x >= FaceX - 30 && x < FaceX + FaceW + 30 && y < FaceY + FaceH + 30;
                bool hud = x < 140 && y < 80;
                if (nearFace || hud) continue;
                var c = shot[x, y];
                int i = 4 * (y * w + x);
                total++;
                if (Math.Abs(c.R - photo[i]) <= 2 && Math.Abs(c.G - photo[i + 1]) <= 2 && Math.Abs(c.B - photo[i + 2]) <= 2) same++;
            }
        Assert.That(same, Is.GreaterThan(total * 99 / 100), $"{same} of {total} pixels away from the overlay equal the photograph");
    }

    [Test]
    public void WiderWindowLetterboxesTheFrameWithBlackBars()
    {
        // 768x288 holds the 512x384 frame scaled by 0.75 to 384x288, centred: black bars 192 pixels wide on each side.
        using var shot = RunAndShoot("letterbox.png", 768, 288, "--size", "768x288", "--no-hud");
        var photo = TestFiles.AstronautRgba512x384();
        int black = 0, bars = 0;
        for (int y = 0; y < 288; y += 3)
            for (int x = 0; x < 768; x += 3)
            {
                if (x >= 190 && x < 578) continue;
                bars++;
                var c = shot[x, y];
                if (c.R + c.G + c.B <= 3) black++;
            }
        Assert.That(black, Is.EqualTo(bars), "the bars are black");
        // Inside, the scaled photograph: compare a coarse grid against the source (bilinear scaling, so a loose bound).
        double diff = 0;
        int n = 0;
        for (int y = 20; y < 280; y += 8)
            for (int x = 200; x < 570; x += 8)
            {
                int sx = (int)((x - 192 + 0.5) / 0.75), sy = (int)((y + 0.5) / 0.75);
                if (sx >= FaceX - 20 && sx < FaceX + FaceW + 20 && sy < FaceY + FaceH + 20) continue;   // the box
                var c = shot[x, y];
                int i = 4 * (sy * TestFiles.AstronautCropW + sx);
                diff += (Math.Abs(c.R - photo[i]) + Math.Abs(c.G - photo[i + 1]) + Math.Abs(c.B - photo[i + 2])) / 3.0;
                n++;
            }
        Assert.That(diff / n, Is.LessThan(12), "mean difference between the letterboxed window and the scaled photograph");
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>Mean colour of the screenshot's rectangle.</summary>
    private static (double R, double G, double B) Mean(Image<Rgb24> img, int x0, int y0, int x1, int y1)
    {
        double r = 0, g = 0, b = 0;
        int n = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) { var c = img[x, y]; r += c.R; g += c.G; b += c.B; n++; }
        return (r / n, g / n, b / n);
    }

    [Test]
    public void PresenterShowsHostFramesAndRecreatesTheSwapchainOnResize()
    {
        // The shared sample code (samples/Common) in-process: window, own device with validation, presenter.
        SetEnv("DISPLAY", _display, 1);   // GLFW reads the native environment
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "viewer-window");
        Directory.CreateDirectory(dir);
        // Through the viewer's ViewerWindow: the samples/Common types are compiled into both sample assemblies the
        // tests reference, so the tests never name them.
        ViewerWindow? view = null;
        try
        {
            view = ViewerWindow.Open(320, 240, "presenter test", GpuSetUp.DeviceChoice, GpuSetUp.Validation);
            var window = view.Window;
            var host = view.Host;
            var ctx = view.Context;
            var presenter = view.Presenter;
            Assert.That(host.ValidationEnabled, Is.EqualTo(GpuSetUp.Validation));
            Assert.That(presenter.Extent, Is.EqualTo((320, 240)));
            Assert.That(presenter.Format, Is.AnyOf(Silk.NET.Vulkan.Format.B8G8R8A8Unorm, Silk.NET.Vulkan.Format.R8G8B8A8Unorm,
                                                    Silk.NET.Vulkan.Format.B8G8R8A8Srgb, Silk.NET.Vulkan.Format.R8G8B8A8Srgb));
            // Red left half, blue right half: a swapped R/B channel order would show at once.
            var frame = new byte[160 * 120 * 4];
            for (int i = 0; i < 160 * 120; i++)
                if (i % 160 < 80) { frame[4 * i] = 220; frame[4 * i + 3] = 255; } else { frame[4 * i + 2] = 220; frame[4 * i + 3] = 255; }
            for (int i = 0; i < 5; i++) { window.PollEvents(); Assert.That(presenter.Present(frame, 160, 120)); }
            ctx.WaitIdle();
            Thread.Sleep(300);
            using (var shot = Screenshot(320, 240, Path.Combine(dir, "presenter-320x240.png")))
            {
                var left = Mean(shot, 10, 10, 150, 230);
                var right = Mean(shot, 170, 10, 310, 230);
                Assert.That(left.R, Is.GreaterThan(200), $"left half {left}");
                Assert.That(left.B, Is.LessThan(20), $"left half {left}");
                Assert.That(right.B, Is.GreaterThan(200), $"right half {right}");
                Assert.That(right.R, Is.LessThan(20), $"right half {right}");
            }

            int before = presenter.Recreations;
            window.SetSize(480, 200);
            var sw = Stopwatch.StartNew();
            while (window.FramebufferSize != (480, 200) && sw.Elapsed < TimeSpan.FromSeconds(5)) { window.PollEvents(); Thread.Sleep(20); }
            Assert.That(window.FramebufferSize, Is.EqualTo((480, 200)), "the window was resized");
            for (int i = 0; i < 5; i++) { window.PollEvents(); Assert.That(presenter.Present(frame, 160, 120)); }
            ctx.WaitIdle();
            Assert.That(presenter.Extent, Is.EqualTo((480, 200)));
            Assert.That(presenter.Recreations, Is.GreaterThan(before), "the swapchain was recreated for the new size");
            Thread.Sleep(300);
            // 160x120 scaled by 200/120 is 267x200, centred: black bars of 107 pixels on each side.
            using (var shot = Screenshot(480, 200, Path.Combine(dir, "presenter-480x200.png")))
            {
                var bar = Mean(shot, 0, 0, 100, 200);
                var left = Mean(shot, 115, 10, 235, 190);
                var right = Mean(shot, 245, 10, 365, 190);
                Assert.That(bar.R + bar.G + bar.B, Is.LessThan(3), $"left bar {bar}");
                Assert.That((left.R > 200, right.B > 200), Is.EqualTo((true, true)), $"after resize: left {left}, right {right}");
            }
            Assert.That(presenter.FramesPresented, Is.EqualTo(10));

            // A VkImage the application rendered (here: cleared to green on the GPU), presented without a host copy.
            PresentClearedImage(view);
            Thread.Sleep(300);
            using (var shot = Screenshot(480, 200, Path.Combine(dir, "presenter-image.png")))
            {
                var inside = Mean(shot, 140, 20, 340, 180);   // 64x48 scaled by 200/48 to 267x200, centred
                Assert.That(inside.G > 200 && inside.R < 20 && inside.B < 20, $"presented image {inside}");
            }
        }
        finally
        {
            view?.Dispose();
        }
        Assert.That(view!.ValidationErrors, Is.Empty, "validation errors (leaks at vkDestroyDevice/vkDestroyInstance included):\n" + string.Join("\n", view.ValidationErrors.Take(5)));
    }

    /// <summary>
    /// Creates a 64x48 RGBA8 image, clears it to green on the GPU, presents it, and destroys it. (Null allocation
    /// callbacks and empty barrier lists go through Unsafe.NullRef: the test project compiles without /unsafe.)
    /// </summary>
    private static void PresentClearedImage(ViewerWindow view)
    {
        var (host, ctx, presenter) = (view.Host, view.Context, view.Presenter);
        var vk = host.Vk;
        var ici = new Silk.NET.Vulkan.ImageCreateInfo
        {
            SType = Silk.NET.Vulkan.StructureType.ImageCreateInfo, ImageType = Silk.NET.Vulkan.ImageType.Type2D,
            Format = Silk.NET.Vulkan.Format.R8G8B8A8Unorm, Extent = new Silk.NET.Vulkan.Extent3D(64, 48, 1), MipLevels = 1, ArrayLayers = 1,
            Samples = Silk.NET.Vulkan.SampleCountFlags.Count1Bit, Tiling = Silk.NET.Vulkan.ImageTiling.Optimal,
            Usage = Silk.NET.Vulkan.ImageUsageFlags.TransferSrcBit | Silk.NET.Vulkan.ImageUsageFlags.TransferDstBit,
        };
        ref var noAlloc = ref System.Runtime.CompilerServices.Unsafe.NullRef<Silk.NET.Vulkan.AllocationCallbacks>();
        Assert.That(vk.CreateImage(host.Device, in ici, in noAlloc, out var image), Is.EqualTo(Silk.NET.Vulkan.Result.Success));
        vk.GetImageMemoryRequirements(host.Device, image, out var req);
        vk.GetPhysicalDeviceMemoryProperties(host.PhysicalDevice, out var mem);
        uint type = 0;
        while ((req.MemoryTypeBits & (1u << (int)type)) == 0) type++;
        var ai = new Silk.NET.Vulkan.MemoryAllocateInfo { SType = Silk.NET.Vulkan.StructureType.MemoryAllocateInfo, AllocationSize = req.Size, MemoryTypeIndex = type };
        Assert.That(vk.AllocateMemory(host.Device, in ai, in noAlloc, out var memory), Is.EqualTo(Silk.NET.Vulkan.Result.Success));
        try
        {
            vk.BindImageMemory(host.Device, image, memory, 0);
            var range = new Silk.NET.Vulkan.ImageSubresourceRange(Silk.NET.Vulkan.ImageAspectFlags.ColorBit, 0, 1, 0, 1);
            ctx.RunOnce(cmd =>
            {
                var toDst = new Silk.NET.Vulkan.ImageMemoryBarrier
                {
                    SType = Silk.NET.Vulkan.StructureType.ImageMemoryBarrier, OldLayout = Silk.NET.Vulkan.ImageLayout.Undefined,
                    NewLayout = Silk.NET.Vulkan.ImageLayout.TransferDstOptimal, DstAccessMask = Silk.NET.Vulkan.AccessFlags.TransferWriteBit,
                    SrcQueueFamilyIndex = Silk.NET.Vulkan.Vk.QueueFamilyIgnored, DstQueueFamilyIndex = Silk.NET.Vulkan.Vk.QueueFamilyIgnored,
                    Image = image, SubresourceRange = range,
                };
                vk.CmdPipelineBarrier(cmd, Silk.NET.Vulkan.PipelineStageFlags.TopOfPipeBit, Silk.NET.Vulkan.PipelineStageFlags.TransferBit, 0,
                    0, in System.Runtime.CompilerServices.Unsafe.NullRef<Silk.NET.Vulkan.MemoryBarrier>(),
                    0, in System.Runtime.CompilerServices.Unsafe.NullRef<Silk.NET.Vulkan.BufferMemoryBarrier>(), 1, in toDst);
                var green = new Silk.NET.Vulkan.ClearColorValue(0f, 1f, 0f, 1f);
                vk.CmdClearColorImage(cmd, image, Silk.NET.Vulkan.ImageLayout.TransferDstOptimal, in green, 1, in range);
            });
            for (int i = 0; i < 3; i++)
                Assert.That(presenter.Present(image, Silk.NET.Vulkan.ImageLayout.TransferDstOptimal, 64, 48,
                                              Silk.NET.Vulkan.PipelineStageFlags.TransferBit, Silk.NET.Vulkan.AccessFlags.TransferWriteBit));
            ctx.WaitIdle();
        }
        finally
        {
            vk.DeviceWaitIdle(host.Device);
            vk.DestroyImage(host.Device, image, in System.Runtime.CompilerServices.Unsafe.NullRef<Silk.NET.Vulkan.AllocationCallbacks>());
            vk.FreeMemory(host.Device, memory, in System.Runtime.CompilerServices.Unsafe.NullRef<Silk.NET.Vulkan.AllocationCallbacks>());
        }
    }

    [Test]
    public void NoDisplayGivesAClearErrorSuggestingHeadlessOutput()
    {
        var (p, o, e) = StartViewer(false, "--source", "testsrc", "--window", "--frames", "1");
        using var _ = p;
        if (!p.WaitForExit(60_000)) { p.Kill(); Assert.Fail("hung without a display"); }
        p.WaitForExit();
        string log = Log(o, e);
        Assert.That(p.ExitCode, Is.EqualTo(1), log);
        Assert.That(log, Does.Contain("DISPLAY").And.Contain("--output"));
        Assert.That(log, Does.Not.Contain("   at "), "no stack trace");
    }
}
