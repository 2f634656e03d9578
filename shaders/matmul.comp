#version 450
// Batched matrix product with both operands computed at run time (ONNX MatMul of two activations, e.g. attention
// scores): C[b] = A[b] · B[b or 0], row-major A (M×K), B (K×N), C (M×N) in the tensors' flat memory. A workgroup owns a
// 32×32 tile of C; its 16×16 lanes each keep a 2×2 block of accumulators, and the K axis is walked in steps of 16 through
// shared-memory tiles of A and B (each element loaded once per workgroup, then read by 32 lanes). Host side:
// src/VulkanCnn/Layers/MatMul.cs.
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer C { float c[]; };
layout(push_constant) uniform Params { int M, K, N, strideA, strideB, strideC; } p;   // strideB 0: one B for all

shared float tileA[32][17];   // 32 rows of A × 16 of K (padded against bank conflicts)
shared float tileB[16][33];   // 16 of K × 32 columns of B

void main()
{
    int lx = int(gl_LocalInvocationID.x), ly = int(gl_LocalInvocationID.y);
    int row0 = int(gl_WorkGroupID.y) * 32, col0 = int(gl_WorkGroupID.x) * 32;
    int batch = int(gl_WorkGroupID.z);
    int baseA = batch * p.strideA, baseB = batch * p.strideB, baseC = batch * p.strideC;
    float c00 = 0.0, c01 = 0.0, c10 = 0.0, c11 = 0.0;
    for (int k0 = 0; k0 < p.K; k0 += 16) {
        // A tile: rows row0 + ly and row0 + 16 + ly, column k0 + lx. B tile: row k0 + ly, columns col0 + lx and +16.
        int ka = k0 + lx, kb = k0 + ly;
        int r0 = row0 + ly, r1 = r0 + 16, q0 = col0 + lx, q1 = q0 + 16;
        tileA[ly][lx] = (r0 < p.M && ka < p.K) ? a[baseA + r0 * p.K + ka] : 0.0;
        tileA[ly + 16][lx] = (r1 < p.M && ka < p.K) ? a[baseA + r1 * p.K + ka] : 0.0;
        tileB[ly][lx] = (kb < p.K && q0 < p.N) ? b[baseB + kb * p.N + q0] : 0.0;
        tileB[ly][lx + 16] = (kb < p.K && q1 < p.N) ? b[baseB + kb * p.N + q1] : 0.0;
        barrier();
        for (int kk = 0; kk < 16; kk++) {
            float a0 = tileA[ly][kk], a1 = tileA[ly + 16][kk];
            float b0 = tileB[kk][lx], b1 = tileB[kk][lx + 16];
            c00 += a0 * b0; c01 += a0 * b1; c10 += a1 * b0; c11 += a1 * b1;
        }
        barrier();
    }
    int r0 = row0 + ly, r1 = r0 + 16, q0 = col0 + lx, q1 = q0 + 16;
    if (r0 < p.M && q0 < p.N) c[baseC + r0 * p.N + q0] = c00;
    if (r0 < p.M && q1 < p.N) c[baseC + r0 * p.N + q1] = c01;
    if (r1 < p.M && q0 < p.N) c[baseC + r1 * p.N + q0] = c10;
    if (r1 < p.M && q1 < p.N) c[baseC + r1 * p.N + q1] = c11;
}
