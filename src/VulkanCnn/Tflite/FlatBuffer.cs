// A small, bounds-checked reader of FlatBuffers binaries (the serialisation TFLite models use): tables through their
// vtables, scalars, strings, vectors of scalars and of tables. Every offset is checked against the buffer before it
// is followed, so a truncated or corrupted file is an InvalidDataException naming the file and the offsets, never an
// IndexOutOfRangeException or a hang.
using System.Buffers.Binary;
using System.Text;

namespace VulkanCnn.Tflite;

/// <summary>A FlatBuffers binary and the name it is reported under.</summary>
internal sealed class FlatBuffer
{
    public FlatBuffer(byte[] data, string source)
    {
        Data = data;
        Source = source;
    }

    public byte[] Data { get; }

    public string Source { get; }

    public int Length => Data.Length;

    public InvalidDataException Error(string what) => new($"'{Source}' ({Data.Length} bytes) is not a valid TFLite flatbuffer: {what}.");

    /// <summary>Checks that [pos, pos + size) lies inside the buffer.</summary>
    public void Need(long pos, long size, string what)
    {
        if (pos < 0 || size < 0 || pos + size > Data.Length)
            throw Error($"{what} at offset {pos} ({size} bytes) runs past the end of the file");
    }

    public uint U32(long pos, string what) { Need(pos, 4, what); return BinaryPrimitives.ReadUInt32LittleEndian(Data.AsSpan((int)pos)); }

    public int I32(long pos, string what) { Need(pos, 4, what); return BinaryPrimitives.ReadInt32LittleEndian(Data.AsSpan((int)pos)); }

    public ushort U16(long pos, string what) { Need(pos, 2, what); return BinaryPrimitives.ReadUInt16LittleEndian(Data.AsSpan((int)pos)); }

    /// <summary>The root table (the uoffset at the start of the file).</summary>
    public FbTable Root(string what)
    {
        Need(0, 8, "the file header");
        return Table(U32(0, "the root offset"), what);
    }

    /// <summary>The table at <paramref name="pos"/>, with its vtable checked.</summary>
    public FbTable Table(long pos, string what)
    {
        Need(pos, 4, what);
        long vt = pos - I32(pos, what);
        int vlen = U16(vt, $"the vtable of {what}");
        int tlen = U16(vt + 2, $"the vtable of {what}");
        if (vlen < 4 || (vlen & 1) != 0) throw Error($"the vtable of {what} at offset {vt} has length {vlen}");
        Need(vt, vlen, $"the vtable of {what}");
        Need(pos, Math.Max(tlen, 4), what);
        return new FbTable(this, (int)pos, (int)vt, vlen, tlen, what);
    }
}

/// <summary>One table of a <see cref="FlatBuffer"/>: fields by their schema id.</summary>
internal readonly struct FbTable
{
    private readonly FlatBuffer _b;
    private readonly int _pos, _vt, _vlen, _tlen;

    public FbTable(FlatBuffer b, int pos, int vt, int vlen, int tlen, string what)
    {
        _b = b; _pos = pos; _vt = vt; _vlen = vlen; _tlen = tlen; What = what;
    }

    public string What { get; }

    public int Position => _pos;

    public FlatBuffer Buffer => _b;

    /// <summary>The field's absolute position, or 0 when the field is absent (default value).</summary>
    private int Field(int id, int size)
    {
        int slot = 4 + 2 * id;
        if (slot + 2 > _vlen) return 0;
        int off = _b.U16(_vt + slot, $"the vtable of {What}");
        if (off == 0) return 0;
        if (off + size > _tlen) throw _b.Error($"field {id} of {What} (table at offset {_pos}) lies at {off}..{off + size}, outside the table's {_tlen} bytes");
        return _pos + off;
    }

    public bool Has(int id) => Field(id, 1) != 0;

    public int Int(int id, int def = 0) { int p = Field(id, 4); return p == 0 ? def : _b.I32(p, What); }

    public uint UInt(int id, uint def = 0) { int p = Field(id, 4); return p == 0 ? def : _b.U32(p, What); }

    public ulong ULong(int id) { int p = Field(id, 8); return p == 0 ? 0 : BinaryPrimitives.ReadUInt64LittleEndian(_b.Data.AsSpan(p)); }

    public byte Byte(int id, byte def = 0) { int p = Field(id, 1); return p == 0 ? def : _b.Data[p]; }

    public bool Bool(int id) => Byte(id) != 0;

    public float Float(int id, float def = 0) { int p = Field(id, 4); return p == 0 ? def : BitConverter.Int32BitsToSingle(_b.I32(p, What)); }

    /// <summary>The target of the offset field <paramref name="id"/>, or -1 when absent.</summary>
    private long Target(int id, string what)
    {
        int p = Field(id, 4);
        if (p == 0) return -1;
        long t = p + (long)_b.U32(p, what);
        _b.Need(t, 4, what);
        return t;
    }

    public FbTable? Table(int id, string what)
    {
        long t = Target(id, what);
        return t < 0 ? null : _b.Table(t, what);
    }

    /// <summary>A vector field: the position of its first element and its length, checked for <paramref name="elemSize"/>.</summary>
    public (int Start, int Count) Vector(int id, int elemSize, string what)
    {
        long t = Target(id, what);
        if (t < 0) return (0, 0);
        uint n = _b.U32(t, what);
        _b.Need(t + 4, (long)n * elemSize, $"{what} ({n} elements of {elemSize} bytes)");
        return ((int)t + 4, (int)n);
    }

    public string? String(int id, string what)
    {
        var (s, n) = Vector(id, 1, what);
        if (s == 0) return null;
        return Encoding.UTF8.GetString(_b.Data, s, n);
    }

    public int[] Ints(int id, string what)
    {
        var (s, n) = Vector(id, 4, what);
        var r = new int[n];
        for (int i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadInt32LittleEndian(_b.Data.AsSpan(s + 4 * i));
        return r;
    }

    public int IntsCount(int id, string what) => Vector(id, 4, what).Count;

    public float[] Floats(int id, string what)
    {
        var (s, n) = Vector(id, 4, what);
        var r = new float[n];
        for (int i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadSingleLittleEndian(_b.Data.AsSpan(s + 4 * i));
        return r;
    }

    public long[] Longs(int id, string what)
    {
        var (s, n) = Vector(id, 8, what);
        var r = new long[n];
        for (int i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadInt64LittleEndian(_b.Data.AsSpan(s + 8 * i));
        return r;
    }

    public ReadOnlyMemory<byte> Bytes(int id, string what)
    {
        var (s, n) = Vector(id, 1, what);
        return s == 0 ? ReadOnlyMemory<byte>.Empty : _b.Data.AsMemory(s, n);
    }

    /// <summary>A vector of tables; element i's name in errors is <paramref name="what"/> + " " + i.</summary>
    public FbTable[] Tables(int id, string what)
    {
        var (s, n) = Vector(id, 4, what);
        var r = new FbTable[n];
        for (int i = 0; i < n; i++)
        {
            long p = s + 4L * i;
            r[i] = _b.Table(p + _b.U32(p, what), $"{what} {i}");
        }
        return r;
    }
}
