// Fused activations shared by every shader that can end in one. ACT, ALPHA and BETA are specialisation constants
// declared by the including shader; the codes match VulkanCnn.Layers.ActivationKind.
#ifndef VULKANCNN_ACTIVATION_GLSL
#define VULKANCNN_ACTIVATION_GLSL

float activate(float v)
{
    // NaN passes through every activation, as in ONNX Runtime. Tested first and explicitly: GLSL leaves max, min, clamp
    // and exp of NaN to the driver (max(NaN, 0) and clamp give a number on both CPU devices, exp(NaN) on SwiftShader).
    if (ACT != 0 && isnan(v)) return v;
    if (ACT == 1) return max(v, 0.0);                                   // ReLU
    if (ACT == 2) return v >= 0.0 ? v : v * ALPHA;                      // LeakyReLU
    if (ACT == 3) return clamp(v, ALPHA, BETA);                         // Clip / ReLU6
    if (ACT == 4) return 1.0 / (1.0 + exp(-v));                         // Sigmoid
    if (ACT == 5) return clamp(v * ALPHA + BETA, 0.0, 1.0);             // HardSigmoid
    if (ACT == 6) return v * clamp(v / 6.0 + 0.5, 0.0, 1.0);            // HardSwish
    if (ACT == 7) return v / (1.0 + exp(-v));                           // SiLU
    if (ACT == 8) { float e = exp(-2.0 * abs(v)); float t = (1.0 - e) / (1.0 + e); return v < 0.0 ? -t : t; } // Tanh, no overflow
    if (ACT == 9) return v >= 0.0 ? v : ALPHA * (exp(v) - 1.0);         // ELU
    if (ACT == 10) return v > 0.0 ? BETA * v : BETA * ALPHA * (exp(v) - 1.0); // SELU (BETA = gamma)
    if (ACT == 11) return max(v, 0.0) + log(1.0 + exp(-abs(v)));       // Softplus, no overflow
    if (ACT == 12) return exp(v);
    if (ACT == 13) return abs(v);
    if (ACT == 14) return -v;
    if (ACT == 15) return 1.0 / v;
    if (ACT == 16) return sqrt(v);
    if (ACT == 17) return v * ALPHA + BETA;                             // Affine
    return v;
}

vec4 activate4(vec4 v)
{
    return vec4(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
}
#endif
