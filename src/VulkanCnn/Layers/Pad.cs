// Padding of a tensor on either side of any axis (ONNX Pad: constant, edge, reflect, wrap; negative amounts crop).
// GPU side: shaders/pad.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>
/// Pads axis k with <c>Before[k]</c> values in front and <c>After[k]</c> behind (negative amounts crop). The arrays have one
/// entry per input axis. <see cref="ImagePad"/> builds the notes' (D, H, W) form for an image [1, D, H, W].
/// </summary>
public sealed record Pad(int[] Before, int[] After) : Layer
{
    public PaddingMode Mode { get; init; } = PaddingMode.Zero;
    public float Value { get; init; }

    /// <summary>Padding of the D, H and W axes of an image [N, D, H, W] (the batch axis is not padded).</summary>
    public static Pad ImagePad(int beforeD, int afterD, int beforeH, int afterH, int beforeW, int afterW, PaddingMode mode = PaddingMode.Zero, float value = 0) =>
        new(new[] { 0, beforeD, beforeH, beforeW }, new[] { 0, afterD, afterH, afterW }) { Mode = mode, Value = value };

    public override string TypeName => "Pad";
    public override string Describe() =>
        $"{Mode.ToString().ToLowerInvariant()}{(Mode == PaddingMode.Zero && Value != 0 ? $" {Value}" : "")} " + string.Join(" ", Before.Select((b, k) => $"{b},{After[k]}"));

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Pad", inputs, 1);
        var s = inputs[0];
        if (Before.Length != s.Rank || After.Length != s.Rank)
            throw new ArgumentException($"{node}: Pad has {Before.Length} before and {After.Length} after amounts for an input of rank {s.Rank} ({s}).");
        var o = new int[s.Rank];
        for (int k = 0; k < s.Rank; k++)
        {
            long d = (long)s[k] + Before[k] + After[k];
            if (d <= 0 || d > int.MaxValue)
                throw new ArgumentException($"{node}: Pad of axis {k} (size {s[k]}) by {Before[k]},{After[k]} leaves {d} values.");
            o[k] = (int)d;
            bool padded = Before[k] > 0 || After[k] > 0;
            if (Mode == PaddingMode.Reflect && padded && Math.Max(Before[k], After[k]) >= s[k])
                throw new ArgumentException($"{node}: reflect padding {Before[k]},{After[k]} of axis {k} must be smaller than its size {s[k]} (input {s}).");
        }
        return new TensorShape(o);
    }

    [PushConstants("pad")]
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Push
    {
        public int Count, Rank;
        public float Value;
        public int Pad0;
        public fixed int OutDims[8];
        public fixed int InDims[8];
        public fixed int Before[8];
    }

    internal override unsafe void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var o = io.OutputShape;
        // Leading axes without padding merge into one.
        int lead = 0;
        while (lead < s.Rank - 1 && Before[lead] == 0 && After[lead] == 0) lead++;
        var dims = new List<(int Out, int In, int Before)>();
        if (lead > 0) dims.Add((checked((int)s.Product(0, lead)), checked((int)s.Product(0, lead)), 0));
        for (int k = lead; k < s.Rank; k++) dims.Add((o[k], s[k], Before[k]));
        if (dims.Count == 0) dims.Add((1, 1, 0));
        var push = new Push { Count = checked((int)o.ElementCount), Rank = dims.Count, Value = Value };
        for (int k = 0; k < dims.Count; k++)
        {
            push.OutDims[k] = dims[k].Out;
            push.InDims[k] = dims[k].In;
            push.Before[k] = dims[k].Before;
        }
        var kernel = c.Kernel("pad", 2, (uint)sizeof(Push), (int)Mode);
        var (x, y) = LayerCompiler.Grid((o.ElementCount + 63) / 64);
        c.Dispatch(kernel, new[] { io.Inputs[0], io.Output }, push, x, y);
    }
}
