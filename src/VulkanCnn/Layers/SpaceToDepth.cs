// Blocks of pixels rearranged into channels (ONNX SpaceToDepth; YOLO's reorg / Focus). GPU side: shaders/space_to_depth.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>(C, H, W) → (C·B², H/B, W/B): output channel (bh·B + bw)·C + c at (h, w) is input (c, h·B + bh, w·B + bw).</summary>
public sealed record SpaceToDepth(int BlockSize) : Layer
{
    public override string TypeName => "SpaceToDepth";
    public override string Describe() => $"block {BlockSize}";

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "SpaceToDepth", inputs, 1);
        var s = inputs[0];
        if (BlockSize < 1 || s.H % BlockSize != 0 || s.W % BlockSize != 0)
            throw new ArgumentException($"{node}: SpaceToDepth block size {BlockSize} must divide the input's height and width ({s}, W×H×D).");
        return new Shape(s.C * BlockSize * BlockSize, s.H / BlockSize, s.W / BlockSize);
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, OH, OW, B, Count; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var o = io.OutputShape;
        var k = c.Kernel("space_to_depth", 2, (uint)Marshal.SizeOf<Push>());
        var (x, y) = LayerCompiler.Grid((o.Size + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push { C = s.C, OH = o.H, OW = o.W, B = BlockSize, Count = checked((int)o.Size) }, x, y);
    }
}
