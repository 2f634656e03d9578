#version 450
// Sobel gradient strength sqrt(fx² + fy²) or direction atan2(fy, fx) from interleaved derivative channels:
// input channel 2c holds fx and 2c+1 holds fy of image channel c; output channel c holds the result.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"                              // after local_size_x: before it gl_WorkGroupSize reads as 1
layout(constant_id = 0) const int MODE = 0;       // 0 magnitude, 1 direction

layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int count, HW; } p;

const float PI = 3.14159265358979;

void main()
{
    int i = flatIndex();
    if (i >= p.count) return;
    int c = i / p.HW, q = i - c * p.HW;
    float fx = x[2 * c * p.HW + q];
    float fy = x[(2 * c + 1) * p.HW + q];
    if (MODE == 0) {
        y[i] = sqrt(fx * fx + fy * fy);
    } else {
        // GLSL leaves atan(0, 0) undefined and drivers differ on the sign at fy = ±0, so the horizontal axis is
        // fixed here: direction lies in (-π, π], 0 where there is no gradient, π for a pure negative fx.
        y[i] = fy == 0.0 ? (fx < 0.0 ? PI : 0.0) : atan(fy, fx);
    }
}
