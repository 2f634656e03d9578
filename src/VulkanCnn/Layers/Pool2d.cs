// Max and average pooling over F×F windows with stride, padding, ceil mode and count_include_pad; global pooling.
// GPU side: shaders/pool2d.comp and shaders/globalpool.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Kind of pooling.</summary>
public enum PoolKind { Max, Average }

/// <summary>Pooling layer: W' = (W − F + 2P)/S + 1, D' = D.</summary>
public sealed record Pool2d : Layer
{
    public required PoolKind Kind { get; init; }
    public required int KernelH { get; init; }
    public required int KernelW { get; init; }
    public int StrideH { get; init; } = 1;
    public int StrideW { get; init; } = 1;
    public int PadTop { get; init; }
    public int PadLeft { get; init; }
    public int PadBottom { get; init; }
    public int PadRight { get; init; }
    public Rounding Rounding { get; init; } = Rounding.Exact;
    /// <summary>Average pooling divides by the full window including padding (ONNX count_include_pad=1).</summary>
    public bool CountIncludePad { get; init; }

    public override string TypeName => Kind == PoolKind.Max ? "MaxPool" : "AvgPool";
    public override string Describe() => $"{KernelW}x{KernelH}/{StrideW}" + (PadTop + PadLeft + PadBottom + PadRight > 0 ? $" p{PadTop}" : "") +
                                          (Rounding == Rounding.Ceil ? " ceil" : "");

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        var (n, s) = ImageView(node, TypeName, inputs[0]);
        CheckNotEmpty(node, s);
        if (KernelH <= 0 || KernelW <= 0 || StrideH <= 0 || StrideW <= 0)
            throw new ArgumentException($"{node}: {TypeName} needs positive filter and stride (F={KernelH}x{KernelW}, S={StrideH}x{StrideW}).");
        if (PadTop < 0 || PadLeft < 0 || PadBottom < 0 || PadRight < 0 || PadTop >= KernelH || PadBottom >= KernelH || PadLeft >= KernelW || PadRight >= KernelW)
            throw new ArgumentException($"{node}: {TypeName} padding ({PadTop},{PadLeft},{PadBottom},{PadRight}) must be non-negative and smaller than the window {KernelH}x{KernelW}.");
        int oh = SlideOutput(node, TypeName, "height", s.H, KernelH, PadTop, PadBottom, StrideH, 1, Rounding);
        int ow = SlideOutput(node, TypeName, "width", s.W, KernelW, PadLeft, PadRight, StrideW, 1, Rounding);
        return ImageTensor(n, new Shape(s.C, oh, ow), inputs[0].Rank);
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => Kind == PoolKind.Average ? output.ElementCount * KernelH * KernelW : 0;

    [PushConstants("pool2d", "pool2d_avg")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, H, W, OH, OW, PadTop, PadLeft, PadBottom, PadRight; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        // Every (batch item, channel) plane pools alike: the batch folds into the channels.
        var (n, s) = ImageView(io.Name, TypeName, io.InputShapes[0]);
        var (_, o) = ImageView(io.Name, TypeName, io.OutputShape);
        s = s with { C = checked(n * s.C) };
        o = o with { C = s.C };
        var k = c.Kernel(Kind == PoolKind.Max ? "pool2d" : "pool2d_avg", 2, (uint)Marshal.SizeOf<Push>(), Kind == PoolKind.Max ? 0 : 1, KernelH, KernelW, StrideH, StrideW, CountIncludePad ? 1 : 0);
        var (x, y) = LayerCompiler.Grid((o.Size + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output },
            new Push { C = s.C, H = s.H, W = s.W, OH = o.H, OW = o.W, PadTop = PadTop, PadLeft = PadLeft, PadBottom = PadBottom, PadRight = PadRight }, x, y);
    }
}

/// <summary>Global average or max pooling: [N, D, H, W] to [N, D, 1, 1].</summary>
public sealed record GlobalPool2d : Layer
{
    public required PoolKind Kind { get; init; }
    public override string TypeName => Kind == PoolKind.Max ? "GlobalMaxPool" : "GlobalAvgPool";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        var (n, s) = ImageView(node, TypeName, inputs[0]);
        CheckNotEmpty(node, s);
        return ImageTensor(n, new Shape(s.C, 1, 1), inputs[0].Rank);
    }

    public override long MultiplyAdds(IReadOnlyList<TensorShape> inputs, TensorShape output) => Kind == PoolKind.Average ? inputs[0].ElementCount : 0;

    [PushConstants("globalpool", "globalpool_avg")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, HW; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var (n, s) = ImageView(io.Name, TypeName, io.InputShapes[0]);
        int planes = checked(n * s.C);
        var k = c.Kernel(Kind == PoolKind.Max ? "globalpool" : "globalpool_avg", 2, (uint)Marshal.SizeOf<Push>(), Kind == PoolKind.Max ? 0 : 1);
        var (x, y) = LayerCompiler.Grid(planes);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push { C = planes, HW = s.H * s.W }, x, y);
    }
}
