#version 450
// DepthToSpace: output (c, h, w) of (C, H·B, W·B) reads input pixel (h/B, w/B) of channel ((h%B)·B + w%B)·C + c
// (DCR) or c·B² + (h%B)·B + w%B (CRD, specialisation constant). One invocation per output element.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int CRD = 0;
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, H, W, B, count; } p;

void main()
{
    int idx = flatIndex();
    if (idx >= p.count) return;
    int OW = p.W * p.B, OH = p.H * p.B;
    int w = idx % OW, h = (idx / OW) % OH, c = idx / (OW * OH);
    int sub = (h % p.B) * p.B + w % p.B;
    int ic = CRD == 1 ? c * p.B * p.B + sub : sub * p.C + c;
    y[idx] = x[(ic * p.H + h / p.B) * p.W + w / p.B];
}
