#version 450
// Copies a strided view of one tensor into a strided view of another: element i of the index space `dims` (up to 8
// axes, outermost first) is read at srcBase + Σ idx_k·srcStride_k and written at dstBase + Σ idx_k·dstStride_k.
// Transpose, Slice (steps of any sign), Expand (stride 0), Concat and Split along any axis, DepthToSpace and
// SpaceToDepth are all such copies. The host merges axes that are contiguous in both views, so most copies run with
// rank 1 to 3 and few divisions per element.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Src { float x[]; };
layout(std430, binding = 1) writeonly buffer Dst { float y[]; };
layout(push_constant) uniform Params {
    int count, rank, srcBase, dstBase;
    ivec4 dims[2];
    ivec4 srcStride[2];
    ivec4 dstStride[2];
} p;

void main()
{
    int i = flatIndex();
    if (i >= p.count) return;
    int s = p.srcBase, d = p.dstBase, rest = i;
    for (int k = p.rank - 1; k > 0; k--) {
        int n = p.dims[k >> 2][k & 3];
        int q = rest / n;
        int idx = rest - q * n;
        rest = q;
        s += idx * p.srcStride[k >> 2][k & 3];
        d += idx * p.dstStride[k >> 2][k & 3];
    }
    s += rest * p.srcStride[0].x;
    d += rest * p.dstStride[0].x;
    y[d] = x[s];
}
