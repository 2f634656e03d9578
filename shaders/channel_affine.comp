#version 450
// y = x * scale[c] + shift[c], then an optional activation: inference batch norm where no convolution precedes it.
// c is axis 1 of the tensor (HW: elements per channel); workgroup z is the batch item (count: elements per item), so
// no element needs more than one division.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int ACT = 0;
layout(constant_id = 1) const float ALPHA = 0.0;
layout(constant_id = 2) const float BETA = 0.0;
#include "activation.glsl"
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) readonly buffer Affine { vec2 ss[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int count, HW, C; } p;   // C: channels (kept for the mirror; the grid covers one item)

void main()
{
    int i = flatIndex();
    if (i >= p.count) return;
    vec2 s = ss[i / p.HW];
    int j = int(gl_WorkGroupID.z) * p.count + i;
    y[j] = activate(fma(x[j], s.x, s.y));
}
