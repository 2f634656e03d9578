#version 450
// Padding of a (D,H,W) tensor: output (d,h,w) reads input (d−BD, h−BH, w−BW), mapped into the input by the mode
// (specialisation constant: 0 constant value, 1 edge copy, 2 mirror without repeating the border, 3 wrap around).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int MODE = 0;
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int D, H, W, OH, OW, BD, BH, BW, count; float value; } p;

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
    int w = idx % p.OW - p.BW;
    int t = idx / p.OW;
    int h = t % p.OH - p.BH;
    int d = t / p.OH - p.BD;
    if (MODE == 0)
    {
        bool inside = d >= 0 && d < p.D && h >= 0 && h < p.H && w >= 0 && w < p.W;
        y[idx] = inside ? x[(d * p.H + h) * p.W + w] : p.value;
        return;
    }
    y[idx] = x[(mapIndex(d, p.D) * p.H + mapIndex(h, p.H)) * p.W + mapIndex(w, p.W)];
}
