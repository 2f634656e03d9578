#version 450
// Global average / max pooling: one workgroup per channel, a tree reduction in shared memory.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "nan_minmax.glsl"
// MODE (0 max, 1 average) is a compile-time define, one SPIR-V variant each (NAME and NAME_avg): SwiftShader keeps the
// code of every specialisation value, and the NaN-propagating max then cost every average pool (measured +35 %).
#ifndef MODE
#define MODE 0
#endif
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, HW; } p;
shared float red[64];

void main()
{
    int c = int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x);   // one workgroup per (batch, channel) plane
    if (c >= p.C) return;
    int lane = int(gl_LocalInvocationID.x);
    int base = c * p.HW;
    float a = MODE == 0 ? negInf() : 0.0;
    for (int i = lane; i < p.HW; i += 64) {
        float v = x[base + i];
        a = MODE == 0 ? maxNaN(a, v) : a + v;
    }
    red[lane] = a;
    barrier();
    for (int s = 32; s > 0; s >>= 1) {
        if (lane < s) red[lane] = MODE == 0 ? maxNaN(red[lane], red[lane + s]) : red[lane] + red[lane + s];
        barrier();
    }
    if (lane == 0) y[c] = MODE == 0 ? red[0] : red[0] / float(p.HW);
}
