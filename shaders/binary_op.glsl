// The binary operations of eltwise.comp and broadcast.comp; OP is the including shader's specialisation constant.
// SwiftShader keeps the code of every OP value in each pipeline, so the plain variants hold only the hot arithmetic
// (add, multiply, subtract, divide, PReLU: residual connections and affine steps); Max, Min (NaN-propagating),
// Equal, Pow, comparisons and logic are compiled into the _ext variants (EXTENDED_ACTIVATIONS) alone.
#ifndef VULKANCNN_BINARY_OP_GLSL
#define VULKANCNN_BINARY_OP_GLSL
#ifdef EXTENDED_ACTIVATIONS
#include "nan_minmax.glsl"
#endif
float binaryOp(float v, float u)
{
    if (OP == 1) v = v + u;
    else if (OP == 2) v = v * u;
    else if (OP == 3) v = v - u;
    else if (OP == 4) v = v / u;
    else if (OP == 5) v = v >= 0.0 ? v : v * u;
#ifdef EXTENDED_ACTIVATIONS
    else if (OP == 6) v = maxNaN(v, u);
    else if (OP == 7) v = minNaN(v, u);
    else if (OP == 8) v = v == u ? 1.0 : 0.0;
    else if (OP == 9) {
        // GLSL's pow is undefined for a negative base: take |v|, restore the sign for odd integer exponents.
        float r = u == 0.0 ? 1.0 : pow(abs(v), u);
        if (v < 0.0) r = u == floor(u) ? (mod(u, 2.0) == 1.0 ? -r : r) : uintBitsToFloat(0x7fc00000u);
        v = r;
    }
    // Comparisons and logic give 0/1 masks as floats (a NaN compares false, as in IEEE and ONNX).
    else if (OP == 10) v = v < u ? 1.0 : 0.0;
    else if (OP == 11) v = v > u ? 1.0 : 0.0;
    else if (OP == 12) v = v <= u ? 1.0 : 0.0;
    else if (OP == 13) v = v >= u ? 1.0 : 0.0;
    else if (OP == 14) v = (v != 0.0 && u != 0.0) ? 1.0 : 0.0;
    else if (OP == 15) v = (v != 0.0 || u != 0.0) ? 1.0 : 0.0;
    else if (OP == 16) v = ((v != 0.0) != (u != 0.0)) ? 1.0 : 0.0;
#endif
    return v;
}
#endif
