// max and min that return NaN when either operand is NaN, as ONNX Runtime computes MaxPool, GlobalMaxPool and
// ReduceMax/Min. GLSL leaves max/min of a NaN to the driver, and both CPU devices return the other operand (x86
// maxps/minps), so a NaN vanished inside a pooling window; the explicit isnan test makes the result driver-independent.
#ifndef VULKANCNN_NAN_MINMAX_GLSL
#define VULKANCNN_NAN_MINMAX_GLSL

float maxNaN(float a, float b) { return isnan(a) || isnan(b) ? a + b : max(a, b); }
float minNaN(float a, float b) { return isnan(a) || isnan(b) ? a + b : min(a, b); }
// The identities of max and min: a window of −∞ pools to −∞, not to −FLT_MAX.
float negInf() { return uintBitsToFloat(0xFF800000u); }
float posInf() { return uintBitsToFloat(0x7F800000u); }
#endif
