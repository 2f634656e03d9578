// Channels rearranged into blocks of pixels (ONNX DepthToSpace, DCR and CRD modes; sub-pixel upscaling), at any batch.
// GPU side: one rank-6 strided copy (shaders/strided_copy.comp).
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>[N, C·B², H, W] to [N, C, H·B, W·B]; the block's channels are ordered depth-column-row (DCR, default) or
/// column-row-depth (CRD).</summary>
public sealed record DepthToSpace(int BlockSize, bool Crd = false) : Layer
{
    public override string TypeName => "DepthToSpace";
    public override string Describe() => $"block {BlockSize} {(Crd ? "CRD" : "DCR")}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "DepthToSpace", inputs, 1);
        var (n, s) = ImageView(node, "DepthToSpace", inputs[0], allow1D: false);
        long b2 = (long)BlockSize * BlockSize;   // in 64 bits: 65536² wraps to 0 in 32
        if (BlockSize < 1 || s.C % b2 != 0)
            throw new ArgumentException($"{node}: DepthToSpace block size {BlockSize} needs a channel count divisible by {b2}; the input has {s.C}.");
        return TensorShape.Image(n, (int)(s.C / b2), checked(s.H * BlockSize), checked(s.W * BlockSize));
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        int n = s[0], ci = s[1], h = s[2], w = s[3], b = BlockSize, co = ci / (b * b);
        long hw = (long)h * w, ow = (long)w * b;
        // Index space (n, c, h, b1, w, b2) is the output in storage order.
        long[] dst = { (long)co * h * b * ow, (long)h * b * ow, b * ow, ow, b, 1 };
        long[] src = Crd
            ? new[] { ci * hw, (long)b * b * hw, w, b * hw, 1, hw }
            : new[] { ci * hw, hw, w, (long)b * co * hw, 1, co * hw };
        StridedCopy.Emit(c, io.Name, io.Inputs[0], io.Output, new[] { n, co, h, b, w, b }, src, dst);
    }
}
