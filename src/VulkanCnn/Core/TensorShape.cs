// The shape of a tensor: rank 0 to 8, dimensions in ONNX order (batch first where there is one), row-major storage.
namespace VulkanCnn;

/// <summary>
/// A tensor shape of rank 0 (a scalar) to <see cref="MaxRank"/>, in ONNX order: for images [N, C, H, W]. Values are
/// stored contiguously, last axis fastest. Immutable; equal when the dimensions are equal.
/// </summary>
public readonly struct TensorShape : IEquatable<TensorShape>
{
    /// <summary>Largest rank a tensor may have.</summary>
    public const int MaxRank = 8;

    private readonly int[]? _dims;
    private readonly long _count;

    /// <summary>A shape with the given dimensions (each ≥ 0; the element count must fit in 2⁶²).</summary>
    /// <exception cref="ArgumentException">Rank above 8, a negative dimension, or an element count that overflows.</exception>
    public TensorShape(params int[] dims) : this((ReadOnlySpan<int>)dims) { }

    /// <inheritdoc cref="TensorShape(int[])"/>
    public TensorShape(ReadOnlySpan<int> dims)
    {
        if (dims.Length > MaxRank)
            throw new ArgumentException($"Tensor shape [{string.Join(",", dims.ToArray())}] has rank {dims.Length}; at most {MaxRank} is supported.");
        long count = 1;
        foreach (int d in dims)
        {
            if (d < 0) throw new ArgumentException($"Tensor shape [{string.Join(",", dims.ToArray())}] has a negative dimension.");
            if (count != 0 && d > (1L << 62) / count)
                throw new ArgumentException($"Tensor shape [{string.Join(",", dims.ToArray())}] has more than 2^62 elements.");
            count *= d;
        }
        _dims = dims.Length == 0 ? null : dims.ToArray();
        _count = count;
    }

    /// <summary>The rank-0 shape of a single value.</summary>
    public static TensorShape Scalar => default;

    /// <summary>An image batch [N, C, H, W].</summary>
    public static TensorShape Image(int n, int c, int h, int w) => new(n, c, h, w);

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int this[int axis] => _dims![axis < 0 ? axis + Rank : axis];

    /// <summary>Number of elements (1 for a scalar, 0 when any dimension is 0).</summary>
    public long ElementCount => _dims == null ? 1 : _count;

    /// <summary>The dimensions as a new array.</summary>
    public int[] ToArray() => _dims == null ? Array.Empty<int>() : (int[])_dims.Clone();

    /// <summary>Row-major strides in elements (last axis 1).</summary>
    public long[] Strides()
    {
        var s = new long[Rank];
        long acc = 1;
        for (int i = Rank - 1; i >= 0; i--) { s[i] = acc; acc *= _dims![i]; }
        return s;
    }

    /// <summary>Product of the dimensions from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    public long Product(int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++) p *= _dims![i];
        return p;
    }

    /// <summary>
    /// <paramref name="axis"/> as an index in [0, Rank), negative counting from the end; throws naming
    /// <paramref name="what"/> and the rank when it is outside.
    /// </summary>
    public int Axis(long axis, string what = "axis") => NormalizeAxis(axis, Rank, what);

    /// <summary><paramref name="axis"/> in [−rank, rank) as an index in [0, rank).</summary>
    public static int NormalizeAxis(long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ArgumentException($"{what} {axis} is outside a tensor of rank {rank} (valid: {-rank} to {rank - 1}).");
        return (int)a;
    }

    /// <summary>This shape with dimension <paramref name="axis"/> replaced.</summary>
    public TensorShape With(int axis, int value)
    {
        var d = ToArray();
        d[axis] = value;
        return new TensorShape(d);
    }

    /// <summary>
    /// The (D, H, W) view of a batch-1 tensor of rank 1 to 4: [1, C, H, W] → (C, H, W), [1, N] → (N, 1, 1), [1, A, B] →
    /// (A, B, 1). The vision tasks read their models' outputs this way; any other tensor gives (0, 0, 0), which fits no
    /// task's check.
    /// </summary>
    public Shape Dhw()
    {
        if (Rank < 1 || Rank > 4 || this[0] != 1) return new Shape(0, 0, 0);
        var d = new int[] { 1, 1, 1 };
        for (int k = 1; k < Rank; k++) d[k - 1] = this[k];
        return new Shape(d[0], d[1], d[2]);
    }

    /// <summary>The batch-1 image tensor [1, C, H, W] of the notes' (D, H, W) view.</summary>
    public static implicit operator TensorShape(Shape s) => new(1, s.C, s.H, s.W);

    public bool Equals(TensorShape other) => Dims.SequenceEqual(other.Dims);
    /// <summary>Equal to another TensorShape with the same dimensions, or to a <see cref="Shape"/> (D, H, W) when this is
    /// [1, D, H, W].</summary>
    public override bool Equals(object? obj) => obj is TensorShape t ? Equals(t) : obj is Shape s && Equals((TensorShape)s);
    public static bool operator ==(TensorShape a, TensorShape b) => a.Equals(b);
    public static bool operator !=(TensorShape a, TensorShape b) => !a.Equals(b);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>ONNX notation: [1,3,224,224]; a scalar is [].</summary>
    public override string ToString() => "[" + string.Join(",", ToArray()) + "]";
}
