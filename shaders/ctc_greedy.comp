#version 450
// CTC greedy (best-path) decoding of a text recogniser's output [N, T, classes] on the GPU: per line (one workgroup),
// per time step the most probable class (ties to the lower index) by a shared-memory reduction; a class equal to the
// previous step's is merged, class 0 (the blank) dropped. Line n's result is its character count, the sum of the kept
// characters' probabilities (for the mean confidence) and the kept class indices, T + 2 words from n·(T + 2).
// Lines at or past the count in the params buffer are skipped. Host side: src/VulkanCnn/Vision/Tasks/TextRecognizer.cs.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Probs { float prob[]; };
layout(std430, binding = 1) readonly buffer Params { uint count; };
layout(std430, binding = 2) writeonly buffer Result { uint result[]; };
layout(push_constant) uniform Push { int steps, classes; } p;

shared float bestValue[64];
shared int bestIndex[64];

void main()
{
    int line = int(gl_WorkGroupID.x);
    if (uint(line) >= count) return;
    int lane = int(gl_LocalInvocationID.x);
    int out0 = line * (p.steps + 2);
    int kept = 0, previous = -1;
    float confidence = 0.0;
    for (int t = 0; t < p.steps; t++) {
        int base = (line * p.steps + t) * p.classes;
        float v = -1.0 / 0.0;
        int k = p.classes;
        for (int c = lane; c < p.classes; c += 64) {
            float x = prob[base + c];
            if (x > v) { v = x; k = c; }       // a lane's classes rise, so the first maximum is kept
        }
        bestValue[lane] = v;
        bestIndex[lane] = k;
        barrier();
        for (int s = 32; s > 0; s >>= 1) {
            if (lane < s) {
                float ov = bestValue[lane + s];
                int ok = bestIndex[lane + s];
                if (ov > bestValue[lane] || (ov == bestValue[lane] && ok < bestIndex[lane])) { bestValue[lane] = ov; bestIndex[lane] = ok; }
            }
            barrier();
        }
        int best = bestIndex[0];
        float value = bestValue[0];
        if (best != 0 && best != previous && best < p.classes) {
            if (lane == 0) result[out0 + 2 + kept] = uint(best);
            kept++;
            confidence += value;
        }
        previous = best;
        barrier();
    }
    if (lane == 0) {
        result[out0] = uint(kept);
        result[out0 + 1] = floatBitsToUint(confidence);
    }
}
