#version 450
// First pass of a large shrink (FramePreprocessor, when an axis shrinks by 2x or more): the mean of each boxX x boxY
// block of decoded source pixels (an area average, OpenCV's INTER_AREA for integer factors), as RGB floats 0..255 in a
// scratch buffer of redW x redH = ceil(srcW / boxX) x ceil(srcH / boxY) texels; the last block of a row or column holds
// the pixels that remain and averages those. preprocess.comp (REDUCED = 1) then resamples this small image with the
// remaining shrink factor, which is below 1.5 (box = floor(shrink)), so bilinear. Every source pixel is read once, where a
// one-pass tent filter of radius = shrink reads each about (2 shrink)^2 / shrink^2 = 4 times with per-tap weights.
// One invocation per block.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int FORMAT = 0;      // 0 RGBA8, 1 BGRA8, 2 RGB24, 3 YUYV, 4 NV12
layout(std430, binding = 0) readonly buffer Source { uint src[]; };
layout(std430, binding = 1) writeonly buffer Reduced { vec4 red[]; };
layout(push_constant) uniform Params {
    int srcW, srcH, redW, redH;
    int boxX, boxY;
} p;
#include "preprocess_decode.glsl"

void main()
{
    int idx = flatIndex();
    if (idx >= p.redW * p.redH) return;
    int x0 = (idx % p.redW) * p.boxX, y0 = (idx / p.redW) * p.boxY;
    int x1 = min(x0 + p.boxX, p.srcW), y1 = min(y0 + p.boxY, p.srcH);
    vec3 acc = vec3(0.0);
    for (int y = y0; y < y1; y++) {
        vec3 row = vec3(0.0);
        for (int x = x0; x < x1; x++) row += rgbAt(x, y);
        acc += row;
    }
    red[idx] = vec4(acc / float((x1 - x0) * (y1 - y0)), 0.0);
}
