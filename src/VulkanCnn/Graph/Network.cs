// An immutable network description: nodes in topological order, each a layer with its input nodes and output shape.
using VulkanCnn.Layers;

namespace VulkanCnn.Graph;

/// <summary>One node of a network: a layer applied to the outputs of earlier nodes.</summary>
public sealed record NetworkNode(int Id, string Name, Layer Layer, IReadOnlyList<int> Inputs, TensorShape OutputShape);

/// <summary>One row of <see cref="Network.Summary"/>.</summary>
public sealed record LayerSummary(string Name, string Type, string Settings, TensorShape Output, long Parameters, long MultiplyAdds)
{
    /// <summary>The output as printed: W×H×D for a single image [1, D, H, W] (the notes' notation), else [d0,d1,...].</summary>
    public string OutputText => Network.ShapeText(Output);
}

/// <summary>
/// An immutable, validated network: nodes in topological order, input nodes and output nodes. Build one with
/// <see cref="NetworkBuilder"/> (or the ONNX importer); run it with a <see cref="Session"/>.
/// </summary>
public sealed class Network
{
    public IReadOnlyList<NetworkNode> Nodes { get; }
    public IReadOnlyList<int> InputIds { get; }
    public IReadOnlyList<int> OutputIds { get; }
    public string Name { get; }

    internal Network(string name, IReadOnlyList<NetworkNode> nodes, IReadOnlyList<int> inputs, IReadOnlyList<int> outputs)
    {
        Name = name;
        Nodes = nodes;
        InputIds = inputs;
        OutputIds = outputs;
        if (inputs.Count == 0) throw new ArgumentException($"Network '{name}' has no input.");
        if (outputs.Count == 0) throw new ArgumentException($"Network '{name}' has no output.");
        for (int i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].Id != i) throw new ArgumentException($"Network '{name}': node {nodes[i].Name} has id {nodes[i].Id} at position {i}.");
            foreach (var inp in nodes[i].Inputs)
                if (inp < 0 || inp >= i) throw new ArgumentException($"Network '{name}': node {nodes[i].Name} reads node {inp}, which does not precede it.");
        }
    }

    public IEnumerable<NetworkNode> Inputs => InputIds.Select(i => Nodes[i]);
    public IEnumerable<NetworkNode> Outputs => OutputIds.Select(i => Nodes[i]);

    /// <summary>Total learned parameters.</summary>
    public long ParameterCount => Nodes.Sum(n => n.Layer.ParameterCount);

    /// <summary>Total multiply-adds of one inference.</summary>
    public long MultiplyAdds => Nodes.Sum(n => n.Layer.MultiplyAdds(n.Inputs.Select(i => Nodes[i].OutputShape).ToArray(), n.OutputShape));

    /// <summary>One row per node (input nodes excluded): type, settings, output size, parameters, multiply-adds.</summary>
    public IReadOnlyList<LayerSummary> Summary() => Nodes.Where(n => n.Layer is not InputLayer).Select(n =>
        new LayerSummary(n.Name, n.Layer.TypeName, n.Layer.Describe(), n.OutputShape, n.Layer.ParameterCount,
            n.Layer.MultiplyAdds(n.Inputs.Select(i => Nodes[i].OutputShape).ToArray(), n.OutputShape))).ToArray();

    /// <summary>
    /// The batch the network was made for: the first dimension its inputs share (1 for a network whose only inputs are
    /// scalars). Throws naming the inputs when they disagree.
    /// </summary>
    public int Batch
    {
        get
        {
            int batch = 0;
            foreach (var n in Inputs)
            {
                if (n.OutputShape.Rank == 0) continue;
                if (batch == 0) batch = n.OutputShape[0];
                else if (n.OutputShape[0] != batch)
                    throw new ArgumentException($"Network '{Name}': the inputs do not share a batch ({string.Join(", ", Inputs.Select(i => $"{i.Name} {i.OutputShape}"))}).");
            }
            return Math.Max(batch, 1);
        }
    }

    /// <summary>
    /// The same network for a batch of <paramref name="batch"/>: every input's first dimension set to it, target shapes
    /// that carry the batch (Reshape, Expand) rescaled, and every shape inferred again. Throws naming the node when a
    /// layer fixes the batch or mixes the batch items (its output does not grow in proportion to the batch).
    /// </summary>
    public Network WithBatch(int batch)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must be at least 1.");
        int from = Batch;
        if (batch == from) return this;
        var b = new NetworkBuilder(Name);
        var map = new Node[Nodes.Count];
        var batched = new bool[Nodes.Count];   // the node depends on a network input
        foreach (var n in Nodes)
        {
            var inputs = n.Inputs.Select(i => map[i]).ToArray();
            Layer layer;
            if (n.Layer is InputLayer il)
            {
                layer = il.Shape.Rank > 0 ? new InputLayer(il.Shape.With(0, batch)) : il;
                batched[n.Id] = il.Shape.Rank > 0;
            }
            else
            {
                layer = n.Layer.ForBatch(from, batch, inputs.Select(i => i.Shape).ToArray());
                batched[n.Id] = n.Inputs.Any(i => batched[i]);
            }
            try { map[n.Id] = b.Add(layer, n.Name, inputs); }
            catch (ArgumentException e) { throw new ArgumentException($"Network '{Name}' (batch {from}) cannot run at batch {batch}: {e.Message}", nameof(batch), e); }
            var now = map[n.Id].Shape;
            if (batched[n.Id] && now.ElementCount * from != n.OutputShape.ElementCount * batch)
                throw new ArgumentException($"Network '{Name}' (batch {from}) cannot run at batch {batch}: {n.Name} ({n.Layer.TypeName}) gives {now} " +
                                            $"for {n.OutputShape} at batch {from}, not {batch}/{from} of its values (the node fixes or mixes the batch).", nameof(batch));
        }
        foreach (var o in OutputIds) map[o].Output();
        return b.Build();
    }

    /// <summary>W×H×D for a single image [1, D, H, W] (the notes' notation), else the ONNX form [d0,d1,...].</summary>
    public static string ShapeText(TensorShape s) => s.Rank == 4 && s[0] == 1 ? new Shape(s[1], s[2], s[3]).ToString() : s.ToString();

    /// <summary>The summary as a text table (what `vcnn info` prints).</summary>
    public string SummaryTable()
    {
        var sb = new System.Text.StringBuilder();
        var rows = Summary();
        int nameW = Math.Max(5, rows.Count == 0 ? 5 : rows.Max(r => r.Name.Length));
        int setW = Math.Max(8, rows.Count == 0 ? 8 : rows.Max(r => r.Settings.Length));
        sb.AppendLine($"{"layer".PadRight(nameW)}  {"type",-16} {"settings".PadRight(setW)}  {"output",18} {"parameters",13} {"mult-adds",15}");
        foreach (var n in Inputs)
            sb.AppendLine($"{n.Name.PadRight(nameW)}  {"Input",-16} {"".PadRight(setW)}  {ShapeText(n.OutputShape),18} {0,13:N0} {0,15:N0}");
        foreach (var r in rows)
            sb.AppendLine($"{r.Name.PadRight(nameW)}  {r.Type,-16} {r.Settings.PadRight(setW)}  {r.OutputText,18} {r.Parameters,13:N0} {r.MultiplyAdds,15:N0}");
        sb.AppendLine($"{"total".PadRight(nameW)}  {"",-16} {"".PadRight(setW)}  {"",18} {ParameterCount,13:N0} {MultiplyAdds,15:N0}");
        return sb.ToString();
    }
}
