// Concatenation along any axis: a contiguous copy per input where the axis is outermost (shaders/copy_channels.comp),
// else one strided copy per input (shaders/strided_copy.comp).
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

/// <summary>Concatenates inputs along <see cref="Axis"/> (default 1: channels of [N, C, H, W]; negative counts from the
/// end); every other dimension must agree.</summary>
public sealed record Concat : Layer
{
    public int Axis { get; init; } = 1;
    public override string TypeName => "Concat";
    public override int InputCount => -1;
    public override string Describe() => Axis == 1 ? "" : $"axis {Axis}";

    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs, string node)
    {
        if (inputs.Count < 1) throw new ArgumentException($"{node}: Concat needs at least one input.");
        var f = inputs[0];
        int axis = TensorShape.NormalizeAxis(Axis, f.Rank, $"{node}: Concat axis");
        long total = 0;
        foreach (var s in inputs)
        {
            bool ok = s.Rank == f.Rank;
            for (int k = 0; ok && k < f.Rank; k++) ok = k == axis || s[k] == f[k];
            if (!ok)
                throw new ArgumentException($"{node}: Concat along axis {axis} needs the other dimensions equal; got {string.Join(", ", inputs)}.");
            total += s[axis];
        }
        return f.With(axis, checked((int)total));
    }

    [PushConstants("copy_channels")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int Count, DstOffset; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var o = io.OutputShape;
        int axis = TensorShape.NormalizeAxis(Axis, o.Rank);
        long outer = o.Product(0, axis), inner = o.Product(axis + 1, o.Rank);
        long offset = 0;
        for (int i = 0; i < io.Inputs.Length; i++)
        {
            var s = io.InputShapes[i];
            long n = s.ElementCount;
            if (outer == 1)
            {
                var kernel = c.Kernel("copy_channels", 2, (uint)Marshal.SizeOf<Push>());
                var (x, y) = LayerCompiler.Grid((n + 255) / 256);
                c.Dispatch(kernel, new[] { io.Inputs[i], io.Output }, new Push { Count = (int)n, DstOffset = checked((int)(offset * inner)) }, x, y);
            }
            else
            {
                // Index space (outer, this input's slab): read contiguously, write at the slab's place in each outer row.
                int slab = checked((int)(s[axis] * inner));
                StridedCopy.Emit(c, io.Name, io.Inputs[i], io.Output, new[] { (int)outer, slab },
                    new long[] { slab, 1 }, new long[] { o[axis] * inner, 1 }, 0, offset * inner);
            }
            offset += s[axis];
        }
    }
}
