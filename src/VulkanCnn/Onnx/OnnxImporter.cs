// ONNX graph → VulkanCnn Network: every node is either folded into a constant at load (shape plumbing, weights
// arithmetic) or mapped onto a layer. Unsupported content is collected over the whole graph and reported at once.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

/// <summary>A network imported from ONNX with the ONNX shapes (batch axis included) of its inputs and outputs.</summary>
public sealed record OnnxImport(Network Network, IReadOnlyDictionary<string, int[]> InputDims, IReadOnlyDictionary<string, int[]> OutputDims);

/// <summary>
/// Imports ONNX models (IR 3+, opsets 1 to 21, float32 with float16 initializers) as a <see cref="Network"/>.
/// Every value keeps its ONNX shape (any rank up to 8, any batch). Network inputs and outputs are named after the
/// ONNX graph's.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Loads an ONNX file as a network. <paramref name="inputShapes"/> fixes symbolic input dimensions
    /// (full ONNX shapes, batch first, e.g. "x" → [1,3,480,640]).</summary>
    /// <exception cref="NotSupportedException">The model uses operators or settings VulkanCnn cannot run (all are listed).</exception>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model.</exception>
    public static Network Load(string path, IReadOnlyDictionary<string, int[]>? inputShapes = null) => Import(OnnxModel.Load(path), inputShapes).Network;

    /// <summary>Imports a parsed model, returning the network with the ONNX shapes of its inputs and outputs.</summary>
    public static OnnxImport Import(OnnxModel model, IReadOnlyDictionary<string, int[]>? inputShapes = null) =>
        new Importer(model, inputShapes).Run();

    /// <summary>The ONNX operators the importer maps (default domain), in the order of docs/onnx.md.</summary>
    public static IReadOnlyCollection<string> SupportedOperators => Importer.Supported;
}

/// <summary>A load-time problem outside the supported subset; collected, then reported with every other one.</summary>
internal sealed class UnsupportedException(string message) : NotSupportedException(message);
