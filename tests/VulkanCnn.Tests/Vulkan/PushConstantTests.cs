// Guards the one-to-one match of every shader's push-constant block with its C# mirror struct: the block size is
// read from the embedded SPIR-V by a small parser written from the SPIR-V specification (section 2.3, physical layout).
using System.Runtime.InteropServices;
using VulkanCnn.Layers;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Tests.Vulkan;

public class PushConstantTests
{
    private const uint Magic = 0x07230203;
    private const int OpTypeInt = 21, OpTypeFloat = 22, OpTypeVector = 23, OpTypeArray = 28, OpConstant = 43, OpTypeStruct = 30, OpTypePointer = 32, OpVariable = 59, OpMemberDecorate = 72;
    private const uint StorageClassPushConstant = 9, DecorationOffset = 35;

    /// <summary>
    /// Size in bytes of the push-constant block of a SPIR-V module (0 when it has none): the highest member Offset plus
    /// that member's size. Members are 32-bit int or float scalars, vectors of them, or arrays of those (the rank-8
    /// index tables of the general kernels: ivec4 dims[2], whose std430 stride is the vector's 16 bytes).
    /// </summary>
    internal static int PushConstantBlockSize(byte[] spirv, string what)
    {
        Assert.That(spirv.Length % 4, Is.EqualTo(0), $"{what}: SPIR-V length {spirv.Length} is not a whole number of words");
        var words = MemoryMarshal.Cast<byte, uint>(spirv);
        Assert.That(words[0], Is.EqualTo(Magic), $"{what}: bad SPIR-V magic number");

        var pointers = new Dictionary<uint, uint>();                 // pointer type id → pointee type id
        var structs = new Dictionary<uint, uint[]>();                // struct id → member type ids
        var scalarWidth = new Dictionary<uint, uint>();              // int/float type id → bit width
        var offsets = new Dictionary<(uint Struct, uint Member), uint>();
        var vectors = new Dictionary<uint, (uint Component, uint Count)>();
        var arrays = new Dictionary<uint, (uint Element, uint LengthId)>();
        var constants = new Dictionary<uint, uint>();
        var pushVariables = new List<uint>();                        // pointer types of PushConstant variables

        int i = 5;   // magic, version, generator, bound, schema
        while (i < words.Length)
        {
            uint first = words[i];
            int op = (int)(first & 0xFFFF), count = (int)(first >> 16);
            Assert.That(count, Is.GreaterThan(0), $"{what}: zero word count at word {i}");
            Assert.That(i + count, Is.LessThanOrEqualTo(words.Length), $"{what}: instruction at word {i} runs past the end");
            var operands = words.Slice(i + 1, count - 1);
            switch (op)
            {
                case OpTypeInt:
                case OpTypeFloat:
                    scalarWidth[operands[0]] = operands[1];
                    break;
                case OpTypeStruct:
                    structs[operands[0]] = operands[1..].ToArray();
                    break;
                case OpTypeVector:
                    vectors[operands[0]] = (operands[1], operands[2]);
                    break;
                case OpTypeArray:
                    arrays[operands[0]] = (operands[1], operands[2]);
                    break;
                case OpConstant:
                    constants[operands[1]] = operands[2];
                    break;
                case OpTypePointer:
                    pointers[operands[0]] = operands[2];
                    break;
                case OpVariable:
                    if (operands[2] == StorageClassPushConstant) pushVariables.Add(operands[0]);
                    break;
                case OpMemberDecorate:
                    if (operands[2] == DecorationOffset) offsets[(operands[0], operands[1])] = operands[3];
                    break;
            }
            i += count;
        }
        Assert.That(i, Is.EqualTo(words.Length), $"{what}: instruction stream does not end on a word boundary");
        if (pushVariables.Count == 0) return 0;
        Assert.That(pushVariables, Has.Count.EqualTo(1), $"{what}: more than one push-constant block");
        uint structId = pointers[pushVariables[0]];
        Assert.That(structs.ContainsKey(structId), $"{what}: push-constant variable does not point to a struct");
        var members = structs[structId];
        // Bytes of a member type; 0 for anything but 32-bit scalars, vectors and arrays of them.
        int TypeSize(uint t)
        {
            if (scalarWidth.TryGetValue(t, out uint width)) return width == 32 ? 4 : 0;
            if (vectors.TryGetValue(t, out var v)) return scalarWidth.TryGetValue(v.Component, out uint w) && w == 32 ? 4 * (int)v.Count : 0;
            if (arrays.TryGetValue(t, out var a) && constants.TryGetValue(a.LengthId, out uint n))
            {
                int e = TypeSize(a.Element);
                return e % 16 == 0 ? e * (int)n : 0;   // only 16-byte elements: their stride is their size
            }
            return 0;
        }
        int size = 0;
        for (uint m = 0; m < members.Length; m++)
        {
            int bytes = TypeSize(members[m]);
            Assert.That(bytes, Is.GreaterThan(0), $"{what}: member {m} is not a 32-bit scalar, vector or array of 16-byte vectors");
            Assert.That(offsets.TryGetValue((structId, m), out uint off), $"{what}: member {m} has no Offset decoration");
            size = Math.Max(size, (int)off + bytes);
        }
        return size;
    }

    private static readonly Dictionary<string, Type> Mirrors = new()
    {
        ["broadcast"] = typeof(BroadcastPush),
        ["channel_affine"] = typeof(BatchNorm.Push),
        ["conv2d_c4p1"] = typeof(Conv2d.Push),
        ["conv2d_c4p2"] = typeof(Conv2d.Push),
        ["conv2d_c4p4"] = typeof(Conv2d.Push),
        ["conv2d_c8p1"] = typeof(Conv2d.Push),
        ["conv2d_c8p2"] = typeof(Conv2d.Push),
        ["conv2d_c8p4"] = typeof(Conv2d.Push),
        ["conv2d_c16p1"] = typeof(Conv2d.Push),
        ["conv2d_c16p2"] = typeof(Conv2d.Push),
        ["conv2d_c16p4"] = typeof(Conv2d.Push),
        ["conv2d_c32p1"] = typeof(Conv2d.Push),
        ["conv2d_c32p2"] = typeof(Conv2d.Push),
        ["conv2d_c32p4"] = typeof(Conv2d.Push),
        ["conv2d_c4p1_cl"] = typeof(Conv2d.Push),
        ["conv2d_c4p2_cl"] = typeof(Conv2d.Push),
        ["conv2d_c4p4_cl"] = typeof(Conv2d.Push),
        ["conv2d_c8p1_cl"] = typeof(Conv2d.Push),
        ["conv2d_c8p2_cl"] = typeof(Conv2d.Push),
        ["conv2d_c8p4_cl"] = typeof(Conv2d.Push),
        ["conv2d_c16p1_cl"] = typeof(Conv2d.Push),
        ["conv2d_c16p2_cl"] = typeof(Conv2d.Push),
        ["conv2d_c16p4_cl"] = typeof(Conv2d.Push),
        ["conv2d_c32p1_cl"] = typeof(Conv2d.Push),
        ["conv2d_c32p2_cl"] = typeof(Conv2d.Push),
        ["conv2d_c32p4_cl"] = typeof(Conv2d.Push),
        ["winograd_gemm_c4"] = typeof(Winograd.GemmPush),
        ["winograd_gemm_c8"] = typeof(Winograd.GemmPush),
        ["winograd_gemm_c16"] = typeof(Winograd.GemmPush),
        ["winograd_gemm_c32"] = typeof(Winograd.GemmPush),
        ["depthwise_conv2d"] = typeof(Conv2d.DepthwisePush),
        ["depthwise_conv2d_window"] = typeof(Conv2d.DepthwisePush),
        ["dense"] = typeof(Dense.Push),
        ["dense_v4"] = typeof(Dense.Push),
        ["conv_transpose2d"] = typeof(ConvTranspose2d.Push),
        ["conv_weight_pack"] = typeof(RuntimeWeights.PackPush),
        ["crop_regions"] = typeof(VulkanCnn.Vision.RegionCropper.Push),
        ["ctc_greedy"] = typeof(VulkanCnn.Vision.TextRecognizer.Push),
        ["copy_channels"] = typeof(Concat.Push),
        ["strided_copy"] = typeof(StridedCopy.Push),
        ["gather"] = typeof(Gather.Push),
        ["gather_elements"] = typeof(GatherElements.Push),
        ["where"] = typeof(Where.Push),
        ["layer_norm"] = typeof(LayerNorm.Push),
        ["along_axis"] = typeof(AlongAxis.Push),
        ["eltwise"] = typeof(EltwisePush),
        ["eltwise_ext"] = typeof(EltwisePush),
        ["broadcast_ext"] = typeof(BroadcastPush),
        ["globalpool"] = typeof(GlobalPool2d.Push),
        ["globalpool_avg"] = typeof(GlobalPool2d.Push),
        ["gradient"] = typeof(Gradient.Push),
        ["peak"] = typeof(PeakMeter).GetNestedType("Push", System.Reflection.BindingFlags.NonPublic)!,
        ["pad"] = typeof(Pad.Push),
        ["lrn"] = typeof(Lrn.Push),
        ["instance_norm"] = typeof(InstanceNorm.Push),
        ["reduce"] = typeof(Reduce.Push),
        ["pool2d"] = typeof(Pool2d.Push),
        ["pool2d_avg"] = typeof(Pool2d.Push),
        ["overlay"] = typeof(VulkanCnn.Vision.OverlayRenderer.Push),
        ["preprocess"] = typeof(VulkanCnn.Vision.FramePreprocessor.Push),
        ["preprocess_reduce"] = typeof(VulkanCnn.Vision.FramePreprocessor.ReducePush),
        ["preprocess_reduce_rgba"] = typeof(VulkanCnn.Vision.FramePreprocessor.ReducePush),
        ["preprocess_reduced"] = typeof(VulkanCnn.Vision.FramePreprocessor.Push),
        ["preprocess_rgba"] = typeof(VulkanCnn.Vision.FramePreprocessor.Push),
        ["matmul"] = typeof(MatMul.Push),
        ["swizzle_bgra"] = typeof(VulkanCnn.Vision.FramePipeline.SwizzlePush),
        ["softmax"] = typeof(Softmax.Push),
        ["upsample"] = typeof(Upsample.Push),
        ["winograd_input"] = typeof(Winograd.InputPush),
        ["winograd4_input"] = typeof(Winograd.InputPush),
        ["winograd4_output"] = typeof(Winograd.OutputPush),
        ["winograd_output"] = typeof(Winograd.OutputPush),
        // Vision tasks' GPU post-processing (src/VulkanCnn/Vision/Tasks).
        ["blazeface_decode"] = typeof(VulkanCnn.Vision.BlazeFaceGpuDecoder.DecodePush),
        ["nms"] = typeof(VulkanCnn.Vision.BlazeFaceGpuDecoder.NmsPush),
        ["text_mask"] = typeof(VulkanCnn.Vision.TextDetectionTask.Push),
        ["text_regions"] = typeof(VulkanCnn.Vision.TextDetectionTask.RegionsPush),
        ["mlsd_decode"] = typeof(VulkanCnn.Vision.LineSegmentTask.DecodePush),
        ["mlsd_topk"] = typeof(VulkanCnn.Vision.LineSegmentTask.TopKPush),
        ["topk"] = typeof(VulkanCnn.Vision.ClassificationTask.Push),
    };

    public static IEnumerable<string> Shaders() => PipelineStore.ShaderNames;

    [Test]
    public void EveryShaderIsEmbeddedAndHasAMirror()
    {
        Assert.That(PipelineStore.ShaderNames, Is.Not.Empty);
        Assert.That(PipelineStore.ShaderNames, Is.EquivalentTo(Mirrors.Keys), "shaders/*.comp and the mirror table must list the same shaders");
    }

    [TestCaseSource(nameof(Shaders))]
    public void BlockSizeEqualsMirrorStruct(string shader)
    {
        Assert.That(Mirrors.TryGetValue(shader, out var mirror), $"no C# mirror listed for {shader}");
        Assert.That(mirror, Is.Not.Null, $"{shader}: mirror type not found");
        int block = PushConstantBlockSize(PipelineStore.LoadSpirv(shader), shader);
        Assert.That(block, Is.GreaterThan(0), $"{shader} declares no push-constant block");
        Assert.That(Marshal.SizeOf(mirror!), Is.EqualTo(block), $"{shader}: push-constant block is {block} bytes, {mirror!.FullName} is {Marshal.SizeOf(mirror)}");
    }

    [Test]
    public void ParserReadsKnownBlocks()
    {
        // Independent of the mirrors: conv2d.comp declares 13 ints, upsample.comp 5 ints and 2 floats.
        Assert.That(PushConstantBlockSize(PipelineStore.LoadSpirv("conv2d_c16p4"), "conv2d_c16p4"), Is.EqualTo(52));
        Assert.That(PushConstantBlockSize(PipelineStore.LoadSpirv("upsample"), "upsample"), Is.EqualTo(28));
    }

    [Test]
    public void ParserOnAHandWrittenModule()
    {
        // %int = OpTypeInt 32 1; %s = OpTypeStruct %int %int %int; OpMemberDecorate %s 0/1/2 Offset 0/4/16;
        // %p = OpTypePointer PushConstant %s; %v = OpVariable %p PushConstant  → 20 bytes.
        uint Op(int op, int count) => (uint)(count << 16 | op);
        uint[] words =
        {
            Magic, 0x00010300, 0, 10, 0,
            Op(OpMemberDecorate, 5), 3, 0, DecorationOffset, 0,
            Op(OpMemberDecorate, 5), 3, 1, DecorationOffset, 4,
            Op(OpMemberDecorate, 5), 3, 2, DecorationOffset, 16,
            Op(OpTypeInt, 4), 2, 32, 1,
            Op(OpTypeStruct, 5), 3, 2, 2, 2,
            Op(OpTypePointer, 4), 4, StorageClassPushConstant, 3,
            Op(OpVariable, 4), 4, 5, StorageClassPushConstant,
        };
        Assert.That(PushConstantBlockSize(MemoryMarshal.AsBytes(words.AsSpan()).ToArray(), "hand-written"), Is.EqualTo(20));
        Assert.That(PushConstantBlockSize(MemoryMarshal.AsBytes(words.AsSpan(0, 29)).ToArray(), "no variable"), Is.EqualTo(0));
    }
}
