#version 450
// Transposed convolution (segmentation decoders), gathered per output pixel so that no atomics are needed:
// output (oy, ox) receives input (iy, ix) through tap (ky, kx) when oy + padTop - ky*DH = iy*SH. Each
// invocation computes 4 output channels of one pixel; weights are packed [g][kq][ky][kx][cg] as vec4.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
layout(constant_id = 0) const int KH = 2;
layout(constant_id = 1) const int KW = 2;
layout(constant_id = 2) const int SH = 2;
layout(constant_id = 3) const int SW = 2;
layout(constant_id = 4) const int DH = 1;
layout(constant_id = 5) const int DW = 1;
layout(constant_id = 6) const int ACT = 0;
layout(constant_id = 7) const float ALPHA = 0.0;
layout(constant_id = 8) const float BETA = 0.0;
#include "activation.glsl"

layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) readonly buffer Weights { vec4 w[]; };
layout(std430, binding = 2) readonly buffer Bias { vec4 bias[]; };
layout(std430, binding = 3) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, H, W, K, OH, OW, padTop, padLeft, Cg, Kg, KgQ, batches; } p;

void main()
{
    int pix = int(gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x) * 64 + int(gl_LocalInvocationID.x);
    int OHW = p.OH * p.OW;
    if (pix >= OHW) return;
    int blocks = int(gl_NumWorkGroups.y) / p.batches;
    int batch = int(gl_WorkGroupID.y) / blocks;
    int blk = int(gl_WorkGroupID.y) - batch * blocks;     // g * KgQ + kq
    int g = blk / p.KgQ;
    int kq = blk - g * p.KgQ;
    int oy = pix / p.OW, ox = pix - (pix / p.OW) * p.OW;
    vec4 acc = bias[blk];
    int HW = p.H * p.W;
    for (int ky = 0; ky < KH; ky++) {
        int ty = oy + p.padTop - ky * DH;
        if (ty < 0 || ty % SH != 0) continue;
        int iy = ty / SH;
        if (iy >= p.H) continue;
        for (int kx = 0; kx < KW; kx++) {
            int tx = ox + p.padLeft - kx * DW;
            if (tx < 0 || tx % SW != 0) continue;
            int ix = tx / SW;
            if (ix >= p.W) continue;
            int xo = (batch * p.C + g * p.Cg) * HW + iy * p.W + ix;
            int wo = ((blk * KH + ky) * KW + kx) * p.Cg;
            for (int c = 0; c < p.Cg; c++) acc = fma(w[wo + c], vec4(x[xo + c * HW]), acc);
        }
    }
    for (int e = 0; e < 4; e++) {
        int kk = kq * 4 + e;
        if (kk < p.Kg) y[(batch * p.K + g * p.Kg + kk) * OHW + pix] = activate(acc[e]);
    }
}
