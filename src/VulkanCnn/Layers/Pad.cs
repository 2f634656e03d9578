// Padding of a (D,H,W) tensor on any side of any axis (ONNX Pad: constant, edge, reflect; negative amounts crop).
// GPU side: shaders/pad.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>
/// Adds <c>Before</c>/<c>After</c> elements to each axis (D, H, W); negative amounts remove elements. New elements are
/// <see cref="Value"/> (<see cref="PaddingMode.Zero"/>), a copy of the border (<see cref="PaddingMode.Replicate"/>) or
/// its mirror image without the border element (<see cref="PaddingMode.Reflect"/>). A zero pad of H and W feeding a
/// convolution is folded into the convolution's own padding when a session compiles the network.
/// </summary>
public sealed record Pad : Layer
{
    public int BeforeD { get; init; }
    public int AfterD { get; init; }
    public int BeforeH { get; init; }
    public int AfterH { get; init; }
    public int BeforeW { get; init; }
    public int AfterW { get; init; }
    public PaddingMode Mode { get; init; } = PaddingMode.Zero;
    public float Value { get; init; }

    public override string TypeName => "Pad";
    public override string Describe() =>
        $"{Mode.ToString().ToLowerInvariant()}{(Mode == PaddingMode.Zero && Value != 0 ? $" {Value}" : "")} w{BeforeW},{AfterW} h{BeforeH},{AfterH} d{BeforeD},{AfterD}";

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "Pad", inputs, 1);
        var s = inputs[0];
        var o = new Shape(s.C + BeforeD + AfterD, s.H + BeforeH + AfterH, s.W + BeforeW + AfterW);
        CheckNotEmpty(node, o);
        if (Mode == PaddingMode.Reflect && (Math.Max(BeforeD, AfterD) >= s.C && (BeforeD | AfterD) != 0 || Math.Max(BeforeH, AfterH) >= s.H && (BeforeH | AfterH) != 0 ||
                                            Math.Max(BeforeW, AfterW) >= s.W && (BeforeW | AfterW) != 0))
            throw new ArgumentException($"{node}: reflect padding (W {BeforeW},{AfterW}, H {BeforeH},{AfterH}, D {BeforeD},{AfterD}) must be smaller than the input {s} (W×H×D) on each padded axis.");
        return o;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int D, H, W, OH, OW, BD, BH, BW, Count; public float Value; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var o = io.OutputShape;
        var k = c.Kernel("pad", 2, (uint)Marshal.SizeOf<Push>(), (int)Mode);
        var (x, y) = LayerCompiler.Grid((o.Size + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push
        {
            D = s.C, H = s.H, W = s.W, OH = o.H, OW = o.W, BD = BeforeD, BH = BeforeH, BW = BeforeW, Count = checked((int)o.Size), Value = Value,
        }, x, y);
    }
}
