#version 450
// BGRA8 -> RGBA8 for the frame pipeline's host images in B8G8R8A8 (swapchain-style) formats: swaps bytes 0 and 2 of
// every packed pixel, 4 pixels per lane through uvec4 loads. No format branches: SwiftShader does not fold
// specialisation constants out of conditions, and the general converter (preprocess.comp with PACK = 1) cost
// 50-260 ms per frame there for this one swap.
layout(local_size_x = 64) in;
#include "grid.glsl"

layout(std430, binding = 0) readonly buffer Src { uvec4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uvec4 dst[]; };
layout(push_constant) uniform Push { int quads; int pixels; } pc;   // quads = pixels / 4 (rounded down)

uint swap(uint p) { return (p & 0xFF00FF00u) | ((p >> 16) & 0xFFu) | ((p & 0xFFu) << 16); }

void main() {
    int i = flatIndex();
    if (i >= pc.quads) return;
    uvec4 p = src[i];
    dst[i] = uvec4(swap(p.x), swap(p.y), swap(p.z), swap(p.w));
}
