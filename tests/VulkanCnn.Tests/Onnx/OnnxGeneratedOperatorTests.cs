// Generated cases for the operators OnnxGeneratedRankTests does not cover: ranks 0/1 to 6 where ONNX defines them,
// seeded random shapes with size-1 axes, batches above 1 and negative axes, and each opset form of an operator whose
// signature changed. Each case runs as a small ONNX model in ONNX Runtime, on the GPU and on the C# reference (the
// imported network through CpuReference), and compares every output's shape exactly and its values with the mixed
// check. Image operators (convolution, pooling, resize, depth/space) take six seeded configurations each instead of
// ranks, 2-D and 1-D, at batch 1 to 3. Inputs that would make a wrong answer look right (comparisons of random floats,
// ties for ArgMax) are drawn from a few integer levels instead. A case names its seed, so a failure can be rerun alone.
using VulkanCnn.Onnx;

namespace VulkanCnn.Tests.Onnx;

public class OnnxGeneratedOperatorTests : GpuTest
{
    /// <summary>What a case builds its model with.</summary>
    private sealed class Gen(OnnxGraph g, Random r, int rank)
    {
        public readonly OnnxGraph G = g;
        public readonly Random R = r;
        public readonly int Rank = rank;
        public readonly Dictionary<string, float[]> Data = new();
        public readonly List<string> Notes = new();
        /// <summary>Set when the engine refuses the case by design: a text the NotSupportedException must contain.</summary>
        public string? Refusal;
        private int _names;

        /// <summary>A random shape: dimensions 1 to 5, about one axis in four of size 1, at most <paramref name="max"/> elements.</summary>
        public long[] Dims(int rank, long max = 720)
        {
            while (true)
            {
                var d = Enumerable.Range(0, rank).Select(_ => R.Next(4) == 0 ? 1L : R.Next(2, 6)).ToArray();
                if (d.Aggregate(1L, (a, b) => a * b) <= max) return d;
            }
        }

        /// <summary>An axis of a rank-<paramref name="rank"/> tensor, negative half the time.</summary>
        public int Axis(int rank) => R.Next(2) == 0 ? R.Next(rank) : R.Next(rank) - rank;

        public string In(params long[] dims) => G.Input($"in{_names++}", dims);

        /// <summary>An input whose values are drawn from the given generator (positive, away from zero, integer levels...).</summary>
        public string In(long[] dims, Func<Random, float> value)
        {
            string name = In(dims);
            Data[name] = Enumerable.Range(0, (int)dims.Aggregate(1L, (a, b) => a * b)).Select(_ => value(R)).ToArray();
            return name;
        }

        public string Ints(params long[] v) => G.InitInts($"c{_names++}", v, v.Length);
        public string Scalar(long v) => G.InitInts($"c{_names++}", new[] { v });
        public string Floats(float[] v, params long[] dims) => G.Init($"c{_names++}", v, dims);
        public string RandomFloats(float scale, params long[] dims) => G.Random($"c{_names++}", R, scale, dims);
        public string Node(string op, string[] inputs, params (string, object)[] attrs) => G.Node(op, inputs, attrs);
        public string Node(string op, string input, params (string, object)[] attrs) => G.Node(op, new[] { input }, attrs);
        public string ToFloat(string v) => G.Node("Cast", new[] { v }, ("to", 1));
        public void Out(string v) => G.Output(v);
        public void Note(string s) => Notes.Add(s);
        public T Pick<T>(params T[] items) => items[R.Next(items.Length)];

        public static float Level(Random r) => r.Next(-2, 3);
        public static float Positive(Random r) => 0.1f + 3 * (float)r.NextDouble();
        public static float AwayFromZero(Random r) => (r.Next(2) == 0 ? -1 : 1) * (0.25f + 2 * (float)r.NextDouble());
    }

    /// <summary>One generated family: an operator in one opset form, for the given ranks (or configuration numbers).</summary>
    private sealed record Family(string Op, string Form, int Opset, int[] Ranks, Action<Gen> Build);

    private static int[] RanksFrom(int lo, int hi = 6) => Enumerable.Range(lo, hi - lo + 1).ToArray();
    private static readonly int[] Configs = RanksFrom(0, 5);

    private static IEnumerable<Family> Families()
    {
        // Activations: every element-wise operator of the table not in OnnxGeneratedRankTests, ranks 0 to 6.
        var all = RanksFrom(0);
        foreach (var (op, opset, attrs) in new (string, int, (string, object)[])[]
                 {
                     ("Elu", 13, new (string, object)[] { ("alpha", 0.7f) }), ("Selu", 13, new (string, object)[] { ("alpha", 1.5f), ("gamma", 1.2f) }),
                     ("LeakyRelu", 16, new (string, object)[] { ("alpha", 0.15f) }), ("HardSigmoid", 13, new (string, object)[] { ("alpha", 0.3f), ("beta", 0.4f) }),
                     ("HardSwish", 14, Array.Empty<(string, object)>()), ("Softplus", 13, Array.Empty<(string, object)>()),
                     ("Mish", 18, Array.Empty<(string, object)>()), ("Exp", 13, Array.Empty<(string, object)>()),
                     ("Ceil", 13, Array.Empty<(string, object)>()), ("Round", 13, Array.Empty<(string, object)>()), ("Sign", 13, Array.Empty<(string, object)>()),
                 })
            yield return new Family(op, "", opset, all, c => c.Out(c.Node(op, c.In(c.Dims(c.Rank)), attrs)));
        foreach (var op in new[] { "Elu", "Selu", "LeakyRelu", "HardSigmoid" })
            yield return new Family(op, "default attributes", 13, all, c => c.Out(c.Node(op, c.In(c.Dims(c.Rank)))));
        yield return new Family("Gelu", "exact", 20, all, c => c.Out(c.Node("Gelu", c.In(c.Dims(c.Rank)))));
        yield return new Family("Gelu", "tanh", 20, all, c => c.Out(c.Node("Gelu", c.In(c.Dims(c.Rank)), ("approximate", "tanh"))));
        yield return new Family("Log", "", 13, all, c => c.Out(c.Node("Log", c.In(c.Dims(c.Rank), Gen.Positive))));
        yield return new Family("Sqrt", "", 13, all, c => c.Out(c.Node("Sqrt", c.In(c.Dims(c.Rank), Gen.Positive))));
        yield return new Family("Reciprocal", "", 13, all, c => c.Out(c.Node("Reciprocal", c.In(c.Dims(c.Rank), Gen.AwayFromZero))));
        yield return new Family("Clip", "attributes", 7, all, c => c.Out(c.Node("Clip", c.In(c.Dims(c.Rank)), ("min", -1.3f), ("max", 0.8f))));
        yield return new Family("Clip", "inputs", 13, all, c =>
        {
            var x = c.In(c.Dims(c.Rank));
            var form = c.R.Next(3);   // both bounds, min only, max only (an empty name skips an optional input)
            c.Note(new[] { "min and max", "min only", "max only" }[form]);
            var min = form != 2 ? c.Floats(new[] { -1.1f }) : "";
            var max = form != 1 ? c.Floats(new[] { 0.6f }) : "";
            c.Out(c.Node("Clip", form == 1 ? new[] { x, min } : new[] { x, min, max }));
        });
        yield return new Family("Cast", "to float", 13, all, c => c.Out(c.ToFloat(c.In(c.Dims(c.Rank)))));
        yield return new Family("Dropout", "", 13, all, c => c.Out(c.Node("Neg", c.Node("Dropout", c.In(c.Dims(c.Rank))))));
        yield return new Family("Identity", "", 13, all, c => c.Out(c.Node("Neg", c.Node("Identity", c.In(c.Dims(c.Rank))))));
        // Operators the table does not have are refused cleanly, naming the node and the operator.
        foreach (var op in new[] { "Celu", "ThresholdedRelu" })
            yield return new Family(op, "refused", 13, new[] { 2 }, c => { c.Refusal = $"({op}, opset 13): operator not supported"; c.Out(c.Node(op, c.In(c.Dims(c.Rank)))); });

        // Binary and variadic operators with numpy broadcasting, ranks 0 to 6.
        yield return new Family("Div", "", 14, all, c => { var d = c.Dims(c.Rank); c.Out(c.Node("Div", new[] { c.In(d), c.In(Broadcast(c, d), Gen.AwayFromZero) })); });
        yield return new Family("Pow", "", 15, all, c => { var d = c.Dims(c.Rank); c.Out(c.Node("Pow", new[] { c.In(d, Gen.Positive), c.In(Broadcast(c, d)) })); });
        yield return new Family("Pow", "integer exponent of a negative base", 15, all, c =>
        {
            var d = c.Dims(c.Rank);
            c.Out(c.Node("Pow", new[] { c.In(d), c.Floats(new[] { (float)c.R.Next(0, 4) }) }));
        });
        foreach (var op in new[] { "Sum", "Max", "Min" })
            yield return new Family(op, "three inputs", 13, all, c =>
            {
                var d = c.Dims(c.Rank);
                c.Out(c.Node(op, new[] { c.In(d), c.In(Broadcast(c, d)), c.In(Broadcast(c, d)) }));
            });
        yield return new Family("PRelu", "", 16, RanksFrom(1), c =>
        {
            var d = c.Dims(c.Rank);
            // One slope, one per channel ([C,1,...,1], unidirectional broadcasting to axis 1) or a trailing-axes tensor.
            int kind = c.R.Next(3);
            long[] s = kind == 0 ? new[] { 1L } : kind == 1 && c.Rank >= 2 ? new[] { d[1] }.Concat(Enumerable.Repeat(1L, c.Rank - 2)).ToArray() : d.Skip(c.R.Next(c.Rank)).ToArray();
            c.Note($"slope [{string.Join(",", s)}]");
            // Slopes other than one value or one per channel are refused by design (the layer holds one slope per channel).
            if (s.Aggregate(1L, (a, b) => a * b) > 1 && !(c.Rank >= 2 && s.Length == c.Rank - 1 && s.Skip(1).All(v => v == 1)))
                c.Refusal = "one slope or one per channel (axis 1) is supported";
            c.Out(c.Node("PRelu", new[] { c.In(d), c.RandomFloats(0.5f, s) }));
        });
        foreach (var op in new[] { "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual" })
            yield return new Family(op, "", 13, all, c =>
            {
                var d = c.Dims(c.Rank);
                c.Out(c.ToFloat(c.Node(op, new[] { c.In(d, Gen.Level), c.In(Broadcast(c, d), Gen.Level) })));
            });
        foreach (var op in new[] { "And", "Or", "Xor" })
            yield return new Family(op, "", 7, all, c =>
            {
                var d = c.Dims(c.Rank);
                var a = c.Node("Greater", new[] { c.In(d), c.Floats(new[] { 0f }) });
                var b = c.Node("Less", new[] { c.In(Broadcast(c, d)), c.Floats(new[] { 0.3f }) });
                c.Out(c.ToFloat(c.Node(op, new[] { a, b })));
            });
        yield return new Family("Not", "", 13, all, c => c.Out(c.ToFloat(c.Node("Not", c.Node("Greater", new[] { c.In(c.Dims(c.Rank)), c.Floats(new[] { 0f }) })))));

        // Along one axis: the pre-13 ("flatten from axis") and 13+ forms of Softmax, LogSoftmax and Hardmax.
        var ranks1 = RanksFrom(1);
        foreach (var op in new[] { "Softmax", "LogSoftmax", "Hardmax" })
            foreach (int opset in new[] { 11, 13 })
            {
                if (opset == 13 && op != "Hardmax") continue;   // OnnxGeneratedRankTests has the 13+ form of the other two
                yield return new Family(op, $"opset {opset}", opset, ranks1, c =>
                {
                    var d = c.Dims(c.Rank);
                    int axis = c.Axis(c.Rank);
                    c.Note($"axis {axis}");
                    c.Out(c.Node(op, op == "Hardmax" ? c.In(d, Gen.Level) : c.In(d), ("axis", (long)axis)));
                });
            }
        foreach (var op in new[] { "ArgMax", "ArgMin" })
            yield return new Family(op, "keepdims, select_last_index", 13, ranks1, c =>
            {
                // Integer levels make ties, where select_last_index decides.
                var d = c.Dims(c.Rank);
                int axis = c.Axis(c.Rank), keep = c.R.Next(2), last = c.R.Next(2);
                c.Note($"axis {axis} keepdims {keep} select_last_index {last}");
                c.Out(c.ToFloat(c.Node(op, c.In(d, Gen.Level), ("axis", (long)axis), ("keepdims", keep), ("select_last_index", last))));
            });
        foreach (int opset in new[] { 9, 11 })
            yield return new Family("TopK", opset < 10 ? "attribute k" : "input K, largest", opset, ranks1, c =>
            {
                var d = c.Dims(c.Rank);
                int axis = c.Axis(c.Rank);
                long k = c.R.Next(1, (int)d[axis < 0 ? axis + c.Rank : axis] + 1);
                int largest = opset < 10 ? 1 : c.R.Next(2);
                c.Note($"axis {axis} k {k} largest {largest}");
                var outs = opset < 10
                    ? c.G.Nodes("TopK", new[] { c.In(d) }, 2, ("axis", (long)axis), ("k", k))
                    : c.G.Nodes("TopK", new[] { c.In(d), c.Ints(k) }, 2, ("axis", (long)axis), ("largest", largest));
                c.Out(outs[0]);
                c.Out(c.ToFloat(outs[1]));
            });
        yield return new Family("GatherElements", "constant indices", 13, ranks1, c =>
        {
            var d = c.Dims(c.Rank);
            int axis = c.Axis(c.Rank), pos = axis < 0 ? axis + c.Rank : axis;
            var id = d.Select((v, i) => i == pos ? c.R.Next(1, 5) : c.R.Next((int)v) + 1L).ToArray();   // any size on the axis, at most the data's elsewhere
            var idx = Enumerable.Range(0, (int)id.Aggregate(1L, (a, b) => a * b)).Select(_ => (long)(c.R.Next((int)d[pos] * 2) - (int)d[pos])).ToArray();
            c.Note($"axis {axis} indices [{string.Join(",", id)}]");
            c.Out(c.Node("GatherElements", new[] { c.In(d), c.G.InitInts($"idx", idx, id) }, ("axis", (long)axis)));
        });
        yield return new Family("GatherElements", "run-time indices from ArgMax", 13, ranks1, c =>
        {
            // Indices computed on the GPU: gathering at the ArgMax (keepdims) of another tensor along the same axis.
            var d = c.Dims(c.Rank);
            int axis = c.Axis(c.Rank);
            c.Note($"axis {axis}");
            var idx = c.Node("ArgMax", c.In(d), ("axis", (long)axis), ("keepdims", 1L));
            c.Out(c.Node("GatherElements", new[] { c.In(d), idx }, ("axis", (long)axis)));
        });

        // Reductions: every Reduce operator in each axes form.
        foreach (var op in new[] { "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare" })
        {
            int inputFrom = op == "ReduceSum" ? 13 : 18;
            yield return new Family(op, "axes attribute", inputFrom == 13 ? 11 : 13, ranks1, c => Reduce(c, op, "attribute"));
            yield return new Family(op, "axes input", inputFrom, ranks1, c => Reduce(c, op, "input"));
            yield return new Family(op, "no axes", inputFrom, RanksFrom(0), c => Reduce(c, op, "none"));
            yield return new Family(op, "no axes, noop_with_empty_axes", inputFrom, RanksFrom(0), c => Reduce(c, op, "noop"));
        }

        // Data movement and shapes.
        yield return new Family("Split", "split attribute", 11, ranks1, c => Split(c, 11, explicitParts: true));
        yield return new Family("Split", "split input", 13, ranks1, c => Split(c, 13, explicitParts: true));
        yield return new Family("Split", "equal parts", 13, ranks1, c => Split(c, 13, explicitParts: false));
        yield return new Family("Split", "num_outputs", 18, ranks1, c => Split(c, 18, explicitParts: false));
        yield return new Family("Squeeze", "axes attribute", 11, all, c => Squeeze(c, "Squeeze", 11));
        yield return new Family("Squeeze", "axes input", 13, all, c => Squeeze(c, "Squeeze", 13));
        yield return new Family("Unsqueeze", "axes attribute", 11, all, c => Squeeze(c, "Unsqueeze", 11));
        yield return new Family("Unsqueeze", "axes input", 13, all, c => Squeeze(c, "Unsqueeze", 13));
        yield return new Family("Reshape", "0 and -1", 13, all, c => Reshape(c, allowZero: false));
        yield return new Family("Reshape", "allowzero", 14, all, c => Reshape(c, allowZero: true));
        yield return new Family("Flatten", "opset 9", 9, all, c =>
        {
            int axis = c.R.Next(c.Rank + 1);
            c.Note($"axis {axis}");
            c.Out(c.Node("Flatten", c.In(c.Dims(c.Rank)), ("axis", (long)axis)));
        });
        yield return new Family("Tile", "", 13, ranks1, c =>
        {
            var d = c.Dims(c.Rank, 120);
            var reps = d.Select(_ => (long)c.R.Next(1, 4)).ToArray();
            while (reps.Aggregate(1L, (a, b) => a * b) > 8) reps[c.R.Next(reps.Length)] = 1;
            c.Note($"repeats {string.Join(",", reps)}");
            c.Out(c.Node("Tile", new[] { c.In(d), c.Ints(reps) }));
        });
        foreach (var mode in new[] { "constant", "edge", "reflect", "wrap" })
        {
            if (mode != "wrap")
            {
                yield return new Family("Pad", $"{mode}, pads attribute", 7, ranks1, c => Pad(c, mode, 7));
                yield return new Family("Pad", $"{mode}, pads input", 11, ranks1, c => Pad(c, mode, 11));
            }
            yield return new Family("Pad", $"{mode}, axes input", mode == "wrap" ? 19 : 18, ranks1, c => Pad(c, mode, 18));
        }
        yield return new Family("Slice", "attributes", 7, ranks1, c => Slice(c, 7));
        yield return new Family("Slice", "several axes, clamped", 13, ranks1, c => Slice(c, 13));

        // Matrix products and normalisations at any rank.
        yield return new Family("MatMul", "both run-time", 13, ranks1, c => MatMul(c, constant: false));
        yield return new Family("MatMul", "constant B", 13, ranks1, c => MatMul(c, constant: true));
        yield return new Family("MatMul", "batch axes broadcast both ways", 13, RanksFrom(3), c =>
        {
            // Each operand size 1 on some batch axes where the other is not: [2,1,M,K]·[1,3,K,N] needs both expanded.
            var batch = c.Dims(c.Rank - 2, 24).Select(v => Math.Max(v, 2)).ToArray();
            int split = c.R.Next(1, batch.Length + 1);
            var ab = batch.Select((v, i) => i < split ? v : 1L).ToArray();
            var bb = batch.Select((v, i) => i < split ? 1L : v).ToArray();
            if (split == batch.Length) bb[0] = batch[0];   // one axis only: B takes it too, A's batch stays partial
            long m = c.R.Next(1, 5), k = c.R.Next(1, 6), n = c.R.Next(1, 5);
            var a = ab.Append(m).Append(k).ToArray();
            var b = bb.Append(k).Append(n).ToArray();
            c.Note($"[{string.Join(",", a)}]·[{string.Join(",", b)}]");
            c.Out(c.Node("MatMul", new[] { c.In(a), c.R.Next(2) == 0 ? c.RandomFloats(1f, b) : c.In(b) }));
        });
        foreach (int opset in new[] { 7, 11, 13 })
            yield return new Family("Gemm", $"opset {opset}", opset, Configs, c => Gemm(c, opset));
        yield return new Family("LayerNormalization", "", 17, ranks1, c =>
        {
            var d = c.Dims(c.Rank);
            int axis = c.Axis(c.Rank), pos = axis < 0 ? axis + c.Rank : axis;
            var nd = d[pos..];
            bool bias = c.R.Next(2) == 0;
            c.Note($"axis {axis} bias {bias}");
            var ins = new List<string> { c.In(d), c.RandomFloats(1f, nd) };
            if (bias) ins.Add(c.RandomFloats(1f, nd));
            c.Out(c.Node("LayerNormalization", ins.ToArray(), ("axis", (long)axis), ("epsilon", 1e-3f)));
        });
        foreach (int opset in new[] { 18, 21 })
            yield return new Family("GroupNormalization", opset == 18 ? "scale per group" : "scale per channel", opset, RanksFrom(3), c =>
            {
                var d = c.Dims(c.Rank, 360);
                int groups = c.Pick(1, 2, 3);
                d[1] = groups * c.R.Next(1, 3);
                long per = opset == 18 ? groups : d[1];
                c.Note($"groups {groups}");
                c.Out(c.Node("GroupNormalization", new[] { c.In(d), c.RandomFloats(1f, per), c.RandomFloats(1f, per) }, ("num_groups", (long)groups), ("epsilon", 1e-3f)));
            });
        yield return new Family("InstanceNormalization", "", 6, RanksFrom(3), c =>
        {
            var d = c.Dims(c.Rank);
            c.Out(c.Node("InstanceNormalization", new[] { c.In(d), c.RandomFloats(1f, d[1]), c.RandomFloats(1f, d[1]) }, ("epsilon", 1e-3f)));
        });
        foreach (int opset in new[] { 9, 15 })
            yield return new Family("BatchNormalization", $"opset {opset}", opset, RanksFrom(2), c =>
            {
                var d = c.Dims(c.Rank);
                long ch = d[1];
                var variance = c.Floats(Enumerable.Range(0, (int)ch).Select(_ => Gen.Positive(c.R)).ToArray(), ch);
                c.Out(c.Node("BatchNormalization", new[] { c.In(d), c.RandomFloats(1f, ch), c.RandomFloats(1f, ch), c.RandomFloats(1f, ch), variance }, ("epsilon", 1e-4f)));
            });
        yield return new Family("LRN", "", 13, Configs, c =>
        {
            var d = c.Dims(4);   // ONNX Runtime's LRN takes rank 4 only
            int size = c.Pick(1, 3, 5);   // ONNX Runtime takes odd sizes only
            c.Note($"size {size}");
            c.Out(c.Node("LRN", c.In(d), ("size", (long)size), ("alpha", 0.3f), ("beta", 0.7f), ("bias", 1.5f)));
        });

        // Image operators: six configurations each, 2-D and 1-D, batch 1 to 3.
        foreach (int dims in new[] { 2, 1 })
        {
            string f = $"{dims}-D";
            yield return new Family("Conv", f, 11, Configs, c => Conv(c, dims, runtimeWeights: false));
            yield return new Family("Conv", f + ", weights and bias inputs", 11, Configs, c => Conv(c, dims, runtimeWeights: true));
            yield return new Family("ConvTranspose", f, 11, Configs, c => ConvTranspose(c, dims, runtimeWeights: false));
            yield return new Family("ConvTranspose", f + ", weights and bias inputs", 11, Configs, c => ConvTranspose(c, dims, runtimeWeights: true));
            yield return new Family("MaxPool", f, 12, Configs, c => Pool(c, "MaxPool", dims));
            yield return new Family("AveragePool", f, 11, Configs, c => Pool(c, "AveragePool", dims));
            yield return new Family("GlobalAveragePool", f, 13, Configs, c => c.Out(c.Node("GlobalAveragePool", c.In(ImageDims(c, dims)))));
            yield return new Family("GlobalMaxPool", f, 13, Configs, c => c.Out(c.Node("GlobalMaxPool", c.In(ImageDims(c, dims)))));
        }
        // Refused by design, cleanly: 3-D convolution and pooling, and dilated max pooling.
        foreach (var op in new[] { "Conv", "MaxPool", "AveragePool" })
            yield return new Family(op, "3-D refused", 13, new[] { 5 }, c =>
            {
                c.Refusal = "(3-D is not)";
                var x = c.In(1, 2, 3, 3, 3);
                c.Out(op == "Conv" ? c.Node("Conv", new[] { x, c.RandomFloats(1f, 2, 2, 1, 1, 1) }) : c.Node(op, x, ("kernel_shape", new long[] { 2, 2, 2 })));
            });
        yield return new Family("MaxPool", "dilations refused", 12, new[] { 4 }, c =>
        {
            c.Refusal = "pooling dilations [2,1] are not supported";
            c.Out(c.Node("MaxPool", c.In(1, 2, 6, 6), ("kernel_shape", new long[] { 2, 2 }), ("dilations", new long[] { 2, 1 })));
        });
        yield return new Family("DepthToSpace", "DCR", 13, Configs, c => DepthSpace(c, "DepthToSpace", "DCR"));
        yield return new Family("DepthToSpace", "CRD", 13, Configs, c => DepthSpace(c, "DepthToSpace", "CRD"));
        yield return new Family("SpaceToDepth", "", 13, Configs, c => DepthSpace(c, "SpaceToDepth", null));
        yield return new Family("Resize", "opset 10 scales", 10, Configs, c => Resize(c, 10));
        yield return new Family("Resize", "opset 11 scales or sizes", 11, Configs, c => Resize(c, 11));
        yield return new Family("Resize", "opset 13", 13, Configs, c => Resize(c, 13));
        yield return new Family("Resize", "opset 19", 19, Configs, c => Resize(c, 19));
        yield return new Family("Upsample", "scales attribute", 7, Configs, c => Upsample(c, 7));
        yield return new Family("Upsample", "scales input", 9, Configs, c => Upsample(c, 9));
        yield return new Family("Resize", "trailing axes of rank 3 and 5", 13, new[] { 3, 5 }, c =>
        {
            // The engine resizes [N,C,H,W] only: other ranks are refused by design, naming the shape.
            var d = c.Dims(c.Rank, 200);
            c.Refusal = c.Rank == 3 ? "only the two spatial axes may be scaled" : "(3-D is not)";
            var scales = d.Select((_, i) => i >= c.Rank - 2 ? 2f : 1f).ToArray();
            c.Out(c.Node("Resize", new[] { c.In(d), "", c.Floats(scales, scales.Length) }, ("mode", "nearest"), ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "floor")));
        });
    }

    /// <summary>A second operand that broadcasts against <paramref name="d"/>: random axes set to 1, leading axes dropped.</summary>
    private static long[] Broadcast(Gen c, long[] d) => d.Select(v => c.R.Next(3) == 0 ? 1L : v).Skip(c.R.Next(d.Length + 1)).ToArray();

    private static void Reduce(Gen c, string op, string form)
    {
        Func<Random, float>? value = op == "ReduceProd" ? r => (r.Next(2) == 0 ? -1 : 1) * (0.9f + 0.2f * (float)r.NextDouble()) : null;
        var d = c.Dims(c.Rank);
        var x = value != null ? c.In(d, value) : c.In(d);
        var axes = form is "none" or "noop" ? Array.Empty<long>()
            : Enumerable.Range(0, c.Rank).Where(_ => c.R.Next(2) == 0).Select(a => (long)(c.R.Next(2) == 0 ? a : a - c.Rank)).DefaultIfEmpty(c.Axis(c.Rank)).ToArray();
        int keep = c.R.Next(2);
        c.Note($"axes [{string.Join(",", axes)}] keepdims {keep}");
        var attrs = new List<(string, object)> { ("keepdims", keep) };
        if (form == "attribute") attrs.Add(("axes", axes));
        if (form == "noop") attrs.Add(("noop_with_empty_axes", 1));
        var ins = form == "input" ? new[] { x, c.Ints(axes) } : new[] { x };
        c.Out(c.Node(op, ins, attrs.ToArray()));
    }

    private static void Split(Gen c, int opset, bool explicitParts)
    {
        var d = c.Dims(c.Rank);
        int axis = c.Axis(c.Rank), pos = axis < 0 ? axis + c.Rank : axis;
        d[pos] = c.R.Next(2, 7);
        long n = d[pos];
        var attrs = new List<(string, object)> { ("axis", (long)axis) };
        var ins = new List<string> { c.In(d) };
        int outs;
        if (explicitParts)
        {
            // Random cut points, parts of size 0 excluded.
            var cuts = Enumerable.Range(1, (int)n - 1).Where(_ => c.R.Next(2) == 0).Select(v => (long)v).Prepend(0).Append(n).ToArray();
            var parts = cuts.Zip(cuts.Skip(1), (a, b) => b - a).ToArray();
            outs = parts.Length;
            c.Note($"axis {axis} split {string.Join(",", parts)}");
            if (opset < 13) attrs.Add(("split", parts)); else ins.Add(c.Ints(parts));
        }
        else if (opset >= 18)
        {
            outs = c.R.Next(1, (int)n + 1);
            if ((n + outs - 1) / outs * (outs - 1) >= n) outs = 1 + (int)((n - 1) / ((n + outs - 1) / outs));   // every part non-empty
            attrs.Add(("num_outputs", (long)outs));
            c.Note($"axis {axis} num_outputs {outs}");
        }
        else
        {
            var divisors = Enumerable.Range(1, (int)n).Where(k => n % k == 0).ToArray();
            outs = divisors[c.R.Next(divisors.Length)];
            c.Note($"axis {axis} {outs} equal parts");
        }
        foreach (var o in c.G.Nodes("Split", ins.ToArray(), outs, attrs.ToArray())) c.Out(c.Node("Neg", o));
    }

    private static void Squeeze(Gen c, string op, int opset)
    {
        long[] d, axes;
        if (op == "Squeeze")
        {
            d = c.Dims(c.Rank).Select(v => c.R.Next(3) == 0 ? 1L : v).ToArray();
            var ones = Enumerable.Range(0, c.Rank).Where(i => d[i] == 1).ToArray();
            // A random subset of the size-1 axes, or none at all (every size-1 axis goes).
            axes = ones.Where(_ => c.R.Next(2) == 0).Select(a => (long)(c.R.Next(2) == 0 ? a : a - c.Rank)).ToArray();
        }
        else
        {
            d = c.Dims(c.Rank);
            int outRank = c.Rank + c.R.Next(1, 3);
            axes = Enumerable.Range(0, outRank).OrderBy(_ => c.R.Next()).Take(outRank - c.Rank).Select(a => (long)(c.R.Next(2) == 0 ? a : a - outRank)).ToArray();
        }
        c.Note($"axes [{string.Join(",", axes)}]");
        var x = c.In(d);
        string y = opset < 13
            ? (axes.Length > 0 || op == "Unsqueeze" ? c.Node(op, x, ("axes", axes)) : c.Node(op, x))
            : c.Node(op, axes.Length > 0 || op == "Unsqueeze" ? new[] { x, c.Ints(axes) } : new[] { x });
        c.Out(y);
    }

    private static void Reshape(Gen c, bool allowZero)
    {
        var d = c.Dims(c.Rank);
        // A target of any rank with the same element count: the input's dimensions regrouped and reordered.
        var factors = d.SelectMany(Factors).OrderBy(_ => c.R.Next()).ToList();
        int rank = Math.Clamp(c.R.Next(0, 7), factors.Count == 0 ? 0 : 1, Math.Max(1, factors.Count));
        var target = Enumerable.Repeat(1L, rank).ToArray();
        foreach (var f in factors) target[c.R.Next(rank)] *= f;
        if (rank == 0 && d.Aggregate(1L, (a, b) => a * b) != 1) target = new[] { d.Aggregate(1L, (a, b) => a * b) };
        var shape = target.ToArray();
        if (shape.Length > 0 && c.R.Next(2) == 0) shape[c.R.Next(shape.Length)] = -1;
        if (!allowZero)
            for (int i = 0; i < Math.Min(shape.Length, d.Length); i++)
                if (shape[i] == d[i] && c.R.Next(2) == 0) shape[i] = 0;   // 0 copies the input's dimension
        c.Note($"shape [{string.Join(",", shape)}]");
        var attrs = allowZero ? new (string, object)[] { ("allowzero", 1) } : Array.Empty<(string, object)>();
        c.Out(c.Node("Reshape", new[] { c.In(d), c.Ints(shape) }, attrs));
    }

    private static IEnumerable<long> Factors(long n)
    {
        for (long p = 2; n > 1; p++)
            while (n % p == 0) { yield return p; n /= p; }
    }

    private static void Pad(Gen c, string mode, int opset)
    {
        var d = c.Dims(c.Rank, 240);
        int r = c.Rank;
        // Axes padded: all (opset < 18) or a random subset, possibly negative (opset 18).
        var axes = opset >= 18 ? Enumerable.Range(0, r).Where(_ => c.R.Next(2) == 0).DefaultIfEmpty(c.R.Next(r)).ToArray() : Enumerable.Range(0, r).ToArray();
        var pads = new long[2 * axes.Length];
        for (int k = 0; k < axes.Length; k++)
            for (int side = 0; side < 2; side++)
            {
                long n = d[axes[k]];
                long v = mode switch
                {
                    "reflect" => c.R.Next((int)n),                     // smaller than the axis
                    "constant" => c.R.Next(-(int)Math.Min(1, n - 1), 3), // crops of one where the axis allows
                    _ => c.R.Next(0, (int)n + 1),
                };
                pads[side * axes.Length + k] = v;
            }
        for (int k = 0; k < axes.Length; k++)
            if (d[axes[k]] + pads[k] + pads[axes.Length + k] < 1) pads[k] = 0;
        float value = 0.5f + c.R.Next(3);
        var axesNamed = axes.Select(a => (long)(c.R.Next(2) == 0 ? a : a - r)).ToArray();
        c.Note($"pads [{string.Join(",", pads)}]" + (opset >= 18 ? $" axes [{string.Join(",", axesNamed)}]" : ""));
        var x = c.In(d);
        var attrs = new List<(string, object)> { ("mode", mode) };
        string y;
        if (opset < 11)
        {
            attrs.Add(("pads", pads));
            if (mode == "constant") attrs.Add(("value", value));
            y = c.Node("Pad", new[] { x }, attrs.ToArray());
        }
        else
        {
            var ins = new List<string> { x, c.Ints(pads) };
            ins.Add(mode == "constant" ? c.Floats(new[] { value }) : "");
            if (opset >= 18) ins.Add(c.Ints(axesNamed));
            while (ins[^1] == "") ins.RemoveAt(ins.Count - 1);
            y = c.Node("Pad", ins.ToArray(), attrs.ToArray());
        }
        c.Out(y);
    }

    private static void Slice(Gen c, int opset)
    {
        var d = c.Dims(c.Rank);
        var axes = Enumerable.Range(0, c.Rank).Where(_ => c.R.Next(2) == 0).DefaultIfEmpty(c.R.Next(c.Rank)).ToArray();
        var starts = new List<long>(); var ends = new List<long>(); var steps = new List<long>();
        foreach (int a in axes)
        {
            long n = d[a];
            long step = opset < 10 ? 1 : c.Pick(1L, 1L, 2L, -1L, -2L);
            // Starts and ends anywhere, including past either end (clamped) and counted from the end.
            long s = c.R.Next(-(int)n - 2, (int)n + 2), e = c.R.Next(-(int)n - 2, (int)n + 2);
            if (c.R.Next(4) == 0) e = step > 0 ? long.MaxValue : long.MinValue;
            // Keep the slice non-empty: pick the ends around a position inside the axis.
            long Clamp(long v, long lo, long hi) => Math.Max(lo, Math.Min(hi, v < 0 ? v + n : v));
            long cs = step > 0 ? Clamp(s, 0, n) : Clamp(s, 0, n - 1), ce = step > 0 ? Clamp(e, 0, n) : Clamp(e, -1, n - 1);
            if (step > 0 ? cs >= ce : cs <= ce) { s = step > 0 ? 0 : n - 1; e = step > 0 ? n : -n - 1; }
            starts.Add(s); ends.Add(e); steps.Add(step);
        }
        var named = axes.Select(a => (long)(c.R.Next(2) == 0 ? a : a - c.Rank)).ToArray();
        c.Note($"axes [{string.Join(",", named)}] starts [{string.Join(",", starts)}] ends [{string.Join(",", ends)}] steps [{string.Join(",", steps)}]");
        var x = c.In(d);
        c.Out(opset < 10
            ? c.Node("Slice", x, ("starts", starts.ToArray()), ("ends", ends.ToArray()), ("axes", axes.Select(a => (long)a).ToArray()))
            : c.Node("Slice", new[] { x, c.Ints(starts.ToArray()), c.Ints(ends.ToArray()), c.Ints(named), c.Ints(steps.ToArray()) }));
    }

    private static void MatMul(Gen c, bool constant)
    {
        // [batch..., M, K] · [batch..., K, N] with broadcast batch axes; rank 1 operands on either side.
        int ra = c.Rank, rb = c.R.Next(1, 7);
        long m = c.R.Next(1, 6), k = c.R.Next(1, 7), n = c.R.Next(1, 6);
        int batchRank = Math.Max(ra, rb) - 2;
        var batch = c.Dims(Math.Max(0, batchRank), 24);
        long[] Side(int rank, long rows, long cols)
        {
            if (rank == 1) return new[] { rows == -1 ? cols : rows };
            var b = batch.Skip(batch.Length - (rank - 2)).Select(v => c.R.Next(3) == 0 ? 1L : v).ToArray();
            return b.Append(rows).Append(cols).ToArray();
        }
        var a = ra == 1 ? new[] { k } : Side(ra, m, k);
        var bd = rb == 1 ? new[] { k } : Side(rb, k, n);
        c.Note($"[{string.Join(",", a)}]·[{string.Join(",", bd)}]");
        c.Out(c.Node("MatMul", new[] { c.In(a), constant ? c.RandomFloats(1f, bd) : c.In(bd) }));
    }

    private static void Gemm(Gen c, int opset)
    {
        long m = c.R.Next(1, 7), k = c.R.Next(1, 9), n = c.R.Next(1, 7);
        int ta = c.R.Next(2), tb = c.R.Next(2);
        float alpha = c.Pick(1f, 0.5f, -2f), beta = c.Pick(1f, 0.25f, 3f);
        // C: one value, one per output column, a full matrix, or (opset 11+) none.
        int ck = c.R.Next(opset >= 11 ? 4 : 3);
        c.Note($"M {m} K {k} N {n} transA {ta} transB {tb} alpha {alpha} beta {beta} C {new[] { "[1]", "[N]", "[M,N]", "none" }[ck]}");
        var ins = new List<string> { c.In(ta == 1 ? new[] { k, m } : new[] { m, k }), c.RandomFloats(1f, tb == 1 ? new[] { n, k } : new[] { k, n }) };
        if (ck < 3) ins.Add(c.RandomFloats(1f, ck == 0 ? new[] { 1L } : ck == 1 ? new[] { n } : new[] { m, n }));
        c.Out(c.Node("Gemm", ins.ToArray(), ("alpha", alpha), ("beta", beta), ("transA", ta), ("transB", tb)));
    }

    /// <summary>[N, C, H, W] or [N, C, L] with N 1 to 3.</summary>
    private static long[] ImageDims(Gen c, int spatial, int channels = 0)
    {
        long n = c.R.Next(1, 4), ch = channels > 0 ? channels : c.R.Next(1, 5);
        return spatial == 2 ? new[] { n, ch, c.R.Next(3, 9), (long)c.R.Next(3, 9) } : new[] { n, ch, (long)c.R.Next(3, 17) };
    }

    private static long[] Ones(int n, int lo, int hi, Random r) => Enumerable.Range(0, n).Select(_ => (long)r.Next(lo, hi + 1)).ToArray();

    private static void Conv(Gen c, int spatial, bool runtimeWeights)
    {
        int groups = c.Pick(1, 1, 2, 3);
        int cg = c.R.Next(1, 3), kg = c.R.Next(1, 3);
        bool depthwise = c.R.Next(3) == 0;
        if (depthwise) { groups = c.R.Next(2, 5); cg = 1; }
        var x = ImageDims(c, spatial, groups * cg);
        var kernel = Ones(spatial, 1, 3, c.R);
        var strides = Ones(spatial, 1, 2, c.R);
        var dil = Ones(spatial, 1, 2, c.R);
        var pads = kernel.Concat(kernel).Select(k => (long)c.R.Next((int)k)).ToArray();
        for (int i = 0; i < spatial; i++)   // the padded input must hold one dilated window
            x[2 + i] = Math.Max(x[2 + i], (kernel[i] - 1) * dil[i] + 1);
        string autoPad = c.Pick("NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID");
        if (autoPad is "SAME_UPPER" or "SAME_LOWER") dil = Enumerable.Repeat(1L, spatial).ToArray();
        long k = groups * kg;
        bool bias = c.R.Next(2) == 0;
        c.Note($"group {groups} kernel {string.Join("x", kernel)} strides {string.Join(",", strides)} dilations {string.Join(",", dil)} auto_pad {autoPad} pads {string.Join(",", pads)} bias {bias}");
        var wd = new[] { k, (long)cg }.Concat(kernel).ToArray();
        var ins = new List<string> { c.In(x), runtimeWeights ? c.In(wd) : c.RandomFloats(0.5f, wd) };
        if (bias) ins.Add(runtimeWeights ? c.In(k) : c.RandomFloats(0.5f, k));
        var attrs = new List<(string, object)> { ("group", (long)groups), ("kernel_shape", kernel), ("strides", strides), ("dilations", dil), ("auto_pad", autoPad) };
        if (autoPad == "NOTSET") attrs.Add(("pads", pads));
        c.Out(c.Node("Conv", ins.ToArray(), attrs.ToArray()));
    }

    private static void ConvTranspose(Gen c, int spatial, bool runtimeWeights)
    {
        int groups = c.Pick(1, 1, 2);
        int cg = c.R.Next(1, 3), kg = c.R.Next(1, 3);
        var x = ImageDims(c, spatial, groups * cg);
        var kernel = Ones(spatial, 1, 3, c.R);
        var strides = Ones(spatial, 1, 3, c.R);
        var dil = Ones(spatial, 1, 2, c.R);
        var pads = kernel.Concat(kernel).Select(k => (long)c.R.Next((int)k)).ToArray();
        var outPad = strides.Select(s => (long)c.R.Next((int)s)).ToArray();   // below the stride (ONNX Runtime's rule)
        if (c.R.Next(3) == 0)
        {
            // The segmentation heads' upsampling: a square kernel equal to its stride, no padding, dilation or groups.
            groups = 1; x[1] = cg; dil = Enumerable.Repeat(1L, spatial).ToArray(); kernel = Enumerable.Repeat((long)c.R.Next(2, 4), spatial).ToArray();
            strides = kernel.ToArray(); pads = new long[2 * spatial]; outPad = new long[spatial];
        }
        bool bias = c.R.Next(2) == 0;
        c.Note($"group {groups} kernel {string.Join("x", kernel)} strides {string.Join(",", strides)} dilations {string.Join(",", dil)} pads {string.Join(",", pads)} output_padding {string.Join(",", outPad)} bias {bias}");
        var wd = new[] { x[1], (long)kg }.Concat(kernel).ToArray();
        var ins = new List<string> { c.In(x), runtimeWeights ? c.In(wd) : c.RandomFloats(0.5f, wd) };
        if (bias) ins.Add(runtimeWeights ? c.In(groups * kg) : c.RandomFloats(0.5f, groups * kg));
        c.Out(c.Node("ConvTranspose", ins.ToArray(), ("group", (long)groups), ("kernel_shape", kernel), ("strides", strides), ("dilations", dil), ("pads", pads), ("output_padding", outPad)));
    }

    private static void Pool(Gen c, string op, int spatial)
    {
        var x = ImageDims(c, spatial);
        var kernel = Ones(spatial, 1, 3, c.R);
        var strides = Ones(spatial, 1, 2, c.R);
        var pads = kernel.Concat(kernel).Select(k => (long)c.R.Next((int)k)).ToArray();
        int ceil = c.R.Next(2), countPad = c.R.Next(2);
        string autoPad = c.Pick("NOTSET", "NOTSET", "NOTSET", "SAME_UPPER", "VALID");
        c.Note($"kernel {string.Join("x", kernel)} strides {string.Join(",", strides)} auto_pad {autoPad} pads {string.Join(",", pads)} ceil_mode {ceil}" + (op == "AveragePool" ? $" count_include_pad {countPad}" : ""));
        var attrs = new List<(string, object)> { ("kernel_shape", kernel), ("strides", strides), ("auto_pad", autoPad), ("ceil_mode", ceil) };
        if (autoPad == "NOTSET") attrs.Add(("pads", pads));
        if (op == "AveragePool") attrs.Add(("count_include_pad", countPad));
        c.Out(c.Node(op, new[] { c.In(x) }, attrs.ToArray()));
    }

    private static void DepthSpace(Gen c, string op, string? mode)
    {
        int bs = c.R.Next(1, 4);
        long n = c.R.Next(1, 4), ch = c.R.Next(1, 4), h = c.R.Next(1, 4), w = c.R.Next(1, 5);
        var d = op == "DepthToSpace" ? new[] { n, ch * bs * bs, h, w } : new[] { n, ch, h * bs, w * bs };
        c.Note($"blocksize {bs}");
        var attrs = new List<(string, object)> { ("blocksize", (long)bs) };
        if (mode != null) attrs.Add(("mode", mode));
        c.Out(c.Node(op, new[] { c.In(d) }, attrs.ToArray()));
    }

    private static void Resize(Gen c, int opset)
    {
        var x = new[] { (long)c.R.Next(1, 4), c.R.Next(1, 4), c.R.Next(1, 7), (long)c.R.Next(1, 7) };
        string mode = c.Pick("nearest", "linear");
        string coord = mode == "nearest" ? c.Pick("asymmetric", "half_pixel") : c.Pick("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric");
        string nearest = coord == "asymmetric" ? "floor" : c.Pick("round_prefer_floor", "round_prefer_ceil");
        // Nearest with rounding is supported at integer up-scales; linear takes any scale, also below 1.
        float Scale() => mode == "nearest" ? c.R.Next(1, 4) : c.Pick(0.5f, 1f, 1.5f, 2f, 3f);
        float sh = Scale(), sw = Scale();
        if (mode == "linear" && coord == "pytorch_half_pixel") { sh = Math.Max(sh, 1); sw = Math.Max(sw, 1); x[2] = Math.Max(x[2], 2); x[3] = Math.Max(x[3], 2); }
        bool sizes = opset >= 11 && c.R.Next(2) == 0 && mode == "linear";
        var outDims = new[] { x[0], x[1], (long)Math.Floor(x[2] * sh), (long)Math.Floor(x[3] * sw) };
        if (outDims[2] < 1 || outDims[3] < 1) { sh = sw = 2; outDims = new[] { x[0], x[1], x[2] * 2, x[3] * 2 }; }
        c.Note($"mode {mode}" + (opset >= 11 ? $" {coord} {nearest}" : "") + (sizes ? $" sizes {string.Join(",", outDims)}" : $" scales {sh},{sw}"));
        var input = c.In(x);
        var scales = c.Floats(new[] { 1f, 1f, sh, sw }, 4);
        if (opset == 10)
        {
            c.Out(c.Node("Resize", new[] { input, scales }, ("mode", mode)));
            return;
        }
        var attrs = new List<(string, object)> { ("mode", mode), ("coordinate_transformation_mode", coord) };
        if (mode == "nearest") attrs.Add(("nearest_mode", nearest));
        string roi = opset < 13 ? c.Floats(Array.Empty<float>(), 0) : "";
        var ins = sizes ? new[] { input, roi, opset < 13 ? c.Floats(Array.Empty<float>(), 0) : "", c.Ints(outDims) } : new[] { input, roi, scales };
        c.Out(c.Node("Resize", ins, attrs.ToArray()));
    }

    private static void Upsample(Gen c, int opset)
    {
        var x = new[] { (long)c.R.Next(1, 4), c.R.Next(1, 4), c.R.Next(1, 7), (long)c.R.Next(1, 7) };
        string mode = c.Pick("nearest", "linear");
        float sh = c.R.Next(1, 4), sw = c.R.Next(1, 4);
        c.Note($"mode {mode} scales {sh},{sw}");
        var scales = new[] { 1f, 1f, sh, sw };
        c.Out(opset < 9
            ? c.Node("Upsample", c.In(x), ("mode", mode), ("scales", scales))
            : c.Node("Upsample", new[] { c.In(x), c.Floats(scales, 4) }, ("mode", mode)));
    }

    private static readonly Family[] All = Families().ToArray();

    public static IEnumerable<TestCaseData> Cases() =>
        All.SelectMany(f => f.Ranks.Select(rank =>
            new TestCaseData(f.Op, f.Form, rank).SetName($"Onnx generated: {f.Op}{(f.Form == "" ? "" : $" ({f.Form})")} {(f.Ranks == Configs ? "case" : "rank")} {rank}")));

    [Test]
    public void FamiliesAreDistinct() =>
        Assert.That(All.Select(f => (f.Op, f.Form)), Is.Unique);

    [TestCaseSource(nameof(Cases))]
    public void AgreesWithOnnxRuntime(string op, string form, int rank)
    {
        var family = All.Single(f => f.Op == op && f.Form == form);
        int seed = (op + "/" + form).Aggregate(17, (h, ch) => (h * 31 + ch) & 0xFFFF) * 8 + rank;   // stable across runs
        var r = new Random(seed);
        var g = new OnnxGraph(family.Opset);
        var c = new Gen(g, r, rank);
        family.Build(c);
        var inputs = g.InputDims.Select(kv => (kv.Key, c.Data.TryGetValue(kv.Key, out var v) ? v : TestData.Random(r, kv.Value.Aggregate(1L, (a, b) => a * b), 3f), kv.Value)).ToList();
        string what = $"{op} {form} opset {family.Opset} rank/case {rank} inputs {string.Join(" ", inputs.Select(i => $"[{string.Join(",", i.Item3)}]"))} {string.Join("; ", c.Notes)} (seed {seed})";
        if (c.Refusal != null)
        {
            var e = Assert.Throws(Is.InstanceOf<NotSupportedException>(), () => OnnxImporter.Import(OnnxModel.Load(g.Bytes(), what),
                inputs.ToDictionary(i => i.Key, i => i.Item3.Select(d => (int)d).ToArray())), what)!;
            Assert.That(e.Message, Does.Contain(c.Refusal).And.Contain(g.Graph.Node.First(n => n.OpType == op).Name), what);
            TestContext.Out.WriteLine($"{what}: refused: {e.Message}");
            return;
        }
        OnnxOracle.CompareEverywhere(g, inputs, what);
    }
}
