#version 450
// Reduction over any set of axes of a tensor: one workgroup per output element. The host merges neighbouring axes of
// the same kind, leaving at most 4 kept and 4 reduced axis groups: the output index decomposes over the kept groups
// into the input offset of its box, and the box's N elements (decomposed over the reduced groups) are shared by the
// lanes, then combined in a shared-memory tree.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
#include "nan_minmax.glsl"
layout(constant_id = 0) const int KIND = 0;            // 0 sum, 1 mean, 2 max, 3 min, 4 product, 5 L1, 6 L2, 7 sum of squares
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params {
    int count, N, nk, nr;
    ivec4 kDims, kStride;     // kept groups, outermost first; strides in the input
    ivec4 rDims, rStride;     // reduced groups
} p;
shared float red[64];

float combine(float a, float b) { return KIND == 2 ? maxNaN(a, b) : KIND == 3 ? minNaN(a, b) : KIND == 4 ? a * b : a + b; }
// What each element contributes: |v| for L1, v² for L2 and the sum of squares, else v itself.
float term(float v) { return KIND == 5 ? abs(v) : (KIND == 6 || KIND == 7) ? v * v : v; }

void main()
{
    int o = flatGroup();
    if (o >= p.count) return;
    int lane = int(gl_LocalInvocationID.x);
    int base = 0, rest = o;
    for (int g = p.nk - 1; g >= 0; g--) {
        int q = rest / p.kDims[g];
        base += (rest - q * p.kDims[g]) * p.kStride[g];
        rest = q;
    }
    float acc = KIND == 2 ? negInf() : KIND == 3 ? posInf() : KIND == 4 ? 1.0 : 0.0;
    for (int k = lane; k < p.N; k += 64) {
        int off = base, r = k;
        for (int g = p.nr - 1; g >= 0; g--) {
            int q = r / p.rDims[g];
            off += (r - q * p.rDims[g]) * p.rStride[g];
            r = q;
        }
        acc = combine(acc, term(x[off]));
    }
    red[lane] = acc;
    barrier();
    for (int s = 32; s > 0; s >>= 1) {
        if (lane < s) red[lane] = combine(red[lane], red[lane + s]);
        barrier();
    }
    if (lane == 0) y[o] = KIND == 1 ? red[0] / float(p.N) : KIND == 6 ? sqrt(red[0]) : red[0];
}
