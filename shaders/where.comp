#version 450
// Where(condition, x, y) with numpy broadcasting: x where the condition is non-zero, else y. The host merges axes that
// broadcast alike in all three operands; at most 4 axes remain (more is refused at load). One output per invocation.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Cond { float c[]; };
layout(std430, binding = 1) readonly buffer X { float a[]; };
layout(std430, binding = 2) readonly buffer Y { float b[]; };
layout(std430, binding = 3) writeonly buffer Output { float o[]; };
layout(push_constant) uniform Params {
    int count, rank, pad0, pad1;
    ivec4 dims, cStride, aStride, bStride;
} p;

void main()
{
    int i = flatIndex();
    if (i >= p.count) return;
    int ic = 0, ia = 0, ib = 0, rest = i;
    for (int k = p.rank - 1; k >= 0; k--) {
        int q = rest / p.dims[k];
        int idx = rest - q * p.dims[k];
        rest = q;
        ic += idx * p.cStride[k];
        ia += idx * p.aStride[k];
        ib += idx * p.bStride[k];
    }
    o[i] = c[ic] != 0.0 ? a[ia] : b[ib];
}
