// The general data-movement kernel (shaders/strided_copy.comp): a strided view of one tensor copied into a strided
// view of another. Transpose, Slice, Expand, Concat, Split, DepthToSpace and SpaceToDepth emit through it.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

internal static class StridedCopy
{
    [PushConstants("strided_copy")]
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Push
    {
        public int Count, Rank, SrcBase, DstBase;
        public fixed int Dims[8];
        public fixed int SrcStride[8];
        public fixed int DstStride[8];
    }

    /// <summary>
    /// Emits the copy of the index space <paramref name="dims"/>: element (i0..in) is read at srcBase + Σ i·srcStride and
    /// written at dstBase + Σ i·dstStride (elements, not bytes). Axes of size 1 are dropped and neighbouring axes that are
    /// contiguous in both views merged, so the shader divides as little as possible.
    /// </summary>
    public static unsafe void Emit(LayerCompiler c, string node, BufferSlice src, BufferSlice dst, ReadOnlySpan<int> dims,
        ReadOnlySpan<long> srcStride, ReadOnlySpan<long> dstStride, long srcBase = 0, long dstBase = 0)
    {
        long count = 1;
        foreach (int n in dims) count *= n;
        if (count == 0) return;
        var (d, st) = StridedAxes.Merge(dims, srcStride.ToArray(), dstStride.ToArray());
        var (ss, ds) = (st[0], st[1]);
        if (d.Count > 8) throw new ArgumentException($"{node}: a copy over {d.Count} independent axes exceeds the kernel's 8.");
        if (count > int.MaxValue) throw new ArgumentException($"{node}: a copy of {count:N0} elements exceeds 2^31 − 1.");
        var push = new Push { Count = (int)count, Rank = d.Count, SrcBase = checked((int)srcBase), DstBase = checked((int)dstBase) };
        for (int k = 0; k < d.Count; k++)
        {
            push.Dims[k] = checked((int)d[k]);
            push.SrcStride[k] = checked((int)ss[k]);
            push.DstStride[k] = checked((int)ds[k]);
        }
        var kernel = c.Kernel("strided_copy", 2, (uint)sizeof(Push));
        var (x, y) = LayerCompiler.Grid((count + 63) / 64);
        c.Dispatch(kernel, new[] { src, dst }, push, x, y);
    }

    /// <summary>Row-major strides of <paramref name="s"/>.</summary>
    public static long[] Strides(TensorShape s) => s.Strides();
}
