// Index arithmetic shared by the layer references: multi-index <-> flat offset, numpy broadcast sources, padding-mode
// border mapping, and the per-image / per-row views of a batch that the image layers' references are written on.
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Reference;

public static class TensorIndex
{
    /// <summary>The multi-index of flat element <paramref name="i"/> of <paramref name="s"/>.</summary>
    public static int[] Index(long i, TensorShape s)
    {
        var idx = new int[s.Rank];
        for (int k = s.Rank - 1; k >= 0; k--) { idx[k] = (int)(i % s[k]); i /= s[k]; }
        return idx;
    }

    /// <summary>The flat (row-major) offset of multi-index <paramref name="idx"/> in <paramref name="s"/>.</summary>
    public static long Flat(int[] idx, TensorShape s)
    {
        long f = 0;
        for (int k = 0; k < s.Rank; k++) f = f * s[k] + idx[k];
        return f;
    }

    /// <summary>The element of a tensor of shape <paramref name="t"/> that broadcasts to output index <paramref name="oi"/>.</summary>
    public static long BroadcastSource(int[] oi, TensorShape t, int outRank) =>
        Flat(Enumerable.Range(0, t.Rank).Select(k => t[k] == 1 ? 0 : oi[k + outRank - t.Rank]).ToArray(), t);

    /// <summary>An index outside [0, n) mapped back inside by a non-zero padding mode.</summary>
    public static int MapIndex(int i, int n, PaddingMode mode)
    {
        if (mode == PaddingMode.Replicate) return Math.Clamp(i, 0, n - 1);
        if (mode == PaddingMode.Wrap) return ((i % n) + n) % n;
        if (mode == PaddingMode.Reflect)
        {
            // Mirror about the border pixel without repeating it: -1 -> 1, n -> n-2.
            while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
            return i;
        }
        return i;
    }

    /// <summary>[N, C, H, W] (or [N, C, L] as H = 1) as N images (C, H, W).</summary>
    public static (int N, Shape S) Image(TensorShape t) =>
        t.Rank == 4 ? (t[0], new Shape(t[1], t[2], t[3])) : t.Rank == 3 ? (t[0], new Shape(t[1], 1, t[2])) : throw new ArgumentException($"not an image batch: {t}");

    /// <summary>[N, C, rest...] as N images (C, product of the rest, 1); rank 1 as one image of 1 channel.</summary>
    public static TensorShape ChannelView(TensorShape t) =>
        t.Rank >= 2 ? new TensorShape(t[0], t[1], (int)t.Product(2, t.Rank), 1) : new TensorShape(1, 1, t[0], 1);

    /// <summary>Applies a per-image reference to each batch item and concatenates the results.</summary>
    public static float[] PerImage(float[] x, TensorShape s, TensorShape o, Func<float[], Shape, Shape, float[]> f)
    {
        var (n, si) = Image(s);
        var (_, oi) = Image(o);
        var y = new float[o.ElementCount];
        for (int b = 0; b < n; b++)
            f(x.AsSpan((int)(b * si.Size), (int)si.Size).ToArray(), si, oi).CopyTo(y, b * oi.Size);
        return y;
    }

    /// <summary>Dense on [B, ...]: each batch item's values flattened.</summary>
    public static float[] PerRow(float[] x, TensorShape s, TensorShape o, Func<float[], float[]> f)
    {
        int b = s.Rank <= 1 ? 1 : s[0];
        int n = x.Length / b, k = (int)(o.ElementCount / b);
        var y = new float[o.ElementCount];
        for (int i = 0; i < b; i++) f(x.AsSpan(i * n, n).ToArray()).CopyTo(y, i * k);
        return y;
    }
}
