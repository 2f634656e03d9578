#version 450
// Convolution (and dense layers, as 1x1 convolutions of a 1x1 image) as a register-blocked implicit GEMM.
// A workgroup is one subgroup wide: lanes take consecutive output pixels (PPL each, WG apart) and share one block
// of CB output channels, so each lane accumulates CB x PPL outputs in registers.
//
// Why it is organised this way: on the software devices (llvmpipe, SwiftShader) every buffer load inside a loop
// is executed lane by lane, so loads, not FMAs, bound the speed. Per input channel and tap a lane makes PPL
// input loads and CB/4 vec4 weight loads (the same address in every lane) for CB x PPL FMAs. Loading weights
// once per lane and sharing them with subgroupBroadcast was measured too: no faster on either device.
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
// CB (output channels per workgroup: 4, 8, 16 or 32) and PPL (output pixels per lane: 1, 2 or 4) are compile-time
// defines, one SPIR-V variant each (conv2d_c<CB>p<PPL>): SwiftShader does not fold specialisation constants out of
// conditions, and the guarded accumulator code below then costs as if it ran (measured 3x slower).
#ifndef CB
#define CB 16
#endif
#ifndef PPL
#define PPL 4
#endif
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
// CHANNEL_LAST 1: input and output stored channel-last ([pixel][channel], the Linear layer's rows); 0: channel-major.
// A compile-time define (variants conv2d_c<CB>p<PPL>_cl), not a specialisation constant: SwiftShader keeps the code of
// both values, and the extra stride arithmetic measured 5-20 % on its convolutions.
#ifndef CHANNEL_LAST
#define CHANNEL_LAST 0
#endif

#include "activation.glsl"

layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) readonly buffer Weights { vec4 wq[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Output { float y[]; };

layout(push_constant) uniform Params {
    int C, H, W;            // input
    int K, OH, OW;          // output
    int padTop, padLeft;
    int Cg;                 // input channels per group
    int Kg;                 // output channels per group
    int blocksPerGroup;     // ceil(Kg / CB)
    int blockOffset;        // first block of this dispatch (layers whose weights exceed one binding are split)
    int dispatchBlocks;     // channel blocks in this dispatch
} p;


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

// Accumulators are named variables, never arrays: SwiftShader keeps arrays in memory even when every index is a
// constant. aQI holds output channels 4Q..4Q+3 of the block for pixel I of the lane.
#define FOR_I(M, Q) M(Q,0) M(Q,1) M(Q,2) M(Q,3)
#define FOR_QI(M) FOR_I(M,0) FOR_I(M,1) FOR_I(M,2) FOR_I(M,3) FOR_I(M,4) FOR_I(M,5) FOR_I(M,6) FOR_I(M,7)
#define DECL(Q, I) vec4 a##Q##I = vec4(0.0);
#define MAC(Q, I) if (4 * Q < CB && I < PPL) a##Q##I = fma(w##Q, vec4(x##I), a##Q##I);

#define WQUAD(Q) wq[wp / 4 + Q]

// Bias, activation and store of the lane's pixel I for the 4 channels of quad Q.
#define STORE(Q, I) if (4 * Q < CB && I < PPL) { int pix = pixBase + I * WG; if (pix < OHW) { \
    for (int e = 0; e < 4; e++) { int kk = b * CB + 4 * Q + e; \
        if (kk < p.Kg) y[yBatch + (g * p.Kg + kk) * kStride + pix * pStrideOut] = activate(a##Q##I[e] + bias[blk * CB + 4 * Q + e]); } } }

void main()
{
    const int lane = int(gl_LocalInvocationID.x);
    // Channel blocks vary fastest across workgroups, so that consecutive workgroups read the same input pixels
    // while they are still in cache.
    const int groupIndex = int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x);
    const int pixGroup = groupIndex / p.dispatchBlocks;
    const int blk = groupIndex - pixGroup * p.dispatchBlocks + p.blockOffset;
    const int g = blk / p.blocksPerGroup;
    const int b = blk - g * p.blocksPerGroup;
    const int HW = p.H * p.W;
    const int OHW = p.OH * p.OW;
    const int pixBase = pixGroup * (WG * PPL) + lane;
    // Workgroup z is the batch item: whole images apart in the input and the output.
    const int batch = int(gl_WorkGroupID.z);
    const int yBatch = batch * p.K * OHW;
    const int cStride = CHANNEL_LAST == 1 ? 1 : HW;          // input: next channel
    const int pStride = CHANNEL_LAST == 1 ? p.C : 1;         // input: next pixel
    const int kStride = CHANNEL_LAST == 1 ? 1 : OHW;         // output: next channel
    const int pStrideOut = CHANNEL_LAST == 1 ? p.K : 1;      // output: next pixel

    // Top-left input coordinate of the lane's pixels (pixels past the end repeat the last one).
    ivec4 iy0, ix0;
    for (int i = 0; i < 4; i++) {
        int pix = min(pixBase + min(i, PPL - 1) * WG, OHW - 1);
        int oy = pix / p.OW;
        iy0[i] = oy * SH - p.padTop;
        ix0[i] = (pix - oy * p.OW) * SW - p.padLeft;
    }
    FOR_QI(DECL)

    const int xBase = batch * p.C * HW + g * p.Cg * cStride;
    int wp = (blk - p.blockOffset) * KH * KW * p.Cg * CB;
    for (int ky = 0; ky < KH; ky++) {
        for (int kx = 0; kx < KW; kx++) {
            // Input offsets and padding masks of this tap, shared by all input channels.
            ivec4 iy = iy0 + ky * DH, ix = ix0 + kx * DW;
            ivec4 o;
            bvec4 ok;
            if (PAD_MODE == 0) {
                ok = bvec4(uvec4(greaterThanEqual(iy, ivec4(0))) & uvec4(lessThan(iy, ivec4(p.H))) &
                           uvec4(greaterThanEqual(ix, ivec4(0))) & uvec4(lessThan(ix, ivec4(p.W))));
                o = mix(ivec4(0), (iy * p.W + ix) * pStride, ok) + xBase;
            } else {
                ok = bvec4(true);
                for (int i = 0; i < 4; i++) o[i] = (mapIndex(iy[i], p.H) * p.W + mapIndex(ix[i], p.W)) * pStride + xBase;
            }
            int o0 = o.x, o1 = o.y, o2 = o.z, o3 = o.w;
            for (int c = 0; c < p.Cg; c++) {
                float x0 = x[o0];
                float x1 = PPL > 1 ? x[o1] : 0.0;
                float x2 = PPL > 2 ? x[o2] : 0.0;
                float x3 = PPL > 3 ? x[o3] : 0.0;
                x0 = ok.x ? x0 : 0.0; x1 = ok.y ? x1 : 0.0; x2 = ok.z ? x2 : 0.0; x3 = ok.w ? x3 : 0.0;
                o0 += cStride; o1 += cStride; o2 += cStride; o3 += cStride;
                vec4 w0 = WQUAD(0);
                vec4 w1 = CB > 4 ? WQUAD(1) : vec4(0.0);
                vec4 w2 = CB > 8 ? WQUAD(2) : vec4(0.0);
                vec4 w3 = CB > 12 ? WQUAD(3) : vec4(0.0);
                vec4 w4 = CB > 16 ? WQUAD(4) : vec4(0.0);
                vec4 w5 = CB > 20 ? WQUAD(5) : vec4(0.0);
                vec4 w6 = CB > 24 ? WQUAD(6) : vec4(0.0);
                vec4 w7 = CB > 28 ? WQUAD(7) : vec4(0.0);
                FOR_QI(MAC)
                wp += CB;
            }
        }
    }
    FOR_QI(STORE)
}
