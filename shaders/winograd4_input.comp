#version 450
// Winograd F(4x4, 3x3), step 1: every 6x6 input patch d (tiles of 4x4 outputs, overlapping by 2) becomes
// V = Bt d B, scattered to V[pos][c][t] (pos = 0..35) for the batched GEMM (winograd_gemm.comp).
//   Bt = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int PAD_MODE = 0;   // 0 zero, 1 replicate (edge), 2 reflect

layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer V { float v[]; };
layout(push_constant) uniform Params { int C, H, W, tilesW, tiles, tPad, padTop, padLeft; } p;

int mapIndex(int i, int n)
{
    if (PAD_MODE == 1) return clamp(i, 0, n - 1);
    if (n == 1) return 0;
    int period = 2 * (n - 1);
    int m = abs(i) % period;
    return m < n ? m : period - m;
}

float at(int base, int iy, int ix)
{
    if (PAD_MODE == 0) {
        if (iy < 0 || iy >= p.H || ix < 0 || ix >= p.W) return 0.0;
        return x[base + iy * p.W + ix];
    }
    return x[base + mapIndex(iy, p.H) * p.W + mapIndex(ix, p.W)];
}

// The six rows of Bt applied to a 6-vector (a column or a row of the patch).
void bt(float d0, float d1, float d2, float d3, float d4, float d5, out float r0, out float r1, out float r2,
        out float r3, out float r4, out float r5)
{
    r0 = 4.0 * d0 - 5.0 * d2 + d4;
    r1 = -4.0 * (d1 + d2) + d3 + d4;
    r2 = 4.0 * (d1 - d2) - d3 + d4;
    r3 = -2.0 * d1 - d2 + 2.0 * d3 + d4;
    r4 = 2.0 * d1 - d2 - 2.0 * d3 + d4;
    r5 = 4.0 * d1 - 5.0 * d3 + d5;
}

void main()
{
    int idx = flatIndex();
    if (idx >= p.C * p.tPad) return;
    int c = idx / p.tPad;
    int t = idx - c * p.tPad;
    int stride = p.C * p.tPad;
    int o = c * p.tPad + t;
    if (t >= p.tiles) {
        for (int i = 0; i < 36; i++) v[i * stride + o] = 0.0;
        return;
    }
    int ty = t / p.tilesW, tx = t - (t / p.tilesW) * p.tilesW;
    int y0 = ty * 4 - p.padTop, x0 = tx * 4 - p.padLeft;
    int base = c * p.H * p.W;
    float e[36];   // e[r * 6 + q]: Bt applied down each column q
    for (int q = 0; q < 6; q++) {
        float r0, r1, r2, r3, r4, r5;
        bt(at(base, y0, x0 + q), at(base, y0 + 1, x0 + q), at(base, y0 + 2, x0 + q),
           at(base, y0 + 3, x0 + q), at(base, y0 + 4, x0 + q), at(base, y0 + 5, x0 + q), r0, r1, r2, r3, r4, r5);
        e[q] = r0; e[6 + q] = r1; e[12 + q] = r2; e[18 + q] = r3; e[24 + q] = r4; e[30 + q] = r5;
    }
    for (int r = 0; r < 6; r++) {
        float s0, s1, s2, s3, s4, s5;
        bt(e[r * 6], e[r * 6 + 1], e[r * 6 + 2], e[r * 6 + 3], e[r * 6 + 4], e[r * 6 + 5], s0, s1, s2, s3, s4, s5);
        v[(r * 6 + 0) * stride + o] = s0;
        v[(r * 6 + 1) * stride + o] = s1;
        v[(r * 6 + 2) * stride + o] = s2;
        v[(r * 6 + 3) * stride + o] = s3;
        v[(r * 6 + 4) * stride + o] = s4;
        v[(r * 6 + 5) * stride + o] = s5;
    }
}
