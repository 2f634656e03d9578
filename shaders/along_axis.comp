#version 450
// Operations along one axis of a tensor viewed as [outer, C, inner], one invocation per line of C values (stride
// inner): MODE 0 cumulative sum (flags: 1 exclusive, 2 reverse), 1 ArgMax and 2 ArgMin (the index as a float, one per
// line; flag 4 takes the last of equal extremes), 3 Hardmax (1 at the first maximum of the line, 0 elsewhere).
// NaN is the extreme of ArgMax/ArgMin/Hardmax as in numpy (the first NaN wins). MODE 4 and 5: TopK values and
// indices (K = flags >> 8; flag 8 smallest instead of largest): the K best of each line in order, equal values by
// lower index first, chosen by K passes that each take the best element ranked after the previous one, so no scratch
// memory is needed (O(K·C) per line, for the small K of classifiers and detectors).
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
    if (MODE == 4 || MODE == 5) {
        int K = p.flags >> 8;
        bool smallest = (p.flags & 8) != 0;
        int outBase = o * K * p.inner + (line - o * p.inner);
        float pv = 0.0;
        int pc = -1;
        for (int j = 0; j < K; j++) {
            int bc = -1;
            float b = 0.0;
            for (int c = 0; c < p.C; c++) {
                float v = x[base + c * p.inner];
                // Ranked after the previous pick: worse value, or equal value at a higher index.
                bool after = pc < 0 || (smallest ? (v > pv || (v == pv && c > pc)) : (v < pv || (v == pv && c > pc)));
                bool better = bc < 0 || (smallest ? v < b : v > b);
                if (after && better) { bc = c; b = v; }
            }
            y[outBase + j * p.inner] = MODE == 4 ? b : float(bc);
            pv = b;
            pc = bc;
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
