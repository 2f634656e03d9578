#version 450
// BlazeFace decoding, one invocation per anchor: sigmoid of the score logit, threshold, and for a candidate its box
// corners and six keypoints as fractions of the model input, written at the anchor's own record; the anchor index is
// appended to a compact list through an atomic counter (reset by vkCmdFillBuffer before this pass). The list's order
// is arbitrary; nms.comp sorts it by (score, anchor). Host side: src/VulkanCnn/Vision/Tasks/BlazeFaceTask.cs.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer RegFine { float regFine[]; };       // fine-grid anchors × 16
layout(std430, binding = 1) readonly buffer RegCoarse { float regCoarse[]; };   // coarse-grid anchors × 16
layout(std430, binding = 2) readonly buffer ScoreFine { float scoreFine[]; };
layout(std430, binding = 3) readonly buffer ScoreCoarse { float scoreCoarse[]; };
// Per anchor 17 floats: score, x0, y0, x1, y1, then 6 keypoints (x, y). Only candidates' records are written.
layout(std430, binding = 4) writeonly buffer Records { float rec[]; };
layout(std430, binding = 5) buffer List { uint count; uint ids[]; };
layout(push_constant) uniform Params {
    int fineCount, coarseCount;           // anchors in each output (512, 384)
    int fineGrid, finePerCell;            // 16×16 cells, 2 anchors each
    int coarseGrid, coarsePerCell;        // 8×8 cells, 6 anchors each
    float inputSize;                      // model input side in pixels (regressors are in input pixels)
    float minScore;
} p;

void main()
{
    int i = flatIndex();
    if (i >= p.fineCount + p.coarseCount) return;
    bool fine = i < p.fineCount;
    int j = fine ? i : i - p.fineCount;
    float logit = fine ? scoreFine[j] : scoreCoarse[j];
    // The same formula as the C# decoder; NaN logits are never faces.
    float score = 1.0 / (1.0 + exp(-clamp(logit, -100.0, 100.0)));
    if (isnan(logit) || !(score >= p.minScore)) return;
    int grid = fine ? p.fineGrid : p.coarseGrid;
    int cell = j / (fine ? p.finePerCell : p.coarsePerCell);
    float ax = (float(cell % grid) + 0.5) / float(grid), ay = (float(cell / grid) + 0.5) / float(grid);
    int r = j * 16;
    float v[16];
    for (int k = 0; k < 16; k++) v[k] = (fine ? regFine[r + k] : regCoarse[r + k]) / p.inputSize;
    float cx = ax + v[0], cy = ay + v[1], w = v[2], h = v[3];
    int o = i * 17;
    rec[o] = score;
    rec[o + 1] = cx - w * 0.5;
    rec[o + 2] = cy - h * 0.5;
    rec[o + 3] = cx - w * 0.5 + w;
    rec[o + 4] = cy - h * 0.5 + h;
    for (int k = 0; k < 6; k++) {
        rec[o + 5 + 2 * k] = ax + v[4 + 2 * k];
        rec[o + 6 + 2 * k] = ay + v[5 + 2 * k];
    }
    uint slot = atomicAdd(count, 1u);
    ids[slot] = uint(i);
}
