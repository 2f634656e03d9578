#version 450
// Copies a (C,H,W) tensor into a larger (OC,OH,OW) tensor at offset (oc, oh, ow): concatenation along height or
// width (channel concatenation is a contiguous copy, copy_channels.comp). One element per invocation.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, H, W, OH, OW, oc, oh, ow; } p;

void main()
{
    int i = flatIndex();
    if (i >= p.C * p.H * p.W) return;
    int w = i % p.W;
    int t = i / p.W;
    int h = t % p.H;
    int c = t / p.H;
    y[((c + p.oc) * p.OH + h + p.oh) * p.OW + w + p.ow] = x[i];
}
