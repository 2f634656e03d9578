// Channels rearranged into blocks of pixels (ONNX DepthToSpace, DCR and CRD modes; sub-pixel upscaling).
// GPU side: shaders/depth_to_space.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>
/// (C·B², H, W) → (C, H·B, W·B). Output (c, h, w) reads channel ((h%B)·B + w%B)·C + c (DCR, depth-column-row, the
/// default) or c·B² + (h%B)·B + w%B (CRD, PyTorch's PixelShuffle) at pixel (h/B, w/B).
/// </summary>
public sealed record DepthToSpace(int BlockSize, bool Crd = false) : Layer
{
    public override string TypeName => "DepthToSpace";
    public override string Describe() => $"block {BlockSize} {(Crd ? "CRD" : "DCR")}";

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "DepthToSpace", inputs, 1);
        var s = inputs[0];
        int b2 = BlockSize * BlockSize;
        if (BlockSize < 1 || s.C % b2 != 0)
            throw new ArgumentException($"{node}: DepthToSpace block size {BlockSize} needs a channel count divisible by {b2}; the input has {s.C}.");
        return new Shape(s.C / b2, s.H * BlockSize, s.W * BlockSize);
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, H, W, B, Count; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var o = io.OutputShape;
        var k = c.Kernel("depth_to_space", 2, (uint)Marshal.SizeOf<Push>(), Crd ? 1 : 0);
        var (x, y) = LayerCompiler.Grid((o.Size + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push { C = o.C, H = s.H, W = s.W, B = BlockSize, Count = checked((int)o.Size) }, x, y);
    }
}
