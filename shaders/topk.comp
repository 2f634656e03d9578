#version 450
// Classification post-processing in one workgroup: optional softmax over n logits (max-subtracted), then the k best
// classes, highest probability first, ties broken by lower class index: k rounds of a parallel arg-max over shared
// memory, each taking its winner out. Host side: src/VulkanCnn/Vision/Tasks/ClassificationTask.cs.
layout(local_size_x = 256) in;
const uint MAXN = 2048u;
const uint G = 256u;
layout(std430, binding = 0) readonly buffer Logits { float logits[]; };
// Result: k written, then k pairs (class index as uint bits, probability).
layout(std430, binding = 1) writeonly buffer Result { uint outCount; uint pad0; uint pad1; uint pad2; uvec2 top[]; };
layout(push_constant) uniform Params {
    int n;
    int k;
    int softmax;   // 1: logits in, softmax applied; 0: values used as they are
} p;

shared float v[MAXN];
shared float redV[G];
shared uint redI[G];

const float TAKEN = -3.0e38;

bool better(float a, uint ia, float b, uint ib) { return a > b || (a == b && ia < ib); }

void main()
{
    uint t = gl_LocalInvocationID.x;
    uint n = min(uint(p.n), MAXN);
    float m = -3.4e38;
    for (uint i = t; i < n; i += G) { float x = logits[i]; v[i] = x; m = max(m, x); }
    if (p.softmax == 1) {
        redV[t] = m;
        barrier();
        for (uint s = G / 2u; s > 0u; s >>= 1) { if (t < s) redV[t] = max(redV[t], redV[t + s]); barrier(); }
        float mx = redV[0];
        barrier();
        float sum = 0.0;
        for (uint i = t; i < n; i += G) { float e = exp(v[i] - mx); v[i] = e; sum += e; }
        redV[t] = sum;
        barrier();
        for (uint s = G / 2u; s > 0u; s >>= 1) { if (t < s) redV[t] += redV[t + s]; barrier(); }
        float total = redV[0];
        barrier();
        for (uint i = t; i < n; i += G) v[i] /= total;
    }
    barrier();
    uint k = min(uint(p.k), n);
    for (uint r = 0u; r < k; r++) {
        float bv = TAKEN; uint bi = 0xFFFFFFFFu;
        for (uint i = t; i < n; i += G) if (v[i] != TAKEN && better(v[i], i, bv, bi)) { bv = v[i]; bi = i; }
        redV[t] = bv; redI[t] = bi;
        barrier();
        for (uint s = G / 2u; s > 0u; s >>= 1) {
            if (t < s && better(redV[t + s], redI[t + s], redV[t], redI[t])) { redV[t] = redV[t + s]; redI[t] = redI[t + s]; }
            barrier();
        }
        // Only NaNs left: no winner (index all ones), which the host skips.
        if (t == 0u) { top[r] = uvec2(redI[0], floatBitsToUint(redV[0])); if (redI[0] < n) v[redI[0]] = TAKEN; }
        barrier();
    }
    if (t == 0u) outCount = k;
}
