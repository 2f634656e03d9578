// The oracle's network runner: evaluates a network node by node with the plain C# layer references (one per layer
// type, beside each layer's tests in Layers/, found here by reflection), sharing no code with the GPU path beyond the
// layer records.
using System.Reflection;
using VulkanCnn.Graph;
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Reference;

public static class CpuReference
{
    /// <summary>Every <see cref="ILayerReference"/> of the test assembly by the layer type it computes, found once.</summary>
    public static IReadOnlyDictionary<Type, ILayerReference> References => LazyReferences.Value;

    private static readonly Lazy<IReadOnlyDictionary<Type, ILayerReference>> LazyReferences = new(Discover);

    private static IReadOnlyDictionary<Type, ILayerReference> Discover()
    {
        var found = new Dictionary<Type, ILayerReference>();
        foreach (var t in typeof(CpuReference).Assembly.GetTypes()
                     .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ILayerReference).IsAssignableFrom(t)))
        {
            var r = (ILayerReference)Activator.CreateInstance(t, nonPublic: true)!;
            if (found.TryGetValue(r.LayerType, out var other))
                throw new InvalidOperationException($"{r.LayerType.Name} has two C# references: {other.GetType().FullName} and {t.FullName}.");
            found[r.LayerType] = r;
        }
        return found;
    }

    /// <summary>Evaluates every node of <paramref name="net"/> (unoptimised) and returns the outputs in order.</summary>
    public static float[][] Run(Network net, params float[][] inputs)
    {
        var values = new float[net.Nodes.Count][];
        int inputIndex = 0;
        foreach (var n in net.Nodes)
        {
            var ins = n.Inputs.Select(i => values[i]).ToArray();
            var shapes = n.Inputs.Select(i => net.Nodes[i].OutputShape).ToArray();
            values[n.Id] = n.Layer is InputLayer ? inputs[inputIndex++] : Apply(n.Layer, ins, shapes, n.OutputShape);
        }
        return net.OutputIds.Select(i => values[i]).ToArray();
    }

    /// <summary>One layer on inputs <paramref name="x"/> of shapes <paramref name="s"/>, output shape <paramref name="o"/>.</summary>
    public static float[] Apply(Layer layer, float[][] x, TensorShape[] s, TensorShape o) =>
        References.TryGetValue(layer.GetType(), out var r)
            ? r.Apply(layer, x, s, o)
            : throw new NotSupportedException($"No C# reference for {layer.GetType().Name}: add a LayerReference<{layer.GetType().Name}> beside its tests in tests/VulkanCnn.Tests/Layers/.");
}
