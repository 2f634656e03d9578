#version 450
// Instance normalisation: one workgroup per channel. Two tree reductions in shared memory, the mean first and then
// the squared deviations from it (more accurate than E[x²] − E[x]² when the mean is large), then the output pass.
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) readonly buffer Affine { vec2 sb[]; };   // (scale, bias) per channel
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int HW; float eps; int C; } p;   // C: channels (scale/bias per channel)
shared float red[256];

float reduceSum(float a, int lane)
{
    red[lane] = a;
    barrier();
    for (int s = 128; s > 0; s >>= 1) {
        if (lane < s) red[lane] += red[lane + s];
        barrier();
    }
    float r = red[0];
    barrier();
    return r;
}

void main()
{
    int c = int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x);   // one workgroup per (batch item, channel) plane
    int lane = int(gl_LocalInvocationID.x);
    int base = c * p.HW;
    float a = 0.0;
    for (int i = lane; i < p.HW; i += 256) a += x[base + i];
    float mean = reduceSum(a, lane) / float(p.HW);
    a = 0.0;
    for (int i = lane; i < p.HW; i += 256) { float d = x[base + i] - mean; a += d * d; }
    float var = reduceSum(a, lane) / float(p.HW);
    vec2 k = sb[c % p.C];
    float m = k.x / sqrt(var + p.eps);
    for (int i = lane; i < p.HW; i += 256) y[base + i] = (x[base + i] - mean) * m + k.y;
}
