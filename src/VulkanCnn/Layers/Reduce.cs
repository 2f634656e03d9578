// Reductions over any set of axes of a tensor of any rank (ONNX ReduceSum, ReduceMean, ReduceMax, ReduceMin,
// ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare). GPU side: shaders/reduce.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>What a <see cref="Reduce"/> layer computes over its axes.</summary>
public enum ReduceKind { Sum = 0, Mean = 1, Max = 2, Min = 3, Prod = 4, L1 = 5, L2 = 6, SumSquare = 7 }

/// <summary>Reduces the input over <see cref="Axes"/> (negative count from the end; empty: all axes). With
/// <see cref="KeepDims"/> the reduced axes stay as size 1, else they are removed.</summary>
public sealed record Reduce(ReduceKind Kind, int[] Axes) : Layer
{
    public bool KeepDims { get; init; } = true;
    public override string TypeName => "Reduce" + Kind;
    public override string Describe() => "axes " + (Axes.Length == 0 ? "all" : string.Join(",", Axes)) + (KeepDims ? "" : " squeezed");

    private bool[] Mask(TensorShape s, string node)
    {
        var m = new bool[s.Rank];
        if (Axes.Length == 0) Array.Fill(m, true);
        foreach (int a in Axes)
        {
            int k = TensorShape.NormalizeAxis(a, s.Rank, $"{node}: {TypeName} axis");
            if (m[k] && Axes.Length > 0 && Axes.Count(x => TensorShape.NormalizeAxis(x, s.Rank) == k) > 1)
                throw new ArgumentException($"{node}: {TypeName} names axis {k} twice ({string.Join(",", Axes)}).");
            m[k] = true;
        }
        return m;
    }

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        var s = inputs[0];
        CheckNotEmpty(node, s);
        var m = Mask(s, node);
        var d = new List<int>();
        for (int k = 0; k < s.Rank; k++)
            if (!m[k]) d.Add(s[k]);
            else if (KeepDims) d.Add(1);
        return new TensorShape(d.ToArray());
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => inputs[0].ElementCount;

    [PushConstants("reduce")]
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Push
    {
        public int Count, N, Nk, Nr;
        public fixed int KDims[4];
        public fixed int KStride[4];
        public fixed int RDims[4];
        public fixed int RStride[4];
    }

    internal override unsafe void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var m = Mask(s, io.Name);
        var st = s.Strides();
        // Groups of neighbouring axes of the same kind (size-1 axes dropped), each with its innermost stride.
        var kept = new List<(long D, long S)>(); var red = new List<(long D, long S)>();
        int lastKind = -1;
        for (int k = 0; k < s.Rank; k++)
        {
            if (s[k] == 1) continue;
            var list = m[k] ? red : kept;
            int kind = m[k] ? 1 : 0;
            if (kind == lastKind) list[^1] = (list[^1].D * s[k], st[k]);
            else list.Add((s[k], st[k]));
            lastKind = kind;
        }
        if (kept.Count > 4 || red.Count > 4)
            throw new NotSupportedException($"{io.Name}: {TypeName} over axes {string.Join(",", Axes)} of {s} alternates kept and reduced axes more than 4 times.");
        long n = red.Aggregate(1L, (a, g) => a * g.D);
        var push = new Push { Count = checked((int)io.OutputShape.ElementCount), N = checked((int)n), Nk = kept.Count, Nr = red.Count };
        for (int g = 0; g < kept.Count; g++) { push.KDims[g] = (int)kept[g].D; push.KStride[g] = checked((int)kept[g].S); }
        for (int g = 0; g < red.Count; g++) { push.RDims[g] = (int)red[g].D; push.RStride[g] = checked((int)red[g].S); }
        var k2 = c.Kernel("reduce", 2, (uint)sizeof(Push), (int)Kind);
        var (x, y) = LayerCompiler.Grid(io.OutputShape.ElementCount);   // one workgroup per output element
        c.Dispatch(k2, new[] { io.Inputs[0], io.Output }, push, x, y);
    }
}
