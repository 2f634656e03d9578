#version 450
// Batched crops, the second-stage primitive: N regions of an RGBA8/BGRA8 frame, each an affine map from crop pixels to
// frame pixels (axis-aligned or rotated boxes, quads), resampled and normalised into one batch tensor [N, 3, h, w]
// (NCHW) or [N, h, w, 3] (NHWC). Region r's crop pixel centre (u + 0.5, v + 0.5) maps to frame point
// (a·u' + b·v' + c, d·u' + e·v' + f), frame texel i covering [i, i + 1]. The filter is the pre-processor's tent: radius
// one frame texel along a crop axis that shrinks by at most 1.5x (bilinear), else one crop pixel (an area average),
// weighted in crop coordinates so that rotated footprints are covered; texels outside the frame repeat the edge.
// Pixels at or past a region's width (variable-width text lines) and regions past the count take the pad value.
// The regions buffer starts with the count (written by the host or by a first stage on the GPU), then two vec4 per
// region: (a, b, c, width) and (d, e, f, 0). Host side: src/VulkanCnn/Vision/RegionCropper.cs.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int BGRA = 0;     // 1: source words are B, G, R, A
layout(constant_id = 1) const int LAYOUT = 0;   // 0 NCHW, 1 NHWC
layout(constant_id = 2) const int BGR = 0;      // 1: channel 0 of the output is blue
layout(std430, binding = 0) readonly buffer Source { uint src[]; };
layout(std430, binding = 1) readonly buffer Regions { uint count; uint pad0; uint pad1; uint pad2; vec4 region[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params {
    int srcW, srcH, dstW, dstH, maxRegions;
    float pixelScale, padValue, maxRadius;
    float mean0, mean1, mean2, std0, std1, std2;
} p;

vec3 texel(int x, int y)
{
    uint w = src[clamp(y, 0, p.srcH - 1) * p.srcW + clamp(x, 0, p.srcW - 1)];
    vec3 c = vec3(float(w & 0xFFu), float((w >> 8) & 0xFFu), float((w >> 16) & 0xFFu));
    return BGRA == 1 ? c.bgr : c;
}

void main()
{
    int idx = flatIndex();
    int plane = p.dstW * p.dstH;
    if (idx >= plane) return;
    int r = int(gl_WorkGroupID.z);
    int ox = idx % p.dstW, oy = idx / p.dstW;
    vec3 v = vec3(p.padValue);
    if (uint(r) < min(count, uint(p.maxRegions))) {
        vec4 m0 = region[2 * r], m1 = region[2 * r + 1];
        float a = m0.x, b = m0.y, c = m0.z, d = m1.x, e = m1.y, f = m1.z;
        float det = a * e - b * d;
        if (float(ox) < m0.w && det != 0.0) {
            vec2 pc = vec2(a * (float(ox) + 0.5) + b * (float(oy) + 0.5) + c, d * (float(ox) + 0.5) + e * (float(oy) + 0.5) + f);
            // Radii in crop pixels: one frame texel (bilinear) up to a 1.5x shrink along that axis, else one crop pixel.
            float su = length(vec2(a, d)), sv = length(vec2(b, e));
            float ru = su > 1.5 ? 1.0 : 1.0 / su, rv = sv > 1.5 ? 1.0 : 1.0 / sv;
            // Half extents of the footprint in frame texels, bounded so that a region written on the GPU cannot make a
            // pixel's loop unbounded (maxRadius texels; the host refuses larger shrinks of the regions it is given).
            float hx = min(abs(a) * ru + abs(b) * rv, p.maxRadius), hy = min(abs(d) * ru + abs(e) * rv, p.maxRadius);
            int x0 = int(ceil(pc.x - hx - 0.5)), x1 = int(floor(pc.x + hx - 0.5));
            int y0 = int(ceil(pc.y - hy - 0.5)), y1 = int(floor(pc.y + hy - 0.5));
            vec3 acc = vec3(0.0);
            float wsum = 0.0;
            for (int ty = y0; ty <= y1; ty++) {
                for (int tx = x0; tx <= x1; tx++) {
                    vec2 q = vec2(float(tx) + 0.5, float(ty) + 0.5) - pc;
                    float du = (e * q.x - b * q.y) / det, dv = (a * q.y - d * q.x) / det;
                    float w = max(0.0, 1.0 - abs(du) / ru) * max(0.0, 1.0 - abs(dv) / rv);
                    if (w > 0.0) { acc += w * texel(tx, ty); wsum += w; }
                }
            }
            vec3 rgb = wsum > 0.0 ? acc / wsum : texel(int(floor(pc.x)), int(floor(pc.y)));
            if (BGR == 1) rgb = rgb.bgr;
            v = (rgb * p.pixelScale - vec3(p.mean0, p.mean1, p.mean2)) / vec3(p.std0, p.std1, p.std2);
        }
    }
    if (LAYOUT == 0) {
        int base = r * 3 * plane + idx;
        y[base] = v.x; y[base + plane] = v.y; y[base + 2 * plane] = v.z;
    } else {
        int base = (r * plane + idx) * 3;
        y[base] = v.x; y[base + 1] = v.y; y[base + 2] = v.z;
    }
}
