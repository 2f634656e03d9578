#version 450
// Dense layer y = W x + b (a matrix-vector product, bound by reading W once). A workgroup is one subgroup and
// takes ROWS output rows; its lanes stride along the row in vec4 steps (consecutive lanes read consecutive
// 16-byte words: coalesced on GPUs, one vec4 per lane per row on the software devices) and a shared-memory sum
// combines the lanes' partial dot products (portable to devices whose subgroup size varies). Rows are padded to
// a multiple of 4 floats and the row count to a multiple of ROWS, with zero weights. Workgroup y is the batch item:
// input row n starts at n·N floats, output row n at n·K.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int ROWS = 4;           // 1 to 4
layout(constant_id = 2) const int ACT = 0;
layout(constant_id = 3) const float ALPHA = 0.0;
layout(constant_id = 4) const float BETA = 0.0;
#include "activation.glsl"

// VEC4_INPUT (variant dense_v4, for N a multiple of 4): the input read as vec4, one load per four values; else floats,
// since a batch row then need not start on a vec4.
#ifdef VEC4_INPUT
layout(std430, binding = 0) readonly buffer Input { vec4 xv[]; };
#else
layout(std430, binding = 0) readonly buffer Input { float x[]; };
#endif
layout(std430, binding = 1) readonly buffer Weights { vec4 w[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int N, K, N4, rowOffset; } p;   // N4: padded row length in vec4
shared vec4 red[64];

void main()
{
    const int lane = int(gl_LocalInvocationID.x);
    const int lanes = int(gl_WorkGroupSize.x);
    const int row0 = int(gl_WorkGroupID.x) * ROWS;          // within this dispatch's chunk of rows
    const int batch = int(gl_WorkGroupID.y);
    const int xb = batch * p.N;
    float s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int j = lane; j < p.N4; j += lanes) {
#ifdef VEC4_INPUT
        vec4 v = xv[batch * p.N4 + j];
#else
        int i = xb + 4 * j;
        vec4 v;
        // The input is not padded (and a batch row need not start on a vec4): the last group reads only up to N.
        if (4 * j + 4 <= p.N) v = vec4(x[i], x[i + 1], x[i + 2], x[i + 3]);
        else v = vec4(x[i], 4 * j + 1 < p.N ? x[i + 1] : 0.0, 4 * j + 2 < p.N ? x[i + 2] : 0.0, 0.0);
#endif
        int base = row0 * p.N4 + j;
        s0 = s0 + dot(w[base], v);
        if (ROWS > 1) s1 = s1 + dot(w[base + p.N4], v);
        if (ROWS > 2) s2 = s2 + dot(w[base + 2 * p.N4], v);
        if (ROWS > 3) s3 = s3 + dot(w[base + 3 * p.N4], v);
    }
    red[lane] = vec4(s0, s1, s2, s3);
    barrier();
    if (lane == 0) {
        vec4 t = vec4(0.0);
        for (int i = 0; i < lanes; i++) t += red[i];
        s0 = t.x; s1 = t.y; s2 = t.z; s3 = t.w;
        int k = p.rowOffset + row0;
        int yb = batch * p.K;
        if (k < p.K) y[yb + k] = activate(s0 + bias[k]);
        if (ROWS > 1 && k + 1 < p.K) y[yb + k + 1] = activate(s1 + bias[k + 1]);
        if (ROWS > 2 && k + 2 < p.K) y[yb + k + 2] = activate(s2 + bias[k + 2]);
        if (ROWS > 3 && k + 3 < p.K) y[yb + k + 3] = activate(s3 + bias[k + 3]);
    }
}
