#version 450
// Binary operations with numpy broadcasting in (D,H,W): each operand's dimension is the output's or 1, expressed as
// strides that are 0 along broadcast dimensions, so neither operand is ever expanded in memory. One output per
// invocation. (eltwise.comp serves the common cases: same shape, one value per channel, one value.)
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
layout(push_constant) uniform Params { int C, H, W, aC, aH, aW, bC, bH, bW; } p;

void main()
{
    int i = flatIndex();
    if (i >= p.C * p.H * p.W) return;
    int w = i % p.W;
    int t = i / p.W;
    int h = t % p.H;
    int c = t / p.H;
    float v = a[c * p.aC + h * p.aH + w * p.aW];
    float u = b[c * p.bC + h * p.bH + w * p.bW];
    y[i] = activate(binaryOp(v, u));
}
