#version 450
// Local response normalisation across channels: one invocation per element, a window of at most Size channels.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, HW, before, after, count; float alphaOverSize, beta, bias; } p;

void main()
{
    int idx = flatIndex();
    if (idx >= p.count) return;
    // (batch item, channel, pixel): the window runs over the item's own channels.
    int plane = idx / p.HW, i = idx % p.HW;
    int c = plane % p.C, first = (plane - c) * p.HW;
    float s = 0.0;
    for (int k = max(0, c - p.before); k <= min(p.C - 1, c + p.after); k++) {
        float v = x[first + k * p.HW + i];
        s += v * v;
    }
    y[idx] = x[idx] / pow(p.bias + p.alphaOverSize * s, p.beta);
}
