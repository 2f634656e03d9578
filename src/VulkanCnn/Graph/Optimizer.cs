// Load-time graph rewrites: batch norm folded into the convolution before it, activations fused into their producer,
// zero padding folded into the convolution after it, transposes that only rename axes turned into free reshapes.
using VulkanCnn.Layers;

namespace VulkanCnn.Graph;

internal static class Optimizer
{
    public static Network Optimize(Network net)
    {
        var layers = net.Nodes.Select(n => n.Layer).ToArray();
        var names = net.Nodes.Select(n => n.Name).ToArray();
        var inputs = net.Nodes.Select(n => n.Inputs.ToArray()).ToArray();
        var outputs = new HashSet<int>(net.OutputIds);
        var consumers = new int[layers.Length];
        foreach (var ins in inputs) foreach (var i in ins) consumers[i]++;
        var replacedBy = Enumerable.Range(0, layers.Length).ToArray();   // node i's value now comes from replacedBy[i]
        var removed = new bool[layers.Length];
        var shapes = net.Nodes.Select(n => n.OutputShape).ToArray();

        int Resolve(int i) { while (replacedBy[i] != i) i = replacedBy[i]; return i; }

        for (int i = 0; i < layers.Length; i++)
        {
            for (int k = 0; k < inputs[i].Length; k++) inputs[i][k] = Resolve(inputs[i][k]);
            if (inputs[i].Length != 1) continue;
            if (MatchHardSwish(i) is int hx)
            {
                // x · relu6(x + 3) / 6 (exporters' spelled-out HardSwish): one activation of x, which may fuse below.
                int mul = inputs[i][0];
                int add = inputs[mul][0] == hx ? inputs[mul][1] : inputs[mul][0];
                removed[mul] = removed[add] = true;
                consumers[hx] -= 1;   // x fed the Add and the Mul; now only this node
                layers[i] = new ActivationLayer(Activation.HardSwish);
                inputs[i] = new[] { hx };
            }
            int p = inputs[i][0];
            if (layers[i] is Transpose tr && tr.Renames(shapes[p])) layers[i] = new Reshape(shapes[i]);
            if (consumers[p] != 1 || outputs.Contains(p) || net.InputIds.Contains(p)) continue;
            Layer? fused = (layers[p], layers[i]) switch
            {
                (Conv2d conv, BatchNorm bn) when conv.Activation.IsNone => FoldBatchNorm(conv, bn),
                (Conv2d conv, ActivationLayer a) when conv.Activation.IsNone && a.Activation.Fusable => conv with { Activation = a.Activation },
                (Dense d, ActivationLayer a) when d.Activation.IsNone && a.Activation.Fusable => d with { Activation = a.Activation },
                (Linear d, ActivationLayer a) when d.Activation.IsNone && a.Activation.Fusable => d with { Activation = a.Activation },
                (ConvTranspose2d d, ActivationLayer a) when d.Activation.IsNone && a.Activation.Fusable => d with { Activation = a.Activation },
                (Binary b, ActivationLayer a) when b.Activation.IsNone && a.Activation.Fusable => b with { Activation = a.Activation },
                (BatchNorm b, ActivationLayer a) when b.Activation.IsNone && a.Activation.Fusable => b with { Activation = a.Activation },
                (Conv2d conv, Binary b) when conv.Activation.IsNone && FoldsIntoConv(b, conv.OutChannels) => FoldAffine(conv, b),
                (Binary m, Binary a) when m.Operand != null && m.Activation.IsNone && a.Activation.IsNone && a.Operand is [float t] && a.Op is BinaryOp.Add or BinaryOp.Sub =>
                    m with { Activation = Activation.Affine(1, a.Op == BinaryOp.Add ? t : -t) },
                (Binary b, Conv2d conv) when conv.PadTop == 0 && conv.PadBottom == 0 && conv.PadLeft == 0 && conv.PadRight == 0 && InputAffine(b, conv) is var (s, t) =>
                    FoldInputAffine(conv, s, t),
                (Pad pad, Conv2d conv) when IsZeroSpatialPad(pad) && conv.PaddingMode == PaddingMode.Zero => pad.Before.Length == 4
                    ? conv with
                    {
                        PadTop = conv.PadTop + pad.Before[2], PadBottom = conv.PadBottom + pad.After[2], PadLeft = conv.PadLeft + pad.Before[3], PadRight = conv.PadRight + pad.After[3],
                    }
                    : conv with { PadLeft = conv.PadLeft + pad.Before[2], PadRight = conv.PadRight + pad.After[2] },
                _ => null,
            };
            if (fused == null) continue;
            layers[p] = fused;
            shapes[p] = shapes[i];
            if (outputs.Contains(i)) names[p] = names[i];   // keep output names stable
            removed[i] = true;
            replacedBy[i] = p;
            consumers[p] = consumers[i];
        }

        // Node i is Div(·, 6) of Mul(x, Add(x, 3) with ReLU6), the two inner nodes used only there: returns x.
        int? MatchHardSwish(int i)
        {
            if (layers[i] is not Binary { Op: BinaryOp.Div, Operand: [6f] } div || !div.Activation.IsNone) return null;
            int m = inputs[i][0];
            if (layers[m] is not Binary { Op: BinaryOp.Mul, Operand: null } || consumers[m] != 1 || outputs.Contains(m) || inputs[m].Length != 2) return null;
            for (int side = 0; side < 2; side++)
            {
                int t = inputs[m][side], x = inputs[m][1 - side];
                if (layers[t] is Binary { Op: BinaryOp.Add, Operand: [3f] } add && add.Activation == Activation.Relu6 &&
                    consumers[t] == 1 && !outputs.Contains(t) && inputs[t].Length == 1 && inputs[t][0] == x)
                    return x;
            }
            return null;
        }

        var newId = new int[layers.Length];
        var nodes = new List<NetworkNode>();
        for (int i = 0; i < layers.Length; i++)
        {
            if (removed[i]) { newId[i] = -1; continue; }
            newId[i] = nodes.Count;
            nodes.Add(new NetworkNode(nodes.Count, names[i], layers[i], inputs[i].Select(x => newId[Resolve(x)]).ToArray(), shapes[i]));
        }
        return new Network(net.Name, nodes, net.InputIds.Select(i => newId[i]).ToArray(),
            net.OutputIds.Select(i => newId[Resolve(i)]).Distinct().ToArray());
    }

    /// <summary>A scalar or per-channel Add, Sub, Mul or Div by fixed values: the convolution's weights and bias can absorb it.</summary>
    private static bool FoldsIntoConv(Binary b, int channels) =>
        b.Operand is { } v && (v.Length == 1 || v.Length == channels) && b.Op is BinaryOp.Add or BinaryOp.Sub or BinaryOp.Mul or BinaryOp.Div;

    /// <summary>conv followed by y = conv ∘ v (per channel or scalar): scaled filters and bias for Mul/Div, shifted bias for Add/Sub.</summary>
    private static Conv2d FoldAffine(Conv2d conv, Binary b)
    {
        int k = conv.OutChannels;
        int per = conv.Weights.Length / k;
        var v = b.Operand!;
        var w = conv.Weights;
        var bias = new float[k];
        for (int o = 0; o < k; o++)
        {
            float u = v[v.Length == 1 ? 0 : o];
            bias[o] = conv.Bias?[o] ?? 0f;
            switch (b.Op)
            {
                case BinaryOp.Add: bias[o] += u; break;
                case BinaryOp.Sub: bias[o] -= u; break;
                default:
                    float m = b.Op == BinaryOp.Mul ? u : 1f / u;
                    if (ReferenceEquals(w, conv.Weights)) w = (float[])w.Clone();
                    for (int j = 0; j < per; j++) w[o * per + j] *= m;
                    bias[o] *= m;
                    break;
            }
        }
        return conv with { Weights = w, Bias = bias, Activation = b.Activation };
    }

    /// <summary>A Binary with fixed scalar or per-channel operand as y = x·s + t per input channel of <paramref name="conv"/>
    /// (Mul/Div, optionally followed by a fused Affine; Add/Sub); null when it is something else.</summary>
    private static (float[] S, float[] T)? InputAffine(Binary b, Conv2d conv)
    {
        int c = conv.InChannelsPerGroup * conv.Groups;
        if (b.Operand is not { } v || v.Length != 1 && v.Length != c) return null;
        float V(int i) => v[v.Length == 1 ? 0 : i];
        var s = new float[c];
        var t = new float[c];
        for (int i = 0; i < c; i++)
        {
            switch (b.Op)
            {
                case BinaryOp.Mul or BinaryOp.Div when b.Activation.IsNone || b.Activation.Kind == ActivationKind.Affine:
                    float m = b.Op == BinaryOp.Mul ? V(i) : 1f / V(i);
                    (s[i], t[i]) = b.Activation.IsNone ? (m, 0f) : (m * b.Activation.Alpha, b.Activation.Beta);
                    break;
                case BinaryOp.Add or BinaryOp.Sub when b.Activation.IsNone:
                    (s[i], t[i]) = (1f, b.Op == BinaryOp.Add ? V(i) : -V(i));
                    break;
                default: return null;
            }
        }
        return (s, t);
    }

    /// <summary>An unpadded convolution of x·s + t (per input channel) is one of x with filters scaled by s and the bias
    /// shifted by Σ w·t (with padding the border would see zeros instead of t, so padded ones are left alone).</summary>
    private static Conv2d FoldInputAffine(Conv2d conv, float[] s, float[] t)
    {
        int k = conv.OutChannels, cg = conv.InChannelsPerGroup, kk = conv.KernelH * conv.KernelW, kg = k / conv.Groups;
        var w = (float[])conv.Weights.Clone();
        var bias = new float[k];
        for (int o = 0; o < k; o++)
        {
            double shift = conv.Bias?[o] ?? 0f;
            for (int cc = 0; cc < cg; cc++)
            {
                int c = o / kg * cg + cc;
                for (int j = 0; j < kk; j++)
                {
                    int idx = (o * cg + cc) * kk + j;
                    shift += (double)conv.Weights[idx] * t[c];
                    w[idx] = conv.Weights[idx] * s[c];
                }
            }
            bias[o] = (float)shift;
        }
        return conv with { Weights = w, Bias = bias };
    }

    /// <summary>Zeros added to the spatial axes of [N, C, H, W] or [N, C, L] only (the ZeroPadding2D of TensorFlow
    /// exports): the convolution pads the same way for free.</summary>
    private static bool IsZeroSpatialPad(Pad p) =>
        p.Mode == PaddingMode.Zero && p.Value == 0 && p.Before.Length is 3 or 4 && p.Before[0] == 0 && p.After[0] == 0 && p.Before[1] == 0 && p.After[1] == 0 &&
        p.Before.All(v => v >= 0) && p.After.All(v => v >= 0);

    /// <summary>conv followed by batch norm equals one convolution with scaled filters and a shifted bias.</summary>
    internal static Conv2d FoldBatchNorm(Conv2d conv, BatchNorm bn)
    {
        var (m, a) = bn.Affine();
        int k = conv.OutChannels;
        int per = conv.Weights.Length / k;
        var w = new float[conv.Weights.Length];
        var b = new float[k];
        for (int o = 0; o < k; o++)
        {
            for (int j = 0; j < per; j++) w[o * per + j] = conv.Weights[o * per + j] * m[o];
            b[o] = (conv.Bias?[o] ?? 0f) * m[o] + a[o];
        }
        return conv with { Weights = w, Bias = b, Activation = bn.Activation };
    }
}
