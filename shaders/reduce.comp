#version 450
// Reduction of a box of a (D,H,W) tensor: one workgroup per output element (a,b,c), whose reduced axes have size 1,
// so the box starts at input (a,b,c); its N = ND·NH·NW elements are shared by the lanes, then a shared-memory tree.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
#include "nan_minmax.glsl"
layout(constant_id = 0) const int KIND = 0;            // 0 sum, 1 mean, 2 max, 3 min, 4 product, 5 L1, 6 L2, 7 sum of squares
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int E1, E2, H, W, NH, NW, N; } p;
shared float red[64];

float combine(float a, float b) { return KIND == 2 ? maxNaN(a, b) : KIND == 3 ? minNaN(a, b) : KIND == 4 ? a * b : a + b; }
// What each element contributes: |v| for L1, v² for L2 and the sum of squares, else v itself.
float term(float v) { return KIND == 5 ? abs(v) : (KIND == 6 || KIND == 7) ? v * v : v; }

void main()
{
    int o = flatGroup();
    int lane = int(gl_LocalInvocationID.x);
    int c = o % p.E2, b = (o / p.E2) % p.E1, a = o / (p.E2 * p.E1);
    int base = (a * p.H + b) * p.W + c;
    float acc = KIND == 2 ? negInf() : KIND == 3 ? posInf() : KIND == 4 ? 1.0 : 0.0;
    for (int k = lane; k < p.N; k += 64) {
        int kw = k % p.NW, kh = (k / p.NW) % p.NH, kd = k / (p.NW * p.NH);
        acc = combine(acc, term(x[base + (kd * p.H + kh) * p.W + kw]));
    }
    red[lane] = acc;
    barrier();
    for (int s = 32; s > 0; s >>= 1) {
        if (lane < s) red[lane] = combine(red[lane], red[lane + s]);
        barrier();
    }
    if (lane == 0) y[o] = KIND == 1 ? red[0] / float(p.N) : KIND == 6 ? sqrt(red[0]) : red[0];
}
