// Softmax and log-softmax over channels, at every pixel. GPU side: shaders/softmax.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>Softmax over the channel axis (class scores of a classifier, or per-pixel class maps).</summary>
public sealed record Softmax : Layer
{
    /// <summary>Log-softmax instead of softmax.</summary>
    public bool Log { get; init; }
    public override string TypeName => Log ? "LogSoftmax" : "Softmax";

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        CheckNotEmpty(node, inputs[0]);
        return inputs[0];
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, HW; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        int hw = s.H * s.W;
        var k = c.Kernel("softmax", 2, (uint)Marshal.SizeOf<Push>(), Log ? 1 : 0);
        var (x, y) = hw == 1 ? (1u, 1u) : LayerCompiler.Grid((hw + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push { C = s.C, HW = hw }, x, y);
    }
}
