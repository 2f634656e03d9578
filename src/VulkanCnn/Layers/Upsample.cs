// Nearest and bilinear resizing of feature maps (segmentation decoders, FPNs). GPU side: shaders/upsample.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Resampling method.</summary>
public enum UpsampleMode { Nearest = 0, Bilinear = 1 }

/// <summary>How output pixel coordinates map to input coordinates (ONNX Resize coordinate_transformation_mode).</summary>
public enum CoordinateMode { HalfPixel = 0, AlignCorners = 1, Asymmetric = 2 }

/// <summary>Resizes every channel to OutH×OutW (or by integer scale factors).</summary>
public sealed record Upsample : Layer
{
    public UpsampleMode Mode { get; init; } = UpsampleMode.Nearest;
    public CoordinateMode Coordinates { get; init; } = CoordinateMode.HalfPixel;
    public float ScaleH { get; init; } = 2;
    public float ScaleW { get; init; } = 2;
    /// <summary>Explicit output size; when set, the scales are derived from it.</summary>
    public int? OutH { get; init; }
    public int? OutW { get; init; }

    public override string TypeName => Mode == UpsampleMode.Nearest ? "UpsampleNearest" : "UpsampleBilinear";
    public override string Describe() => OutH.HasValue ? $"to {OutW}x{OutH}" : $"x{ScaleW}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        CheckInputCount(node, TypeName, inputs, 1);
        var (n, s) = ImageView(node, TypeName, inputs[0]);
        CheckNotEmpty(node, s);
        bool oneD = inputs[0].Rank == 3;
        int oh = oneD ? 1 : OutH ?? (int)MathF.Floor(s.H * ScaleH);
        int ow = OutW ?? (int)MathF.Floor(s.W * ScaleW);
        if (oh <= 0 || ow <= 0 || ScaleH <= 0 || ScaleW <= 0)
            throw new ArgumentException($"{node}: {TypeName} output {ow}x{oh} (scales {ScaleW}, {ScaleH}) must be positive.");
        return ImageTensor(n, new Shape(s.C, oh, ow), inputs[0].Rank);
    }

    [PushConstants("upsample")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int C, H, W, OH, OW; public float ScaleY, ScaleX; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        // Every (batch item, channel) plane resamples alike: the batch folds into the channels.
        var (n, s) = ImageView(io.Name, TypeName, io.InputShapes[0]);
        var (_, o) = ImageView(io.Name, TypeName, io.OutputShape);
        s = s with { C = checked(n * s.C) };
        o = o with { C = s.C };
        float sy = io.InputShapes[0].Rank == 3 ? 1 : OutH.HasValue ? (float)o.H / s.H : ScaleH;
        float sx = OutW.HasValue ? (float)o.W / s.W : ScaleW;
        var k = c.Kernel("upsample", 2, (uint)Marshal.SizeOf<Push>(), (int)Mode, (int)Coordinates);
        var (x, y) = LayerCompiler.Grid((o.Size + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push { C = s.C, H = s.H, W = s.W, OH = o.H, OW = o.W, ScaleY = sy, ScaleX = sx }, x, y);
    }
}
