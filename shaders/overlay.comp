#version 450
// Overlay drawing into an RGBA8 frame (one packed uint per pixel), one dispatch per primitive kind (KIND below),
// one invocation per pixel of the kind's bounding rectangle (the whole frame for the mask) that tests its centre
// against every primitive of that kind in order. Detections
// are few (tens), so the per-pixel loop is cheap, needs no atomics, and draws overlapping primitives in a fixed,
// testable order. Host side: src/VulkanCnn/Vision/OverlayRenderer.cs; drawing rules: OverlayPrimitives.cs.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int KIND = 0;        // 0 mask, 1 box outlines, 2 discs, 3 segments, 4 text
layout(std430, binding = 0) buffer Frame { uint frame[]; };
layout(std430, binding = 1) readonly buffer Mask { float mask[]; };
// Primitive records of 16-byte words; floats are stored as their bits. Layouts in OverlayRenderer.cs (Prepare).
layout(std430, binding = 2) readonly buffer Prims { uvec4 prims[]; };
layout(push_constant) uniform Params {
    int width, height;                 // frame size
    int offset, count;                 // first record and number of primitives of this pass
    int offset2, count2;               // text: the character records (offset, count are the labels' two records each)
    int maskW, maskH, maskMode;        // mask: model-resolution map, 0 threshold, 1 class ids
    float scaleX, scaleY, offsetX, offsetY;   // mask: model = frame * scale + offset
    float threshold, alpha;
    uint maskColor;                    // threshold mode: packed RGBA (alpha ignored; alpha above is used)
    int paletteOffset, paletteCount;   // class-id mode: record i holds palette colour i in .x
    int bilinear;                      // threshold mode: 1 interpolates the map (half-pixel centres, edges clamped)
    int regionX, regionY, regionW, regionH;   // the pixels this pass is dispatched over (its primitives' bounds)
} p;

vec4 unpackColor(uint c) { return vec4(float(c & 0xFFu), float((c >> 8) & 0xFFu), float((c >> 16) & 0xFFu), float(c >> 24)); }

// round(src·(1−a) + colour·a) per RGB channel with halves rounded up; the frame's alpha channel is kept.
uint blend(uint src, vec3 color, float a)
{
    vec4 s = unpackColor(src);
    vec3 r = floor(s.rgb * (1.0 - a) + color * a + 0.5);
    uvec3 u = uvec3(clamp(r, 0.0, 255.0));
    return u.r | (u.g << 8) | (u.b << 16) | (src & 0xFF000000u);
}

uint blendPacked(uint src, uint color)
{
    vec4 c = unpackColor(color);
    return blend(src, c.rgb, c.a / 255.0);
}

void main()
{
    int li = flatIndex();
    if (li >= p.regionW * p.regionH) return;
    int x = p.regionX + li % p.regionW, y = p.regionY + li / p.regionW;
    int idx = y * p.width + x;
    vec2 c = vec2(float(x) + 0.5, float(y) + 0.5);   // pixel centre
    uint px = frame[idx];
    uint before = px;

    if (KIND == 0) {
        // The model map sampled at the pixel centre's model position (nearest, or bilinear for probabilities).
        float mx = c.x * p.scaleX + p.offsetX, my = c.y * p.scaleY + p.offsetY;
        if (mx >= 0.0 && my >= 0.0 && mx < float(p.maskW) && my < float(p.maskH)) {
            float v;
            if (p.bilinear == 1) {
                float fx = clamp(mx - 0.5, 0.0, float(p.maskW - 1)), fy = clamp(my - 0.5, 0.0, float(p.maskH - 1));
                int x0 = int(floor(fx)), y0 = int(floor(fy));
                int x1 = min(x0 + 1, p.maskW - 1), y1 = min(y0 + 1, p.maskH - 1);
                float lx = fx - float(x0), ly = fy - float(y0);
                float top = mix(mask[y0 * p.maskW + x0], mask[y0 * p.maskW + x1], lx);
                float bot = mix(mask[y1 * p.maskW + x0], mask[y1 * p.maskW + x1], lx);
                v = mix(top, bot, ly);
            } else {
                v = mask[int(floor(my)) * p.maskW + int(floor(mx))];
            }
            if (p.maskMode == 0) {
                if (v >= p.threshold) px = blend(px, unpackColor(p.maskColor).rgb, p.alpha);
            } else {
                int id = int(floor(v + 0.5));
                if (id > 0) px = blend(px, unpackColor(prims[p.paletteOffset + id % p.paletteCount].x).rgb, p.alpha);
            }
        }
    } else if (KIND == 1) {
        // Box: x0 y0 x1 y1 | thickness, colour. Outline: centre inside and closer than thickness to an edge.
        for (int i = 0; i < p.count; i++) {
            vec4 r = uintBitsToFloat(prims[p.offset + 2 * i]);
            uvec4 q = prims[p.offset + 2 * i + 1];
            float t = uintBitsToFloat(q.x);
            if (c.x >= r.x && c.x <= r.z && c.y >= r.y && c.y <= r.w &&
                (c.x - r.x < t || r.z - c.x < t || c.y - r.y < t || r.w - c.y < t))
                px = blendPacked(px, q.y);
        }
    } else if (KIND == 2) {
        // Disc: cx cy radius colour; covered when the centre distance is at most the radius.
        for (int i = 0; i < p.count; i++) {
            uvec4 q = prims[p.offset + i];
            vec2 d = c - uintBitsToFloat(q.xy);
            float r = uintBitsToFloat(q.z);
            if (dot(d, d) <= r * r) px = blendPacked(px, q.w);
        }
    } else if (KIND == 3) {
        // Segment: x0 y0 x1 y1 | thickness, colour; covered when the distance to the segment is at most thickness/2.
        for (int i = 0; i < p.count; i++) {
            vec4 s = uintBitsToFloat(prims[p.offset + 2 * i]);
            uvec4 q = prims[p.offset + 2 * i + 1];
            float h = 0.5 * uintBitsToFloat(q.x);
            vec2 a = s.xy, ab = s.zw - s.xy, ac = c - a;
            float len2 = dot(ab, ab);
            float u = len2 > 0.0 ? clamp(dot(ac, ab) / len2, 0.0, 1.0) : 0.0;
            vec2 d = ac - u * ab;
            if (dot(d, d) <= h * h) px = blendPacked(px, q.y);
        }
    } else {
        // Label backgrounds: filled rectangles x0 y0 x1 y1 | background colour, first glyph record, length, text colour;
        // covering centres inside. The labels whose background holds the pixel are remembered (the first 32 in a bit
        // mask), since a label's glyphs lie inside its background: the glyph loop then visits only those.
        uint covered = 0u;
        for (int i = 0; i < p.count; i++) {
            vec4 r = uintBitsToFloat(prims[p.offset + 2 * i]);
            if (c.x >= r.x && c.x <= r.z && c.y >= r.y && c.y <= r.w) {
                px = blendPacked(px, prims[p.offset + 2 * i + 1].x);
                if (i < 32) covered |= 1u << uint(i);
            }
        }
        // Glyphs, label by label: character k of a label covers the 5x7 cells of s x s pixels from (x0 + s + 6ks, y0 + s);
        // its record holds the 35 glyph bits (bit row*5+column) and s. One character per label can hold the pixel.
        int more = max(p.count - 32, 0);
        for (int j = 0; covered != 0u || j < more; ) {
            int i;
            if (covered != 0u) { i = findLSB(covered); covered &= covered - 1u; }
            else { i = 32 + j; j++; }
            vec4 r = uintBitsToFloat(prims[p.offset + 2 * i]);
            uvec4 q = prims[p.offset + 2 * i + 1];
            int n = int(q.z);
            if (n == 0) continue;
            int first = int(q.y);
            int s = int(prims[first].z);
            ivec2 local = ivec2(floor(c)) - ivec2(int(r.x) + s, int(r.y) + s);
            if (local.x < 0 || local.y < 0 || local.y >= 7 * s) continue;
            int k = local.x / (6 * s);
            int lx = local.x - k * 6 * s;
            if (k >= n || lx >= 5 * s) continue;
            uvec4 bits = prims[first + k];
            int bit = (local.y / s) * 5 + lx / s;
            uint word = bit < 32 ? bits.x : bits.y;
            if (((word >> (bit & 31)) & 1u) != 0u) px = blendPacked(px, q.w);
        }
    }
    if (px != before) frame[idx] = px;
}
