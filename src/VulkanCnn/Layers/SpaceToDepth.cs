// Blocks of pixels rearranged into channels (ONNX SpaceToDepth; YOLO's reorg / Focus), at any batch.
// GPU side: one rank-6 strided copy (shaders/strided_copy.comp).
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>[N, C, H, W] to [N, C·B², H/B, W/B]; output channel (b1·B + b2)·C + c holds pixel (b1, b2) of each block.</summary>
public sealed record SpaceToDepth(int BlockSize) : Layer
{
    public override string TypeName => "SpaceToDepth";
    public override string Describe() => $"block {BlockSize}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "SpaceToDepth", inputs, 1);
        var (n, s) = ImageView(node, "SpaceToDepth", inputs[0], allow1D: false);
        if (BlockSize < 1 || s.H % BlockSize != 0 || s.W % BlockSize != 0)
            throw new ArgumentException($"{node}: SpaceToDepth block size {BlockSize} must divide the input's height and width ({s}, W×H×D).");
        return TensorShape.Image(n, checked(s.C * BlockSize * BlockSize), s.H / BlockSize, s.W / BlockSize);
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        int n = s[0], ci = s[1], h = s[2], w = s[3], b = BlockSize, oh = h / b, ow = w / b;
        long ohw = (long)oh * ow, hw = (long)h * w;
        // Index space (n, b1, b2, c, oh, ow) is the output in storage order.
        long[] dst = { (long)ci * b * b * ohw, (long)b * ci * ohw, ci * ohw, ohw, ow, 1 };
        long[] src = { ci * hw, w, 1, hw, (long)b * w, b };
        StridedCopy.Emit(c, io.Name, io.Inputs[0], io.Output, new[] { n, b, b, ci, oh, ow }, src, dst);
    }
}
