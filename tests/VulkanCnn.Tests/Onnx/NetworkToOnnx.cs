// Test-side writer of builder networks as ONNX models (the layers the built-in architectures use), so that whole
// architectures can be compared with ONNX Runtime through the importer.
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Onnx;

internal static class NetworkToOnnx
{
    public static OnnxGraph Write(Network net, params string[] alsoOutput)
    {
        var g = new OnnxGraph(opset: 14, name: net.Name);
        var name = new string[net.Nodes.Count];
        var rank = new int[net.Nodes.Count];
        foreach (var n in net.Nodes)
        {
            string P(string s) => $"{n.Name}.{s}";
            var ins = n.Inputs.Select(i => name[i]).ToArray();
            int r = n.Inputs.Count > 0 ? rank[n.Inputs[0]] : 4;
            string y;
            Activation act = default;
            switch (n.Layer)
            {
                case InputLayer il:
                    y = g.Input(n.Name, il.Shape.ToArray().Select(v => (long)v).ToArray());
                    break;
                case Conv2d c:
                {
                    var inputs = new List<string> { ins[0], g.Init(P("weight"), c.Weights, c.OutChannels, c.InChannelsPerGroup, c.KernelH, c.KernelW) };
                    if (c.Bias != null) inputs.Add(g.Init(P("bias"), c.Bias, c.OutChannels));
                    y = g.Node("Conv", inputs.ToArray(), ("kernel_shape", new long[] { c.KernelH, c.KernelW }), ("strides", new long[] { c.StrideH, c.StrideW }),
                        ("pads", new long[] { c.PadTop, c.PadLeft, c.PadBottom, c.PadRight }), ("dilations", new long[] { c.DilationH, c.DilationW }), ("group", c.Groups));
                    act = c.Activation;
                    break;
                }
                case Pool2d p:
                {
                    var attrs = new List<(string, object)> { ("kernel_shape", new long[] { p.KernelH, p.KernelW }), ("strides", new long[] { p.StrideH, p.StrideW }),
                        ("pads", new long[] { p.PadTop, p.PadLeft, p.PadBottom, p.PadRight }), ("ceil_mode", p.Rounding == Rounding.Ceil ? 1 : 0) };
                    if (p.Kind == PoolKind.Average) attrs.Add(("count_include_pad", p.CountIncludePad ? 1 : 0));
                    y = g.Node(p.Kind == PoolKind.Max ? "MaxPool" : "AveragePool", ins, attrs.ToArray());
                    break;
                }
                case GlobalPool2d gp:
                    y = g.Node(gp.Kind == PoolKind.Max ? "GlobalMaxPool" : "GlobalAveragePool", ins);
                    break;
                case ActivationLayer a:
                    y = ins[0];
                    act = a.Activation;
                    break;
                case BatchNorm bn:
                    y = g.Node("BatchNormalization", new[] { ins[0], g.Init(P("scale"), bn.Scale, bn.Scale.Length), g.Init(P("shift"), bn.Shift, bn.Shift.Length),
                        g.Init(P("mean"), bn.Mean, bn.Mean.Length), g.Init(P("var"), bn.Variance, bn.Variance.Length) }, ("epsilon", bn.Epsilon));
                    act = bn.Activation;
                    break;
                case Binary b:
                    y = g.Node(b.Op.ToString(), ins);
                    act = b.Activation;
                    break;
                case Flatten:
                    y = g.Node("Flatten", ins, ("axis", 1));
                    r = 2;
                    break;
                case Dense d:
                {
                    var x = r == 2 ? ins[0] : g.Node("Flatten", ins, ("axis", 1));
                    var inputs = new List<string> { x, g.Init(P("weight"), d.Weights, d.OutFeatures, d.Weights.Length / d.OutFeatures) };
                    if (d.Bias != null) inputs.Add(g.Init(P("bias"), d.Bias, d.OutFeatures));
                    y = g.Node("Gemm", inputs.ToArray(), ("transB", 1));
                    act = d.Activation;
                    r = 2;
                    break;
                }
                case Lrn l:
                    y = g.Node("LRN", ins, ("size", l.Size), ("alpha", l.Alpha), ("beta", l.Beta), ("bias", l.Bias));
                    break;
                case Softmax sm:
                    y = g.Node(sm.Log ? "LogSoftmax" : "Softmax", ins, ("axis", 1));
                    break;
                default:
                    throw new NotSupportedException($"{n.Name}: {n.Layer.TypeName} has no ONNX writer");
            }
            name[n.Id] = Activate(g, y, act);
            rank[n.Id] = r;
        }
        foreach (var o in net.OutputIds) g.Output(name[o]);
        foreach (var n in net.Nodes.Where(n => alsoOutput.Contains(n.Name))) g.Output(name[n.Id]);
        return g;
    }

    private static string Activate(OnnxGraph g, string x, Activation a) => a.Kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => g.Node("Relu", new[] { x }),
        ActivationKind.Tanh => g.Node("Tanh", new[] { x }),
        ActivationKind.Sigmoid => g.Node("Sigmoid", new[] { x }),
        ActivationKind.HardSwish => g.Node("HardSwish", new[] { x }),
        ActivationKind.LeakyRelu => g.Node("LeakyRelu", new[] { x }, ("alpha", a.Alpha)),
        ActivationKind.Clip => g.Node("Clip", new[] { x, g.Init($"{x}.min", new[] { a.Alpha }), g.Init($"{x}.max", new[] { a.Beta }) }),
        _ => throw new NotSupportedException($"activation {a} has no ONNX writer"),
    };
}
