// The attribute forms of opsets 1 to 6 that later opsets replaced: binary operators' broadcast/axis, Cast's type name,
// Upsample's height_scale/width_scale. (consumed_inputs and is_test are memory and training hints with no effect on
// inference, so they are ignored; Reshape's, Slice's, Pad's, Split's and Squeeze's attribute forms are read where those
// operators are converted.)
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

internal sealed partial class Importer
{
    /// <summary>
    /// Opset &lt; 7 binary operators broadcast only with broadcast = 1, and then B's dimensions line up with A's starting
    /// at <c>axis</c> (default: A's last axes). The operand is rewritten to A's rank with that alignment, so the numpy
    /// rules of the later opsets give the same result; without broadcast the shapes must be equal.
    /// </summary>
    private void AlignLegacyBroadcast(int ia, int ib)
    {
        var a = In(ia); var b = In(ib);
        if (a == null || b == null) return;
        int[] Dims(Val v) => v is Rt r ? r.Dims : ((Cst)v).Dims;
        var (da, db) = (Dims(a), Dims(b));
        if (AttrInt("broadcast", 0) == 0)
        {
            if (!da.SequenceEqual(db))
                throw new ArgumentException($"opset {_opset}: shapes [{string.Join(",", da)}] and [{string.Join(",", db)}] differ and broadcast is not set.");
            return;
        }
        int axis = Attr("axis") is { } ax ? (int)(ax.I < 0 ? ax.I + da.Length : ax.I) : da.Length - db.Length;
        if (axis < 0 || axis + db.Length > da.Length)
            throw new ArgumentException($"opset {_opset}: B [{string.Join(",", db)}] does not fit A [{string.Join(",", da)}] at axis {axis}.");
        for (int k = 0; k < db.Length; k++)
            if (db[k] != 1 && db[k] != da[axis + k])
                throw new ArgumentException($"opset {_opset}: B [{string.Join(",", db)}] does not broadcast to A [{string.Join(",", da)}] at axis {axis}.");
        var aligned = Enumerable.Repeat(1, axis).Concat(db).Concat(Enumerable.Repeat(1, da.Length - axis - db.Length)).ToArray();
        if (aligned.SequenceEqual(db)) return;
        string name = _node.Input[ib] + "_aligned";
        _vals[name] = b switch
        {
            Cst c => new Cst(new OnnxTensor(name, aligned, c.T.IsFloat, c.V)),
            Rt r => new Rt(_b.Add(new Layers.Reshape(new TensorShape(aligned)), Unique(name), r.Node), aligned),
            _ => b,
        };
        _node.Input[ib] = name;
    }

    /// <summary>Cast's target type: a TensorProto data type number, or (opset &lt; 6) its name.</summary>
    private long CastTarget()
    {
        var a = Attr("to");
        if (a == null) return 1;
        if (a.Type != AttributeProto.Types.AttributeType.String) return a.I;
        string name = a.S.ToStringUtf8().ToUpperInvariant();
        return Enum.TryParse<TensorProto.Types.DataType>(name, true, out var t) ? (long)t
            : throw new ArgumentException($"Cast to '{name}' names no tensor type.");
    }

    /// <summary>Upsample of opset 1: height_scale and width_scale attributes.</summary>
    private float[]? LegacyUpsampleScales() =>
        Attr("height_scale") is { } h && Attr("width_scale") is { } w ? new[] { 1f, 1f, h.F, w.F } : null;
}
