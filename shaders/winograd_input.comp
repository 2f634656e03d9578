#version 450
// Winograd F(2x2, 3x3), step 1: every 4x4 input patch d (tiles of 2x2 outputs, overlapping by 2) becomes
// V = Bt d B, scattered to V[pos][c][t] (pos = 0..15, t = tile, rows padded to tPad) for the batched GEMM.
// Padding (zero, replicate, reflect) is applied while reading the patch.
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
    int period = 2 * (n - 1);
    if (n == 1) return 0;
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

void main()
{
    int idx = flatIndex();
    if (idx >= p.C * p.tPad) return;
    int c = idx / p.tPad;
    int t = idx - c * p.tPad;
    int stride = p.C * p.tPad;
    int o = c * p.tPad + t;
    if (t >= p.tiles) {
        for (int i = 0; i < 16; i++) v[i * stride + o] = 0.0;
        return;
    }
    int ty = t / p.tilesW, tx = t - (t / p.tilesW) * p.tilesW;
    int y0 = ty * 2 - p.padTop, x0 = tx * 2 - p.padLeft;
    int base = c * p.H * p.W;
    mat4 d;   // d[col][row]
    for (int r = 0; r < 4; r++)
        for (int q = 0; q < 4; q++) d[q][r] = at(base, y0 + r, x0 + q);
    // Rows: Bt d  (Bt = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]), applied to each column.
    mat4 e;
    for (int q = 0; q < 4; q++) {
        vec4 col = d[q];
        e[q] = vec4(col.x - col.z, col.y + col.z, col.z - col.y, col.y - col.w);
    }
    // Columns: (Bt d) B, i.e. the same combination across the columns of each row.
    for (int r = 0; r < 4; r++) {
        float a0 = e[0][r], a1 = e[1][r], a2 = e[2][r], a3 = e[3][r];
        v[(r * 4 + 0) * stride + o] = a0 - a2;
        v[(r * 4 + 1) * stride + o] = a1 + a2;
        v[(r * 4 + 2) * stride + o] = a2 - a1;
        v[(r * 4 + 3) * stride + o] = a1 - a3;
    }
}
