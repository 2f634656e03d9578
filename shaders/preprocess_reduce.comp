#version 450
// First pass of a large shrink (FramePreprocessor, when an axis shrinks by 2x or more): the mean of each boxX x boxY
// block of decoded source pixels (an area average, OpenCV's INTER_AREA for integer factors), as RGB floats 0..255 in a
// scratch buffer of redW x redH = ceil(srcW / boxX) x ceil(srcH / boxY) texels; the last block of a row or column holds
// the pixels that remain and averages those. preprocess.comp (REDUCED = 1) then resamples this small image with the
// remaining shrink factor, which is below 1.5 (box = floor(shrink)), so bilinear. Every source pixel is read once, where a
// one-pass tent filter of radius = shrink reads each about 4 times, with per-tap weights. One invocation per block.
// Measured and rejected: a banded variant (a workgroup per band of rows, a lane per source column so that neighbouring
// lanes read neighbouring words, the column sums added up through shared memory) was 4x slower on SwiftShader, where a
// barrier costs more than the loads it saves.
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

#ifdef PACKED32
// Compiled as preprocess_reduce_rgba for RGBA8 and BGRA8 frames (the frame pipeline's canvas is always RGBA8): the unpack
// inline, without rgbAt's format tests, which SwiftShader does not fold away for a specialisation constant. The channels
// of BGRA come out in B, G, R order and are swapped once at the store.
vec3 pixelAt(int x, int y)
{
    uint w = src[y * p.srcW + x];
    return vec3(float(w & 0xFFu), float((w >> 8) & 0xFFu), float((w >> 16) & 0xFFu));
}
vec4 finish(vec3 c) { return vec4(FORMAT == 1 ? c.bgr : c, 0.0); }
#else
vec3 pixelAt(int x, int y) { return rgbAt(x, y); }
vec4 finish(vec3 c) { return vec4(c, 0.0); }
#endif

void main()
{
    int idx = flatIndex();
    if (idx >= p.redW * p.redH) return;
    int x0 = (idx % p.redW) * p.boxX, y0 = (idx / p.redW) * p.boxY;
    int x1 = min(x0 + p.boxX, p.srcW), y1 = min(y0 + p.boxY, p.srcH);
    vec3 acc = vec3(0.0);
    for (int y = y0; y < y1; y++) {
        vec3 row = vec3(0.0);
        for (int x = x0; x < x1; x++) row += pixelAt(x, y);
        acc += row;
    }
    red[idx] = finish(acc / float((x1 - x0) * (y1 - y0)));
}
