// Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions: input transform, 16 batched GEMMs, output transform.
// 16 multiplications per 2x2 output tile instead of 36 (2.25x fewer). GPU side: shaders/winograd_*.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

internal static class Winograd
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct InputPush { public int C, H, W, TilesW, Tiles, TPad, PadTop, PadLeft; }

    [StructLayout(LayoutKind.Sequential)]
    internal struct GemmPush { public int C, K, TPad, Blocks; }

    [StructLayout(LayoutKind.Sequential)]
    internal struct OutputPush { public int K, OH, OW, TilesW, Tiles, TPad; }

    private static (int TilesW, int Tiles, int TPad) Tiling(LayerCompiler c, Shape o)
    {
        int tw = (o.W + 1) / 2, th = (o.H + 1) / 2;
        int tiles = tw * th;
        int unit = 4 * c.Lanes;   // the GEMM reads 4 tiles per lane and whole workgroups
        return (tw, tiles, (tiles + unit - 1) / unit * unit);
    }

    public static ulong ScratchBytes(LayerCompiler c, Shape s, Shape o)
    {
        var (_, _, tPad) = Tiling(c, o);
        return VBytes(s.C, tPad) + MBytes(o.C, tPad);
    }

    private static ulong VBytes(int ch, int tPad) => 16UL * (ulong)ch * (ulong)tPad * 4;
    private static ulong MBytes(int k, int tPad) => 16UL * (ulong)k * (ulong)tPad * 4;

    /// <summary>
    /// Winograd does 16 multiply-adds per padded tile against 9 per output pixel for the direct kernel, but its GEMM
    /// runs about twice as fast per multiply-add (one vec4 input load per 64 FMAs; measured on llvmpipe and
    /// SwiftShader). Small maps waste part of their last workgroup of tiles, so the choice is made on padded tiles.
    /// </summary>
    public static bool Pays(LayerCompiler c, Shape o)
    {
        var (_, _, tPad) = Tiling(c, o);
        return 16L * tPad <= 2L * 9 * o.H * o.W;
    }

    /// <summary>The transformed input and products must each fit one binding.</summary>
    public static bool Fits(LayerCompiler c, Shape s, Shape o)
    {
        var (_, _, tPad) = Tiling(c, o);
        return VBytes(s.C, tPad) <= c.MaxBindingBytes && MBytes(o.C, tPad) <= c.MaxBindingBytes;
    }

    /// <summary>U = G g Gᵀ for one 3x3 filter g (row-major), as 16 values in row-major 4x4 order.</summary>
    internal static void TransformFilter(ReadOnlySpan<float> g, Span<double> u)
    {
        Span<double> t = stackalloc double[12];   // G g: 4x3
        for (int j = 0; j < 3; j++)
        {
            double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
            t[0 * 3 + j] = g0;
            t[1 * 3 + j] = 0.5 * (g0 + g1 + g2);
            t[2 * 3 + j] = 0.5 * (g0 - g1 + g2);
            t[3 * 3 + j] = g2;
        }
        for (int i = 0; i < 4; i++)
        {
            double a0 = t[i * 3], a1 = t[i * 3 + 1], a2 = t[i * 3 + 2];
            u[i * 4 + 0] = a0;
            u[i * 4 + 1] = 0.5 * (a0 + a1 + a2);
            u[i * 4 + 2] = 0.5 * (a0 - a1 + a2);
            u[i * 4 + 3] = a2;
        }
    }

    public static void Emit(LayerCompiler c, NodeIO io, Conv2d conv)
    {
        var s = io.InputShapes[0];
        var o = io.OutputShape;
        int C = s.C, K = o.C;
        var (tw, tiles, tPad) = Tiling(c, o);
        int cb = Conv2d.ChooseChannelBlock(K, c.MaxChannelBlock);
        int blocks = (K + cb - 1) / cb;

        // U[pos][blk][c][cb]
        var u = new float[16L * blocks * C * cb];
        Span<double> ut = stackalloc double[16];
        for (int k = 0; k < K; k++)
        {
            int b = k / cb, j = k % cb;
            for (int ci = 0; ci < C; ci++)
            {
                TransformFilter(conv.Weights.AsSpan((k * C + ci) * 9, 9), ut);
                for (int pos = 0; pos < 16; pos++)
                    u[((long)(pos * blocks + b) * C + ci) * cb + j] = (float)ut[pos];
            }
        }
        var bias = new float[K];
        if (conv.Bias != null) conv.Bias.CopyTo(bias, 0);
        var uSlice = c.Upload(u, io.Name + " winograd weights");
        var biasSlice = c.Upload(bias, io.Name + " bias");
        var v = io.Scratch.Sub(0, VBytes(C, tPad));
        var m = io.Scratch.Sub(VBytes(C, tPad), MBytes(K, tPad));

        var kin = c.Kernel("winograd_input", 2, (uint)Marshal.SizeOf<InputPush>(), (int)conv.PaddingMode);
        var (x1, y1) = LayerCompiler.Grid(((long)C * tPad + 63) / 64);
        c.Dispatch(kin, new[] { io.Inputs[0], v }, new InputPush
        {
            C = C, H = s.H, W = s.W, TilesW = tw, Tiles = tiles, TPad = tPad, PadTop = conv.PadTop, PadLeft = conv.PadLeft,
        }, x1, y1);

        var kg = c.Kernel($"winograd_gemm_c{cb}", 3, (uint)Marshal.SizeOf<GemmPush>(), c.Lanes);
        c.Dispatch(kg, new[] { v, uSlice, m }, new GemmPush { C = C, K = K, TPad = tPad, Blocks = blocks },
            (uint)(tPad / (4 * c.Lanes) * blocks), 16);

        var (ak, al, be) = conv.Activation.Spec;
        var kout = c.Kernel("winograd_output", 3, (uint)Marshal.SizeOf<OutputPush>(), ak, al, be);
        var (x3, y3) = LayerCompiler.Grid(((long)K * tiles + 63) / 64);
        c.Dispatch(kout, new[] { m, biasSlice, io.Output }, new OutputPush { K = K, OH = o.H, OW = o.W, TilesW = tw, Tiles = tiles, TPad = tPad }, x3, y3);
    }
}
