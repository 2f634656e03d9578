#version 450
// FMA-bound kernel for measuring a device's fp32 throughput: 8 independent vec4 chains per invocation,
// ITER iterations of 8 vec4 FMAs (64 FLOP-pairs); the result is stored so that nothing is optimised away.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int ITER = 256;
layout(std430, binding = 0) writeonly buffer Output { vec4 y[]; };
layout(push_constant) uniform Params { float a, b; } p;

void main()
{
    vec4 s0 = vec4(gl_GlobalInvocationID.x) * 1e-6, s1 = s0 + 1.0, s2 = s0 + 2.0, s3 = s0 + 3.0;
    vec4 s4 = s0 + 4.0, s5 = s0 + 5.0, s6 = s0 + 6.0, s7 = s0 + 7.0;
    vec4 a = vec4(p.a), b = vec4(p.b);
    for (int i = 0; i < ITER; i++) {
        s0 = fma(s0, a, b); s1 = fma(s1, a, b); s2 = fma(s2, a, b); s3 = fma(s3, a, b);
        s4 = fma(s4, a, b); s5 = fma(s5, a, b); s6 = fma(s6, a, b); s7 = fma(s7, a, b);
    }
    y[gl_GlobalInvocationID.x] = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
}
