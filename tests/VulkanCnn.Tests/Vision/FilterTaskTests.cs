// FilterTask: Sobel strength of the luminance against a plain C# computation, on a photograph through the GPU
// pre-processor and on a known tensor; the mask drawn where the map reaches the threshold.
using VulkanCnn.Filters;
using VulkanCnn.Vision;

namespace VulkanCnn.Tests.Vision;

public class FilterTaskTests : GpuTest
{
    /// <summary>Sobel strength of 0.299 R + 0.587 G + 0.114 B of a 3×H×W tensor, replicate border, in double.</summary>
    private static float[] CpuSobel(float[] rgb, int w, int h)
    {
        int hw = w * h;
        var y = new double[hw];
        for (int i = 0; i < hw; i++) y[i] = 0.299 * rgb[i] + 0.587 * rgb[hw + i] + 0.114 * rgb[2 * hw + i];
        double Y(int px, int py) => y[Math.Clamp(py, 0, h - 1) * w + Math.Clamp(px, 0, w - 1)];
        var r = new float[hw];
        for (int py = 0; py < h; py++)
            for (int px = 0; px < w; px++)
            {
                double gx = Y(px + 1, py - 1) + 2 * Y(px + 1, py) + Y(px + 1, py + 1) - Y(px - 1, py - 1) - 2 * Y(px - 1, py) - Y(px - 1, py + 1);
                double gy = Y(px - 1, py + 1) + 2 * Y(px, py + 1) + Y(px + 1, py + 1) - Y(px - 1, py - 1) - 2 * Y(px, py - 1) - Y(px + 1, py - 1);
                r[py * w + px] = (float)Math.Sqrt(gx * gx + gy * gy);
            }
        return r;
    }

    [Test]
    public void SobelStrengthOfTheLuminanceEqualsTheCpu()
    {
        const int w = 37, h = 23;
        using var task = new FilterTask(Ctx, w, h);
        var rgb = TestData.Random(new Random(3), 3 * w * h, 0.5f).Select(v => v + 0.5f).ToArray();
        task.Session.SetInput(rgb);
        var result = task.Run(frameNumber: 2);
        var expected = CpuSobel(rgb, w, h);
        TestData.AssertClose(expected, task.Map.ToArray(), "Sobel strength of the luminance");
        Assert.That(result.Mask!.Values.ToArray(), Is.EqualTo(task.Map.ToArray()));
        Assert.That(result.Mask.Threshold, Is.EqualTo(0.5f));
        Assert.That(result.FrameNumber, Is.EqualTo(2));
    }

    [Test]
    public void PhotographThroughThePreprocessorHasEdgesWhereTheCpuFindsThem()
    {
        using var task = new FilterTask(Ctx, 128, 128, FilterKind.SobelMagnitude, 0.5f);
        var (rgba, w, h) = BlazeFaceTaskTests.LoadRgba("camera.png");
        var result = task.Run(rgba, w, h, PixelFormat.Rgba8);
        // The preprocessor's own tensor for the same frame, filtered in C#.
        using var pre = new FramePreprocessor(Ctx, w, h, PixelFormat.Rgba8, task.Input);
        pre.Process(rgba);
        var expected = CpuSobel(pre.ReadOutput(), 128, 128);
        TestData.AssertClose(expected, task.Map.ToArray(), "Sobel strength of camera.png at 128×128");
        int strong = expected.Count(v => v >= 0.5f);
        Assert.That(strong, Is.InRange(200, 128 * 128 / 2), "a photograph has some strong edges, not everywhere");
        var scene = new OverlayScene();
        task.Draw(result, scene);
        Assert.That(scene.Mask, Is.SameAs(result.Mask));
        TestContext.Out.WriteLine($"{strong} strong pixels; post-processing {task.LastPostprocessMilliseconds:0.00} ms");
    }
}
