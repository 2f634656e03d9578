#version 450
// Text detection: 8-connected regions of the thresholded probability map on the GPU, by union-find in a fixed number
// of passes (MODE, one dispatch each, one invocation per pixel):
//   0 label: L[i] = i for text pixels (probability ≥ threshold), −1 otherwise;
//   1 merge: every text pixel unites with its text neighbours left, up-left, up and up-right. Roots are linked to the
//     smaller index with atomicMin and the union retries until it lands, so concurrent unions cannot lose a link;
//     every region ends as one tree whose root is its smallest index (its first pixel in row-major order);
//   2 flatten: L[i] = root; roots reset their statistics;
//   3 statistics: per root, atomically: pixel count, sum of probabilities in 1/4096 (exact integers; the mean is within
//     1.2e-4 of the float mean), and the bounding box;
//   4 list: every root appends (root, count, sum, x0, x1, y0, y1) to the host-visible list (counter reset by
//     vkCmdFillBuffer). The list holds W·H/4 + 1 regions, more than an 8-connected labelling of W×H can have.
// Host side: src/VulkanCnn/Vision/Tasks/TextDetectionTask.cs.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(constant_id = 0) const int MODE = 0;
layout(std430, binding = 0) readonly buffer Prob { float prob[]; };
layout(std430, binding = 1) coherent volatile buffer Labels { int L[]; };
layout(std430, binding = 2) buffer Stats { uint stats[]; };              // 6 per pixel (used at roots)
layout(std430, binding = 3) buffer Regions { uint count; uint pad0, pad1, pad2; uint regions[]; };   // 7 per region
layout(push_constant) uniform Params {
    int width, height;
    float threshold;
    int capacity;    // regions the list holds
} p;

int find(int x)
{
    int q = L[x];
    while (q != x) { x = q; q = L[x]; }
    return x;
}

void unite(int a, int b)
{
    bool done = false;
    while (!done) {
        a = find(a);
        b = find(b);
        if (a < b) { int old = atomicMin(L[b], a); done = old == b; b = old; }
        else if (b < a) { int old = atomicMin(L[a], b); done = old == a; a = old; }
        else done = true;
    }
}

bool text(int i) { return prob[i] >= p.threshold; }   // NaN is not text

void main()
{
    int i = flatIndex();
    if (i >= p.width * p.height) return;
    int x = i % p.width, y = i / p.width;
    if (MODE == 0) {
        L[i] = text(i) ? i : -1;
    } else if (MODE == 1) {
        if (L[i] < 0) return;
        if (x > 0 && text(i - 1)) unite(i, i - 1);
        if (y > 0) {
            int up = i - p.width;
            if (x > 0 && text(up - 1)) unite(i, up - 1);
            if (text(up)) unite(i, up);
            if (x + 1 < p.width && text(up + 1)) unite(i, up + 1);
        }
    } else if (MODE == 2) {
        if (L[i] < 0) return;
        int r = find(i);
        L[i] = r;
        if (r == i) {
            stats[6 * i] = 0u; stats[6 * i + 1] = 0u;
            stats[6 * i + 2] = 0x7FFFFFFFu; stats[6 * i + 3] = 0u;
            stats[6 * i + 4] = 0x7FFFFFFFu; stats[6 * i + 5] = 0u;
        }
    } else if (MODE == 3) {
        int r = L[i];
        if (r < 0) return;
        atomicAdd(stats[6 * r], 1u);
        atomicAdd(stats[6 * r + 1], uint(prob[i] * 4096.0 + 0.5));
        atomicMin(stats[6 * r + 2], uint(x)); atomicMax(stats[6 * r + 3], uint(x));
        atomicMin(stats[6 * r + 4], uint(y)); atomicMax(stats[6 * r + 5], uint(y));
    } else {
        if (L[i] != i) return;
        uint slot = atomicAdd(count, 1u);
        if (slot >= uint(p.capacity)) return;
        uint o = 7u * slot;
        regions[o] = uint(i);
        for (int k = 0; k < 6; k++) regions[o + 1u + uint(k)] = stats[6 * i + k];
    }
}
