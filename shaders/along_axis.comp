#version 450
// Operations along one axis of a tensor viewed as [outer, C, inner], one invocation per line of C values (stride
// inner): MODE 0 cumulative sum (flags: 1 exclusive, 2 reverse), 1 ArgMax and 2 ArgMin (the index as a float, one per
// line; flag 4 takes the last of equal extremes), 3 Hardmax (1 at the first maximum of the line, 0 elsewhere).
// NaN is the extreme of ArgMax/ArgMin/Hardmax as in numpy (the first NaN wins).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int MODE = 0;
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, inner, lines, flags; } p;

void main()
{
    int line = flatIndex();
    if (line >= p.lines) return;
    int o = line / p.inner;
    int base = o * p.C * p.inner + (line - o * p.inner);
    if (MODE == 0) {
        bool exclusive = (p.flags & 1) != 0, reverse = (p.flags & 2) != 0;
        float acc = 0.0;
        for (int k = 0; k < p.C; k++) {
            int c = reverse ? p.C - 1 - k : k;
            float v = x[base + c * p.inner];
            if (exclusive) { y[base + c * p.inner] = acc; acc += v; }
            else { acc += v; y[base + c * p.inner] = acc; }
        }
        return;
    }
    bool last = (p.flags & 4) != 0;
    int best = 0;
    float bv = x[base];
    for (int c = 1; c < p.C; c++) {
        float v = x[base + c * p.inner];
        if (isnan(bv)) break;
        bool better = isnan(v) || (MODE == 2 ? (last ? v <= bv : v < bv) : (last ? v >= bv : v > bv));
        if (better) { best = c; bv = v; }
    }
    if (MODE == 3) {
        for (int c = 0; c < p.C; c++) y[base + c * p.inner] = c == best ? 1.0 : 0.0;
        return;
    }
    y[line] = float(best);
}
