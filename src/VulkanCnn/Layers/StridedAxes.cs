// The index-space arithmetic shared by the general kernels (strided copy, broadcasting binary operators, Where): an
// index space read through one set of strides per operand, with size-1 axes dropped and neighbouring axes merged where
// every operand walks them contiguously, so the shaders divide as little as possible.
namespace VulkanCnn.Layers;

internal static class StridedAxes
{
    /// <summary>
    /// Merges <paramref name="dims"/> (read through each operand's <paramref name="strides"/>): returns the remaining
    /// dimensions and, per operand, their strides (at least one axis, of size 1 when everything merged away).
    /// </summary>
    public static (List<long> Dims, List<long>[] Strides) Merge(ReadOnlySpan<int> dims, params long[][] strides)
    {
        var d = new List<long>();
        var st = strides.Select(_ => new List<long>()).ToArray();
        for (int k = 0; k < dims.Length; k++)
        {
            if (dims[k] == 1) continue;
            int last = d.Count - 1;
            bool contiguous = last >= 0;
            for (int q = 0; q < strides.Length && contiguous; q++) contiguous = st[q][last] == strides[q][k] * dims[k];
            if (contiguous)
            {
                d[last] *= dims[k];
                for (int q = 0; q < strides.Length; q++) st[q][last] = strides[q][k];
            }
            else
            {
                d.Add(dims[k]);
                for (int q = 0; q < strides.Length; q++) st[q].Add(strides[q][k]);
            }
        }
        if (d.Count == 0)
        {
            d.Add(1);
            foreach (var s in st) s.Add(0);
        }
        return (d, st);
    }

    /// <summary>The strides with which <paramref name="t"/> broadcasts (numpy rules, aligned at the last axis) over the
    /// output <paramref name="o"/>: its own strides, 0 along the axes it lacks or has as 1.</summary>
    public static long[] BroadcastStrides(TensorShape t, TensorShape o)
    {
        var own = t.Strides();
        var st = new long[o.Rank];
        for (int k = 0; k < o.Rank; k++)
        {
            int j = k - (o.Rank - t.Rank);
            st[k] = j < 0 || t[j] == 1 ? 0 : own[j];
        }
        return st;
    }
}
