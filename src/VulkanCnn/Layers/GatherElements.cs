// GatherElements along any axis (ONNX GatherElements; detectors' per-box picks): the output has the indices' shape.
// GPU side: shaders/gather_elements.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Output element i reads the data at i's coordinates with the one along <see cref="Axis"/> replaced by
/// indices[i]. Data and indices have the same rank; off the axis the indices' dimensions are at most the data's.</summary>
public sealed record GatherElements(int Axis) : Layer
{
    public override string TypeName => "GatherElements";
    public override int InputCount => 2;
    public override string Describe() => $"axis {Axis}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "GatherElements", inputs, 2);
        var (d, ix) = (inputs[0], inputs[1]);
        int axis = TensorShape.NormalizeAxis(Axis, d.Rank, $"{node}: GatherElements axis");
        if (ix.Rank != d.Rank)
            throw new ArgumentException($"{node}: GatherElements needs indices of the data's rank; got data {d} and indices {ix}.");
        for (int a = 0; a < d.Rank; a++)
            if (a != axis && ix[a] > d[a])
                throw new ArgumentException($"{node}: GatherElements indices {ix} exceed the data {d} along axis {a}.");
        return ix;
    }

    [PushConstants("gather_elements")]
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Push
    {
        public int Count, Rank, Axis, AxisSize;
        public fixed int Dims[8];
        public fixed int DStride[8];
    }

    internal override unsafe void Compile(LayerCompiler c, NodeIO io)
    {
        var d = io.InputShapes[0];
        var o = io.OutputShape;
        int axis = TensorShape.NormalizeAxis(Axis, d.Rank);
        var st = d.Strides();
        var push = new Push { Count = checked((int)o.ElementCount), Rank = o.Rank, Axis = axis, AxisSize = d[axis] };
        for (int a = 0; a < o.Rank; a++) { push.Dims[a] = o[a]; push.DStride[a] = checked((int)st[a]); }
        var k = c.Kernel("gather_elements", 3, (uint)sizeof(Push));
        var (x, y) = LayerCompiler.Grid((o.ElementCount + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Inputs[1], io.Output }, push, x, y);
    }
}
