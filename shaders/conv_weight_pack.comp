#version 450
// Packs convolution weights that the network computes at run time into the layout the convolution kernels read:
// blocks of CB output channels, each tap-major ((ky·Fw + kx)·Cg + c)·CB + j, the channels past a group's Kg zero;
// then the bias of every block (zero where there is none). The source is [K][Cg][Fh][Fw] for a convolution
// (conv2d.comp, CB 4 to 32) and [D][Kg][Fh][Fw] for a transposed one (conv_transpose2d.comp, CB 4), both ONNX
// order. Constant weights are packed the same way on the host (Conv2d.EmitGemm, ConvTranspose2d.Compile).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
#include "grid.glsl"
layout(std430, binding = 0) readonly buffer W { float w[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Packed { float packedWeights[]; };
layout(std430, binding = 3) writeonly buffer PackedBias { float packedBias[]; };
layout(push_constant) uniform Params {
    int cb, cg, taps, kg, blocksPerGroup, weightCount, biasCount, hasBias, transposed;
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
        int src = p.transposed != 0 ? ((g * p.cg + c) * p.kg + k) * p.taps + tap : ((g * p.kg + k) * p.cg + c) * p.taps + tap;
        packedWeights[i] = k < p.kg ? w[src] : 0.0;
    } else if (i < p.weightCount + p.biasCount) {
        int e = i - p.weightCount;
        int perGroup = p.blocksPerGroup * p.cb;
        int g = e / perGroup;
        int k = e - g * perGroup;
        packedBias[e] = p.hasBias != 0 && k < p.kg ? b[g * p.kg + k] : 0.0;
    }
}
