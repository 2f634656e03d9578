#version 450
// Weighted non-maximum suppression (MediaPipe's WEIGHTED mode) in one workgroup. Candidates come as a compact list of
// record indices (any order); records hold a score then VALUES floats, the first four the box corners x0, y0, x1, y1.
// 1. Bitonic sort of (score, index) in shared memory, best first, ties by lower index (= the C# decoder's stable order).
// 2. Repeatedly: the best live candidate and every live one whose IoU with it exceeds the threshold form a group; the
//    output is the group's score-weighted mean of every value with the best score; the group is removed.
//    Each of VALUES + 1 invocations sums one value over the group in sorted order, the C# summation order.
// Candidates beyond MAXC are not sorted (the host guarantees the list never exceeds it); outputs stop at maxOut, which
// keeps exactly the first maxOut faces of the unbounded algorithm since groups come out best first.
// Host side: src/VulkanCnn/Vision/Tasks/BlazeFaceTask.cs.
layout(local_size_x = 256) in;
layout(constant_id = 0) const int VALUES = 16;
const uint MAXC = 1024u;
const uint NONE = 0xFFFFFFFFu;
layout(std430, binding = 0) readonly buffer Records { float rec[]; };
layout(std430, binding = 1) readonly buffer List { uint count; uint ids[]; };
// Result: number of outputs, number of candidates, two unused words, then per output a score and VALUES floats.
layout(std430, binding = 2) writeonly buffer Result { uint outCount; uint candidates; uint pad0; uint pad1; float outs[]; };
layout(push_constant) uniform Params {
    int maxOut;
    float iou;
} p;

shared float sScore[MAXC];
shared uint sId[MAXC];
shared uint sState[MAXC];   // 0 removed, 1 live, 2 in the current group
shared uint sFirst;

bool better(float sa, uint ia, float sb, uint ib) { return sa > sb || (sa == sb && ia < ib); }

float iouOf(vec4 a, vec4 b)
{
    float w = min(a.z, b.z) - max(a.x, b.x), h = min(a.w, b.w) - max(a.y, b.y);
    if (w <= 0.0 || h <= 0.0) return 0.0;
    float inter = w * h;
    float uni = max(0.0, a.z - a.x) * max(0.0, a.w - a.y) + max(0.0, b.z - b.x) * max(0.0, b.w - b.y) - inter;
    return uni > 0.0 ? inter / uni : 0.0;
}

vec4 boxOf(uint id) { uint o = id * uint(VALUES + 1); return vec4(rec[o + 1u], rec[o + 2u], rec[o + 3u], rec[o + 4u]); }

void main()
{
    uint t = gl_LocalInvocationID.x;
    const uint G = gl_WorkGroupSize.x;
    uint total = count;
    uint n = min(total, MAXC);
    uint size = 1u;
    while (size < n) size <<= 1;
    for (uint i = t; i < size; i += G) {
        if (i < n) { uint id = ids[i]; sId[i] = id; sScore[i] = rec[id * uint(VALUES + 1)]; }
        else { sId[i] = NONE; sScore[i] = -1.0; }   // scores are probabilities: padding sorts last
    }
    barrier();
    for (uint k = 2u; k <= size; k <<= 1) {
        for (uint j = k >> 1; j > 0u; j >>= 1) {
            for (uint i = t; i < size; i += G) {
                uint l = i ^ j;
                if (l > i) {
                    bool bestFirst = (i & k) == 0u;
                    bool swap = bestFirst ? better(sScore[l], sId[l], sScore[i], sId[i]) : better(sScore[i], sId[i], sScore[l], sId[l]);
                    if (swap) {
                        float s = sScore[i]; sScore[i] = sScore[l]; sScore[l] = s;
                        uint d = sId[i]; sId[i] = sId[l]; sId[l] = d;
                    }
                }
            }
            barrier();
        }
    }
    for (uint i = t; i < n; i += G) sState[i] = 1u;
    barrier();

    uint produced = 0u;
    while (produced < uint(p.maxOut)) {
        if (t == 0u) sFirst = NONE;
        barrier();
        for (uint i = t; i < n; i += G) if (sState[i] == 1u) { atomicMin(sFirst, i); break; }
        barrier();
        uint first = sFirst;
        if (first == NONE) break;   // the same value in every invocation: uniform
        vec4 best = boxOf(sId[first]);
        for (uint i = first + t; i < n; i += G)
            if (sState[i] == 1u && (i == first || iouOf(best, boxOf(sId[i])) > p.iou)) sState[i] = 2u;
        barrier();
        if (t < uint(VALUES)) {
            float acc = 0.0, weight = 0.0;
            for (uint i = first; i < n; i++) {
                if (sState[i] != 2u) continue;
                float s = sScore[i];
                weight += s;
                acc += s * rec[sId[i] * uint(VALUES + 1) + 1u + t];
            }
            outs[produced * uint(VALUES + 1) + 1u + t] = acc / weight;
        }
        if (t == 0u) outs[produced * uint(VALUES + 1)] = sScore[first];
        barrier();
        for (uint i = first + t; i < n; i += G) if (sState[i] == 2u) sState[i] = 0u;
        produced++;
        barrier();
    }
    if (t == 0u) { outCount = produced; candidates = total; }
}
