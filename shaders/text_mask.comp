#version 450
// Text detection (PP-OCR / DBNet) post-processing: the probability map thresholded into a byte mask, four pixels per
// invocation packed into one uint (byte i = pixel 4·k + i: 1 at or above the threshold, else 0). The host labels the
// mask's connected regions. Host side: src/VulkanCnn/Vision/Tasks/TextDetectionTask.cs.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer Prob { vec4 prob[]; };
layout(std430, binding = 1) writeonly buffer Mask { uint mask[]; };
layout(push_constant) uniform Params {
    int words;          // pixels / 4
    float threshold;
} p;

void main()
{
    int i = flatIndex();
    if (i >= p.words) return;
    vec4 v = prob[i];
    // NaN compares false: not text.
    uvec4 on = uvec4(greaterThanEqual(v, vec4(p.threshold)));
    mask[i] = on.x | (on.y << 8) | (on.z << 16) | (on.w << 24);
}
