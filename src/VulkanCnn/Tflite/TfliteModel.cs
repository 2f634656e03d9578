// A TFLite model read from its flatbuffer (schema: tensorflow/lite/schema/schema.fbs; only the tables the importer
// needs): the operator codes, the first subgraph's tensors and operators, and the buffers holding constant data.
// Field numbers below are the schema's field ids. Every table is checked as it is read (FlatBuffer.cs).
namespace VulkanCnn.Tflite;

/// <summary>TFLite's TensorType enum (the values the importer tells apart).</summary>
public enum TfliteType : byte
{
    Float32 = 0, Float16 = 1, Int32 = 2, UInt8 = 3, Int64 = 4, String = 5, Bool = 6, Int16 = 7, Complex64 = 8, Int8 = 9, Float64 = 10,
}

/// <summary>One tensor of the subgraph: shape in TFLite order (NHWC for images), element type, constant data if any.</summary>
public sealed record TfliteTensor(int Index, string Name, int[] Shape, TfliteType Type, int Buffer, bool Quantized)
{
    public override string ToString() => $"tensor {Index} '{Name}' [{string.Join(",", Shape)}] {Type}";
}

/// <summary>An operator code: a builtin operator number, or a custom operator's name, and the operator version.</summary>
public sealed record TfliteOperatorCode(int Builtin, string? Custom, int Version)
{
    /// <summary>The builtin operator's schema name (CONV_2D, ...), or the custom code.</summary>
    public string Name => Builtin == TfliteOps.Custom ? Custom ?? "CUSTOM" : TfliteOps.Name(Builtin);
}

/// <summary>One operator of the subgraph, in execution order.</summary>
public sealed record TfliteOperator(int Index, TfliteOperatorCode Code, int[] Inputs, int[] Outputs, byte OptionsType, ReadOnlyMemory<byte> CustomOptions)
{
    internal FbTable? Options { get; init; }
}

/// <summary>A parsed TFLite model (the first subgraph, which is the one the interpreter runs).</summary>
public sealed class TfliteModel
{
    private readonly ReadOnlyMemory<byte>[] _buffers;

    private TfliteModel(string source, uint version, string? description, TfliteTensor[] tensors, TfliteOperator[] ops,
                        int[] inputs, int[] outputs, ReadOnlyMemory<byte>[] buffers)
    {
        Source = source; Version = version; Description = description; Tensors = tensors; Operators = ops;
        Inputs = inputs; Outputs = outputs; _buffers = buffers;
    }

    public string Source { get; }

    public uint Version { get; }

    public string? Description { get; }

    public IReadOnlyList<TfliteTensor> Tensors { get; }

    public IReadOnlyList<TfliteOperator> Operators { get; }

    /// <summary>Tensor indices of the subgraph's inputs and outputs.</summary>
    public IReadOnlyList<int> Inputs { get; }

    public IReadOnlyList<int> Outputs { get; }

    /// <summary>The constant bytes of a tensor (empty for run-time tensors).</summary>
    public ReadOnlyMemory<byte> Data(TfliteTensor t) => t.Buffer > 0 && t.Buffer < _buffers.Length ? _buffers[t.Buffer] : ReadOnlyMemory<byte>.Empty;

    public static TfliteModel Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"TFLite model '{path}' not found.", path); }
        return Load(bytes, path);
    }

    /// <summary>Parses a model held in memory; <paramref name="source"/> names it in errors.</summary>
    public static TfliteModel Load(byte[] bytes, string source)
    {
        var fb = new FlatBuffer(bytes, source);
        if (bytes.Length < 8) throw fb.Error("shorter than a flatbuffer header (8 bytes)");
        if (bytes[4] != 'T' || bytes[5] != 'F' || bytes[6] != 'L' || bytes[7] != '3')
            throw fb.Error($"the file identifier at offset 4 is '{Printable(bytes.AsSpan(4, 4))}', not 'TFL3'");
        var model = fb.Root("the Model table");
        uint version = model.UInt(0);
        if (version != 3) throw new NotSupportedException($"'{source}': TFLite schema version {version}; version 3 is supported.");

        var codes = model.Tables(1, "operator code").Select((c, i) =>
        {
            int deprecated = c.Byte(0);
            int builtin = c.Int(3);
            // Schema 3a: builtin codes above 127 live only in builtin_code; older files set only the deprecated byte.
            return new TfliteOperatorCode(Math.Max(deprecated, builtin), c.String(1, $"the custom code of operator code {i}"), c.Int(2, 1));
        }).ToArray();

        var buffers = model.Tables(4, "buffer").Select((b, i) =>
        {
            ulong off = b.ULong(1), size = b.ULong(2);
            if (off > 1)
            {
                // Buffers of models over 2 GB lie after the flatbuffer, addressed from the file's start.
                if (off + size > (ulong)bytes.Length || off + size < off)
                    throw fb.Error($"buffer {i} at offset {off} ({size} bytes) runs past the end of the file");
                return bytes.AsMemory((int)off, (int)size);
            }
            return b.Bytes(0, $"the data of buffer {i}");
        }).ToArray();

        var subgraphs = model.Tables(2, "subgraph");
        if (subgraphs.Length == 0) throw fb.Error("the model has no subgraph");
        var g = subgraphs[0];
        var tensors = g.Tables(0, "tensor").Select((t, i) =>
        {
            string what = $"tensor {i}";
            var shape = t.Ints(0, $"the shape of {what}");
            byte type = t.Byte(1);
            uint buffer = t.UInt(2);
            if (buffer >= buffers.Length) throw fb.Error($"{what} refers to buffer {buffer}; the model has {buffers.Length}");
            var q = t.Table(4, $"the quantization of {what}");
            bool quantized = q is { } qt && (qt.IntsCount(2, $"the scales of {what}") > 0 || qt.Has(3));
            if (shape.Any(d => d < 0)) throw fb.Error($"{what} has shape [{string.Join(",", shape)}] (negative dimension)");
            return new TfliteTensor(i, t.String(3, $"the name of {what}") ?? $"tensor_{i}", shape, (TfliteType)type, (int)buffer, quantized);
        }).ToArray();

        int[] CheckIndices(int[] idx, string what, bool allowMissing)
        {
            foreach (int v in idx)
                if (v >= tensors.Length || v < (allowMissing ? -1 : 0))
                    throw fb.Error($"{what} refers to tensor {v}; the subgraph has {tensors.Length}");
            return idx;
        }

        var inputs = CheckIndices(g.Ints(1, "the subgraph's inputs"), "the subgraph's inputs", false);
        var outputs = CheckIndices(g.Ints(2, "the subgraph's outputs"), "the subgraph's outputs", false);
        var ops = g.Tables(3, "operator").Select((o, i) =>
        {
            string what = $"operator {i}";
            uint code = o.UInt(0);
            if (code >= codes.Length) throw fb.Error($"{what} has operator code {code}; the model has {codes.Length}");
            return new TfliteOperator(i, codes[code], CheckIndices(o.Ints(1, $"the inputs of {what}"), $"{what}'s inputs", true),
                CheckIndices(o.Ints(2, $"the outputs of {what}"), $"{what}'s outputs", false), o.Byte(3), o.Bytes(5, $"the custom options of {what}"))
            {
                Options = o.Table(4, $"the options of {what}"),
            };
        }).ToArray();
        return new TfliteModel(source, version, model.String(3, "the model description"), tensors, ops, inputs, outputs, buffers);
    }

    private static string Printable(ReadOnlySpan<byte> s)
    {
        var c = new char[s.Length];
        for (int i = 0; i < s.Length; i++) c[i] = s[i] is >= 32 and < 127 ? (char)s[i] : '?';
        return new string(c);
    }
}
