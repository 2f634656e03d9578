#version 450
// Gather along one axis: the data viewed as [outer, axis, inner] and the indices as a flat list of n values (floats
// holding integers, negative counting from the end); output element (o, j, i) = data[o, indices[j], i]. An index
// outside the axis is clamped (the importer checks constant indices at load).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Data { float x[]; };
layout(std430, binding = 1) readonly buffer Indices { float idx[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int count, inner, n, axis; } p;

void main()
{
    int i = flatIndex();
    if (i >= p.count) return;
    int t = i / p.inner;
    int in0 = i - t * p.inner;
    int o = t / p.n;
    int j = t - o * p.n;
    int k = int(idx[j]);
    if (k < 0) k += p.axis;
    k = clamp(k, 0, p.axis - 1);
    y[i] = x[(o * p.axis + k) * p.inner + in0];
}
