#version 450
// Softmax (or log-softmax) over channels at every pixel. Numerically safe: the maximum is subtracted first.
// One invocation per pixel when there are many pixels; for a 1x1 map (classifier output) one workgroup
// reduces over the channels in shared memory.
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool LOG = false;
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, HW; } p;
shared float red[64];

void main()
{
    int lane = int(gl_LocalInvocationID.x);
    if (p.HW == 1) {
        float m = -3.402823466e+38;
        for (int c = lane; c < p.C; c += 64) m = max(m, x[c]);
        red[lane] = m;
        barrier();
        for (int s = 32; s > 0; s >>= 1) { if (lane < s) red[lane] = max(red[lane], red[lane + s]); barrier(); }
        m = red[0];
        barrier();
        float sum = 0.0;
        for (int c = lane; c < p.C; c += 64) sum += exp(x[c] - m);
        red[lane] = sum;
        barrier();
        for (int s = 32; s > 0; s >>= 1) { if (lane < s) red[lane] += red[lane + s]; barrier(); }
        sum = red[0];
        for (int c = lane; c < p.C; c += 64) y[c] = LOG ? x[c] - m - log(sum) : exp(x[c] - m) / sum;
        return;
    }
    int pix = int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x) * 64 + lane;
    if (pix >= p.HW) return;
    float m = -3.402823466e+38;
    for (int c = 0; c < p.C; c++) m = max(m, x[c * p.HW + pix]);
    float sum = 0.0;
    for (int c = 0; c < p.C; c++) sum += exp(x[c * p.HW + pix] - m);
    float ls = log(sum);
    for (int c = 0; c < p.C; c++) {
        float v = x[c * p.HW + pix] - m;
        y[c * p.HW + pix] = LOG ? v - ls : exp(v) / sum;
    }
}
