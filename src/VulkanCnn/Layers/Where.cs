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

    /// <summary>The output's axes with each operand's broadcast strides, merged (see <see cref="StridedAxes"/>).</summary>
    private static (List<long> Dims, List<long>[] Strides) Merge(IReadOnlyList<TensorShape> ins, TensorShape o) =>
        StridedAxes.Merge(o.Dims, ins.Select(t => StridedAxes.BroadcastStrides(t, o)).ToArray());

    [PushConstants("where")]
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
            push.CStride[k] = checked((int)strides[0][k]);
            push.AStride[k] = checked((int)strides[1][k]);
            push.BStride[k] = checked((int)strides[2][k]);
        }
        var kernel = c.Kernel("where", 4, (uint)sizeof(Push));
        var (x, y) = LayerCompiler.Grid((io.OutputShape.ElementCount + 63) / 64);
        c.Dispatch(kernel, new[] { io.Inputs[0], io.Inputs[1], io.Inputs[2], io.Output }, push, x, y);
    }
}
