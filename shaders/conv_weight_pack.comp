#version 450
// Packs convolution weights that the network computes at run time ([K][Cg][Fh][Fw], ONNX order) into the layout that
// conv2d.comp reads: blocks of CB filters, each tap-major ((ky·Fw + kx)·Cg + c)·CB + j, the filters past a group's Kg
// zero; then the bias of every block (zero where there is none). Constant weights are packed the same way on the
// host (Conv2d.EmitGemm); this is that loop, one element per invocation.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer W { float w[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Packed { float packedWeights[]; };
layout(std430, binding = 3) writeonly buffer PackedBias { float packedBias[]; };
layout(push_constant) uniform Params {
    int cb, cg, taps, kg, blocksPerGroup, weightCount, biasCount, hasBias;
} p;

void main()
{
    int i = flatIndex();
    if (i < p.weightCount) {
        int j = i % p.cb;
        int r = i / p.cb;
        int c = r % p.cg;
        r /= p.cg;
        int tap = r % p.taps;
        int block = r / p.taps;
        int g = block / p.blocksPerGroup;
        int k = (block - g * p.blocksPerGroup) * p.cb + j;
        packedWeights[i] = k < p.kg ? w[((g * p.kg + k) * p.cg + c) * p.taps + tap] : 0.0;
    } else if (i < p.weightCount + p.biasCount) {
        int e = i - p.weightCount;
        int perGroup = p.blocksPerGroup * p.cb;
        int g = e / perGroup;
        int k = e - g * perGroup;
        packedBias[e] = p.hasBias != 0 && k < p.kg ? b[g * p.kg + k] : 0.0;
    }
}
