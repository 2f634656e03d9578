#version 450
// Max and average pooling with per-side padding, ceil mode and count_include_pad. One output per invocation:
// pooling is memory-bound and has no reuse worth tiling for.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
#include "nan_minmax.glsl"
// MODE (0 max, 1 average) is a compile-time define, one SPIR-V variant each (NAME and NAME_avg): SwiftShader keeps the
// code of every specialisation value, and the NaN-propagating max then cost every average pool (measured +35 %).
#ifndef MODE
#define MODE 0
#endif
layout(constant_id = 1) const int KH = 2;
layout(constant_id = 2) const int KW = 2;
layout(constant_id = 3) const int SH = 2;
layout(constant_id = 4) const int SW = 2;
layout(constant_id = 5) const bool COUNT_INCLUDE_PAD = false;

layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, H, W, OH, OW, padTop, padLeft, padBottom, padRight; } p;

void main()
{
    int idx = flatIndex();
    int total = p.C * p.OH * p.OW;
    if (idx >= total) return;
    int ox = idx % p.OW;
    int t = idx / p.OW;
    int oy = t % p.OH;
    int c = t / p.OH;
    int y0 = oy * SH - p.padTop, x0 = ox * SW - p.padLeft;
    int base = c * p.H * p.W;
    float m = negInf();
    float s = 0.0;
    int n = 0;
    for (int ky = 0; ky < KH; ky++) {
        int iy = y0 + ky;
        if (iy < 0 || iy >= p.H) continue;
        for (int kx = 0; kx < KW; kx++) {
            int ix = x0 + kx;
            if (ix < 0 || ix >= p.W) continue;
            float v = x[base + iy * p.W + ix];
#if MODE == 0
            m = maxNaN(m, v);   // a NaN in the window gives NaN
#else
            s += v;
#endif
            n++;
        }
    }
    if (MODE == 0) { y[idx] = m; return; }
    if (COUNT_INCLUDE_PAD) {
        // The window counts padded cells but not the part that ceil mode pushes past the padded input.
        int ye = min(y0 + KH, p.H + p.padBottom), xe = min(x0 + KW, p.W + p.padRight);
        n = (ye - y0) * (xe - x0);
    }
    y[idx] = n > 0 ? s / float(n) : 0.0;
}
