// Reading ONNX files: the model protobuf with its checks (IR version, opset), and tensors decoded from every storage
// the format allows (typed fields, raw little-endian bytes, external data files), float16 converted to float32.
using System.Buffers.Binary;
using Google.Protobuf;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

/// <summary>A tensor read from an ONNX file: an initializer, a Constant, or a TensorProto .pb test-data file.</summary>
public sealed class OnnxTensor
{
    internal OnnxTensor(string name, int[] dims, bool isFloat, double[] values)
    {
        Name = name; Dims = dims; IsFloat = isFloat; Values = values;
    }

    public string Name { get; }
    /// <summary>Dimensions (empty for a scalar).</summary>
    public IReadOnlyList<int> Dims { get; }
    /// <summary>True for floating-point element types (converted to float32), false for integers and booleans.</summary>
    public bool IsFloat { get; }
    // Every element type held as double: float32 and the integers of shape plumbing are exact in it.
    internal double[] Values { get; }

    public long ElementCount => Values.LongLength;

    public float[] ToFloats() => Values.Select(v => (float)v).ToArray();

    public long[] ToInt64s() => Values.Select(v => (long)v).ToArray();

    /// <summary>Reads a serialised TensorProto (the backend-test layout's input_K.pb / output_K.pb).</summary>
    public static OnnxTensor Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        TensorProto t;
        try { t = TensorProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e) { throw new InvalidDataException($"'{path}' is not a valid ONNX TensorProto file: {e.Message}", e); }
        return OnnxModel.Decode(t, path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    internal static OnnxTensor FromFloats(string name, int[] dims, float[] values) => new(name, dims, true, values.Select(v => (double)v).ToArray());

    public override string ToString() => $"{Name} [{string.Join(",", Dims)}] {(IsFloat ? "float" : "int")}";
}

/// <summary>
/// A parsed ONNX model with its initializers decoded. Load with <see cref="Load(string)"/>; turn it into a
/// runnable network with <see cref="OnnxImporter"/>.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>The most elements a tensor read from a file may hold (2^30: 8 GiB as the importer's doubles).</summary>
    public const long MaxTensorElements = 1L << 30;

    /// <summary>Operator-set versions of the default domain that the importer knows.</summary>
    public const int MinOpset = 1, MaxOpset = 21;

    internal ModelProto Proto { get; }
    internal Dictionary<string, OnnxTensor> Initializers { get; }

    /// <summary>The file the model was read from (or the name given for bytes).</summary>
    public string Source { get; }
    public long IrVersion => Proto.IrVersion;
    /// <summary>Version of the default ("" / "ai.onnx") operator set.</summary>
    public int Opset { get; }
    public string Producer => $"{Proto.ProducerName} {Proto.ProducerVersion}".Trim();

    /// <summary>Names of the graph inputs that are not initializers (the values a caller supplies).</summary>
    public IReadOnlyList<string> InputNames => Proto.Graph.Input.Select(i => i.Name).Where(n => !Initializers.ContainsKey(n)).ToArray();
    public IReadOnlyList<string> OutputNames => Proto.Graph.Output.Select(o => o.Name).ToArray();

    /// <summary>The folder external data is read from (null for a model read from bytes without one: no external data).</summary>
    internal string? BaseDirectory { get; }

    private OnnxModel(ModelProto proto, string source, string? baseDirectory)
    {
        Proto = proto;
        Source = source;
        BaseDirectory = baseDirectory;
        if (proto.Graph == null)
            throw new InvalidDataException($"'{source}' is not an ONNX model: it has no graph (an empty, truncated or non-ONNX file?).");
        if (proto.IrVersion < 3)
            throw new NotSupportedException($"'{source}': ONNX IR version {proto.IrVersion} is not supported; IR version 3 or later is.");
        var opset = proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        if (opset == null)
            throw new InvalidDataException($"'{source}': the model imports no version of the default operator set.");
        if (opset.Version < MinOpset || opset.Version > MaxOpset)
            throw new NotSupportedException($"'{source}': opset {opset.Version} is not supported; opsets {MinOpset} to {MaxOpset} are.");
        Opset = (int)opset.Version;
        Initializers = new Dictionary<string, OnnxTensor>();
        foreach (var t in proto.Graph.Initializer)
        {
            if (Initializers.ContainsKey(t.Name))
                throw new InvalidDataException($"'{source}': two initializers are named '{t.Name}'; every value must have one producer.");
            Initializers[t.Name] = Decode(t, source, baseDirectory);
        }
    }

    /// <summary>Reads an ONNX model file; external data files are found relative to its folder.</summary>
    public static OnnxModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = File.ReadAllBytes(path);
        return Load(bytes, path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>Reads an ONNX model from bytes. <paramref name="name"/> appears in errors; external data is read
    /// relative to <paramref name="baseDirectory"/> (none allowed when it is null).</summary>
    public static OnnxModel Load(byte[] bytes, string name = "<bytes>", string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{name}' is not a valid ONNX model ({bytes.Length:N0} bytes; truncated or corrupt?): {e.Message}", e);
        }
        return new OnnxModel(proto, name, baseDirectory);
    }

    // ------------------------------------------------------------------------------------------------------------

    internal static OnnxTensor Decode(TensorProto t, string file, string? baseDirectory)
    {
        string what = $"'{file}': tensor '{t.Name}'";
        var dims = new int[t.Dims.Count];
        // Checked as it is multiplied: [2^31-1, 2^31-1, 4] must not wrap past the limit (or to 0). The product of the
        // non-zero dims is held to the limit too, so that no partial product of an empty tensor's dims overflows later.
        long count = 1, extent = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (t.Dims[i] < 0 || t.Dims[i] > int.MaxValue)
                throw new InvalidDataException($"{what} has dimension {i} = {t.Dims[i]:N0} (dims [{string.Join(",", t.Dims)}]); dimensions are 0 to {int.MaxValue:N0}.");
            dims[i] = (int)t.Dims[i];
            count *= dims[i];
            extent *= Math.Max(1, dims[i]);
            if (extent > MaxTensorElements)
                throw new InvalidDataException($"{what} has dims [{string.Join(",", t.Dims)}], more than {MaxTensorElements:N0} elements (the most a tensor read from a file may hold).");
        }
        if (t.Segment != null) throw new NotSupportedException($"{what} is segmented; segmented tensors are not supported.");

        var type = (TensorProto.Types.DataType)t.DataType;
        int width = type switch
        {
            TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
            TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64 => 8,
            TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 2,
            TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => 1,
            _ => throw new NotSupportedException($"{what} has element type {type}; float, float16, bfloat16, double and integer tensors are supported."),
        };
        bool isFloat = type is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16;

        byte[]? raw = null;
        if (t.DataLocation == TensorProto.Types.DataLocation.External) raw = ReadExternal(t, what, baseDirectory);
        else if (!t.RawData.IsEmpty) raw = t.RawData.ToByteArray();

        if (raw != null && raw.LongLength != count * width)
            throw new InvalidDataException($"{what}: {count:N0} {type} elements need {count * width:N0} bytes of data, found {raw.LongLength:N0}.");
        if (raw == null && TypedCount(t, type) != count)
            throw new InvalidDataException($"{what}: shape [{string.Join(",", dims)}] has {count:N0} elements, the file holds {TypedCount(t, type):N0} {type} values.");
        // Only now, with the data known to be there, is the array allocated.
        var v = new double[count];
        if (raw != null)
        {
            var s = raw.AsSpan();
            for (int i = 0; i < v.Length; i++)
            {
                var e = s.Slice(i * width, width);
                v[i] = type switch
                {
                    TensorProto.Types.DataType.Float => BinaryPrimitives.ReadSingleLittleEndian(e),
                    TensorProto.Types.DataType.Double => BinaryPrimitives.ReadDoubleLittleEndian(e),
                    TensorProto.Types.DataType.Float16 => (double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(e)),
                    TensorProto.Types.DataType.Bfloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(e) << 16),
                    TensorProto.Types.DataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
                    TensorProto.Types.DataType.Uint64 => BinaryPrimitives.ReadUInt64LittleEndian(e),
                    TensorProto.Types.DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                    TensorProto.Types.DataType.Uint32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                    TensorProto.Types.DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                    TensorProto.Types.DataType.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                    TensorProto.Types.DataType.Int8 => (sbyte)e[0],
                    _ => e[0],
                };
            }
            return new OnnxTensor(t.Name, dims, isFloat, v);
        }

        // Typed fields: which one holds the values depends on the element type.
        int n;
        switch (type)
        {
            case TensorProto.Types.DataType.Float:
                n = t.FloatData.Count;
                for (int i = 0; i < Math.Min(n, v.Length); i++) v[i] = t.FloatData[i];
                break;
            case TensorProto.Types.DataType.Double:
                n = t.DoubleData.Count;
                for (int i = 0; i < Math.Min(n, v.Length); i++) v[i] = t.DoubleData[i];
                break;
            case TensorProto.Types.DataType.Int64:
                n = t.Int64Data.Count;
                for (int i = 0; i < Math.Min(n, v.Length); i++) v[i] = t.Int64Data[i];
                break;
            case TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Uint64:
                n = t.Uint64Data.Count;
                for (int i = 0; i < Math.Min(n, v.Length); i++) v[i] = t.Uint64Data[i];
                break;
            case TensorProto.Types.DataType.Float16:
                n = t.Int32Data.Count;
                for (int i = 0; i < Math.Min(n, v.Length); i++) v[i] = (double)BitConverter.UInt16BitsToHalf((ushort)t.Int32Data[i]);
                break;
            case TensorProto.Types.DataType.Bfloat16:
                n = t.Int32Data.Count;
                for (int i = 0; i < Math.Min(n, v.Length); i++) v[i] = BitConverter.Int32BitsToSingle((t.Int32Data[i] & 0xFFFF) << 16);
                break;
            default:
                n = t.Int32Data.Count;
                for (int i = 0; i < Math.Min(n, v.Length); i++) v[i] = t.Int32Data[i];
                break;
        }
        if (n != count)
            throw new InvalidDataException($"{what}: shape [{string.Join(",", dims)}] has {count:N0} elements, the file holds {n:N0} {type} values.");
        return new OnnxTensor(t.Name, dims, isFloat, v);
    }

    /// <summary>How many values the typed field that holds <paramref name="type"/> carries.</summary>
    private static int TypedCount(TensorProto t, TensorProto.Types.DataType type) => type switch
    {
        TensorProto.Types.DataType.Float => t.FloatData.Count,
        TensorProto.Types.DataType.Double => t.DoubleData.Count,
        TensorProto.Types.DataType.Int64 => t.Int64Data.Count,
        TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Uint64 => t.Uint64Data.Count,
        _ => t.Int32Data.Count,
    };

    private static byte[] ReadExternal(TensorProto t, string what, string? baseDirectory)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (var e in t.ExternalData)
        {
            switch (e.Key)
            {
                case "location": location = e.Value; break;
                case "offset":
                    if (!long.TryParse(e.Value, out offset) || offset < 0) throw new InvalidDataException($"{what}: external data offset '{e.Value}' is not a non-negative integer.");
                    break;
                case "length":
                    if (!long.TryParse(e.Value, out length) || length < 0) throw new InvalidDataException($"{what}: external data length '{e.Value}' is not a non-negative integer.");
                    break;
            }
        }
        if (string.IsNullOrEmpty(location)) throw new InvalidDataException($"{what} is stored externally but names no location.");
        if (baseDirectory == null) throw new InvalidDataException($"{what} is stored in external file '{location}', but the model was read from bytes without a folder.");
        // The format requires a path relative to the model's folder; anything that leaves the folder is refused.
        if (Path.IsPathRooted(location) || location.Replace('\\', '/').Split('/').Contains(".."))
            throw new InvalidDataException($"{what}: external data location '{location}' must be a relative path inside the model's folder.");
        string path = Path.Combine(baseDirectory, location);
        if (!File.Exists(path)) throw new FileNotFoundException($"{what}: external data file '{path}' does not exist.", path);
        using var f = File.OpenRead(path);
        if (length < 0) length = f.Length - offset;
        if (offset > f.Length || length < 0 || length > f.Length - offset)
            throw new InvalidDataException($"{what}: external data at offset {offset:N0}, length {length:N0} runs past the end of '{path}' ({f.Length:N0} bytes).");
        if (length > int.MaxValue) throw new InvalidDataException($"{what}: external data of {length:N0} bytes is too large.");
        var bytes = new byte[length];
        f.Seek(offset, SeekOrigin.Begin);
        f.ReadExactly(bytes);
        return bytes;
    }
}
