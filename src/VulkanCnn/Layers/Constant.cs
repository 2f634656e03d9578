// A constant tensor as a network value (the bias or scale operand of an imported Add/Mul, a constant input of a
// Concat). GPU side: shaders/copy_channels.comp copies the uploaded values into the node's activation buffer.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>A node whose output is fixed values of the given shape (row-major).</summary>
public sealed record Constant(TensorShape Shape, float[] Values) : Layer
{
    public override string TypeName => "Constant";
    public override int InputCount => 0;

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, "Constant", inputs, 0);
        if (Shape.ElementCount == 0)
            throw new ArgumentException($"{node}: constant shape {Shape} is empty.");
        CheckLength(node, $"Constant of shape {Shape}", Values.Length, Shape.ElementCount);
        return Shape;
    }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        // copy_channels reads whole vec4s: pad the upload to a multiple of four floats.
        var padded = new float[(Values.Length + 3) / 4 * 4];
        Values.CopyTo(padded, 0);
        var src = c.Upload(padded, io.Name + " values");
        var kernel = c.Kernel("copy_channels", 2, (uint)Marshal.SizeOf<Concat.Push>());
        var (x, y) = LayerCompiler.Grid((Values.Length + 255) / 256);
        c.Dispatch(kernel, new[] { src, io.Output }, new Concat.Push { Count = Values.Length, DstOffset = 0 }, x, y);
    }
}
