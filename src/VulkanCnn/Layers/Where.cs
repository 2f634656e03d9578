// Where(condition, x, y): element-wise choice with numpy broadcasting of all three inputs (masks are 0/1 floats).
// GPU side: shaders/where.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>x where the condition (input 0) is non-zero, else y; the three shapes broadcast as numpy's.</summary>
public sealed record Where : Layer
{
    public override string TypeName => "Where";
    public override int InputCount => 3;

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Where", inputs, 3);
        var o = Binary.BroadcastShape(inputs[0], inputs[1]) is { } t ? Binary.BroadcastShape(t, inputs[2]) : null;
        if (o == null)
            throw new ArgumentException($"{node}: Where cannot broadcast {inputs[0]}, {inputs[1]} and {inputs[2]}: aligned at the last axis, each dimension must be equal or 1.");
        if (Merge(inputs, o.Value).Dims.Count > 4)
            throw new NotSupportedException($"{node}: Where of {inputs[0]}, {inputs[1]}, {inputs[2]} broadcasts along more than 4 independent axes; the kernel takes 4.");
        return o.Value;
    }

    /// <summary>The output's axes with each operand's strides (0 where it broadcasts), size-1 axes dropped and axes that
    /// broadcast alike in every operand merged.</summary>
    private static (List<long> Dims, List<long[]> Strides) Merge(IReadOnlyList<TensorShape> ins, TensorShape o)
    {
        int r = o.Rank;
        var st = ins.Select(t =>
        {
            var own = t.Strides();
            return Enumerable.Range(0, r).Select(k => { int j = k - (r - t.Rank); return j < 0 || t[j] == 1 ? 0L : own[j]; }).ToArray();
        }).ToArray();
        var dims = new List<long>();
        var strides = new List<long[]>();
        for (int k = 0; k < r; k++)
        {
            if (o[k] == 1) continue;
            int last = dims.Count - 1;
            if (last >= 0 && Enumerable.Range(0, 3).All(q => strides[last][q] == st[q][k] * o[k]))
            {
                dims[last] *= o[k];
                strides[last] = Enumerable.Range(0, 3).Select(q => st[q][k]).ToArray();
            }
            else { dims.Add(o[k]); strides.Add(Enumerable.Range(0, 3).Select(q => st[q][k]).ToArray()); }
        }
        if (dims.Count == 0) { dims.Add(1); strides.Add(new long[3]); }
        return (dims, strides);
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Push
    {
        public int Count, Rank, Pad0, Pad1;
        public fixed int Dims[4];
        public fixed int CStride[4];
        public fixed int AStride[4];
        public fixed int BStride[4];
    }

    internal override unsafe void Compile(LayerCompiler c, NodeIO io)
    {
        var (dims, strides) = Merge(io.InputShapes, io.OutputShape);
        var push = new Push { Count = checked((int)io.OutputShape.ElementCount), Rank = dims.Count };
        for (int k = 0; k < dims.Count; k++)
        {
            push.Dims[k] = checked((int)dims[k]);
            push.CStride[k] = checked((int)strides[k][0]);
            push.AStride[k] = checked((int)strides[k][1]);
            push.BStride[k] = checked((int)strides[k][2]);
        }
        var kernel = c.Kernel("where", 4, (uint)sizeof(Push));
        var (x, y) = LayerCompiler.Grid((io.OutputShape.ElementCount + 63) / 64);
        c.Dispatch(kernel, new[] { io.Inputs[0], io.Inputs[1], io.Inputs[2], io.Output }, push, x, y);
    }
}
