// How a layer's plain C# reference is found: each one derives from LayerReference<T> for the layer record it computes
// and lives beside that layer's tests (tests/VulkanCnn.Tests/Layers/XxxTests.cs or XxxReference.cs); CpuReference finds
// them by reflection, so adding an operator edits no shared file here.
using VulkanCnn.Layers;

namespace VulkanCnn.Tests.Reference;

/// <summary>The reference of one layer type, as the network runner sees it.</summary>
public interface ILayerReference
{
    /// <summary>The layer record this reference computes (exactly one reference per type).</summary>
    Type LayerType { get; }

    /// <summary>The layer's output for inputs <paramref name="x"/> of shapes <paramref name="s"/>, output shape <paramref name="o"/>.</summary>
    float[] Apply(Layer layer, float[][] x, TensorShape[] s, TensorShape o);
}

/// <summary>Base of every layer reference: written per element from the operator's definition, sharing no code with the
/// GPU path beyond the layer record.</summary>
public abstract class LayerReference<T> : ILayerReference where T : Layer
{
    public Type LayerType => typeof(T);

    public float[] Apply(Layer layer, float[][] x, TensorShape[] s, TensorShape o) => Compute((T)layer, x, s, o);

    /// <inheritdoc cref="ILayerReference.Apply"/>
    public abstract float[] Compute(T layer, float[][] x, TensorShape[] s, TensorShape o);
}
