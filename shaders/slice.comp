#version 450
// Strided box of a (D,H,W) tensor: output element (a,b,c) of (E0,E1,E2) reads the input at base + a·S0 + b·S1 + c·S2
// (strides already multiplied by the steps, so negative steps read backwards).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int E1, E2, base, S0, S1, S2, count; } p;

void main()
{
    int idx = flatIndex();
    if (idx >= p.count) return;
    int c = idx % p.E2;
    int t = idx / p.E2;
    int b = t % p.E1;
    int a = t / p.E1;
    y[idx] = x[p.base + a * p.S0 + b * p.S1 + c * p.S2];
}
