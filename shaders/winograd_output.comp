#version 450
// Winograd F(2x2, 3x3), step 3: the 16 products M[pos][k][t] of a tile become its 2x2 outputs Y = At M A,
// plus bias and the fused activation.
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

void main()
{
    int idx = flatIndex();
    if (idx >= p.K * p.tiles) return;
    int k = idx / p.tiles;
    int t = idx - k * p.tiles;
    int stride = p.K * p.tPad;
    int o = k * p.tPad + t;
    float a[16];
    for (int i = 0; i < 16; i++) a[i] = m[i * stride + o];
    // At = [1 1 1 0; 0 1 -1 -1]: first over rows, then over columns.
    vec4 r0 = vec4(a[0] + a[4] + a[8], a[1] + a[5] + a[9], a[2] + a[6] + a[10], a[3] + a[7] + a[11]);
    vec4 r1 = vec4(a[4] - a[8] - a[12], a[5] - a[9] - a[13], a[6] - a[10] - a[14], a[7] - a[11] - a[15]);
    float b = bias[k];
    float y00 = r0.x + r0.y + r0.z + b, y01 = r0.y - r0.z - r0.w + b;
    float y10 = r1.x + r1.y + r1.z + b, y11 = r1.y - r1.z - r1.w + b;
    int ty = t / p.tilesW, tx = t - (t / p.tilesW) * p.tilesW;
    int oy = ty * 2, ox = tx * 2;
    int base = k * p.OH * p.OW;
    y[base + oy * p.OW + ox] = activate(y00);
    if (ox + 1 < p.OW) y[base + oy * p.OW + ox + 1] = activate(y01);
    if (oy + 1 < p.OH) {
        y[base + (oy + 1) * p.OW + ox] = activate(y10);
        if (ox + 1 < p.OW) y[base + (oy + 1) * p.OW + ox + 1] = activate(y11);
    }
}
