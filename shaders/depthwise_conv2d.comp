#version 450
// Depthwise convolution (groups = input channels, each output channel sees one input channel): the classical
// filters and the depthwise layers of mobile networks. Each lane computes 4 consecutive output pixels of one row
// for one output channel (the channel is uniform over the workgroup, so its weights are uniform loads). With
// stride 1 and no dilation the 4 pixels share a sliding window: 4 taps of a kernel row cost 7 input loads, not 16
// (or, in the variant compiled with WINDOW_ARRAY, a kernel row costs KW + 3).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int KH = 3;
layout(constant_id = 2) const int KW = 3;
layout(constant_id = 3) const int SH = 1;
layout(constant_id = 4) const int SW = 1;
layout(constant_id = 5) const int DH = 1;
layout(constant_id = 6) const int DW = 1;
layout(constant_id = 7) const int PAD_MODE = 0;   // 0 zero, 1 replicate (edge), 2 reflect
layout(constant_id = 8) const int ACT = 0;
layout(constant_id = 9) const float ALPHA = 0.0;
layout(constant_id = 10) const float BETA = 0.0;
layout(constant_id = 11) const int MULT = 1;      // output channels per input channel
#include "activation.glsl"

layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) readonly buffer Weights { float w[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, H, W, K, OH, OW, padTop, padLeft; } p;

int mapIndex(int i, int n)
{
    if (PAD_MODE == 1) return clamp(i, 0, n - 1);
    if (n == 1) return 0;
    int period = 2 * (n - 1);
    int m = abs(i) % period;
    return m < n ? m : period - m;
}

// Input value at (iy, ix) of the channel starting at base, with the padding mode applied.
float at(int base, int iy, int ix)
{
    if (PAD_MODE == 0) {
        bool ok = iy >= 0 && iy < p.H && ix >= 0 && ix < p.W;
        float v = x[base + (ok ? iy * p.W + ix : 0)];
        return ok ? v : 0.0;
    }
    return x[base + mapIndex(iy, p.H) * p.W + mapIndex(ix, p.W)];
}

void main()
{
    // Workgroup y is (batch item, output channel): batch·K + k.
    const int plane = int(gl_WorkGroupID.y);
    const int batch = plane / p.K;
    const int k = plane - batch * p.K;
    const int c = k / MULT;
    const int quadsPerRow = (p.OW + 3) / 4;
    const int q = int(gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x) * int(gl_WorkGroupSize.x) + int(gl_LocalInvocationID.x);
    if (q >= quadsPerRow * p.OH) return;
    const int oy = q / quadsPerRow;
    const int ox0 = (q - oy * quadsPerRow) * 4;
    const int base = (batch * p.C + c) * p.H * p.W;
    const int ix0 = ox0 * SW - p.padLeft;
    float a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    int wp = k * KH * KW;
    for (int ky = 0; ky < KH; ky++) {
        int iy = oy * SH - p.padTop + ky * DH;
        if (SW == 1 && DW == 1) {
#ifdef WINDOW_ARRAY
            // The whole row window in an array: KW + 3 input loads per kernel row (best on SwiftShader, where loads
            // cost most; llvmpipe indexes the array slowly and takes the chunked form below).
            float win[KW + 3];
            for (int j = 0; j < KW + 3; j++) win[j] = at(base, iy, ix0 + j);
            for (int kx = 0; kx < KW; kx++) {
                float wv = w[wp + kx];
                a0 = fma(wv, win[kx], a0);
                a1 = fma(wv, win[kx + 1], a1);
                a2 = fma(wv, win[kx + 2], a2);
                a3 = fma(wv, win[kx + 3], a3);
            }
#else
            // Four taps at a time over a sliding window of 7 inputs held in named variables (SwiftShader keeps
            // arrays in memory, and reads them with a gather when the index is not a literal).
            for (int kx0 = 0; kx0 < KW; kx0 += 4) {
                int ix = ix0 + kx0;
                float v0 = at(base, iy, ix), v1 = at(base, iy, ix + 1), v2 = at(base, iy, ix + 2), v3 = at(base, iy, ix + 3);
                float v4 = at(base, iy, ix + 4), v5 = at(base, iy, ix + 5), v6 = at(base, iy, ix + 6);
                float w0 = w[wp + kx0];
                float w1 = kx0 + 1 < KW ? w[wp + kx0 + 1] : 0.0;
                float w2 = kx0 + 2 < KW ? w[wp + kx0 + 2] : 0.0;
                float w3 = kx0 + 3 < KW ? w[wp + kx0 + 3] : 0.0;
                a0 = fma(w0, v0, fma(w1, v1, fma(w2, v2, fma(w3, v3, a0))));
                a1 = fma(w0, v1, fma(w1, v2, fma(w2, v3, fma(w3, v4, a1))));
                a2 = fma(w0, v2, fma(w1, v3, fma(w2, v4, fma(w3, v5, a2))));
                a3 = fma(w0, v3, fma(w1, v4, fma(w2, v5, fma(w3, v6, a3))));
            }
#endif
        } else {
            for (int kx = 0; kx < KW; kx++) {
                float wv = w[wp + kx];
                int ix = ix0 + kx * DW;
                a0 = fma(wv, at(base, iy, ix), a0);
                a1 = fma(wv, at(base, iy, ix + SW), a1);
                a2 = fma(wv, at(base, iy, ix + 2 * SW), a2);
                a3 = fma(wv, at(base, iy, ix + 3 * SW), a3);
            }
        }
        wp += KW;
    }
    float b = bias[k];
    int o = (plane * p.OH + oy) * p.OW + ox0;
    y[o] = activate(a0 + b);
    if (ox0 + 1 < p.OW) y[o + 1] = activate(a1 + b);
    if (ox0 + 2 < p.OW) y[o + 2] = activate(a2 + b);
    if (ox0 + 3 < p.OW) y[o + 3] = activate(a3 + b);
}
