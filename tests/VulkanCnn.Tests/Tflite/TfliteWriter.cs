// Writes tiny .tflite flatbuffers for the tests: a forward-laid-out flatbuffer (each table's vtable just before it,
// children after their parent, so every uoffset points forward as the format requires) of one subgraph.
using System.Text;

namespace VulkanCnn.Tests.Tflite;

/// <summary>A flatbuffer value: a table (fields by schema id), a vector, a string or a scalar.</summary>
internal abstract record Fb;

internal sealed record FbT(params (int Id, object Value)[] Fields) : Fb;   // values: int, uint, byte, bool, float, ulong, Fb

internal sealed record FbVec(object[] Items, int ElemSize) : Fb;   // ints, floats, bytes or tables

internal sealed record FbStr(string S) : Fb;

internal static class TfliteWriter
{
    public static byte[] Write(FbT root)
    {
        var buf = new List<byte>(new byte[8]);
        buf[4] = (byte)'T'; buf[5] = (byte)'F'; buf[6] = (byte)'L'; buf[7] = (byte)'3';
        int pos = Emit(buf, root);
        Patch(buf, 0, (uint)pos);
        return buf.ToArray();
    }

    private static void Align(List<byte> b, int n) { while (b.Count % n != 0) b.Add(0); }

    private static void Patch(List<byte> b, int at, uint v) { for (int i = 0; i < 4; i++) b[at + i] = (byte)(v >> (8 * i)); }

    private static void Add(List<byte> b, ReadOnlySpan<byte> s) { foreach (var x in s) b.Add(x); }

    private static int Size(object v) => v switch { byte or bool => 1, ulong => 8, _ => 4 };

    private static int Emit(List<byte> b, Fb f)
    {
        switch (f)
        {
            case FbStr s:
            {
                Align(b, 4);
                int p = b.Count;
                var bytes = Encoding.UTF8.GetBytes(s.S);
                Add(b, BitConverter.GetBytes(bytes.Length)); Add(b, bytes); b.Add(0);
                return p;
            }
            case FbVec v:
            {
                Align(b, 4);
                int p = b.Count;
                Add(b, BitConverter.GetBytes(v.Items.Length));
                var children = new List<(int At, Fb Child)>();
                foreach (var item in v.Items)
                    switch (item)
                    {
                        case Fb child: children.Add((b.Count, child)); b.AddRange(new byte[4]); break;
                        case byte x: b.Add(x); break;
                        case float x: Add(b, BitConverter.GetBytes(x)); break;
                        case long x: Add(b, BitConverter.GetBytes(x)); break;
                        case short x: Add(b, BitConverter.GetBytes(x)); break;
                        default: Add(b, BitConverter.GetBytes(Convert.ToInt32(item))); break;
                    }
                foreach (var (at, child) in children) Patch(b, at, (uint)(Emit(b, child) - at));
                return p;
            }
            case FbT t:
            {
                // Table layout: soffset, then the fields in order, each aligned to its size.
                var offs = new List<(int Id, int Off, object V)>();
                int size = 4;
                foreach (var (id, v) in t.Fields)
                {
                    int s = v is Fb ? 4 : Size(v);
                    size = (size + s - 1) / s * s;
                    offs.Add((id, size, v));
                    size += s;
                }
                int maxId = t.Fields.Length == 0 ? -1 : t.Fields.Max(x => x.Id);
                Align(b, 2);
                int vt = b.Count;
                Add(b, BitConverter.GetBytes((ushort)(4 + 2 * (maxId + 1))));
                Add(b, BitConverter.GetBytes((ushort)size));
                for (int id = 0; id <= maxId; id++)
                    Add(b, BitConverter.GetBytes((ushort)(offs.FirstOrDefault(o => o.Id == id).Off)));
                Align(b, 8);
                int p = b.Count;
                b.AddRange(new byte[size]);
                Patch(b, p, (uint)(p - vt));
                var children = new List<(int At, Fb Child)>();
                foreach (var (_, off, v) in offs)
                {
                    int at = p + off;
                    if (v is Fb child) { children.Add((at, child)); continue; }
                    var bytes = v switch
                    {
                        byte x => new[] { x },
                        bool x => new[] { (byte)(x ? 1 : 0) },
                        float x => BitConverter.GetBytes(x),
                        uint x => BitConverter.GetBytes(x),
                        ulong x => BitConverter.GetBytes(x),
                        _ => BitConverter.GetBytes(Convert.ToInt32(v)),
                    };
                    for (int i = 0; i < bytes.Length; i++) b[at + i] = bytes[i];
                }
                foreach (var (at, child) in children) Patch(b, at, (uint)(Emit(b, child) - at));
                return p;
            }
        }
        throw new ArgumentException(f.ToString());
    }
}

/// <summary>Builds a one-subgraph TFLite model: tensors (float32 run-time or constant float32/float16/int32), operators.</summary>
internal sealed class TfliteGraph
{
    private readonly List<FbT> _tensors = new();
    private readonly List<FbT> _buffers = new() { new FbT() };   // buffer 0: the empty buffer
    private readonly List<FbT> _ops = new();
    private readonly List<(int Builtin, string? Custom, int Version)> _codes = new();
    public List<int> Inputs { get; } = new();
    public List<int> Outputs { get; } = new();

    public int Tensor(string name, int[] shape, byte type = 0, byte[]? data = null, bool quantized = false)
    {
        uint buffer = 0;
        if (data != null) { buffer = (uint)_buffers.Count; _buffers.Add(new FbT((0, new FbVec(data.Cast<object>().ToArray(), 1)))); }
        var fields = new List<(int, object)> { (0, new FbVec(shape.Cast<object>().ToArray(), 4)), (1, type), (2, buffer), (3, new FbStr(name)) };
        if (quantized) fields.Add((4, new FbT((2, new FbVec(new object[] { 0.5f }, 4)), (3, new FbVec(new object[] { 0L }, 8)))));
        _tensors.Add(new FbT(fields.ToArray()));
        return _tensors.Count - 1;
    }

    public int Const(string name, int[] shape, float[] v) => Tensor(name, shape, 0, v.SelectMany(BitConverter.GetBytes).ToArray());

    public int Half(string name, int[] shape, float[] v) => Tensor(name, shape, 1, v.SelectMany(x => BitConverter.GetBytes((Half)x)).ToArray());

    public int Ints(string name, int[] shape, int[] v) => Tensor(name, shape, 2, v.SelectMany(BitConverter.GetBytes).ToArray());

    public int Input(string name, params int[] shape) { int t = Tensor(name, shape); Inputs.Add(t); return t; }

    /// <summary>An operator; <paramref name="optionsType"/> is the BuiltinOptions union tag, <paramref name="options"/> its table.</summary>
    public int Op(int builtin, int[] inputs, int[] outputs, byte optionsType = 0, FbT? options = null, string? custom = null, byte[]? customOptions = null, int version = 1)
    {
        int code = _codes.IndexOf((builtin, custom, version));
        if (code < 0) { _codes.Add((builtin, custom, version)); code = _codes.Count - 1; }
        var f = new List<(int, object)> { (0, (uint)code), (1, new FbVec(inputs.Cast<object>().ToArray(), 4)), (2, new FbVec(outputs.Cast<object>().ToArray(), 4)) };
        if (options != null) { f.Add((3, optionsType)); f.Add((4, options)); }
        if (customOptions != null) f.Add((5, new FbVec(customOptions.Cast<object>().ToArray(), 1)));
        _ops.Add(new FbT(f.ToArray()));
        return outputs[0];
    }

    public byte[] Build()
    {
        var codes = _codes.Select(c => new FbT(new List<(int, object)> { (0, (byte)Math.Min(c.Builtin, 127)), (2, c.Version), (3, c.Builtin) }
            .Concat(c.Custom != null ? new[] { (1, (object)new FbStr(c.Custom)) } : Array.Empty<(int, object)>()).ToArray())).ToArray();
        var subgraph = new FbT((0, new FbVec(_tensors.ToArray(), 4)), (1, new FbVec(Inputs.Cast<object>().ToArray(), 4)),
            (2, new FbVec(Outputs.Cast<object>().ToArray(), 4)), (3, new FbVec(_ops.ToArray(), 4)), (4, new FbStr("main")));
        return TfliteWriter.Write(new FbT((0, 3u), (1, new FbVec(codes, 4)), (2, new FbVec(new object[] { subgraph }, 4)),
            (3, new FbStr("VulkanCnn test")), (4, new FbVec(_buffers.ToArray(), 4))));
    }
}
