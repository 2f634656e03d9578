#version 450
// Copies a (C,H,W) tensor into channels [offset, offset+C) of a larger (Ctotal,H,W) tensor: channel concat.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Input { vec4 x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int count, dstOffset; } p;

void main()
{
    int i = flatIndex() * 4;
    if (i >= p.count) return;
    vec4 v = x[i / 4];
    y[p.dstOffset + i] = v.x;
    if (i + 1 < p.count) y[p.dstOffset + i + 1] = v.y;
    if (i + 2 < p.count) y[p.dstOffset + i + 2] = v.z;
    if (i + 3 < p.count) y[p.dstOffset + i + 3] = v.w;
}
