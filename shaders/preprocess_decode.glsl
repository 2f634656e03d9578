// Source-pixel decoding shared by preprocess.comp and preprocess_reduce.comp: R, G, B (0..255) of pixel (x, y) of a packed
// frame. The including shader declares FORMAT (0 RGBA8, 1 BGRA8, 2 RGB24, 3 YUYV, 4 NV12), the word buffer src[] and a
// push block p with the frame size in p.srcW, p.srcH.
#ifndef VULKANCNN_PREPROCESS_DECODE_GLSL
#define VULKANCNN_PREPROCESS_DECODE_GLSL

uint byteAt(int i) { return (src[i >> 2] >> (8 * (i & 3))) & 0xFFu; }

// ITU-R BT.601, limited ("studio") range, the usual camera YUV: Y in 16..235, U and V in 16..240 around 128.
// R = 1.164383 (Y-16) + 1.596027 (V-128); G = 1.164383 (Y-16) - 0.391762 (U-128) - 0.812968 (V-128);
// B = 1.164383 (Y-16) + 2.017232 (U-128); clamped to 0..255.
vec3 yuvToRgb(float Y, float U, float V)
{
    float c = 1.164383 * (Y - 16.0), d = U - 128.0, e = V - 128.0;
    return clamp(vec3(c + 1.596027 * e, c - 0.391762 * d - 0.812968 * e, c + 2.017232 * d), 0.0, 255.0);
}

// Chroma of YUYV and NV12 is taken from the pixel's own pair or 2x2 block (no chroma interpolation), as most decoders do.
vec3 rgbAt(int x, int y)
{
    int i = y * p.srcW + x;
    if (FORMAT == 0 || FORMAT == 1) {
        uint w = src[i];
        vec3 c = vec3(float(w & 0xFFu), float((w >> 8) & 0xFFu), float((w >> 16) & 0xFFu));
        return FORMAT == 0 ? c : c.bgr;
    }
    if (FORMAT == 2) {
        int b = 3 * i;
        return vec3(float(byteAt(b)), float(byteAt(b + 1)), float(byteAt(b + 2)));
    }
    if (FORMAT == 3) {
        // Y0 U Y1 V: one 32-bit word per pixel pair (the width is even, so pairs never straddle rows).
        uint w = src[i >> 1];
        float Y = float((i & 1) == 0 ? (w & 0xFFu) : ((w >> 16) & 0xFFu));
        return yuvToRgb(Y, float((w >> 8) & 0xFFu), float(w >> 24));
    }
    // NV12: W*H bytes of Y, then rows of interleaved U V at half resolution in both directions.
    int uv = p.srcW * p.srcH + (y >> 1) * p.srcW + (x & ~1);
    return yuvToRgb(float(byteAt(i)), float(byteAt(uv)), float(byteAt(uv + 1)));
}
#endif
