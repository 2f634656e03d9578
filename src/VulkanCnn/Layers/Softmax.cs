// Softmax and log-softmax along any axis. GPU side: shaders/softmax.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Softmax along <see cref="Axis"/> (default 1: the channels of [N, C, H, W] or the classes of [N, K]; −1: the
/// last axis, as attention and CTC heads use it).</summary>
public sealed record Softmax : Layer
{
    /// <summary>Log-softmax instead of softmax.</summary>
    public bool Log { get; init; }
    /// <summary>The axis the values are normalised along (negative counts from the end).</summary>
    public int Axis { get; init; } = 1;
    public override string TypeName => Log ? "LogSoftmax" : "Softmax";
    public override string Describe() => Axis == 1 ? "" : $"axis {Axis}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        CheckNotEmpty(node, inputs[0]);
        TensorShape.NormalizeAxis(Axis, inputs[0].Rank, $"{node}: {TypeName} axis");
        return inputs[0];
    }

    [PushConstants("softmax")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, Inner, Count; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        int axis = TensorShape.NormalizeAxis(Axis, s.Rank);
        long outer = s.Product(0, axis), inner = s.Product(axis + 1, s.Rank);
        var k = c.Kernel("softmax", 2, (uint)Marshal.SizeOf<Push>(), Log ? 1 : 0);
        long count = inner == 1 ? outer : outer * inner;
        var (x, y) = LayerCompiler.Grid(inner == 1 ? outer : (count + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push { C = s[axis], Inner = checked((int)inner), Count = checked((int)count) }, x, y);
    }
}
