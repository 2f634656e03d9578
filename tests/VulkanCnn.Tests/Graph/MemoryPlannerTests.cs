// The activation memory planner: tensors alive at the same time never share bytes, tensors that are not may, and
// every offset respects the alignment. A randomized property test checks the first and last on many plans.
using VulkanCnn.Graph;
using Item = VulkanCnn.Graph.MemoryPlanner.Item;

namespace VulkanCnn.Tests.Graph;

public class MemoryPlannerTests
{
    private static ulong Aligned(ulong size, ulong align) => (size + align - 1) / align * align;

    /// <summary>The property every plan must have, checked pairwise from the definition.</summary>
    private static void AssertValid(IReadOnlyList<Item> items, ulong[] offsets, ulong total, ulong align, string what)
    {
        Assert.That(offsets.Length, Is.EqualTo(items.Count), what);
        for (int i = 0; i < items.Count; i++)
        {
            Assert.That(offsets[i] % align, Is.EqualTo(0UL), $"{what}: item {i} offset {offsets[i]} not aligned to {align}");
            Assert.That(offsets[i] + items[i].Size, Is.LessThanOrEqualTo(total), $"{what}: item {i} ends past the total {total}");
            for (int j = i + 1; j < items.Count; j++)
            {
                bool timeOverlap = items[i].First <= items[j].Last && items[j].First <= items[i].Last;
                bool memOverlap = offsets[i] < offsets[j] + items[j].Size && offsets[j] < offsets[i] + items[i].Size;
                if (timeOverlap && memOverlap)
                    Assert.Fail($"{what}: items {i} {items[i]} at {offsets[i]} and {j} {items[j]} at {offsets[j]} are alive together and share bytes");
            }
        }
    }

    [Test]
    public void DisjointLifetimesShareMemory()
    {
        // A chain a → b → c: a and c are never alive together, so c can reuse a's bytes.
        var items = new[] { new Item(1000, 0, 1), new Item(1000, 1, 2), new Item(1000, 2, 3) };
        var (offsets, total) = MemoryPlanner.Plan(items, 256);
        AssertValid(items, offsets, total, 256, "chain");
        Assert.That(offsets[2], Is.EqualTo(offsets[0]), "a and c share an offset");
        Assert.That(offsets[1], Is.Not.EqualTo(offsets[0]));
        Assert.That(total, Is.EqualTo(2 * Aligned(1000, 256)));
    }

    [Test]
    public void OverlappingLifetimesNeverOverlapInBytes()
    {
        var items = new[] { new Item(100, 0, 5), new Item(300, 1, 3), new Item(17, 2, 4), new Item(64, 3, 3) };
        var (offsets, total) = MemoryPlanner.Plan(items, 64);
        AssertValid(items, offsets, total, 64, "all overlapping");
        Assert.That(total, Is.EqualTo(Aligned(100, 64) + Aligned(300, 64) + Aligned(17, 64) + Aligned(64, 64)));
    }

    [Test]
    public void AlignmentIsRespected([Values(16UL, 64UL, 256UL)] ulong align)
    {
        var items = new[] { new Item(4, 0, 2), new Item(20, 0, 2), new Item(36, 1, 1), new Item(4, 2, 3) };
        var (offsets, total) = MemoryPlanner.Plan(items, align);
        AssertValid(items, offsets, total, align, $"align {align}");
    }

    [Test]
    public void RandomPlansAreValid([Range(0, 199)] int seed)
    {
        var rng = new Random(seed);
        int n = rng.Next(1, 40);
        int steps = rng.Next(1, 30);
        var items = new Item[n];
        for (int i = 0; i < n; i++)
        {
            int first = rng.Next(0, steps), last = rng.Next(first, Math.Min(steps, first + rng.Next(1, 10)));
            items[i] = new Item((ulong)rng.Next(1, 5000) * (seed % 3 == 0 ? 4UL : 1UL), first, last);
        }
        ulong align = new[] { 4UL, 16UL, 64UL, 256UL }[seed % 4];
        var (offsets, total) = MemoryPlanner.Plan(items, align);
        AssertValid(items, offsets, total, align, $"seed {seed}, {n} items, align {align}");
        // Never worse than giving every tensor its own bytes, never better than the busiest step needs.
        ulong sumAll = items.Aggregate(0UL, (s, it) => s + Aligned(it.Size, align));
        ulong peak = Enumerable.Range(0, steps).Max(t => items.Where(it => it.First <= t && t <= it.Last).Aggregate(0UL, (s, it) => s + it.Size));
        Assert.That(total, Is.LessThanOrEqualTo(sumAll));
        Assert.That(total, Is.GreaterThanOrEqualTo(peak));
    }
}
