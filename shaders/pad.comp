#version 450
// Padding of a tensor of any rank up to 8: output index (o_0..o_r) reads input (o_k − before_k), mapped into the input
// by the mode (specialisation constant: 0 constant value, 1 edge copy, 2 mirror without repeating the border, 3 wrap
// around). Negative before/after amounts crop. The host merges unpadded leading axes into one.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int MODE = 0;
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params {
    int count, rank;
    float value;
    int pad0;
    ivec4 outDims[2];
    ivec4 inDims[2];
    ivec4 before[2];
} p;

int mapIndex(int i, int n)
{
    if (MODE == 1) return clamp(i, 0, n - 1);
    if (MODE == 3) return ((i % n) + n) % n;   // any pad size: periodic
    // Reflect: the layer checks that pads are smaller than the axis, so one fold suffices.
    if (i < 0) return -i;
    if (i >= n) return 2 * (n - 1) - i;
    return i;
}

void main()
{
    int idx = flatIndex();
    if (idx >= p.count) return;
    int rest = idx, src = 0, stride = 1;
    bool inside = true;
    for (int k = p.rank - 1; k >= 0; k--) {
        int n = p.outDims[k >> 2][k & 3];
        int q = rest / n;
        int i = rest - q * n - p.before[k >> 2][k & 3];
        rest = q;
        int m = p.inDims[k >> 2][k & 3];
        if (i < 0 || i >= m) {
            if (MODE == 0) inside = false;
            else i = mapIndex(i, m);
        }
        src += i * stride;
        stride *= m;
    }
    y[idx] = MODE == 0 && !inside ? p.value : x[src];
}
