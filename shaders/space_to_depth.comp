#version 450
// SpaceToDepth: output channel (bh·B + bw)·C + c at (h, w) reads input (c, h·B + bh, w·B + bw).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, OH, OW, B, count; } p;

void main()
{
    int idx = flatIndex();
    if (idx >= p.count) return;
    int w = idx % p.OW, h = (idx / p.OW) % p.OH, oc = idx / (p.OW * p.OH);
    int c = oc % p.C, sub = oc / p.C;
    int H = p.OH * p.B, W = p.OW * p.B;
    y[idx] = x[(c * H + h * p.B + sub / p.B) * W + w * p.B + sub % p.B];
}
