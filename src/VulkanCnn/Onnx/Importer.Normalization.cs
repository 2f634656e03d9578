// Softmax, Hardmax and the normalisations (BatchNormalization, LayerNormalization, GroupNormalization).
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

internal sealed partial class Importer
{
    private void SoftmaxOp(bool log) => AlongLastOrRows(axis => new Softmax { Log = log, Axis = axis });

    private void HardmaxOp() => AlongLastOrRows(axis => new AlongAxis(AxisOp.Hardmax, axis));

    /// <summary>
    /// Softmax, LogSoftmax and Hardmax: from opset 13 along the one axis; before it the input is read as the matrix
    /// [d0·…·d(axis−1), d(axis)·…·dn] and normalised along its rows (the same when the axis is the last).
    /// </summary>
    private void AlongLastOrRows(Func<int, Layer> along)
    {
        var x = RtIn(0);
        int rank = x.Dims.Length;
        int axis = Axis(AttrInt("axis", _opset < 13 ? 1 : -1), rank, "axis");
        if (_opset >= 13 || axis == rank - 1) { SetRt(along(axis), x.Dims, x.Node); return; }
        var rows = new TensorShape(checked((int)Product(x.Dims.Take(axis))), checked((int)Product(x.Dims.Skip(axis))));
        var view = _b.Add(new Reshape(rows), Unique(Out + "_rows"), x.Node);
        var normalised = _b.Add(along(1), Unique(Out + "_" + _node.OpType.ToLowerInvariant()), view);
        SetRt(new Reshape(x.Node.Shape), x.Dims, normalised);
    }

    private void BatchNormOp()
    {
        var x = RtIn(0);
        if (AttrInt("training_mode", 0) != 0 || _node.Output.Skip(1).Any(o => o != ""))
            throw new UnsupportedException("training mode (running statistics outputs) is not supported");
        if (_opset < 9 && AttrInt("spatial", 1) == 0)
            throw new UnsupportedException("spatial = 0 (statistics per element rather than per channel) is not supported");
        var layer = new BatchNorm
        {
            Scale = CstIn(1, "scale").T.ToFloats(), Shift = CstIn(2, "B").T.ToFloats(),
            Mean = CstIn(3, "mean").T.ToFloats(), Variance = CstIn(4, "var").T.ToFloats(), Epsilon = AttrFloat("epsilon", 1e-5f),
        };
        SetRt(layer, x.Dims, x.Node);
    }

    /// <summary>A constant operand of a normalisation, broadcast to one value per element of the normalised axes (numpy rules against the
    /// normalised axes <paramref name="dims"/>).</summary>
    private float[]? Broadcast1(int i, string what, int[] dims)
    {
        var c = OptCst(i, what);
        if (c == null) return null;
        var d = BroadcastDims(dims, c.Dims);
        if (!d.SequenceEqual(dims)) throw new UnsupportedException($"{what} of shape [{string.Join(",", c.Dims)}] for normalised axes [{string.Join(",", dims)}]");
        return BroadcastTo(c, dims, what).Select(v => (float)v).ToArray();
    }

    private void LayerNormOp()
    {
        var x = RtIn(0);
        if (_node.Output.Skip(1).Any(o => o != "")) throw new UnsupportedException("the Mean and InvStdDev outputs are not supported");
        int axis = Axis(AttrInt("axis", -1), x.Dims.Length, "axis");
        var nd = x.Dims[axis..];
        SetRt(new LayerNorm(axis, Broadcast1(1, "scale", nd), Broadcast1(2, "bias", nd)) { Epsilon = AttrFloat("epsilon", 1e-5f) }, x.Dims, x.Node);
    }

    private void GroupNormOp()
    {
        var x = RtIn(0);
        if (x.Dims.Length < 3) throw new ArgumentException($"input [{string.Join(",", x.Dims)}] needs a batch, a channel and a spatial axis.");
        int g = AttrInt32("num_groups", 0), ch = x.Dims[1];
        if (g < 1 || ch % g != 0) throw new ArgumentException($"num_groups {g} must divide the {ch} channels.");
        var scale = CstIn(1, "scale"); var bias = CstIn(2, "bias");
        // Opset 18 gives one scale and bias per group, 21 one per channel.
        float PerChannel(Cst c, int k) => (float)c.V[c.V.Length == ch ? k : c.V.Length == g ? k / (ch / g) : throw new ArgumentException($"scale/bias have {c.V.Length} values; expected {ch} or {g}.")];
        long per = Product(x.Dims.Skip(1)) / g;
        var grouped = _b.Add(new Reshape(new TensorShape(x.Dims[0], g, checked((int)per))), Unique(Out + "_groups"), x.Node);
        var norm = _b.Add(new LayerNorm(2, null, null) { Epsilon = AttrFloat("epsilon", 1e-5f) }, Unique(Out + "_norm"), grouped);
        var back = _b.Add(new Reshape(new TensorShape(x.Dims)), Unique(Out + "_back"), norm);
        var scaled = _b.Add(new Binary(Layers.BinaryOp.Mul) { Operand = Enumerable.Range(0, ch).Select(k => PerChannel(scale, k)).ToArray() }, Unique(Out + "_scale"), back);
        SetRt(new Binary(Layers.BinaryOp.Add) { Operand = Enumerable.Range(0, ch).Select(k => PerChannel(bias, k)).ToArray() }, x.Dims, scaled);
    }

    private void LrnOp()
    {
        var x = RtIn(0);
        SetRt(new Lrn { Size = AttrInt32("size", 0), Alpha = AttrFloat("alpha", 1e-4f), Beta = AttrFloat("beta", 0.75f), Bias = AttrFloat("bias", 1f) }, x.Dims, x.Node);
    }

    private void InstanceNormOp()
    {
        // Any spatial rank: the layer normalises each (item, channel) over everything after the channel axis.
        var x = RtIn(0);
        if (x.Dims.Length < 3) throw new ArgumentException($"InstanceNormalization of [{string.Join(",", x.Dims)}]; the input must be [N,C,D1,...] (rank 3 or more).");
        SetRt(new InstanceNorm(CstIn(1, "scale").T.ToFloats(), CstIn(2, "B").T.ToFloats()) { Epsilon = AttrFloat("epsilon", 1e-5f) }, x.Dims, x.Node);
    }
}
