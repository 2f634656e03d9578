// Gather along any axis (ONNX Gather): the second input holds the indices (integers as floats; a constant index tensor
// is a Constant node). GPU side: shaders/gather.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Output shape data[..axis) + indices + data(axis..]: element (o, j, i) is data[o, indices[j], i]. Negative
/// indices count from the end; indices outside the axis are clamped at run time.</summary>
public sealed record Gather(int Axis) : Layer
{
    public override string TypeName => "Gather";
    public override int InputCount => 2;
    public override string Describe() => $"axis {Axis}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Gather", inputs, 2);
        var (d, ix) = (inputs[0], inputs[1]);
        int axis = TensorShape.NormalizeAxis(Axis, d.Rank, $"{node}: Gather axis");
        var o = d.ToArray()[..axis].Concat(ix.ToArray()).Concat(d.ToArray()[(axis + 1)..]).ToArray();
        if (o.Length > TensorShape.MaxRank) throw new NotSupportedException($"{node}: Gather of {d} by indices {ix} gives rank {o.Length}, above {TensorShape.MaxRank}.");
        return new TensorShape(o);
    }

    [PushConstants("gather")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int Count, Inner, N, Axis; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var d = io.InputShapes[0];
        int axis = TensorShape.NormalizeAxis(Axis, d.Rank);
        var o = io.OutputShape;
        var k = c.Kernel("gather", 3, (uint)Marshal.SizeOf<Push>());
        var (x, y) = LayerCompiler.Grid((o.ElementCount + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Inputs[1], io.Output }, new Push
        {
            Count = checked((int)o.ElementCount), Inner = checked((int)d.Product(axis + 1, d.Rank)),
            N = checked((int)io.InputShapes[1].ElementCount), Axis = d[axis],
        }, x, y);
    }
}
