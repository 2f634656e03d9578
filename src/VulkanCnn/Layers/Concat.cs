// Concatenation along channels (shaders/copy_channels.comp, a contiguous copy per input) or along height or width
// (shaders/copy_region.comp).
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>The axis of a concatenation.</summary>
public enum ConcatAxis { Channels, Height, Width }

/// <summary>Concatenates inputs along channels (default), height or width; the other two sizes must agree.</summary>
public sealed record Concat : Layer
{
    public ConcatAxis Axis { get; init; } = ConcatAxis.Channels;
    public override string TypeName => "Concat";
    public override int InputCount => -1;
    public override string Describe() => Axis == ConcatAxis.Channels ? "" : Axis.ToString().ToLowerInvariant();

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        if (inputs.Count < 1) throw new ArgumentException($"{node}: Concat needs at least one input.");
        var f = inputs[0];
        foreach (var s in inputs)
        {
            bool ok = Axis switch
            {
                ConcatAxis.Channels => s.H == f.H && s.W == f.W,
                ConcatAxis.Height => s.C == f.C && s.W == f.W,
                _ => s.C == f.C && s.H == f.H,
            };
            if (!ok)
                throw new ArgumentException($"{node}: Concat along {Axis.ToString().ToLowerInvariant()} needs the other sizes equal; got {string.Join(", ", inputs)} (W×H×D).");
        }
        return Axis switch
        {
            ConcatAxis.Channels => f with { C = inputs.Sum(s => s.C) },
            ConcatAxis.Height => f with { H = inputs.Sum(s => s.H) },
            _ => f with { W = inputs.Sum(s => s.W) },
        };
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct RegionPush { public int C, H, W, OH, OW, OC, OffH, OffW; }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int Count, DstOffset; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        if (Axis != ConcatAxis.Channels)
        {
            var region = c.Kernel("copy_region", 2, (uint)Marshal.SizeOf<RegionPush>());
            var o = io.OutputShape;
            int at = 0;
            for (int i = 0; i < io.Inputs.Length; i++)
            {
                var s = io.InputShapes[i];
                var (gx, gy) = LayerCompiler.Grid((s.Size + 63) / 64);
                c.Dispatch(region, new[] { io.Inputs[i], io.Output }, new RegionPush
                {
                    C = s.C, H = s.H, W = s.W, OH = o.H, OW = o.W, OC = 0,
                    OffH = Axis == ConcatAxis.Height ? at : 0, OffW = Axis == ConcatAxis.Width ? at : 0,
                }, gx, gy);
                at += Axis == ConcatAxis.Height ? s.H : s.W;
            }
            return;
        }
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
