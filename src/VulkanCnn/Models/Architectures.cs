// The lecture notes' architectures as builder code: LeNet-5, AlexNet, VGG16/19, ResNet-18/34/50, with seeded random
// or supplied weights. Layer sizes follow torchvision so that parameter counts can be checked against it.
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Models;

/// <summary>
/// Supplies the weights of a built-in architecture: called with a tensor name (e.g. "layer1.0.conv1.weight") and its
/// length; returns that many floats. <see cref="Architectures.RandomWeights"/> makes seeded He-style weights.
/// </summary>
public delegate float[] WeightSource(string tensor, int length, int fanIn);

/// <summary>Built-in network definitions.</summary>
public static class Architectures
{
    /// <summary>Names accepted by <see cref="Build"/> (and `vcnn info`/`vcnn bench`).</summary>
    public static readonly IReadOnlyList<string> Names = new[] { "lenet5", "alexnet", "vgg16", "vgg19", "resnet18", "resnet34", "resnet50" };

    /// <summary>Default input size of an architecture (H = W).</summary>
    public static int DefaultInputSize(string name) => name.ToLowerInvariant() == "lenet5" ? 32 : 224;

    /// <summary>Builds an architecture by name. <paramref name="inputSize"/> is H = W.</summary>
    public static Network Build(string name, int? inputSize = null, int classes = 1000, WeightSource? weights = null, int seed = 1)
    {
        weights ??= RandomWeights(seed);
        int size = inputSize ?? DefaultInputSize(name);
        return name.ToLowerInvariant() switch
        {
            "lenet5" => LeNet5(size, classes == 1000 ? 10 : classes, weights),
            "alexnet" => AlexNet(size, classes, weights),
            "vgg16" => Vgg(new[] { 2, 2, 3, 3, 3 }, "vgg16", size, classes, weights),
            "vgg19" => Vgg(new[] { 2, 2, 4, 4, 4 }, "vgg19", size, classes, weights),
            "resnet18" => ResNet(new[] { 2, 2, 2, 2 }, false, "resnet18", size, classes, weights),
            "resnet34" => ResNet(new[] { 3, 4, 6, 3 }, false, "resnet34", size, classes, weights),
            "resnet50" => ResNet(new[] { 3, 4, 6, 3 }, true, "resnet50", size, classes, weights),
            _ => throw new ArgumentException($"Unknown architecture '{name}'. Known: {string.Join(", ", Names)}."),
        };
    }

    /// <summary>Seeded uniform weights in ±sqrt(6/fanIn) (He initialisation), so activations keep their scale through deep nets.
    /// Batch-norm tensors get values near identity.</summary>
    public static WeightSource RandomWeights(int seed)
    {
        var rng = new Random(seed);
        return (tensor, length, fanIn) =>
        {
            var a = new float[length];
            if (tensor.EndsWith(".running_var", StringComparison.Ordinal) || tensor.EndsWith(".bn_weight", StringComparison.Ordinal))
                for (int i = 0; i < length; i++) a[i] = 0.5f + (float)rng.NextDouble();
            else if (tensor.EndsWith(".bias", StringComparison.Ordinal) || tensor.EndsWith(".running_mean", StringComparison.Ordinal) || tensor.EndsWith(".bn_bias", StringComparison.Ordinal))
                for (int i = 0; i < length; i++) a[i] = ((float)rng.NextDouble() - 0.5f) * 0.2f;
            else
            {
                float bound = MathF.Sqrt(6f / Math.Max(1, fanIn));
                for (int i = 0; i < length; i++) a[i] = ((float)rng.NextDouble() * 2 - 1) * bound;
            }
            return a;
        };
    }

    private static Node Conv(Node x, WeightSource w, string name, int k, int f, int stride, int pad, bool bias = true, Rounding rounding = Rounding.Exact)
    {
        int fanIn = x.Shape[1] * f * f;
        return x.Then(new Conv2d
        {
            OutChannels = k, KernelH = f, KernelW = f, StrideH = stride, StrideW = stride,
            PadTop = pad, PadLeft = pad, PadBottom = pad, PadRight = pad, Rounding = rounding,
            Weights = w(name + ".weight", k * fanIn, fanIn),
            Bias = bias ? w(name + ".bias", k, fanIn) : null,
        }, name);
    }

    private static Node Dense(Node x, WeightSource w, string name, int k)
    {
        int n = (int)(x.Shape.ElementCount / x.Shape[0]);
        return x.Dense(k, w(name + ".weight", k * n, n), w(name + ".bias", k, n), name: name);
    }

    private static Node BatchNorm(Node x, WeightSource w, string name)
    {
        int c = x.Shape[1];
        return x.BatchNorm(w(name + ".bn_weight", c, c), w(name + ".bn_bias", c, c), w(name + ".running_mean", c, c), w(name + ".running_var", c, c), 1e-5f, name);
    }

    /// <summary>LeNet-5 (LeCun 1998) on a 32×32 grey image: C1 6@5×5, S2, C3 16@5×5, S4, C5 120, F6 84, output; tanh and average pooling.</summary>
    public static Network LeNet5(int size = 32, int classes = 10, WeightSource? w = null)
    {
        w ??= RandomWeights(1);
        var b = new NetworkBuilder("lenet5");
        var x = b.Input(1, size, size);
        x = Conv(x, w, "c1", 6, 5, 1, 0).Activate(Activation.Tanh, "c1.tanh").AvgPool(2, 2, name: "s2");
        x = Conv(x, w, "c3", 16, 5, 1, 0).Activate(Activation.Tanh, "c3.tanh").AvgPool(2, 2, name: "s4");
        x = Conv(x, w, "c5", 120, 5, 1, 0).Activate(Activation.Tanh, "c5.tanh").Flatten("flatten");
        x = Dense(x, w, "f6", 84).Activate(Activation.Tanh, "f6.tanh");
        Dense(x, w, "output", classes).Softmax("prob").Output();
        return b.Build();
    }

    /// <summary>AlexNet as in torchvision (single-tower, 64-192-384-256-256 filters).</summary>
    public static Network AlexNet(int size = 224, int classes = 1000, WeightSource? w = null)
    {
        w ??= RandomWeights(1);
        var b = new NetworkBuilder("alexnet");
        var x = b.Input(3, size, size);
        x = Conv(x, w, "features.0", 64, 11, 4, 2, rounding: Rounding.Floor).Relu("features.1").MaxPool(3, 2, rounding: Rounding.Floor, name: "features.2");
        x = Conv(x, w, "features.3", 192, 5, 1, 2).Relu("features.4").MaxPool(3, 2, rounding: Rounding.Floor, name: "features.5");
        x = Conv(x, w, "features.6", 384, 3, 1, 1).Relu("features.7");
        x = Conv(x, w, "features.8", 256, 3, 1, 1).Relu("features.9");
        x = Conv(x, w, "features.10", 256, 3, 1, 1).Relu("features.11").MaxPool(3, 2, rounding: Rounding.Floor, name: "features.12");
        x = x.Flatten("flatten");
        x = Dense(x, w, "classifier.1", 4096).Relu("classifier.2");
        x = Dense(x, w, "classifier.4", 4096).Relu("classifier.5");
        Dense(x, w, "classifier.6", classes).Softmax("prob").Output();
        return b.Build();
    }

    /// <summary>VGG (Simonyan and Zisserman 2014): 3×3 convolutions, stride 1, pad 1; 2×2 max-pool stride 2.</summary>
    public static Network Vgg(int[] convsPerStage, string name, int size = 224, int classes = 1000, WeightSource? w = null)
    {
        w ??= RandomWeights(1);
        var b = new NetworkBuilder(name);
        var x = b.Input(3, size, size);
        int[] widths = { 64, 128, 256, 512, 512 };
        int idx = 0;
        for (int s = 0; s < convsPerStage.Length; s++)
        {
            for (int i = 0; i < convsPerStage[s]; i++)
            {
                x = Conv(x, w, $"features.{idx}", widths[s], 3, 1, 1).Relu($"features.{idx + 1}");
                idx += 2;
            }
            x = x.MaxPool(2, 2, name: $"features.{idx++}");
        }
        x = x.Flatten("flatten");
        x = Dense(x, w, "classifier.0", 4096).Relu("classifier.1");
        x = Dense(x, w, "classifier.3", 4096).Relu("classifier.4");
        Dense(x, w, "classifier.6", classes).Softmax("prob").Output();
        return b.Build();
    }

    /// <summary>ResNet (He et al. 2015) as in torchvision: basic blocks (18/34) or bottlenecks with stride on the 3×3 (50).</summary>
    public static Network ResNet(int[] blocks, bool bottleneck, string name, int size = 224, int classes = 1000, WeightSource? w = null)
    {
        w ??= RandomWeights(1);
        var b = new NetworkBuilder(name);
        var x = b.Input(3, size, size);
        x = Conv(x, w, "conv1", 64, 7, 2, 3, bias: false, rounding: Rounding.Floor);
        x = BatchNorm(x, w, "bn1").Relu("relu").MaxPool(3, 2, 1, Rounding.Floor, name: "maxpool");
        int expansion = bottleneck ? 4 : 1;
        for (int stage = 0; stage < blocks.Length; stage++)
        {
            int width = 64 << stage;
            for (int i = 0; i < blocks[stage]; i++)
            {
                int stride = stage > 0 && i == 0 ? 2 : 1;
                string p = $"layer{stage + 1}.{i}";
                var shortcut = x;
                Node y;
                if (bottleneck)
                {
                    y = BatchNorm(Conv(x, w, p + ".conv1", width, 1, 1, 0, false), w, p + ".bn1").Relu(p + ".relu1");
                    y = BatchNorm(Conv(y, w, p + ".conv2", width, 3, stride, 1, false, Rounding.Floor), w, p + ".bn2").Relu(p + ".relu2");
                    y = BatchNorm(Conv(y, w, p + ".conv3", width * 4, 1, 1, 0, false), w, p + ".bn3");
                }
                else
                {
                    y = BatchNorm(Conv(x, w, p + ".conv1", width, 3, stride, 1, false, Rounding.Floor), w, p + ".bn1").Relu(p + ".relu1");
                    y = BatchNorm(Conv(y, w, p + ".conv2", width, 3, 1, 1, false), w, p + ".bn2");
                }
                if (stride != 1 || x.Shape[1] != width * expansion)
                    shortcut = BatchNorm(Conv(x, w, p + ".downsample.0", width * expansion, 1, stride, 0, false, Rounding.Floor), w, p + ".downsample.1");
                x = y.Add(shortcut, name: p + ".add").Relu(p + ".relu");
            }
        }
        x = x.GlobalAvgPool("avgpool").Flatten("flatten");
        Dense(x, w, "fc", classes).Softmax("prob").Output();
        return b.Build();
    }
}
