// Guards the one-to-one match of every shader's push-constant block with its C# mirror struct, the struct marked
// [PushConstants("shader")] in the library (no list here): the block size is read from the embedded SPIR-V by a small
// parser written from the SPIR-V specification (section 2.3, physical layout).
using System.Reflection;
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

    /// <summary>Every struct of the library marked <see cref="PushConstantsAttribute"/>, with its attribute.</summary>
    private static readonly (Type Struct, PushConstantsAttribute Attribute)[] MarkedStructs =
        typeof(PipelineStore).Assembly.GetTypes()
            .Select(t => (Struct: t, Attribute: t.GetCustomAttribute<PushConstantsAttribute>()))
            .Where(m => m.Attribute != null).Select(m => (m.Struct, m.Attribute!)).ToArray();

    /// <summary>The mirrors whose attribute names <paramref name="shader"/>.</summary>
    private static Type[] MirrorsOf(string shader) => MarkedStructs.Where(m => m.Attribute.Names(shader)).Select(m => m.Struct).ToArray();

    private static string Names(IEnumerable<Type> types) => string.Join(", ", types.Select(t => t.FullName));

    public static IEnumerable<string> Shaders() => PipelineStore.ShaderNames;

    [Test]
    public void EveryMarkedStructNamesAnEmbeddedShader()
    {
        Assert.That(PipelineStore.ShaderNames, Is.Not.Empty);
        Assert.That(MarkedStructs, Is.Not.Empty);
        foreach (var (type, attribute) in MarkedStructs)
        {
            Assert.That(type.IsValueType && type.StructLayoutAttribute?.Value == LayoutKind.Sequential, $"{type.FullName}: a mirror must be a sequential struct");
            foreach (var name in attribute.Shaders)
                Assert.That(PipelineStore.ShaderNames.Any(s => new PushConstantsAttribute(name).Names(s)),
                    $"{type.FullName} names shader '{name}', which is not embedded (shaders/*.comp or a variant in VulkanCnn.csproj)");
        }
    }

    [TestCaseSource(nameof(Shaders))]
    public void BlockSizeEqualsMirrorStruct(string shader)
    {
        int block = PushConstantBlockSize(PipelineStore.LoadSpirv(shader), shader);
        var mirrors = MirrorsOf(shader);
        if (block == 0)
        {
            Assert.That(mirrors, Is.Empty, $"{shader} declares no push-constant block, yet {Names(mirrors)} says it mirrors one");
            return;
        }
        Assert.That(mirrors, Has.Length.EqualTo(1), $"{shader}: a {block}-byte push-constant block needs exactly one struct marked [PushConstants(\"{shader}\")]; found {mirrors.Length}: {Names(mirrors)}");
        Assert.That(Marshal.SizeOf(mirrors[0]), Is.EqualTo(block), $"{shader}: push-constant block is {block} bytes, {mirrors[0].FullName} is {Marshal.SizeOf(mirrors[0])}");
    }

    [Test]
    public void TheMirrorOfEveryShaderIsFound()
    {
        // Independent of the attributes' own listing: a few known pairs, including a wildcard variant and a private mirror.
        Assert.That(MirrorsOf("conv2d_c16p4_cl"), Is.EqualTo(new[] { typeof(Conv2d.Push) }));
        Assert.That(MirrorsOf("pool2d_avg"), Is.EqualTo(new[] { typeof(Pool2d.Push) }));
        Assert.That(MirrorsOf("preprocess_reduce"), Is.EqualTo(new[] { typeof(VulkanCnn.Vision.FramePreprocessor.ReducePush) }));
        Assert.That(MirrorsOf("peak"), Is.EqualTo(new[] { typeof(PeakMeter).GetNestedType("Push", BindingFlags.NonPublic) }));
        Assert.That(PipelineStore.ShaderNames.Count(s => MirrorsOf(s).Length == 1), Is.EqualTo(PipelineStore.ShaderNames.Count),
            "every embedded shader today has a push block and one mirror");
    }

    [Test]
    public void WildcardsMatchByPrefixOnly()
    {
        var a = new PushConstantsAttribute("conv2d_c*", "pool2d");
        Assert.That(a.Names("conv2d_c4p1"), Is.True);
        Assert.That(a.Names("conv2d_c32p4_cl"), Is.True);
        Assert.That(a.Names("depthwise_conv2d"), Is.False);
        Assert.That(a.Names("pool2d"), Is.True);
        Assert.That(a.Names("pool2d_avg"), Is.False);
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
