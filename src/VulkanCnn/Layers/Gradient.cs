// Gradient strength and direction from pairs of derivative channels (Sobel fx, fy). GPU side: shaders/gradient.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>What <see cref="Gradient"/> computes from a derivative pair (fx, fy).</summary>
public enum GradientMode
{
    /// <summary>Gradient strength s = sqrt(fx² + fy²).</summary>
    Magnitude = 0,
    /// <summary>Gradient direction θ = atan2(fy, fx) in (−π, π] radians; 0 where fx = fy = 0, π where fy = 0 and fx &lt; 0.</summary>
    Direction = 1,
}

/// <summary>
/// Combines derivative channels pairwise: the input has 2·C channels ordered fx₀, fy₀, fx₁, fy₁, … (what a depthwise
/// convolution with two filters per channel produces); the output has C channels, one strength or direction each.
/// </summary>
public sealed record Gradient(GradientMode Mode) : Layer
{
    [PushConstants("gradient")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int Count, HW; }

    public override string TypeName => Mode == GradientMode.Magnitude ? "GradientMagnitude" : "GradientDirection";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        var (n, s) = ImageView(node, TypeName, inputs[0], allow1D: false);
        CheckNotEmpty(node, s);
        if (!Enum.IsDefined(Mode))
            throw new ArgumentException($"{node}: gradient mode {(int)Mode} is not defined; use Magnitude or Direction.");
        if (s.C % 2 != 0)
            throw new ArgumentException($"{node}: {TypeName} needs an even number of input channels (fx, fy pairs), got {s.C}.");
        return TensorShape.Image(n, s.C / 2, s.H, s.W);
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => 2 * output.ElementCount;

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var o = io.OutputShape;
        var kernel = c.Kernel("gradient", 2, (uint)Marshal.SizeOf<Push>(), (int)Mode);
        // Output plane p reads input planes 2p and 2p + 1 at any batch: (n·D/2 + c)·2 = n·D + 2c.
        var (x, y) = LayerCompiler.Grid((o.ElementCount + 63) / 64);
        c.Dispatch(kernel, new[] { io.Inputs[0], io.Output }, new Push { Count = checked((int)o.ElementCount), HW = o[2] * o[3] }, x, y);
    }
}
