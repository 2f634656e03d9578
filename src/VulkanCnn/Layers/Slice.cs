// A strided box of a tensor of any rank (ONNX Slice on run-time tensors with steps of either sign, each output of Split,
// Gather of a constant index). GPU side: one strided copy (shaders/strided_copy.comp).
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>
/// Along every axis k, <c>Counts[k]</c> elements from <c>Starts[k]</c> in steps of <c>Steps[k]</c> (negative steps walk
/// backwards). The arrays have one entry per input axis; the output has the input's rank with dimensions <c>Counts</c>.
/// </summary>
public sealed record Slice(int[] Starts, int[] Steps, int[] Counts) : Layer
{
    public override string TypeName => "Slice";
    public override string Describe() => $"from {string.Join(",", Starts)} step {string.Join(",", Steps)} count {string.Join(",", Counts)}";

    /// <summary>The whole of <paramref name="shape"/> except <paramref name="count"/> elements of <paramref name="axis"/> from
    /// <paramref name="start"/> in steps of <paramref name="step"/>.</summary>
    public static Slice Along(TensorShape shape, int axis, int start, int count, int step = 1)
    {
        var starts = new int[shape.Rank]; var steps = Enumerable.Repeat(1, shape.Rank).ToArray(); var counts = shape.ToArray();
        starts[axis] = start; steps[axis] = step; counts[axis] = count;
        return new Slice(starts, steps, counts);
    }

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Slice", inputs, 1);
        var s = inputs[0];
        if (Starts.Length != s.Rank || Steps.Length != s.Rank || Counts.Length != s.Rank)
            throw new ArgumentException($"{node}: Slice has {Starts.Length} starts, {Steps.Length} steps and {Counts.Length} counts for an input of rank {s.Rank} ({s}).");
        for (int a = 0; a < s.Rank; a++)
        {
            long last = Starts[a] + (long)(Counts[a] - 1) * Steps[a];
            if (Steps[a] == 0 || Counts[a] <= 0 || Starts[a] < 0 || Starts[a] >= s[a] || last < 0 || last >= s[a])
                throw new ArgumentException($"{node}: Slice of axis {a} (size {s[a]}) from {Starts[a]} step {Steps[a]} count {Counts[a]} leaves the tensor or is empty.");
        }
        return new TensorShape(Counts);
    }

    /// <summary>A slice that takes the whole batch axis (forwards or backwards) takes the whole new one: an axis whose
    /// count was the old batch and whose input now has the new batch.</summary>
    internal override Layer ForBatch(int from, int to, IReadOnlyList<TensorShape> newInputs)
    {
        var s = newInputs[0];
        if (s.Rank != Counts.Length) return this;
        int[]? starts = null, counts = null;
        for (int a = 0; a < s.Rank; a++)
        {
            bool whole = Counts[a] == from && (Steps[a] == 1 && Starts[a] == 0 || Steps[a] == -1 && Starts[a] == from - 1);
            if (!whole || s[a] != to) continue;
            starts ??= (int[])Starts.Clone();
            counts ??= (int[])Counts.Clone();
            counts[a] = to;
            starts[a] = Steps[a] == 1 ? 0 : to - 1;
        }
        return counts == null ? this : new Slice(starts!, Steps, counts);
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var st = io.InputShapes[0].Strides();
        long baseIndex = 0;
        var src = new long[st.Length];
        for (int a = 0; a < st.Length; a++) { baseIndex += Starts[a] * st[a]; src[a] = Steps[a] * st[a]; }
        StridedCopy.Emit(c, io.Name, io.Inputs[0], io.Output, Counts, src, io.OutputShape.Strides(), baseIndex);
    }
}
