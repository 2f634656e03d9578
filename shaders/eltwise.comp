#version 450
// Element-wise operations: an activation of one input, or a binary operation (add, multiply) of two inputs where
// the second broadcasts over channels (C,1,1) or is a scalar (1,1,1), followed by an optional activation.
// PReLU takes its per-channel slopes from the second input. Four elements per invocation.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int OP = 0;         // 0 unary, 1 add, 2 mul, 3 sub, 4 div, 5 prelu, 6 max, 7 min, 8 equal, 9 pow
layout(constant_id = 1) const int BMODE = 0;      // second input: 0 same shape, 1 per channel, 2 scalar
layout(constant_id = 2) const int ACT = 0;
layout(constant_id = 3) const float ALPHA = 0.0;
layout(constant_id = 4) const float BETA = 0.0;
#include "activation.glsl"
#include "binary_op.glsl"

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
// HW: elements per channel; C: channels (per-channel operands repeat for every batch item).
layout(push_constant) uniform Params { int count, HW, C; } p;

void main()
{
    int i0 = flatIndex() * 4;
    // Per channel: the channel of the first element once per invocation, then stepped (one division for four values).
    int q = i0 / p.HW;
    int r = i0 - q * p.HW;
    int ch = q % p.C;
    for (int k = 0; k < 4; k++) {
        int i = i0 + k;
        if (i >= p.count) return;
        float v = a[i];
        if (OP != 0) {
            if (r == p.HW) { r = 0; ch = ch + 1 == p.C ? 0 : ch + 1; }
            int j = BMODE == 0 ? i : (BMODE == 1 ? ch : 0);
            r++;
            float u = b[j];
            v = binaryOp(v, u);
        }
        y[i] = activate(v);
    }
}
