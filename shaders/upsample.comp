#version 450
// Nearest and bilinear resampling of every channel to (OH, OW). Source coordinates follow the ONNX Resize
// conventions: half_pixel (PyTorch align_corners=False), align_corners, asymmetric.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int MODE = 0;        // 0 nearest, 1 bilinear
layout(constant_id = 1) const int COORD = 0;       // 0 half_pixel, 1 align_corners, 2 asymmetric
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params { int C, H, W, OH, OW; float scaleY, scaleX; } p;

float srcCoord(int o, int inSize, int outSize, float scale)
{
    if (COORD == 1) return outSize > 1 ? float(o) * float(inSize - 1) / float(outSize - 1) : 0.0;
    if (COORD == 2) return float(o) / scale;
    return (float(o) + 0.5) / scale - 0.5;
}

void main()
{
    int idx = flatIndex();
    if (idx >= p.C * p.OH * p.OW) return;
    int ox = idx % p.OW;
    int t = idx / p.OW;
    int oy = t % p.OH;
    int c = t / p.OH;
    int base = c * p.H * p.W;
    if (MODE == 0) {
        // Nearest: floor of the asymmetric coordinate (PyTorch's 'nearest').
        int sy = min(int(floor(float(oy) / p.scaleY)), p.H - 1);
        int sx = min(int(floor(float(ox) / p.scaleX)), p.W - 1);
        y[idx] = x[base + sy * p.W + sx];
        return;
    }
    float fy = clamp(srcCoord(oy, p.H, p.OH, p.scaleY), 0.0, float(p.H - 1));
    float fx = clamp(srcCoord(ox, p.W, p.OW, p.scaleX), 0.0, float(p.W - 1));
    int y0 = int(floor(fy)), x0 = int(floor(fx));
    int y1 = min(y0 + 1, p.H - 1), x1 = min(x0 + 1, p.W - 1);
    float ly = fy - float(y0), lx = fx - float(x0);
    float top = mix(x[base + y0 * p.W + x0], x[base + y0 * p.W + x1], lx);
    float bot = mix(x[base + y1 * p.W + x0], x[base + y1 * p.W + x1], lx);
    y[idx] = mix(top, bot, ly);
}
