// Axis permutation of a tensor of any rank (ONNX Transpose). A permutation that only moves axes of size 1 renames
// them and costs nothing; any other is one strided copy (shaders/strided_copy.comp).
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Output axis k is input axis <c>Perm[k]</c>; for example (0, 2, 3, 1) turns [N, C, H, W] into [N, H, W, C].</summary>
public sealed record Transpose(params int[] Perm) : Layer
{
    public override string TypeName => "Transpose";
    public override string Describe() => "perm " + string.Join(",", Perm);

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Transpose", inputs, 1);
        var s = inputs[0];
        if (Perm.Length != s.Rank || !Perm.OrderBy(v => v).SequenceEqual(Enumerable.Range(0, s.Rank)))
            throw new ArgumentException($"{node}: Transpose permutation ({string.Join(",", Perm)}) is not a permutation of the {s.Rank} axes of {s}.");
        return new TensorShape(Perm.Select(p => s[p]).ToArray());
    }

    /// <summary>True when the axes larger than 1 keep their order: the values do not move.</summary>
    internal bool Renames(TensorShape s) => IsRenaming(Perm, s);

    internal static bool IsRenaming(int[] perm, TensorShape s)
    {
        int last = -1;
        foreach (int p in perm)
        {
            if (s[p] == 1) continue;
            if (p < last) return false;
            last = p;
        }
        return true;
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var st = s.Strides();
        var o = io.OutputShape;
        StridedCopy.Emit(c, io.Name, io.Inputs[0], io.Output, o.Dims, Perm.Select(p => st[p]).ToArray(), o.Strides());
    }
}
