// Activation memory planning: tensors whose lifetimes do not overlap share bytes of one allocation.
namespace VulkanCnn.Graph;

internal static class MemoryPlanner
{
    /// <summary>A tensor to place: its size and the first and last step (node index) at which it is alive.</summary>
    public readonly record struct Item(ulong Size, int First, int Last);

    /// <summary>
    /// Greedy best-fit by decreasing size: each tensor goes to the lowest offset that no overlapping-in-time tensor
    /// already occupies. Returns the offsets and the total size. Offsets are multiples of <paramref name="align"/>.
    /// </summary>
    public static (ulong[] Offsets, ulong Total) Plan(IReadOnlyList<Item> items, ulong align)
    {
        var order = Enumerable.Range(0, items.Count).OrderByDescending(i => items[i].Size).ThenBy(i => items[i].First).ToArray();
        var offsets = new ulong[items.Count];
        var placed = new List<int>();
        ulong total = 0;
        foreach (int i in order)
        {
            var it = items[i];
            ulong size = (it.Size + align - 1) / align * align;
            var busy = placed.Where(j => items[j].First <= it.Last && it.First <= items[j].Last)
                             .Select(j => (Start: offsets[j], End: offsets[j] + (items[j].Size + align - 1) / align * align))
                             .OrderBy(r => r.Start).ToList();
            ulong candidate = 0;
            foreach (var r in busy)
            {
                if (candidate + size <= r.Start) break;
                candidate = Math.Max(candidate, r.End);
            }
            offsets[i] = candidate;
            total = Math.Max(total, candidate + size);
            placed.Add(i);
        }
        return (offsets, total);
    }
}
