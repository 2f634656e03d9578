// Winograd convolution for 3x3 stride-1 layers: input transform, batched GEMMs, output transform. Two tile sizes:
// F(2x2, 3x3) with 16 positions (4 multiply-adds per output instead of 9) and F(4x4, 3x3) with 36 positions
// (2.25 per output), chosen per layer by padded work. GPU side: shaders/winograd*_{input,output}.comp and
// shaders/winograd_gemm.comp (shared by both).
using System.Runtime.InteropServices;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Layers;

internal static class Winograd
{
    [PushConstants("winograd_input", "winograd4_input")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct InputPush { public int C, H, W, TilesW, Tiles, TPad, PadTop, PadLeft; }

    [PushConstants("winograd_gemm_c*")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct GemmPush { public int C, K, TPad, Blocks; }

    [PushConstants("winograd_output", "winograd4_output")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct OutputPush { public int K, OH, OW, TilesW, Tiles, TPad; }

    /// <summary>Output tile size m of F(m x m, 3x3) for this layer: 4 when its padded work is clearly smaller, else 2.</summary>
    internal static int TileSize(LayerCompiler c, Shape o) =>
        Positions(4) * (long)Tiling(c, o, 4).TPad * 10 <= Positions(2) * (long)Tiling(c, o, 2).TPad * 9 ? 4 : 2;

    private static int Positions(int m) => (m + 2) * (m + 2);

    private static (int TilesW, int Tiles, int TPad) Tiling(LayerCompiler c, Shape o, int m)
    {
        int tw = (o.W + m - 1) / m, th = (o.H + m - 1) / m;
        int tiles = tw * th;
        int unit = 4 * c.Lanes;   // the GEMM reads 4 tiles per lane and whole workgroups
        return (tw, tiles, (tiles + unit - 1) / unit * unit);
    }

    public static ulong ScratchBytes(LayerCompiler c, Shape s, Shape o)
    {
        int m = TileSize(c, o);
        var (_, _, tPad) = Tiling(c, o, m);
        return Bytes(m, s.C, tPad) + Bytes(m, o.C, tPad);
    }

    /// <summary>Size of the transformed input (ch = C) or of the products (ch = K).</summary>
    private static ulong Bytes(int m, int ch, int tPad) => (ulong)Positions(m) * (ulong)ch * (ulong)tPad * 4;

    /// <summary>
    /// Winograd F(2x2) does 16 multiply-adds per padded tile against 9 per output pixel for the direct kernel, but
    /// its GEMM runs about twice as fast per multiply-add (one vec4 input load per 4·CB FMAs; measured on llvmpipe
    /// and SwiftShader). Small maps waste part of their last workgroup of tiles, so the choice is made on padded tiles.
    /// </summary>
    public static bool Pays(LayerCompiler c, Shape o)
    {
        int m = TileSize(c, o);
        var (_, _, tPad) = Tiling(c, o, m);
        return (long)Positions(m) * tPad <= 2L * 9 * o.H * o.W;
    }

    /// <summary>The transformed input and products must each fit one binding.</summary>
    public static bool Fits(LayerCompiler c, Shape s, Shape o)
    {
        int m = TileSize(c, o);
        var (_, _, tPad) = Tiling(c, o, m);
        return Bytes(m, s.C, tPad) <= c.MaxBindingBytes && Bytes(m, o.C, tPad) <= c.MaxBindingBytes;
    }

    /// <summary>G for F(2x2, 3x3) (4x3) and F(4x4, 3x3) (6x3), row-major.</summary>
    private static readonly double[] G2 = { 1, 0, 0, .5, .5, .5, .5, -.5, .5, 0, 0, 1 };
    private static readonly double[] G4 =
    {
        1 / 4.0, 0, 0,
        -1 / 6.0, -1 / 6.0, -1 / 6.0,
        -1 / 6.0, 1 / 6.0, -1 / 6.0,
        1 / 24.0, 1 / 12.0, 1 / 6.0,
        1 / 24.0, -1 / 12.0, 1 / 6.0,
        0, 0, 1,
    };

    /// <summary>U = G g Gᵀ for one 3x3 filter g (row-major): (m+2)² values, row-major. m is 2 or 4.</summary>
    internal static void TransformFilter(ReadOnlySpan<float> g, Span<double> u, int m = 2)
    {
        var G = m == 4 ? G4 : G2;
        int n = m + 2;
        Span<double> t = stackalloc double[n * 3];   // G g: n x 3
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 3; j++)
                t[i * 3 + j] = G[i * 3] * g[j] + G[i * 3 + 1] * g[3 + j] + G[i * 3 + 2] * g[6 + j];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                u[i * n + j] = t[i * 3] * G[j * 3] + t[i * 3 + 1] * G[j * 3 + 1] + t[i * 3 + 2] * G[j * 3 + 2];
    }

    public static void Emit(LayerCompiler c, NodeIO io, Conv2d conv, Shape s, Shape o)
    {
        int C = s.C, K = o.C;
        int m = TileSize(c, o);
        int positions = Positions(m);
        var (tw, tiles, tPad) = Tiling(c, o, m);
        int cb = Conv2d.ChooseChannelBlock(K, c.MaxChannelBlock);
        int blocks = (K + cb - 1) / cb;

        // U[pos][blk][c][cb]
        var u = new float[(long)positions * blocks * C * cb];
        Span<double> ut = stackalloc double[positions];
        for (int k = 0; k < K; k++)
        {
            int b = k / cb, j = k % cb;
            for (int ci = 0; ci < C; ci++)
            {
                TransformFilter(conv.Weights.AsSpan((k * C + ci) * 9, 9), ut, m);
                for (int pos = 0; pos < positions; pos++)
                    u[((long)(pos * blocks + b) * C + ci) * cb + j] = (float)ut[pos];
            }
        }
        var bias = new float[K];
        if (conv.Bias != null) conv.Bias.CopyTo(bias, 0);
        var uSlice = c.Upload(u, io.Name + " winograd weights");
        var biasSlice = c.Upload(bias, io.Name + " bias");
        var v = io.Scratch.Sub(0, Bytes(m, C, tPad));
        var mm = io.Scratch.Sub(Bytes(m, C, tPad), Bytes(m, K, tPad));
        string prefix = m == 4 ? "winograd4" : "winograd";

        var kin = c.Kernel(prefix + "_input", 2, (uint)Marshal.SizeOf<InputPush>(), (int)conv.PaddingMode);
        var (x1, y1) = LayerCompiler.Grid(((long)C * tPad + 63) / 64);
        c.Dispatch(kin, new[] { io.Inputs[0], v }, new InputPush
        {
            C = C, H = s.H, W = s.W, TilesW = tw, Tiles = tiles, TPad = tPad, PadTop = conv.PadTop, PadLeft = conv.PadLeft,
        }, x1, y1);

        var kg = c.Kernel($"winograd_gemm_c{cb}", 3, (uint)Marshal.SizeOf<GemmPush>(), c.Lanes);
        c.Dispatch(kg, new[] { v, uSlice, mm }, new GemmPush { C = C, K = K, TPad = tPad, Blocks = blocks },
            (uint)(tPad / (4 * c.Lanes) * blocks), (uint)positions);

        var (ak, al, be) = conv.Activation.Spec;
        var kout = c.Kernel(prefix + "_output", 3, (uint)Marshal.SizeOf<OutputPush>(), ak, al, be);
        var (x3, y3) = LayerCompiler.Grid(((long)K * tiles + 63) / 64);
        c.Dispatch(kout, new[] { mm, biasSlice, io.Output }, new OutputPush { K = K, OH = o.H, OW = o.W, TilesW = tw, Tiles = tiles, TPad = tPad }, x3, y3);
    }
}
