// The base of all layer descriptions: immutable records that know their output shape, parameter count and cost,
// and how to emit their GPU dispatches.
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>An immutable description of one operation of a network. The GPU work behind it is internal.</summary>
public abstract record Layer
{
    /// <summary>Short type name as printed by `vcnn info` (Conv, MaxPool, ...).</summary>
    public abstract string TypeName { get; }

    /// <summary>Number of inputs the layer takes (-1: one or more).</summary>
    public virtual int InputCount => 1;

    /// <summary>Learned parameters (weights and biases; batch norm: scale and shift, as PyTorch counts them).</summary>
    public virtual long ParameterCount => 0;

    /// <summary>Computes the output shape; throws <see cref="ArgumentException"/> naming <paramref name="node"/> and the numbers when the
    /// inputs do not fit, and <see cref="NotSupportedException"/> when they are valid but beyond the engine (a batch above
    /// 65,535 for one dispatch dimension, a broadcast over more independent axes than the kernel takes).</summary>
    public abstract TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node);

    /// <summary>Multiply-adds for one inference.</summary>
    public virtual long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => 0;

    /// <summary>True when the output is the input reinterpreted (flatten, identity): no GPU work, no memory.</summary>
    internal virtual bool IsAlias => false;

    /// <summary>
    /// The same layer for another batch size, where one of its settings holds the batch (a Reshape's or Expand's target
    /// shape): <paramref name="from"/> is the batch the layer was made for, <paramref name="newInputs"/> the input shapes
    /// at the new batch. Layers whose settings do not depend on the batch return themselves.
    /// </summary>
    internal virtual Layer ForBatch(int from, int to, IReadOnlyList<TensorShape> newInputs) => this;

    /// <summary>
    /// <paramref name="target"/> with its leading axis rescaled from batch <paramref name="from"/> to <paramref name="to"/>
    /// so that it holds <paramref name="elements"/> values, or null where the leading axis is not a whole number of batches.
    /// </summary>
    internal static TensorShape? RescaleLeading(TensorShape target, int from, int to, long elements)
    {
        if (target.Rank == 0 || target[0] % from != 0) return null;
        long lead = (long)target[0] / from * to;
        var scaled = lead > int.MaxValue ? (TensorShape?)null : target.With(0, (int)lead);
        return scaled is TensorShape t && t.ElementCount == elements ? t : null;
    }

    /// <summary>Temporary device memory the layer needs while it runs (shared by all layers of a session).</summary>
    internal virtual ulong ScratchBytes(LayerCompiler c, IReadOnlyList<TensorShape> inputs, TensorShape output) => 0;

    /// <summary>Emits the dispatches that compute the node's output from its inputs.</summary>
    internal abstract void Compile(LayerCompiler c, NodeIO io);

    /// <summary>Describes extra settings for `vcnn info` (kernel size, stride...).</summary>
    public virtual string Describe() => "";

    // Helpers shared by the layer files.
    internal static void CheckLength(string node, string what, int actual, long expected)
    {
        if (actual != expected)
            throw new ArgumentException($"{node}: {what} has {actual} values, expected {expected}.");
    }

    internal static void CheckInputCount(string node, string type, IReadOnlyList<TensorShape> inputs, int expected)
    {
        if (inputs.Count != expected)
            throw new ArgumentException($"{node}: {type} takes {expected} input(s), got {inputs.Count}.");
    }

    internal static void CheckNotEmpty(string node, Shape s)
    {
        if (s.C <= 0 || s.H <= 0 || s.W <= 0)
            throw new ArgumentException($"{node}: input shape {s} (W×H×D) is empty.");
    }

    internal static void CheckNotEmpty(string node, TensorShape s)
    {
        if (s.ElementCount == 0)
            throw new ArgumentException($"{node}: input shape {s} is empty.");
    }

    /// <summary>
    /// An image layer's view of a tensor: [N, C, H, W], or [N, C, L] for 1-D layers (read as H = 1). Other ranks are
    /// refused naming the layer and the shape.
    /// </summary>
    internal static (int N, Shape Image) ImageView(string node, string layer, TensorShape t, bool allow1D = true)
    {
        if (t.Rank == 4) return (t[0], new Shape(t[1], t[2], t[3]));
        if (t.Rank == 3 && allow1D) return (t[0], new Shape(t[1], 1, t[2]));
        if (t.Rank == 5)
            throw new ArgumentException($"{node}: {layer} of a rank-5 input {t} (3-D) is not supported; {layer} takes [N,C,H,W]{(allow1D ? " or [N,C,L]" : "")}.");
        throw new ArgumentException($"{node}: {layer} takes an image batch [N,C,H,W]{(allow1D ? " or a sequence batch [N,C,L]" : "")}; got {t} (rank {t.Rank}).");
    }

    /// <summary>The image layer's output at the input's rank: [N, C, H, W], or [N, C, W] for a rank-3 input.</summary>
    internal static TensorShape ImageTensor(int n, Shape s, int rank) =>
        rank == 3 ? new TensorShape(n, s.C, s.W) : new TensorShape(n, s.C, s.H, s.W);

    /// <summary>The batch size of an image tensor (its first dimension).</summary>
    internal static int Batch(TensorShape t) => t.Rank >= 3 ? t[0] : 1;

    /// <summary>The notes' formula (W − F + 2P)/S + 1 with per-side padding and dilation, checked for fit.</summary>
    internal static int SlideOutput(string node, string layer, string axis, int input, int filter, int padBefore, int padAfter, int stride, int dilation, Rounding rounding)
    {
        int effective = dilation * (filter - 1) + 1;
        int span = input + padBefore + padAfter - effective;
        if (span < 0)
            throw new ArgumentException($"{node}: {layer} filter {filter} (dilation {dilation}, effective {effective}) is larger than the padded input {axis} {input}+{padBefore}+{padAfter}.");
        if (span % stride != 0 && rounding == Rounding.Exact)
        {
            double exact = (double)span / stride + 1;
            throw new ArgumentException(
                $"{node}: {layer} stride does not fit the input {axis}: (N − F + 2P)/S + 1 = ({input} − {effective} + {padBefore + padAfter})/{stride} + 1 = {exact:0.##} is not an integer. " +
                "Change padding or stride, or choose Rounding.Floor or Rounding.Ceil explicitly.");
        }
        int o = span / stride + 1;
        if (rounding == Rounding.Ceil && span % stride != 0)
        {
            o++;
            // The last window must start inside the input or the leading padding (PyTorch/ONNX ceil_mode rule).
            if ((o - 1) * stride >= input + padBefore) o--;
        }
        return o;
    }
}
