#version 450
// Winograd F(2x2, 3x3), step 2: for each of the 16 tile positions, M[pos] = U[pos] · V[pos], a GEMM of
// (K x C) weights by (C x tiles) transformed inputs. A workgroup is one subgroup; each lane takes 4 consecutive
// tiles, read as one vec4 (V rows are padded to a multiple of 4 tiles and to whole workgroups), and CB output
// channels, so one vec4 input load and CB/4 uniform vec4 weight loads feed 4·CB FMAs.
layout(local_size_x_id = 0) in;
// CB, output channels per workgroup (4, 8, 16 or 32), is a compile-time define with one variant each
// (winograd_gemm_c<CB>), for the reason given in conv2d.comp.
#ifndef CB
#define CB 16
#endif

layout(std430, binding = 0) readonly buffer V { vec4 v[]; };
layout(std430, binding = 1) readonly buffer U { vec4 u[]; };
layout(std430, binding = 2) writeonly buffer M { vec4 m[]; };
layout(push_constant) uniform Params { int C, K, tPad, blocks; } p;

#define FOR_I(X, Q) X(Q,0) X(Q,1) X(Q,2) X(Q,3)
#define FOR_QI(X) FOR_I(X,0) FOR_I(X,1) FOR_I(X,2) FOR_I(X,3) FOR_I(X,4) FOR_I(X,5) FOR_I(X,6) FOR_I(X,7)
#define DECL(Q, I) vec4 a##Q##I = vec4(0.0);
// aQI: channels 4Q..4Q+3 for tile I of the lane.
#define MAC(Q, I) if (4 * Q < CB) a##Q##I = fma(w##Q, vec4(xv[I]), a##Q##I);
#define STORE(Q) if (4 * Q < CB) for (int e = 0; e < 4; e++) { int k = b * CB + 4 * Q + e; \
    if (k < p.K) m[((pos * p.K + k) * p.tPad) / 4 + t4] = vec4(a##Q##0[e], a##Q##1[e], a##Q##2[e], a##Q##3[e]); }

void main()
{
    // Channel blocks vary fastest across workgroups, so that consecutive workgroups read the same tiles of V
    // while they are still in cache.
    const int pos = int(gl_WorkGroupID.y);
    const int group = int(gl_WorkGroupID.x) / p.blocks;
    const int b = int(gl_WorkGroupID.x) - group * p.blocks;
    const int t4 = group * int(gl_WorkGroupSize.x) + int(gl_LocalInvocationID.x);   // vec4 of tiles
    const int q4 = p.tPad / 4;
    FOR_QI(DECL)
    int vp = pos * p.C * q4 + t4;
    int up = (pos * p.blocks + b) * p.C * (CB / 4);
    for (int c = 0; c < p.C; c++) {
        vec4 xv = v[vp];
        vec4 w0 = u[up];
        vec4 w1 = CB > 4 ? u[up + 1] : vec4(0.0);
        vec4 w2 = CB > 8 ? u[up + 2] : vec4(0.0);
        vec4 w3 = CB > 12 ? u[up + 3] : vec4(0.0);
        vec4 w4 = CB > 16 ? u[up + 4] : vec4(0.0);
        vec4 w5 = CB > 20 ? u[up + 5] : vec4(0.0);
        vec4 w6 = CB > 24 ? u[up + 6] : vec4(0.0);
        vec4 w7 = CB > 28 ? u[up + 7] : vec4(0.0);
        FOR_QI(MAC)
        vp += q4;
        up += CB / 4;
    }
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
}
