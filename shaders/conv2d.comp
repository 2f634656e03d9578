#version 450
// Convolution (and dense layers, as 1x1 convolutions of a 1x1 image) as a register-blocked implicit GEMM.
// Each invocation computes CB output channels for PPL output pixels. The channel block is uniform over the
// workgroup, so weight loads are uniform (one vec4 load serves every lane); lanes take consecutive pixels, so
// input loads are consecutive across lanes. Padding offsets and masks are computed once per kernel tap and
// reused over all input channels of the group: the inner loop is one input load, CB/4 vec4 weight loads and
// CB*PPL FMAs.
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int CB = 16;        // output channels per invocation, multiple of 4
layout(constant_id = 2) const int PPL = 2;        // output pixels per invocation
layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SH = 1;
layout(constant_id = 6) const int SW = 1;
layout(constant_id = 7) const int DH = 1;
layout(constant_id = 8) const int DW = 1;
layout(constant_id = 9) const int PAD_MODE = 0;   // 0 zero, 1 replicate (edge), 2 reflect
layout(constant_id = 10) const int ACT = 0;
layout(constant_id = 11) const float ALPHA = 0.0;
layout(constant_id = 12) const float BETA = 0.0;
layout(constant_id = 13) const int WG = 8;         // must equal local_size_x

#include "activation.glsl"

layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) readonly buffer Weights { vec4 w[]; };
layout(std430, binding = 2) readonly buffer Bias { vec4 bias[]; };
layout(std430, binding = 3) writeonly buffer Output { float y[]; };

layout(push_constant) uniform Params {
    int C, H, W;            // input
    int K, OH, OW;          // output
    int padTop, padLeft;
    int Cg;                 // input channels per group
    int Kg;                 // output channels per group
    int blocksPerGroup;     // ceil(Kg / CB)
    int blockOffset;        // first block of this dispatch (layers whose weights exceed one binding are split)
} p;

const int Q = CB / 4;

int mapIndex(int i, int n)
{
    if (PAD_MODE == 1) return clamp(i, 0, n - 1);
    if (PAD_MODE == 2) {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        int m = abs(i) % period;
        return m < n ? m : period - m;
    }
    return i;
}

void main()
{
    const int lane = int(gl_LocalInvocationID.x);
    const int blk = int(gl_WorkGroupID.y) + p.blockOffset;
    const int g = blk / p.blocksPerGroup;
    const int b = blk - g * p.blocksPerGroup;
    const int HW = p.H * p.W;
    const int OHW = p.OH * p.OW;
    const int pixBase = int(gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x) * (WG * PPL) + lane;

    int iy0[PPL], ix0[PPL];
    for (int i = 0; i < PPL; i++) {
        int pix = min(pixBase + i * WG, OHW - 1);
        int oy = pix / p.OW;
        int ox = pix - oy * p.OW;
        iy0[i] = oy * SH - p.padTop;
        ix0[i] = ox * SW - p.padLeft;
    }

    vec4 acc[PPL * Q];
    for (int j = 0; j < PPL * Q; j++) acc[j] = vec4(0.0);

    const int xBase = g * p.Cg * HW;
    int wp = (blk - p.blockOffset) * KH * KW * p.Cg * Q;
    for (int ky = 0; ky < KH; ky++) {
        for (int kx = 0; kx < KW; kx++) {
            int off[PPL];
            bool ok[PPL];
            for (int i = 0; i < PPL; i++) {
                int iy = iy0[i] + ky * DH;
                int ix = ix0[i] + kx * DW;
                if (PAD_MODE == 0) {
                    ok[i] = iy >= 0 && iy < p.H && ix >= 0 && ix < p.W;
                    off[i] = ok[i] ? iy * p.W + ix : 0;
                } else {
                    ok[i] = true;
                    off[i] = mapIndex(iy, p.H) * p.W + mapIndex(ix, p.W);
                }
                off[i] += xBase;
            }
            for (int c = 0; c < p.Cg; c++) {
                float xv[PPL];
                for (int i = 0; i < PPL; i++) {
                    float v = x[off[i]];
                    xv[i] = ok[i] ? v : 0.0;
                    off[i] += HW;
                }
                for (int q = 0; q < Q; q++) {
                    vec4 wv = w[wp + q];
                    for (int i = 0; i < PPL; i++) acc[i * Q + q] = fma(wv, vec4(xv[i]), acc[i * Q + q]);
                }
                wp += Q;
            }
        }
    }

    for (int q = 0; q < Q; q++) {
        vec4 bv = bias[b * Q + q + g * p.blocksPerGroup * Q];
        for (int e = 0; e < 4; e++) {
            int kk = b * CB + q * 4 + e;
            if (kk >= p.Kg) continue;
            int oc = g * p.Kg + kk;
            for (int i = 0; i < PPL; i++) {
                int pix = pixBase + i * WG;
                if (pix < OHW) y[oc * OHW + pix] = activate(acc[i * Q + q][e] + bv[e]);
            }
        }
    }
}
