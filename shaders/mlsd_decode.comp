#version 450
// M-LSD line segments, pass 1 of 2, one invocation per cell of the centre-score map: a cell is a candidate when its
// score exceeds the threshold, no 3×3 neighbour scores higher (max-pool NMS; the exported models already zero
// non-peaks, which this leaves unchanged) and its segment (centre + start and end displacements) is longer than the
// minimum. Candidates are appended to a list through an atomic counter (reset by vkCmdFillBuffer); mlsd_topk.comp
// selects and sorts them. Host side: src/VulkanCnn/Vision/Tasks/LineSegmentTask.cs.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Scores { float scores[]; };     // H×W
layout(std430, binding = 1) readonly buffer Offsets { vec4 offsets[]; };    // per cell: start dx, dy, end dx, dy (NHWC)
layout(std430, binding = 2) buffer List { uint count; uint ids[]; };
layout(push_constant) uniform Params {
    int width, height;
    float threshold;
    float minLength;      // map cells
} p;

void main()
{
    int i = flatIndex();
    int hw = p.width * p.height;
    if (i >= hw) return;
    float s = scores[i];
    if (!(s > p.threshold)) return;
    int x = i % p.width, y = i / p.width;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int nx = x + dx, ny = y + dy;
            if (nx < 0 || ny < 0 || nx >= p.width || ny >= p.height) continue;
            if (scores[ny * p.width + nx] > s) return;
        }
    vec4 d = offsets[i];
    float ddx = d.x - d.z, ddy = d.y - d.w;
    if (!(sqrt(ddx * ddx + ddy * ddy) > p.minLength)) return;
    uint slot = atomicAdd(count, 1u);
    ids[slot] = uint(i);
}
