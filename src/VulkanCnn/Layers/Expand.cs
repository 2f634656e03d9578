// Expand (numpy broadcast of one tensor to a larger shape) and Tile (repetition along each axis): both are strided
// copies whose repeated axes read with stride 0 (shaders/strided_copy.comp), so nothing but the output is written.
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>ONNX Expand: the input broadcast (numpy rules, aligned at the last axis) against <see cref="Shape"/>; the
/// output is the broadcast of both shapes.</summary>
public sealed record Expand(TensorShape Shape) : Layer
{
    public override string TypeName => "Expand";
    public override string Describe() => $"to {Shape}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Expand", inputs, 1);
        return Binary.BroadcastShape(inputs[0], Shape) ??
               throw new ArgumentException($"{node}: Expand cannot broadcast {inputs[0]} to {Shape}: aligned at the last axis, each dimension must be equal or 1 in one of them.");
    }

    /// <summary>A target whose leading axis is the old batch, on an input of the new batch, follows the batch.</summary>
    internal override Layer ForBatch(int from, int to, IReadOnlyList<TensorShape> newInputs) =>
        Shape.Rank > 0 && Shape.Rank >= newInputs[0].Rank && Shape[0] == from && newInputs[0].Rank == Shape.Rank && newInputs[0][0] == to
            ? this with { Shape = Shape.With(0, to) } : this;

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var o = io.OutputShape;
        StridedCopy.Emit(c, io.Name, io.Inputs[0], io.Output, o.Dims, StridedAxes.BroadcastStrides(io.InputShapes[0], o), o.Strides());
    }
}

/// <summary>ONNX Tile: axis k repeated <c>Repeats[k]</c> times (the whole axis, not each element).</summary>
public sealed record Tile(int[] Repeats) : Layer
{
    public override string TypeName => "Tile";
    public override string Describe() => "repeats " + string.Join(",", Repeats);

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Tile", inputs, 1);
        var s = inputs[0];
        if (Repeats.Length != s.Rank || Repeats.Any(r => r < 1))
            throw new ArgumentException($"{node}: Tile repeats ({string.Join(",", Repeats)}) must be one positive count per axis of {s}.");
        return new TensorShape(Enumerable.Range(0, s.Rank).Select(k => checked(s[k] * Repeats[k])).ToArray());
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        // Index space (r0, d0, r1, d1, ...): the output in storage order; the repeat axes read with stride 0.
        var s = io.InputShapes[0];
        var own = s.Strides();
        var dims = new int[2 * s.Rank];
        var src = new long[2 * s.Rank];
        for (int k = 0; k < s.Rank; k++)
        {
            dims[2 * k] = Repeats[k]; dims[2 * k + 1] = s[k];
            src[2 * k] = 0; src[2 * k + 1] = own[k];
        }
        // Size-1 axes drop out and contiguous ones merge in StridedCopy, so ranks up to 8 fit its 8 index axes.
        StridedCopy.Emit(c, io.Name, io.Inputs[0], io.Output, dims, src, LongStrides(dims));
    }

    private static long[] LongStrides(int[] dims)
    {
        var st = new long[dims.Length];
        long acc = 1;
        for (int i = dims.Length - 1; i >= 0; i--) { st[i] = acc; acc *= dims[i]; }
        return st;
    }
}
