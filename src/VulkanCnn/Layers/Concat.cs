// Channel concatenation. GPU side: shaders/copy_channels.comp, one copy per input.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>Concatenates inputs of equal H×W along channels.</summary>
public sealed record Concat : Layer
{
    public override string TypeName => "Concat";
    public override int InputCount => -1;

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        if (inputs.Count < 1) throw new ArgumentException($"{node}: Concat needs at least one input.");
        int c = 0;
        foreach (var s in inputs)
        {
            if (s.H != inputs[0].H || s.W != inputs[0].W)
                throw new ArgumentException($"{node}: Concat inputs must share H×W; got {string.Join(", ", inputs)} (W×H×D).");
            c += s.C;
        }
        return new Shape(c, inputs[0].H, inputs[0].W);
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int Count, DstOffset; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var kernel = c.Kernel("copy_channels", 2, (uint)Marshal.SizeOf<Push>());
        long offset = 0;
        for (int i = 0; i < io.Inputs.Length; i++)
        {
            long n = io.InputShapes[i].Size;
            var (x, y) = LayerCompiler.Grid((n + 255) / 256);
            c.Dispatch(kernel, new[] { io.Inputs[i], io.Output }, new Push { Count = (int)n, DstOffset = (int)offset }, x, y);
            offset += n;
        }
    }
}
