// Generated cases: each operator family at ranks 0/1 to 6, on seeded random shapes with size-1 axes, batches above 1
// and negative axes, as small ONNX models against ONNX Runtime: on the GPU and on the C# reference, output shapes
// included. A case names its seed, so a failure can be rerun alone. OnnxGeneratedOperatorTests has the other operators.
namespace VulkanCnn.Tests.Onnx;

public class OnnxGeneratedRankTests : GpuTest
{
    /// <summary>A random shape of the given rank: dimensions 1 to 5, with about one axis in four of size 1, and at most
    /// 720 elements so that every case stays small.</summary>
    private static long[] RandomDims(Random r, int rank)
    {
        while (true)
        {
            var d = Enumerable.Range(0, rank).Select(_ => r.Next(4) == 0 ? 1L : r.Next(2, 6)).ToArray();
            if (d.Aggregate(1L, (a, b) => a * b) <= 720) return d;
        }
    }

    private static readonly string[] Unary = { "Relu", "Sigmoid", "Tanh", "Erf", "Softsign", "Abs", "Neg", "Floor" };
    private static readonly string[] BinaryOps = { "Add", "Sub", "Mul", "Max", "Min" };
    private static readonly string[] Reductions = { "ReduceSum", "ReduceMean", "ReduceMax", "ReduceL2" };

    public static IEnumerable<TestCaseData> Cases()
    {
        for (int rank = 0; rank <= 6; rank++)
        {
            foreach (var op in Unary) yield return Case("unary", op, rank);
            if (rank >= 1)
            {
                foreach (var op in BinaryOps) yield return Case("binary", op, rank);
                foreach (var op in new[] { "Softmax", "LogSoftmax" }) yield return Case("softmax", op, rank);
                foreach (var op in Reductions) yield return Case("reduce", op, rank);
                foreach (var op in new[] { "Transpose", "Concat", "Slice", "Gather", "CumSum", "Expand", "Where", "Flatten" })
                    yield return Case("shape", op, rank);
            }
        }
    }

    private static TestCaseData Case(string family, string op, int rank) =>
        new TestCaseData(family, op, rank).SetName($"Onnx generated: {op} rank {rank}");

    [TestCaseSource(nameof(Cases))]
    public void AgreesWithOnnxRuntime(string family, string op, int rank)
    {
        int seed = op.Aggregate(17, (h, ch) => (h * 31 + ch) & 0xFFFF) * 8 + rank;   // stable across runs (string hashes are not)
        var r = new Random(seed);
        var g = new OnnxGraph(17);
        var d = RandomDims(r, rank);
        string x = g.Input("x", d);
        string Axis() => (r.Next(2) == 0 ? r.Next(rank) : r.Next(rank) - rank).ToString();   // negative half the time
        int axis = rank > 0 ? int.Parse(Axis()) : 0;
        int pos = axis < 0 ? axis + rank : axis;
        switch (family)
        {
            case "unary":
                g.Output(g.Node(op, new[] { x }));
                break;
            case "binary":
            {
                // The second operand: the same shape with random axes set to 1 and a random number of leading axes dropped.
                var e = d.Select(v => r.Next(3) == 0 ? 1L : v).Skip(r.Next(rank + 1)).ToArray();
                g.Output(g.Node(op, new[] { x, g.Input("y", e) }));
                break;
            }
            case "softmax":
                g.Output(g.Node(op, new[] { x }, ("axis", (long)axis)));
                break;
            case "reduce":
            {
                var axes = Enumerable.Range(0, rank).Where(_ => r.Next(2) == 0).Select(a => (long)(r.Next(2) == 0 ? a : a - rank)).ToArray();
                if (axes.Length == 0) axes = new[] { (long)axis };
                int keep = r.Next(2);
                g.Output(op == "ReduceSum"
                    ? g.Node(op, new[] { x, g.InitInts("axes", axes, axes.Length) }, ("keepdims", keep))
                    : g.Node(op, new[] { x }, ("axes", axes), ("keepdims", keep)));
                break;
            }
            case "shape":
                switch (op)
                {
                    case "Transpose":
                        g.Output(g.Node(op, new[] { x }, ("perm", Enumerable.Range(0, rank).OrderBy(_ => r.Next()).Select(v => (long)v).ToArray())));
                        break;
                    case "Concat":
                    {
                        var e = d.ToArray(); e[pos] = r.Next(1, 4);
                        g.Output(g.Node(op, new[] { x, g.Input("y", e), x }, ("axis", (long)axis)));
                        break;
                    }
                    case "Slice":
                    {
                        long n = d[pos];
                        long start = r.Next((int)n), step = r.Next(2) == 0 ? 1 : -1;
                        long end = step > 0 ? start + 1 + r.Next((int)(n - start)) : -n - 1;
                        g.Output(g.Node(op, new[] { x, g.InitInts("s", new[] { start }, 1), g.InitInts("e", new[] { end }, 1),
                            g.InitInts("a", new long[] { axis }, 1), g.InitInts("t", new[] { step }, 1) }));
                        break;
                    }
                    case "Gather":
                    {
                        var idx = Enumerable.Range(0, 3).Select(_ => (long)(r.Next((int)d[pos] * 2) - (int)d[pos])).ToArray();
                        g.Output(g.Node(op, new[] { x, g.InitInts("i", idx, 3) }, ("axis", (long)axis)));
                        break;
                    }
                    case "CumSum":
                        g.Output(g.Node(op, new[] { x, g.InitInts("a", new long[] { axis }) }, ("exclusive", r.Next(2)), ("reverse", r.Next(2))));
                        break;
                    case "Expand":
                    {
                        // Expand size-1 axes (and a new leading one) to 2.
                        var shape = new[] { 2L }.Concat(d.Select(v => v == 1 ? 2L : v)).ToArray();
                        g.Output(g.Node(op, new[] { x, g.InitInts("s", shape, shape.Length) }));
                        break;
                    }
                    case "Where":
                    {
                        var c = g.Node("Greater", new[] { x, g.Input("t", d.Select(v => r.Next(2) == 0 ? 1L : v).ToArray()) });
                        g.Output(g.Node(op, new[] { c, x, g.Node("Neg", new[] { x }) }));
                        break;
                    }
                    case "Flatten":
                        g.Output(g.Node(op, new[] { x }, ("axis", (long)r.Next(rank + 1))));
                        break;
                }
                break;
        }
        OnnxOracle.CompareEverywhere(g, OnnxOracle.RandomInputs(g, r, 3f), $"{op} rank {rank} [{string.Join(",", d)}] axis {axis} (seed {seed})");
    }
}
