// Load-time graph rewrites: batch norm folded into the convolution before it, activations fused into their producer,
// zero padding folded into the convolution after it.
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
            int p = inputs[i][0];
            if (consumers[p] != 1 || outputs.Contains(p) || net.InputIds.Contains(p)) continue;
            Layer? fused = (layers[p], layers[i]) switch
            {
                (Conv2d conv, BatchNorm bn) when conv.Activation.IsNone => FoldBatchNorm(conv, bn),
                (Conv2d conv, ActivationLayer a) when conv.Activation.IsNone => conv with { Activation = a.Activation },
                (Dense d, ActivationLayer a) when d.Activation.IsNone => d with { Activation = a.Activation },
                (ConvTranspose2d d, ActivationLayer a) when d.Activation.IsNone => d with { Activation = a.Activation },
                (Binary b, ActivationLayer a) when b.Activation.IsNone => b with { Activation = a.Activation },
                (BatchNorm b, ActivationLayer a) when b.Activation.IsNone => b with { Activation = a.Activation },
                (Pad pad, Conv2d conv) when IsZeroSpatialPad(pad) && conv.PaddingMode == PaddingMode.Zero => conv with
                {
                    PadTop = conv.PadTop + pad.BeforeH, PadBottom = conv.PadBottom + pad.AfterH, PadLeft = conv.PadLeft + pad.BeforeW, PadRight = conv.PadRight + pad.AfterW,
                },
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

    /// <summary>Zeros added to H and W only (the ZeroPadding2D of TensorFlow exports): the convolution pads the same way for free.</summary>
    private static bool IsZeroSpatialPad(Pad p) =>
        p.Mode == PaddingMode.Zero && p.Value == 0 && p.BeforeD == 0 && p.AfterD == 0 && p.BeforeH >= 0 && p.AfterH >= 0 && p.BeforeW >= 0 && p.AfterW >= 0;

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
