// Fused activations shared by every shader that can end in one. ACT, ALPHA and BETA are specialisation constants
// declared by the including shader; the codes match VulkanCnn.Layers.ActivationKind.
#ifndef VULKANCNN_ACTIVATION_GLSL
#define VULKANCNN_ACTIVATION_GLSL

#ifdef EXTENDED_ACTIVATIONS
// erf(x) by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7); GLSL has no erf.
float erfApprox(float x)
{
    float t = 1.0 / (1.0 + 0.3275911 * abs(x));
    float y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
    return x < 0.0 ? -y : y;
}

float tanhSafe(float v) { float e = exp(-2.0 * abs(v)); float t = (1.0 - e) / (1.0 + e); return v < 0.0 ? -t : t; }
#endif

float activate(float v)
{
    // NaN passes through every activation, as in ONNX Runtime. GLSL leaves max, min, clamp and exp of NaN to the driver
    // (max(NaN, 0) and clamp give a number on both CPU devices, exp(NaN) on SwiftShader), so the piecewise kinds are
    // written as comparisons that a NaN fails (it falls through to v), and the exponential ones share one test.
    // One NaN test serves the kinds built on exp (SwiftShader evaluates every kind's code, so one test is cheaper than five).
    if ((ACT == 4 || ACT == 7 || ACT == 8 || ACT == 11 || ACT == 12) && isnan(v)) return v;
    if (ACT == 1) return v < 0.0 ? 0.0 : v;                             // ReLU
    if (ACT == 2) return v < 0.0 ? v * ALPHA : v;                       // LeakyReLU
    if (ACT == 3) return v < ALPHA ? ALPHA : (v > BETA ? BETA : v);     // Clip / ReLU6
    if (ACT == 4) return 1.0 / (1.0 + exp(-v));                         // Sigmoid
    if (ACT == 5) { float t = v * ALPHA + BETA; return t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t); } // HardSigmoid
    if (ACT == 6) { float t = v / 6.0 + 0.5; return v * (t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t)); } // HardSwish
    if (ACT == 7) return v / (1.0 + exp(-v));                           // SiLU
    if (ACT == 8) { float e = exp(-2.0 * abs(v)); float t = (1.0 - e) / (1.0 + e); return v < 0.0 ? -t : t; } // Tanh, no overflow
    if (ACT == 9) return v < 0.0 ? ALPHA * (exp(v) - 1.0) : v;          // ELU
    if (ACT == 10) return v <= 0.0 ? BETA * ALPHA * (exp(v) - 1.0) : BETA * v; // SELU (BETA = gamma)
    if (ACT == 11) return max(v, 0.0) + log(1.0 + exp(-abs(v)));       // Softplus, no overflow
    if (ACT == 12) return exp(v);
    if (ACT == 13) return abs(v);
    if (ACT == 14) return -v;
    if (ACT == 15) return 1.0 / v;
    if (ACT == 16) return sqrt(v);
    if (ACT == 17) return v * ALPHA + BETA;                             // Affine
    // Kinds 18 and up exist only in the shaders compiled with EXTENDED_ACTIVATIONS (eltwise_ext): SwiftShader does not
    // remove the branches of other specialisation values, so every kind listed here costs every activation there.
#ifdef EXTENDED_ACTIVATIONS
    if (ACT == 18) return erfApprox(v);                                 // Erf
    if (ACT == 19) return 0.5 * v * (1.0 + erfApprox(v * 0.70710678118654752)); // GELU (exact form)
    if (ACT == 20) return 0.5 * v * (1.0 + tanhSafe(0.7978845608028654 * (v + 0.044715 * v * v * v))); // GELU (tanh form)
    if (ACT == 21) return v * tanhSafe(max(v, 0.0) + log(1.0 + exp(-abs(v))));   // Mish
    if (ACT == 22) return v / (1.0 + abs(v));                           // Softsign
    if (ACT == 23) return floor(v);
    if (ACT == 24) return ceil(v);
    if (ACT == 25) return roundEven(v);                                 // Round (halves to even, as ONNX)
    if (ACT == 26) return sign(v);
    if (ACT == 27) return log(v);
    if (ACT == 28) return v == 0.0 ? 1.0 : 0.0;                         // Not (masks as 0/1 floats)
#endif
    return v;
}

vec4 activate4(vec4 v)
{
    return vec4(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
}
#endif
