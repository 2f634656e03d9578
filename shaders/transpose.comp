#version 450
// Permutes the three axes of a (D0,D1,D2) tensor: output element (a,b,c) of (E0,E1,E2) reads the input at
// a·S0 + b·S1 + c·S2, where Sk is the input stride of the axis that output axis k comes from.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int E1, E2, S0, S1, S2, count; } p;

void main()
{
    int idx = flatIndex();
    if (idx >= p.count) return;
    int c = idx % p.E2;
    int t = idx / p.E2;
    int b = t % p.E1;
    int a = t / p.E1;
    y[idx] = x[a * p.S0 + b * p.S1 + c * p.S2];
}
