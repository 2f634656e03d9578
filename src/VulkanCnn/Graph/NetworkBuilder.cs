// The builder API: define a network layer by layer, with weights from arrays, and get an immutable Network.
using VulkanCnn.Layers;

namespace VulkanCnn.Graph;

/// <summary>A value in a network under construction: the output of one node. Methods append layers fluently.</summary>
public sealed class Node
{
    internal Node(NetworkBuilder builder, int id) { Builder = builder; Id = id; }
    internal NetworkBuilder Builder { get; }
    internal int Id { get; }

    /// <summary>The node's output tensor shape ([1, D, H, W] for the notes' images).</summary>
    public TensorShape Shape => Builder.ShapeOf(Id);
    public string Name => Builder.NameOf(Id);

    public Node Then(Layer layer, string? name = null) => Builder.Add(layer, name, this);

    /// <summary>Convolution with K filters of F×F (square), stride S, zero padding P on every side.</summary>
    public Node Conv(int filters, int size, float[] weights, float[]? bias = null, int stride = 1, int padding = 0,
                     Activation activation = default, PaddingMode mode = PaddingMode.Zero, int dilation = 1, int groups = 1,
                     Rounding rounding = Rounding.Exact, string? name = null) =>
        Then(new Conv2d
        {
            OutChannels = filters, KernelH = size, KernelW = size, StrideH = stride, StrideW = stride,
            PadTop = padding, PadLeft = padding, PadBottom = padding, PadRight = padding, DilationH = dilation, DilationW = dilation,
            Groups = groups, PaddingMode = mode, Rounding = rounding, Activation = activation, Weights = weights, Bias = bias,
        }, name);

    public Node Relu(string? name = null) => Then(new ActivationLayer(Activation.Relu), name);
    public Node Activate(Activation a, string? name = null) => Then(new ActivationLayer(a), name);
    public Node MaxPool(int size, int stride, int padding = 0, Rounding rounding = Rounding.Exact, string? name = null) =>
        Then(new Pool2d { Kind = PoolKind.Max, KernelH = size, KernelW = size, StrideH = stride, StrideW = stride, PadTop = padding, PadLeft = padding, PadBottom = padding, PadRight = padding, Rounding = rounding }, name);
    public Node AvgPool(int size, int stride, int padding = 0, Rounding rounding = Rounding.Exact, bool countIncludePad = false, string? name = null) =>
        Then(new Pool2d { Kind = PoolKind.Average, KernelH = size, KernelW = size, StrideH = stride, StrideW = stride, PadTop = padding, PadLeft = padding, PadBottom = padding, PadRight = padding, Rounding = rounding, CountIncludePad = countIncludePad }, name);
    public Node GlobalAvgPool(string? name = null) => Then(new GlobalPool2d { Kind = PoolKind.Average }, name);
    public Node GlobalMaxPool(string? name = null) => Then(new GlobalPool2d { Kind = PoolKind.Max }, name);
    public Node BatchNorm(float[] scale, float[] shift, float[] mean, float[] variance, float epsilon = 1e-5f, string? name = null) =>
        Then(new BatchNorm { Scale = scale, Shift = shift, Mean = mean, Variance = variance, Epsilon = epsilon }, name);
    public Node Flatten(string? name = null) => Then(new Flatten(), name);
    public Node Dense(int outputs, float[] weights, float[]? bias = null, Activation activation = default, string? name = null) =>
        Then(new Dense { OutFeatures = outputs, Weights = weights, Bias = bias, Activation = activation }, name);
    public Node Softmax(string? name = null) => Then(new Softmax(), name);
    public Node Add(Node other, Activation activation = default, string? name = null) => Builder.Add(new Binary(BinaryOp.Add) { Activation = activation }, name, this, other);
    public Node Mul(Node other, string? name = null) => Builder.Add(new Binary(BinaryOp.Mul), name, this, other);
    public Node Upsample(float scale, UpsampleMode mode = UpsampleMode.Nearest, string? name = null) =>
        Then(new Upsample { Mode = mode, ScaleH = scale, ScaleW = scale }, name);

    /// <summary>Marks this node as a network output.</summary>
    public Node Output() { Builder.MarkOutput(this); return this; }
}

/// <summary>
/// Builds a <see cref="Network"/>. Shapes are inferred and checked as each layer is added, so a bad layer fails
/// where it is added with a message naming it and the numbers.
/// </summary>
public sealed class NetworkBuilder
{
    private readonly List<NetworkNode> _nodes = new();
    private readonly List<int> _inputs = new();
    private readonly List<int> _outputs = new();
    private readonly Dictionary<string, int> _typeCounts = new();
    private readonly HashSet<string> _names = new();
    private readonly string _name;

    public NetworkBuilder(string name = "network") { _name = name; }

    internal TensorShape ShapeOf(int id) => _nodes[id].OutputShape;
    internal string NameOf(int id) => _nodes[id].Name;

    /// <summary>Adds an input of D channels and H×W pixels.</summary>
    public Node Input(int channels, int height, int width, string name = "input") => Add(new InputLayer(new Shape(channels, height, width)), name);

    public Node Input(Shape shape, string name = "input") => Add(new InputLayer(shape), name);

    /// <summary>Adds an input tensor of any rank (a batch of images is [N, D, H, W]).</summary>
    public Node Input(TensorShape shape, string name = "input") => Add(new InputLayer(shape), name);

    /// <summary>Adds any layer reading the given nodes.</summary>
    public Node Add(Layer layer, string? name, params Node[] inputs)
    {
        ArgumentNullException.ThrowIfNull(layer);
        foreach (var i in inputs)
            if (i.Builder != this) throw new ArgumentException($"Node {i.Name} belongs to another builder.");
        name ??= AutoName(layer.TypeName);
        if (!_names.Add(name)) throw new ArgumentException($"A node named '{name}' already exists.");
        if (layer.InputCount >= 0 && inputs.Length != layer.InputCount)
            throw new ArgumentException($"{name}: {layer.TypeName} takes {layer.InputCount} input(s), {inputs.Length} given.");
        var shapes = inputs.Select(i => _nodes[i.Id].OutputShape).ToArray();
        TensorShape shape;
        // Layers compute their output sizes in checked arithmetic; an overflow means sizes past any tensor, bad input.
        try { shape = layer.OutputShape(shapes, name); }
        catch (OverflowException e)
        {
            throw new ArgumentException($"{name}: {layer.TypeName} ({layer.Describe()}) of {string.Join(" and ", shapes.Select(x => x.ToString()))}: " +
                                        "its output size overflows 32-bit arithmetic.", e);
        }
        int id = _nodes.Count;
        _nodes.Add(new NetworkNode(id, name, layer, inputs.Select(i => i.Id).ToArray(), shape));
        if (layer is InputLayer) _inputs.Add(id);
        return new Node(this, id);
    }

    internal void MarkOutput(Node n)
    {
        if (!_outputs.Contains(n.Id)) _outputs.Add(n.Id);
    }

    private string AutoName(string type)
    {
        var key = type.ToLowerInvariant();
        _typeCounts.TryGetValue(key, out int n);
        string name;
        do { n++; name = $"{key}{n}"; } while (_names.Contains(name));
        _typeCounts[key] = n;
        return name;
    }

    /// <summary>Finishes the network. Without explicit outputs the last node is the output.</summary>
    public Network Build()
    {
        if (_nodes.Count == 0) throw new InvalidOperationException($"Network '{_name}' is empty.");
        var outputs = _outputs.Count > 0 ? _outputs.ToList() : new List<int> { _nodes.Count - 1 };
        return new Network(_name, _nodes.ToArray(), _inputs.ToArray(), outputs);
    }
}
