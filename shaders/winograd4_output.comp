#version 450
// Winograd F(4x4, 3x3), step 3: the 36 products M[pos][k][t] of a tile become its 4x4 outputs Y = At M A, plus
// bias and the fused activation.   At = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int ACT = 0;
layout(constant_id = 1) const float ALPHA = 0.0;
layout(constant_id = 2) const float BETA = 0.0;
#include "activation.glsl"

layout(std430, binding = 0) readonly buffer M { float m[]; };
layout(std430, binding = 1) readonly buffer Bias { float bias[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int K, OH, OW, tilesW, tiles, tPad; } p;

vec4 at(float m0, float m1, float m2, float m3, float m4, float m5)
{
    float a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
    return vec4(m0 + a + c, b + 2.0 * d, a + 4.0 * c, b + 8.0 * d + m5);
}

void main()
{
    int idx = flatIndex();
    if (idx >= p.K * p.tiles) return;
    int k = idx / p.tiles;
    int t = idx - k * p.tiles;
    int stride = p.K * p.tPad;
    int o = k * p.tPad + t;
    // Rows of At applied down each of the 6 columns: r[q] holds output rows 0..3 of column q.
    vec4 r[6];
    for (int q = 0; q < 6; q++)
        r[q] = at(m[q * stride + o], m[(6 + q) * stride + o], m[(12 + q) * stride + o],
                  m[(18 + q) * stride + o], m[(24 + q) * stride + o], m[(30 + q) * stride + o]);
    float b = bias[k];
    int ty = t / p.tilesW, tx = t - (t / p.tilesW) * p.tilesW;
    int oy0 = ty * 4, ox0 = tx * 4;
    int base = k * p.OH * p.OW;
    for (int i = 0; i < 4; i++) {
        int oy = oy0 + i;
        if (oy >= p.OH) break;
        vec4 row = at(r[0][i], r[1][i], r[2][i], r[3][i], r[4][i], r[5][i]) + b;
        for (int j = 0; j < 4; j++)
            if (ox0 + j < p.OW) y[base + oy * p.OW + ox0 + j] = activate(row[j]);
    }
}
