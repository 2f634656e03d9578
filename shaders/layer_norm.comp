#version 450
// Layer normalisation: each row of N values (the axes from the normalised axis on) becomes (x − mean)/sqrt(var + eps),
// then scale[j]·v + bias[j]. One workgroup per row: mean, then the variance of the deviations (two passes over the
// row, numerically safer than E[x²] − E[x]²), each a shared-memory tree.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) readonly buffer Affine { vec2 sb[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int N, rows; float eps; } p;
shared float red[64];

float reduceSum(float a, int lane)
{
    red[lane] = a;
    barrier();
    for (int s = 32; s > 0; s >>= 1) { if (lane < s) red[lane] += red[lane + s]; barrier(); }
    float r = red[0];
    barrier();
    return r;
}

void main()
{
    int row = flatGroup();
    if (row >= p.rows) return;
    int lane = int(gl_LocalInvocationID.x);
    int base = row * p.N;
    float a = 0.0;
    for (int j = lane; j < p.N; j += 64) a += x[base + j];
    float mean = reduceSum(a, lane) / float(p.N);
    a = 0.0;
    for (int j = lane; j < p.N; j += 64) { float d = x[base + j] - mean; a += d * d; }
    float inv = 1.0 / sqrt(reduceSum(a, lane) / float(p.N) + p.eps);
    for (int j = lane; j < p.N; j += 64) { vec2 k = sb[j]; y[base + j] = (x[base + j] - mean) * inv * k.x + k.y; }
}
