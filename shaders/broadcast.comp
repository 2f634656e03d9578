#version 450
// Binary operations with numpy broadcasting at any rank up to 8: each operand's dimension is the output's or 1,
// expressed as strides that are 0 along broadcast dimensions, so neither operand is ever expanded in memory. The host
// merges axes that broadcast alike, so most run at rank 2 or 3. One output per invocation. (eltwise.comp serves the
// common cases: same shape, one value per channel, one value.)
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int OP = 1;         // as in eltwise.comp
layout(constant_id = 1) const int ACT = 0;
layout(constant_id = 2) const float ALPHA = 0.0;
layout(constant_id = 3) const float BETA = 0.0;
#include "activation.glsl"
#include "binary_op.glsl"

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params {
    int count, rank, pad0, pad1;
    ivec4 dims[2];
    ivec4 aStride[2];
    ivec4 bStride[2];
} p;

void main()
{
    int i = flatIndex();
    if (i >= p.count) return;
    int ia = 0, ib = 0, rest = i;
    for (int k = p.rank - 1; k > 0; k--) {
        int n = p.dims[k >> 2][k & 3];
        int q = rest / n;
        int idx = rest - q * n;
        rest = q;
        ia += idx * p.aStride[k >> 2][k & 3];
        ib += idx * p.bStride[k >> 2][k & 3];
    }
    ia += rest * p.aStride[0].x;
    ib += rest * p.bStride[0].x;
    y[i] = activate(binaryOp(a[ia], b[ib]));
}
