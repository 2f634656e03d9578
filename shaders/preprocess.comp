#version 450
// Camera/render frame -> model input tensor: unpack the packed source bytes (RGBA, BGRA, RGB24, YUYV, NV12), resize
// (stretch, letterbox or centre crop), normalise, and write NCHW or NHWC floats (3 channels, or 4 with a constant 4th).
// Resampling is a tent filter: bilinear (radius 1 texel) when an axis shrinks by at most 1.5x, else a tent whose radius
// is the shrink factor. Shrinks of 2x or more are first box-averaged by an integer factor in preprocess_reduce.comp; this
// shader, compiled as preprocess_reduced with REDUCED_INPUT defined, then reads that small RGB float image (the push block
// describing it as the source), and the remaining shrink is below 1.5x, so a large shrink costs one read per source
// pixel plus 4 taps per output pixel. (A compile-time variant, not a specialisation constant: SwiftShader keeps the
// format tests of rgbAt in every tap otherwise.)
// preprocess_rgba (PACKED32 defined) is the same shader for RGBA8/BGRA8 frames with the texel read inlined.
// One invocation per output pixel, all channels. Host side: src/VulkanCnn/Vision/FramePreprocessor.cs.
// PACK = 1 turns the shader into the frame pipeline's format converter: every source pixel (dst size = src size) is
// written as one packed RGBA8 word (alpha 255) to binding 1 instead of normalised floats.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int FORMAT = 0;      // 0 RGBA8, 1 BGRA8, 2 RGB24, 3 YUYV, 4 NV12
layout(constant_id = 1) const int LAYOUT = 0;      // 0 NCHW, 1 NHWC
layout(constant_id = 2) const int RESIZE = 0;      // 0 stretch, 1 letterbox (pads outside the content rectangle), 2 crop
layout(constant_id = 3) const int BGR = 0;         // 1: channel 0 of the output is blue
layout(constant_id = 4) const int PACK = 0;        // 1: packed RGBA8 at source resolution (format conversion only)
layout(constant_id = 5) const int CHANNELS = 3;    // 3, or 4 with p.alpha as the 4th channel
// The frame's bytes as they arrived, read as little-endian 32-bit words (byte i is bits 8*(i%4) of word i/4).
#ifdef REDUCED_INPUT
layout(std430, binding = 0) readonly buffer Reduced { vec4 red[]; };    // preprocess_reduce.comp's image
#else
layout(std430, binding = 0) readonly buffer Source { uint src[]; };
#endif
layout(std430, binding = 1) writeonly buffer Output { float y[]; };
layout(std430, binding = 1) writeonly buffer Packed { uint packed[]; };   // the same binding, PACK = 1
layout(push_constant) uniform Params {
    int srcW, srcH, dstW, dstH;
    int padX0, padY0, padX1, padY1;               // letterbox content rectangle [x0, x1) x [y0, y1) in output pixels
    float scaleX, scaleY, offsetX, offsetY;       // output = frame * scale + offset (continuous pixel coordinates)
    float pixelScale, padValue;
    float mean0, mean1, mean2, std0, std1, std2;
    float alpha;                                  // the 4th channel's value, written as it is (CHANNELS = 4)
} p;

// R, G, B (0..255) of texel (x, y) of the image being resampled: the frame, or its box-averaged reduction.
#ifdef REDUCED_INPUT
vec3 texel(int x, int y) { return red[y * p.srcW + x].rgb; }
#else
#include "preprocess_decode.glsl"
#ifdef PACKED32
// preprocess_rgba: RGBA8/BGRA8 frames (the frame pipeline's, cameras' BGRA) read as one word per texel, without rgbAt's
// chain of format tests, which SwiftShader evaluates in every tap.
vec3 texel(int x, int y)
{
    uint w = src[y * p.srcW + x];
    vec3 c = vec3(float(w & 0xFFu), float((w >> 8) & 0xFFu), float((w >> 16) & 0xFFu));
    return FORMAT == 1 ? c.bgr : c;
}
#else
vec3 texel(int x, int y) { return rgbAt(x, y); }
#endif
#endif

// Tent weight of source pixel i for a sample at continuous index f with radius r (> 0).
float tent(int i, float f, float r) { return max(0.0, 1.0 - abs(float(i) - f) / r); }

void main()
{
    int idx = flatIndex();
    int plane = p.dstW * p.dstH;
    if (idx >= plane) return;
    int ox = idx % p.dstW, oy = idx / p.dstW;
#ifndef REDUCED_INPUT
    if (PACK == 1) {
        uvec3 c = uvec3(clamp(floor(rgbAt(ox, oy) + 0.5), 0.0, 255.0));
        packed[idx] = c.r | (c.g << 8) | (c.b << 16) | 0xFF000000u;
        return;
    }
#endif

    vec3 v;
    if (RESIZE == 1 && (ox < p.padX0 || ox >= p.padX1 || oy < p.padY0 || oy >= p.padY1)) {
        v = vec3(p.padValue);
    } else {
        vec3 rgb;
        float rx = 1.0 / p.scaleX, ry = 1.0 / p.scaleY;
        if (rx <= 1.5 && ry <= 1.5) {
            // Half-pixel centres (OpenCV INTER_LINEAR, PyTorch align_corners=False), edges clamped.
            float fx = clamp((float(ox) + 0.5 - p.offsetX) / p.scaleX - 0.5, 0.0, float(p.srcW - 1));
            float fy = clamp((float(oy) + 0.5 - p.offsetY) / p.scaleY - 0.5, 0.0, float(p.srcH - 1));
            int x0 = int(floor(fx)), y0 = int(floor(fy));
            int x1 = min(x0 + 1, p.srcW - 1), y1 = min(y0 + 1, p.srcH - 1);
            float lx = fx - float(x0), ly = fy - float(y0);
            vec3 top = mix(texel(x0, y0), texel(x1, y0), lx);
            vec3 bot = mix(texel(x0, y1), texel(x1, y1), lx);
            rgb = mix(top, bot, ly);
        } else {
            // Area average: a separable tent over the source footprint, radius = shrink factor per axis (1 where the
            // axis does not shrink past 1.5x); taps outside the frame are left out and the weights renormalised (as
            // ImageSharp does; for radius 1 this equals the clamped bilinear tap).
            rx = rx > 1.5 ? rx : 1.0;
            ry = ry > 1.5 ? ry : 1.0;
            float fx = (float(ox) + 0.5 - p.offsetX) / p.scaleX - 0.5;
            float fy = (float(oy) + 0.5 - p.offsetY) / p.scaleY - 0.5;
            int xa = max(int(ceil(fx - rx)), 0), xb = min(int(floor(fx + rx)), p.srcW - 1);
            int ya = max(int(ceil(fy - ry)), 0), yb = min(int(floor(fy + ry)), p.srcH - 1);
            vec3 acc = vec3(0.0);
            float wsum = 0.0;
            for (int sy = ya; sy <= yb; sy++) {
                float wy = tent(sy, fy, ry);
                if (wy <= 0.0) continue;
                vec3 row = vec3(0.0);
                float rsum = 0.0;
                for (int sx = xa; sx <= xb; sx++) {
                    float wx = tent(sx, fx, rx);
                    if (wx <= 0.0) continue;
                    row += wx * texel(sx, sy);
                    rsum += wx;
                }
                acc += wy * row;
                wsum += wy * rsum;
            }
            rgb = acc / wsum;
        }
        if (BGR == 1) rgb = rgb.bgr;
        v = (rgb * p.pixelScale - vec3(p.mean0, p.mean1, p.mean2)) / vec3(p.std0, p.std1, p.std2);
    }
    if (LAYOUT == 0) {
        y[idx] = v.x; y[plane + idx] = v.y; y[2 * plane + idx] = v.z;
        if (CHANNELS == 4) y[3 * plane + idx] = p.alpha;
    } else {
        y[CHANNELS * idx] = v.x; y[CHANNELS * idx + 1] = v.y; y[CHANNELS * idx + 2] = v.z;
        if (CHANNELS == 4) y[CHANNELS * idx + 3] = p.alpha;
    }
}
