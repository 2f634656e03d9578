// A strided box of a (D,H,W) tensor (ONNX Slice on runtime tensors, and each output of Split). GPU side: shaders/slice.comp.
using System.Runtime.InteropServices;
using VulkanCnn.Graph;

namespace VulkanCnn.Layers;

/// <summary>
/// Takes <c>Count</c> elements per axis (D, H, W) starting at <c>Start</c> and stepping by <c>Step</c> (a step may be
/// negative: the axis is read backwards from Start). A count of 0 on an axis means "to the end" for positive steps.
/// </summary>
public sealed record Slice : Layer
{
    public int StartD { get; init; }
    public int StartH { get; init; }
    public int StartW { get; init; }
    public int StepD { get; init; } = 1;
    public int StepH { get; init; } = 1;
    public int StepW { get; init; } = 1;
    public int CountD { get; init; }
    public int CountH { get; init; }
    public int CountW { get; init; }

    public override string TypeName => "Slice";
    public override string Describe() => $"from {StartW},{StartH},{StartD} step {StepW},{StepH},{StepD}";

    private static int Count(int start, int step, int count, int n) => count > 0 ? count : step > 0 ? (n - start + step - 1) / step : 0;

    public override Shape OutputShape(IReadOnlyList<Shape> inputs, string node)
    {
        CheckInputCount(node, "Slice", inputs, 1);
        var s = inputs[0];
        int[] n = { s.C, s.H, s.W }, start = { StartD, StartH, StartW }, step = { StepD, StepH, StepW }, count = { CountD, CountH, CountW };
        var o = new int[3];
        for (int a = 0; a < 3; a++)
        {
            o[a] = Count(start[a], step[a], count[a], n[a]);
            int last = start[a] + (o[a] - 1) * step[a];
            if (step[a] == 0 || o[a] <= 0 || start[a] < 0 || start[a] >= n[a] || last < 0 || last >= n[a])
                throw new ArgumentException($"{node}: Slice of axis {"DHW"[a]} (size {n[a]}) from {start[a]} step {step[a]} count {count[a]} leaves the tensor or is empty.");
        }
        return new Shape(o[0], o[1], o[2]);
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Push { public int E1, E2, Base, S0, S1, S2, Count; }

    internal override void Compile(LayerCompiler c, NodeIO io)
    {
        var s = io.InputShapes[0];
        var o = io.OutputShape;
        int hw = s.H * s.W;
        var k = c.Kernel("slice", 2, (uint)Marshal.SizeOf<Push>());
        var (x, y) = LayerCompiler.Grid((o.Size + 63) / 64);
        c.Dispatch(k, new[] { io.Inputs[0], io.Output }, new Push
        {
            E1 = o.H, E2 = o.W, Base = StartD * hw + StartH * s.W + StartW,
            S0 = StepD * hw, S1 = StepH * s.W, S2 = StepW, Count = checked((int)o.Size),
        }, x, y);
    }
}
