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

    /// <summary>
    /// Plans a network's activations: aliases (flatten, reshape) share their source's bytes; inputs live for the whole
    /// run (they stay intact across runs) and outputs to its end. Returns per node the node owning its bytes, the
    /// owners with their items and offsets, and the total bytes (the peak activation memory).
    /// </summary>
    public static (int[] Root, int[] Owners, Item[] Items, ulong[] Offsets, ulong Total) PlanNetwork(Network net, ulong align)
    {
        var nodes = net.Nodes;
        int n = nodes.Count;
        var root = new int[n];
        for (int i = 0; i < n; i++) root[i] = nodes[i].Layer.IsAlias ? root[nodes[i].Inputs[0]] : i;
        var first = new int[n];
        var last = new int[n];
        for (int i = 0; i < n; i++) { first[i] = i; last[i] = i; }
        for (int i = 0; i < n; i++)
            foreach (var x in nodes[i].Inputs) last[root[x]] = Math.Max(last[root[x]], i);
        foreach (var i in net.InputIds) { first[root[i]] = 0; last[root[i]] = n; }
        foreach (var i in net.OutputIds) last[root[i]] = n;
        var owners = Enumerable.Range(0, n).Where(i => root[i] == i).ToArray();
        var items = owners.Select(i => new Item((ulong)nodes[i].OutputShape.ElementCount * 4, first[i], last[i])).ToArray();
        var (offsets, total) = Plan(items, align);
        return (root, owners, items, offsets, total);
    }
}
