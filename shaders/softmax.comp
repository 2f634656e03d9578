#version 450
// Softmax (or log-softmax) along one axis of a tensor viewed as [outer, C, inner]. Numerically safe: the maximum is
// subtracted first. With inner = 1 (the last axis: classifier scores, attention rows, CTC steps) one workgroup reduces
// each row in shared memory; otherwise one invocation per (outer, inner) position walks the C values at stride inner.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const bool LOG = false;
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
// count: rows (inner = 1) or outer·inner positions.
layout(push_constant) uniform Params { int C, inner, count; } p;
shared float red[64];

void main()
{
    int lane = int(gl_LocalInvocationID.x);
    if (p.inner == 1) {
        int row = flatGroup();
        if (row >= p.count) return;
        int b = row * p.C;
        float m = -3.402823466e+38;
        for (int c = lane; c < p.C; c += 64) m = max(m, x[b + c]);
        red[lane] = m;
        barrier();
        for (int s = 32; s > 0; s >>= 1) { if (lane < s) red[lane] = max(red[lane], red[lane + s]); barrier(); }
        m = red[0];
        barrier();
        float sum = 0.0;
        for (int c = lane; c < p.C; c += 64) sum += exp(x[b + c] - m);
        red[lane] = sum;
        barrier();
        for (int s = 32; s > 0; s >>= 1) { if (lane < s) red[lane] += red[lane + s]; barrier(); }
        sum = red[0];
        float ls = log(sum);
        for (int c = lane; c < p.C; c += 64) y[b + c] = LOG ? x[b + c] - m - ls : exp(x[b + c] - m) / sum;
        return;
    }
    int pos = flatIndex();
    if (pos >= p.count) return;
    int o = pos / p.inner;
    int b = o * p.C * p.inner + (pos - o * p.inner);
    float m = -3.402823466e+38;
    for (int c = 0; c < p.C; c++) m = max(m, x[b + c * p.inner]);
    float sum = 0.0;
    for (int c = 0; c < p.C; c++) sum += exp(x[b + c * p.inner] - m);
    float ls = log(sum);
    for (int c = 0; c < p.C; c++) {
        float v = x[b + c * p.inner] - m;
        y[b + c * p.inner] = LOG ? v - ls : exp(v) / sum;
    }
}
