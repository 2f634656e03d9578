// How image layers treat borders and strides that do not fit.
namespace VulkanCnn.Layers;

/// <summary>How a convolution reads pixels outside the image.</summary>
public enum PaddingMode
{
    /// <summary>Zeros (zero padding).</summary>
    Zero,
    /// <summary>Copy of the nearest border pixel ("replicate", ONNX Pad mode edge).</summary>
    Replicate,
    /// <summary>Mirror without repeating the border pixel (ONNX Pad mode reflect).</summary>
    Reflect,
    /// <summary>Periodic: the opposite side's pixels (ONNX Pad mode wrap). Pad layers only; convolutions reject it.</summary>
    Wrap,
}

/// <summary>What to do when (W − F + 2P)/S + 1 is not an integer.</summary>
public enum Rounding
{
    /// <summary>Reject the layer: the stride does not fit the input (the lecture notes' rule).</summary>
    Exact,
    /// <summary>Round down: the last partial window is dropped (PyTorch and ONNX default).</summary>
    Floor,
    /// <summary>Round up: a last partial window is kept (ceil_mode).</summary>
    Ceil,
}
