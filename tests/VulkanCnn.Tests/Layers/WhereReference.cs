// The C# reference of Where (Layers/Where.cs); its GPU tests are in TensorRankTests and the ONNX tests.
using VulkanCnn.Layers;
using VulkanCnn.Tests.Reference;
using static VulkanCnn.Tests.Reference.TensorIndex;

namespace VulkanCnn.Tests.Layers;

/// <summary>Where with numpy broadcasting of the condition and both branches.</summary>
internal sealed class WhereReference : LayerReference<Where>
{
    public override float[] Compute(Where layer, float[][] x, TensorShape[] s, TensorShape o) =>
        WhereRef(x, s, o);

    public static float[] WhereRef(float[][] x, TensorShape[] s, TensorShape o)
    {
        var y = new float[o.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            var oi = Index(i, o);
            y[i] = x[0][BroadcastSource(oi, s[0], o.Rank)] != 0 ? x[1][BroadcastSource(oi, s[1], o.Rank)] : x[2][BroadcastSource(oi, s[2], o.Rank)];
        }
        return y;
    }
}
