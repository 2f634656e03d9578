// Pool2d and GlobalPool2d on the GPU against the C# reference: max and average, non-square windows, strides, per-side
// padding, floor and ceil mode, count_include_pad; global pooling over maps larger than one workgroup.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

public class Pool2dTests : GpuTest
{
    [Test]
    public void MatchesReferenceOnRandomConfigurations([Range(0, 31)] int seed)
    {
        var rng = new Random(2000 + seed);
        var kind = seed % 2 == 0 ? PoolKind.Max : PoolKind.Average;
        var rounding = seed % 4 < 2 ? Rounding.Floor : Rounding.Ceil;
        bool includePad = seed % 8 >= 4;
        int kh = rng.Next(1, 6), kw = rng.Next(1, 6);
        int sh = rng.Next(1, 4), sw = rng.Next(1, 4);
        // Padding must be smaller than the window on each side.
        int pt = rng.Next(0, Math.Min(kh, 3)), pb = rng.Next(0, Math.Min(kh, 3));
        int pl = rng.Next(0, Math.Min(kw, 3)), pr = rng.Next(0, Math.Min(kw, 3));
        int c = rng.Next(1, 6), h = rng.Next(kh, 20), w = rng.Next(kw, 22);
        var pool = new Pool2d
        {
            Kind = kind, KernelH = kh, KernelW = kw, StrideH = sh, StrideW = sw, PadTop = pt, PadLeft = pl, PadBottom = pb, PadRight = pr,
            Rounding = rounding, CountIncludePad = includePad,
        };
        CheckLayer(pool, new[] { new Shape(c, h, w) }, rng,
            $"seed {seed}: {kind} {kw}x{kh} stride {sw}x{sh} pad t{pt} l{pl} b{pb} r{pr} {rounding} countIncludePad={includePad}");
    }

    [Test]
    public void MaxPoolOfNegativeValuesIsNotClampedToZero()
    {
        // All inputs in [-11, -9]: a max initialised with 0, or padding read as 0, would show.
        var rng = new Random(7);
        var s = new Shape(3, 9, 8);
        var x = TestData.Random(rng, s.Size).Select(v => v - 10).ToArray();
        var pool = new Pool2d { Kind = PoolKind.Max, KernelH = 3, KernelW = 3, StrideH = 2, StrideW = 2, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1, Rounding = Rounding.Ceil };
        CheckLayer(pool, new[] { s }, rng, "max 3x3/2 p1 ceil on negative values", inputs: new[] { x });
    }

    [Test]
    public void CeilModeWithCountIncludePadMatchesHandComputedValues()
    {
        // AvgPool 3x3/2 p1 ceil_mode on a 6x6 map of ones: (6 + 2 − 3)/2 + 1 = 3.5 rounds up to 4 outputs per axis. The
        // first window covers 2x2 real cells of a 3x3 padded window (4/9 with count_include_pad, 1 without); the last
        // starts at row 5: one real row, one padding row, one row past the padded input, which never counts (1/4).
        var b = new NetworkBuilder();
        b.Input(1, 6, 6).AvgPool(3, 2, 1, Rounding.Ceil, countIncludePad: true, name: "pool").Output();
        var net = b.Build();
        Assert.That(net.Nodes[^1].OutputShape, Is.EqualTo(new Shape(1, 4, 4)));
        var y = RunGpu(net, Enumerable.Repeat(1f, 36).ToArray())[0];
        Assert.That(y[0], Is.EqualTo(4f / 9).Within(1e-6), "corner window");
        Assert.That(y[1], Is.EqualTo(6f / 9).Within(1e-6), "top edge window");
        Assert.That(y[5], Is.EqualTo(1f).Within(1e-6), "interior window");
        Assert.That(y[15], Is.EqualTo(1f / 4).Within(1e-6), "last (ceil) window");

        var b2 = new NetworkBuilder();
        b2.Input(1, 6, 6).AvgPool(3, 2, 1, Rounding.Ceil, countIncludePad: false, name: "pool").Output();
        var y2 = RunGpu(b2.Build(), Enumerable.Repeat(1f, 36).ToArray())[0];
        Assert.That(y2, Is.All.EqualTo(1f).Within(1e-6), "without count_include_pad every window averages ones");
    }

    [Test]
    public void OutputSizeFollowsTheNotesAndRounding()
    {
        var s = new TensorShape[] { new Shape(64, 112, 112) };
        var p = new Pool2d { Kind = PoolKind.Max, KernelH = 3, KernelW = 3, StrideH = 2, StrideW = 2, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1, Rounding = Rounding.Floor };
        Assert.That(p.OutputShape(s, "p"), Is.EqualTo(new Shape(64, 56, 56)));
        // 224x224x64 with 2x2/2 gives 112x112x64 (the notes' example).
        var q = new Pool2d { Kind = PoolKind.Max, KernelH = 2, KernelW = 2, StrideH = 2, StrideW = 2 };
        Assert.That(q.OutputShape(new TensorShape[] { new Shape(64, 224, 224) }, "q"), Is.EqualTo(new Shape(64, 112, 112)));
        var e = Assert.Throws<ArgumentException>(() => (q with { PadTop = 2 }).OutputShape(s, "badpool"))!;
        Assert.That(e.Message, Does.Contain("badpool").And.Contain("padding"));
        var e2 = Assert.Throws<ArgumentException>(() => new Pool2d { Kind = PoolKind.Max, KernelH = 3, KernelW = 3, StrideH = 2, StrideW = 2 }
            .OutputShape(new TensorShape[] { new Shape(1, 8, 8) }, "exactpool"))!;
        Assert.That(e2.Message, Does.Contain("exactpool").And.Contain("3.5"));
    }

    [Test]
    public void GlobalPoolingMatchesReference(
        [Values(PoolKind.Average, PoolKind.Max)] PoolKind kind,
        [Values(1, 7, 64, 65, 143, 323, 1000)] int hw)
    {
        // H×W up to several workgroups wide and not a multiple of 64 (the reduction width).
        var rng = new Random(hw * 3 + (int)kind);
        int h = hw switch { 143 => 11, 323 => 17, 1000 => 25, 64 => 8, _ => 1 };
        int w = hw / h;
        var s = new Shape(5, h, w);
        // Max over values shifted below zero, so that a zero-initialised maximum would be wrong.
        var x = TestData.Random(rng, s.Size).Select(v => kind == PoolKind.Max ? v - 3 : v + 0.25f).ToArray();
        CheckLayer(new GlobalPool2d { Kind = kind }, new[] { s }, rng, $"global {kind} over {w}x{h}", inputs: new[] { x });
    }
}

/// <summary>Max and average pooling over each window, image by image.</summary>
internal sealed class Pool2dReference : LayerReference<Pool2d>
{
    public override float[] Compute(Pool2d p, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], s[0], o, (xi, si, oi) => Pool(p, xi, si, oi));

    public static float[] Pool(Pool2d p, float[] x, Shape s, Shape o)
    {
        var y = new float[o.Size];
        for (int c = 0; c < o.C; c++)
            for (int oy = 0; oy < o.H; oy++)
                for (int ox = 0; ox < o.W; ox++)
                {
                    double sum = 0, max = double.NegativeInfinity;
                    int n = 0, cells = 0;
                    for (int ky = 0; ky < p.KernelH; ky++)
                        for (int kx = 0; kx < p.KernelW; kx++)
                        {
                            int iy = oy * p.StrideH - p.PadTop + ky, ix = ox * p.StrideW - p.PadLeft + kx;
                            // Cells inside the padded input count for count_include_pad; cells past it never do.
                            if (iy < s.H + p.PadBottom && ix < s.W + p.PadRight) cells++;
                            if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) continue;
                            double v = x[(c * s.H + iy) * s.W + ix];
                            sum += v; max = Math.Max(max, v); n++;
                        }
                    y[(c * o.H + oy) * o.W + ox] = p.Kind == PoolKind.Max ? (float)max : (float)(sum / (p.CountIncludePad ? cells : n));
                }
        return y;
    }
}

/// <summary>Global max and average pooling per channel, image by image.</summary>
internal sealed class GlobalPool2dReference : LayerReference<GlobalPool2d>
{
    public override float[] Compute(GlobalPool2d g, float[][] x, TensorShape[] s, TensorShape o) =>
        PerImage(x[0], s[0], o, (xi, si, _) => GlobalPool(g, xi, si));

    public static float[] GlobalPool(GlobalPool2d g, float[] x, Shape s)
    {
        int hw = s.H * s.W;
        var y = new float[s.C];
        for (int c = 0; c < s.C; c++)
        {
            var seg = x.AsSpan(c * hw, hw).ToArray();
            y[c] = g.Kind == PoolKind.Max ? seg.Max() : (float)(seg.Sum(v => (double)v) / hw);
        }
        return y;
    }
}
