#version 450
// M-LSD line segments, pass 2 of 2, one workgroup: the k best candidates of mlsd_decode.comp, exactly and in a fixed
// order. A 256-bin histogram of candidate scores over (threshold, 1] finds the lowest bin that still holds one of the
// k best; only candidates from that bin up (about k) go into shared memory, where a bitonic sort orders them by
// score, ties by lower cell index. If more than CAP candidates fall in those bins (scores bunched within 1/256 of the
// range), only CAP of them are sorted and the overflow is reported (result word 2). The k best are written as score,
// x0, y0, x1, y1 in map cells (cell x + start displacement, ...; M-LSD's convention, no half-cell offset).
// Host side: src/VulkanCnn/Vision/Tasks/LineSegmentTask.cs.
layout(local_size_x = 256) in;
const uint CAP = 1024u;
const uint BINS = 256u;
layout(std430, binding = 0) readonly buffer Scores { float scores[]; };
layout(std430, binding = 1) readonly buffer Offsets { vec4 offsets[]; };   // per cell: start dx, dy, end dx, dy
layout(std430, binding = 2) readonly buffer List { uint count; uint ids[]; };
// Result: segments written, candidates, candidates selected for sorting, unused; then 5 floats per segment.
layout(std430, binding = 3) writeonly buffer Result { uint outCount; uint candidates; uint selectedCount; uint pad; float segs[]; };
layout(push_constant) uniform Params {
    int width, height;
    int k;
    float threshold;
} p;

shared uint hist[BINS];
shared float sScore[CAP];
shared uint sId[CAP];
shared uint sCount, sCut;

bool better(float sa, uint ia, float sb, uint ib) { return sa > sb || (sa == sb && ia < ib); }

uint binOf(float s) { return uint(clamp((s - p.threshold) / (1.0 - p.threshold) * float(BINS), 0.0, float(BINS - 1u))); }

void main()
{
    uint t = gl_LocalInvocationID.x;
    const uint G = gl_WorkGroupSize.x;
    uint total = count;
    for (uint b = t; b < BINS; b += G) hist[b] = 0u;
    if (t == 0u) sCount = 0u;
    barrier();
    for (uint j = t; j < total; j += G) atomicAdd(hist[binOf(scores[ids[j]])], 1u);
    barrier();
    if (t == 0u) {
        uint acc = 0u, cut = 0u;
        for (int b = int(BINS) - 1; b >= 0; b--) { acc += hist[b]; if (acc >= uint(p.k)) { cut = uint(b); break; } }
        sCut = cut;
    }
    barrier();
    uint cut = sCut;
    for (uint j = t; j < total; j += G) {
        uint id = ids[j];
        float s = scores[id];
        if (binOf(s) >= cut) {
            uint slot = atomicAdd(sCount, 1u);
            if (slot < CAP) { sScore[slot] = s; sId[slot] = id; }
        }
    }
    barrier();
    uint selected = sCount;
    uint n = min(selected, CAP);
    uint size = 1u;
    while (size < n) size <<= 1;
    for (uint i = n + t; i < size; i += G) { sScore[i] = -1.0; sId[i] = 0xFFFFFFFFu; }
    barrier();
    for (uint kk = 2u; kk <= size; kk <<= 1) {
        for (uint j = kk >> 1; j > 0u; j >>= 1) {
            for (uint i = t; i < size; i += G) {
                uint l = i ^ j;
                if (l > i) {
                    bool bestFirst = (i & kk) == 0u;
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
    uint out_n = min(n, uint(p.k));
    for (uint r = t; r < out_n; r += G) {
        uint id = sId[r];
        float x = float(id % uint(p.width)), y = float(id / uint(p.width));
        segs[5u * r] = sScore[r];
        vec4 d = offsets[id];
        segs[5u * r + 1u] = x + d.x;
        segs[5u * r + 2u] = y + d.y;
        segs[5u * r + 3u] = x + d.z;
        segs[5u * r + 4u] = y + d.w;
    }
    if (t == 0u) { outCount = out_n; candidates = total; selectedCount = selected; pad = 0u; }
}
