// The lecture notes' view of one image: D (channels) × H × W.
namespace VulkanCnn;

/// <summary>
/// One image as the lecture notes see it: D (channels) × H × W, stored channel-major. Image layers describe their
/// shapes and errors this way; as a network value it is the tensor [1, D, H, W] (see <see cref="TensorShape"/>).
/// </summary>
public readonly record struct Shape(int C, int H, int W)
{
    /// <summary>Number of elements.</summary>
    public long Size => (long)C * H * W;

    /// <summary>W×H×D, the way the lecture notes write sizes.</summary>
    public override string ToString() => $"{W}x{H}x{C}";
}
