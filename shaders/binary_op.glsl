// The binary operations of eltwise.comp and broadcast.comp; OP is the including shader's specialisation constant.
#ifndef VULKANCNN_BINARY_OP_GLSL
#define VULKANCNN_BINARY_OP_GLSL
float binaryOp(float v, float u)
{
    if (OP == 1) v = v + u;
    else if (OP == 2) v = v * u;
    else if (OP == 3) v = v - u;
    else if (OP == 4) v = v / u;
    else if (OP == 5) v = v >= 0.0 ? v : v * u;
    else if (OP == 6) v = max(v, u);
    else if (OP == 7) v = min(v, u);
    else if (OP == 8) v = v == u ? 1.0 : 0.0;
    else if (OP == 9) {
        // GLSL's pow is undefined for a negative base: take |v|, restore the sign for odd integer exponents.
        float r = u == 0.0 ? 1.0 : pow(abs(v), u);
        if (v < 0.0) r = u == floor(u) ? (mod(u, 2.0) == 1.0 ? -r : r) : uintBitsToFloat(0x7fc00000u);
        v = r;
    }
    return v;
}
#endif
