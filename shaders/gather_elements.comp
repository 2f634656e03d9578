#version 450
// GatherElements along one axis: the output has the indices' shape, and element (i_0..i_r) reads the data at the same
// coordinates except along the axis, where it takes indices[i] (floats holding integers, negative counting from the
// end, clamped to the axis at run time). Coordinates decompose over the indices' dimensions (rank up to 8).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Data { float x[]; };
layout(std430, binding = 1) readonly buffer Indices { float idx[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params {
    int count, rank, axis, axisSize;
    ivec4 dims[2];       // the indices' (and output's) dimensions
    ivec4 dstride[2];    // the data's strides
} p;

void main()
{
    int i = flatIndex();
    if (i >= p.count) return;
    int k = int(idx[i]);
    if (k < 0) k += p.axisSize;
    k = clamp(k, 0, p.axisSize - 1);
    int rest = i, off = 0;
    for (int a = p.rank - 1; a >= 0; a--) {
        int n = p.dims[a >> 2][a & 3];
        int q = rest / n;
        int c = rest - q * n;
        rest = q;
        off += (a == p.axis ? k : c) * p.dstride[a >> 2][a & 3];
    }
    y[i] = x[off];
}
