// Seed models for the ONNX target: a dozen small graphs that cover the importer's operator families, its constant
// folder (shape plumbing, Range, ConstantOfShape, Expand, Where) and the legacy attribute forms, plus the real models
// that set-up fetched into .cache/models when they are there.
using Google.Protobuf;
using VulkanCnn.Onnx.Proto;
using DT = VulkanCnn.Onnx.Proto.TensorProto.Types.DataType;

namespace VulkanCnn.Fuzz;

public static class OnnxSeeds
{
    /// <summary>The built seeds, encoded.</summary>
    public static IReadOnlyList<byte[]> Small() => Builders().Select(b => b().ToByteArray()).ToArray();

    /// <summary>Real models under <paramref name="cacheDir"/>/models of at most <paramref name="maxBytes"/> bytes (none if absent).</summary>
    public static IReadOnlyList<byte[]> Real(string? cacheDir, long maxBytes = 1 << 20)
    {
        if (cacheDir == null || !Directory.Exists(Path.Combine(cacheDir, "models"))) return Array.Empty<byte[]>();
        return Directory.EnumerateFiles(Path.Combine(cacheDir, "models"), "*.onnx", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).Length <= maxBytes).OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
    }

    private static Func<ModelProto>[] Builders() => new Func<ModelProto>[]
    {
        () => // a small LeNet: Conv, Relu, MaxPool, Flatten, Gemm, Softmax
        {
            var g = new G(13);
            var x = g.Input("x", 1, 1, 8, 8);
            var c = g.Node("Conv", new[] { x, g.Floats("w", 4, 1, 3, 3), g.Floats("b", 4) }, ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
            var p = g.Node("MaxPool", new[] { g.Node("Relu", c) }, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
            var f = g.Node("Flatten", new[] { p }, ("axis", 1L));
            var y = g.Node("Gemm", new[] { f, g.Floats("fw", 10, 64), g.Floats("fb", 10) }, ("transB", 1L));
            return g.Output(g.Node("Softmax", new[] { y }, ("axis", 1L)));
        },
        () => // PyTorch's flatten export: Shape, Gather, Unsqueeze, Concat, Reshape
        {
            var g = new G(11);
            var x = g.Input("x", 1, 2, 4, 4);
            var s = g.Node("Shape", x);
            var n = g.Node("Gather", new[] { s, g.Ints("zero", Array.Empty<long>(), 0) }, ("axis", 0L));
            var u = g.Node("Unsqueeze", new[] { n }, ("axes", new long[] { 0 }));
            var shape = g.Node("Concat", new[] { u, g.Ints("minus1", new long[] { 1 }, -1) }, ("axis", 0L));
            return g.Output(g.Node("Reshape", x, shape));
        },
        () => // the constant folder: Range, ConstantOfShape, Expand, Where, Cast, Equal
        {
            var g = new G(13);
            var x = g.Input("x", 1, 4);
            var r = g.Node("Range", g.Ints("start", Array.Empty<long>(), 0), g.Ints("limit", Array.Empty<long>(), 4), g.Ints("delta", Array.Empty<long>(), 1));
            var c = g.Node("ConstantOfShape", new[] { g.Ints("shape", new long[] { 2 }, 1, 4) }, ("value", G.FloatTensor("v", new long[] { 1 }, 2f)));
            var e = g.Node("Expand", new[] { g.Node("Cast", new[] { r }, ("to", 1L)), g.Ints("eshape", new long[] { 2 }, 1, 4) });
            var w = g.Node("Where", g.Node("Equal", r, g.Ints("two", Array.Empty<long>(), 2)), c, e);
            return g.Output(g.Node("Add", x, w));
        },
        () => // Slice, Split, Concat, Transpose
        {
            var g = new G(13);
            var x = g.Input("x", 1, 6, 5, 4);
            var s = g.Node("Slice", x, g.Ints("st", new long[] { 2 }, 1, 0), g.Ints("en", new long[] { 2 }, 5, -1), g.Ints("ax", new long[] { 2 }, 1, 3), g.Ints("sp", new long[] { 2 }, 2, 1));
            var parts = g.Nodes("Split", new[] { x, g.Ints("split", new long[] { 2 }, 2, 4) }, 2, ("axis", 1L));
            var t = g.Node("Transpose", new[] { parts[1] }, ("perm", new long[] { 0, 1, 3, 2 }));
            g.Output(s);
            return g.Output(g.Node("Concat", new[] { parts[0], g.Node("Transpose", new[] { t }, ("perm", new long[] { 0, 1, 3, 2 })) }, ("axis", 1L)));
        },
        () => // Resize with scales, Upsample at opset 9
        {
            var g = new G(13);
            var x = g.Input("x", 1, 2, 3, 3);
            return g.Output(g.Node("Resize", new[] { x, "", g.Floats("scales", new[] { 1f, 1f, 2f, 2f }, 4) }, ("mode", "linear"), ("coordinate_transformation_mode", "half_pixel")));
        },
        () =>
        {
            var g = new G(9);
            var x = g.Input("x", 1, 2, 3, 3);
            return g.Output(g.Node("Upsample", new[] { x, g.Floats("scales", new[] { 1f, 1f, 2f, 3f }, 4) }, ("mode", "nearest")));
        },
        () => // Pad (inputs), DepthToSpace, SpaceToDepth
        {
            var g = new G(13);
            var x = g.Input("x", 1, 4, 4, 4);
            var p = g.Node("Pad", new[] { x, g.Ints("pads", new long[] { 8 }, 0, 0, 1, 2, 0, 0, 1, 0) }, ("mode", "reflect"));
            var d = g.Node("DepthToSpace", new[] { x }, ("blocksize", 2L), ("mode", "CRD"));
            g.Output(p);
            return g.Output(g.Node("SpaceToDepth", new[] { d }, ("blocksize", 2L)));
        },
        () => // normalisations
        {
            var g = new G(17);
            var x = g.Input("x", 1, 4, 3, 3);
            var bn = g.Node("BatchNormalization", new[] { x, g.Floats("s", 4), g.Floats("b", 4), g.Floats("m", 4), g.Floats("v", new[] { 1f, 2f, 3f, 4f }, 4) }, ("epsilon", 1e-5f));
            var inn = g.Node("InstanceNormalization", new[] { bn, g.Floats("is", 4), g.Floats("ib", 4) });
            var ln = g.Node("LayerNormalization", new[] { inn, g.Floats("ls", 3), g.Floats("lb", 3) }, ("axis", -1L));
            return g.Output(g.Node("LRN", new[] { ln }, ("size", 3L), ("alpha", 1e-4f), ("beta", 0.75f)));
        },
        () => // reductions and friends
        {
            var g = new G(13);
            var x = g.Input("x", 1, 3, 4, 5);
            var r = g.Node("ReduceMean", new[] { x }, ("axes", new long[] { 2, 3 }), ("keepdims", 1L));
            var a = g.Node("ArgMax", new[] { x }, ("axis", 1L), ("keepdims", 0L));
            var tk = g.Nodes("TopK", new[] { x, g.Ints("k", new long[] { 1 }, 2) }, 2, ("axis", -1L));
            var cs = g.Node("CumSum", x, g.Ints("axis", Array.Empty<long>(), 2));
            g.Output(r); g.Output(a); g.Output(tk[0]);
            return g.Output(g.Node("LogSoftmax", new[] { cs }, ("axis", 1L)));
        },
        () => // MatMul, Tile, Gather and GatherElements with run-time and constant indices
        {
            var g = new G(13);
            var x = g.Input("x", 2, 3, 4);
            var mm = g.Node("MatMul", x, g.Floats("w", 4, 5));
            var t = g.Node("Tile", mm, g.Ints("reps", new long[] { 3 }, 1, 2, 1));
            var ga = g.Node("Gather", new[] { t, g.Ints("idx", new long[] { 2 }, 0, 2) }, ("axis", 1L));
            var ge = g.Node("GatherElements", new[] { x, g.Ints("ei", new long[] { 2, 3, 1 }, 0, 1, 2, 3, 0, 1) }, ("axis", 2L));
            g.Output(ge);
            return g.Output(g.Node("ReduceSum", new[] { ga }, ("keepdims", 0L)));
        },
        () => // activations with attributes and inputs
        {
            var g = new G(11);
            var x = g.Input("x", 1, 3, 2, 2);
            var c = g.Node("Clip", x, g.Floats("min", new[] { -1f }), g.Floats("max", new[] { 1f }));
            var p = g.Node("PRelu", c, g.Floats("slope", 3, 1, 1));
            var l = g.Node("LeakyRelu", new[] { p }, ("alpha", 0.1f));
            var h = g.Node("HardSigmoid", new[] { l }, ("alpha", 0.2f), ("beta", 0.5f));
            return g.Output(g.Node("Mul", h, g.Node("Sigmoid", x)));
        },
        () => // ConvTranspose, AveragePool with padding and ceil mode, GlobalAveragePool, a depthwise Conv
        {
            var g = new G(13);
            var x = g.Input("x", 1, 2, 5, 5);
            var ct = g.Node("ConvTranspose", new[] { x, g.Floats("w", 2, 3, 2, 2) }, ("strides", new long[] { 2, 2 }));
            var ap = g.Node("AveragePool", new[] { ct }, ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("ceil_mode", 1L), ("count_include_pad", 0L));
            var dw = g.Node("Conv", new[] { ap, g.Floats("dw", 3, 1, 3, 3) }, ("group", 3L), ("auto_pad", "SAME_UPPER"), ("dilations", new long[] { 1, 1 }));
            g.Output(g.Node("GlobalAveragePool", dw));
            return g.Output(dw);
        },
        () => // Squeeze/Unsqueeze and Reshape in their attribute forms, Dropout
        {
            var g = new G(5);
            var x = g.Input("x", 1, 3, 1, 4);
            var s = g.Node("Squeeze", new[] { x }, ("axes", new long[] { 2 }));
            var u = g.Node("Unsqueeze", new[] { s }, ("axes", new long[] { 0 }));
            var r = g.Node("Reshape", u, g.Ints("shape", new long[] { 2 }, 3, 4));
            return g.Output(g.Node("Dropout", new[] { r }, ("ratio", 0.5f)));
        },
        () => // Pad and Slice at opset 1-9 (attributes), Concat of a constant
        {
            var g = new G(7);
            var x = g.Input("x", 1, 2, 4, 4);
            var p = g.Node("Pad", new[] { x }, ("pads", new long[] { 0, 0, 1, 1, 0, 0, 1, 1 }), ("mode", "edge"));
            var s = g.Node("Slice", new[] { p }, ("starts", new long[] { 1 }), ("ends", new long[] { 5 }), ("axes", new long[] { 2 }));
            return g.Output(g.Node("Concat", new[] { s, g.Floats("k", 1, 2, 4, 6) }, ("axis", 1L)));
        },
    };

    /// <summary>A minimal model writer for the seeds (protobuf messages directly; float data raw, integers typed).</summary>
    internal sealed class G
    {
        private readonly ModelProto _m;
        private int _n;

        public G(int opset)
        {
            _m = new ModelProto { IrVersion = 8, ProducerName = "VulkanCnn.Fuzz", Graph = new GraphProto { Name = "seed" } };
            _m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        }

        public string Input(string name, params long[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            _m.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float, Shape = shape } } });
            return name;
        }

        /// <summary>An input whose negative dims are symbolic (dim_param "d{i}").</summary>
        public string SymbolicInput(string name, params long[] dims)
        {
            var shape = new TensorShapeProto();
            for (int i = 0; i < dims.Length; i++)
                shape.Dim.Add(dims[i] >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = dims[i] } : new TensorShapeProto.Types.Dimension { DimParam = $"d{i}" });
            _m.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float, Shape = shape } } });
            return name;
        }

        public static TensorProto FloatTensor(string name, long[] dims, params float[] values)
        {
            var t = new TensorProto { Name = name, DataType = (int)DT.Float };
            t.Dims.AddRange(dims);
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            t.RawData = ByteString.CopyFrom(bytes);
            return t;
        }

        /// <summary>A float initializer of the given dims with small deterministic values.</summary>
        public string Floats(string name, params long[] dims)
        {
            long n = dims.Aggregate(1L, (a, b) => a * b);
            return Floats(name, Enumerable.Range(0, (int)n).Select(i => (i % 7 - 3) / 8f).ToArray(), dims);
        }

        public string Floats(string name, float[] values, params long[] dims)
        {
            _m.Graph.Initializer.Add(FloatTensor(name, dims.Length == 0 && values.Length != 1 ? new long[] { values.Length } : dims, values));
            return name;
        }

        public string Ints(string name, long[] dims, params long[] values)
        {
            var t = new TensorProto { Name = name, DataType = (int)DT.Int64 };
            t.Dims.AddRange(dims);
            t.Int64Data.AddRange(values);
            _m.Graph.Initializer.Add(t);
            return name;
        }

        public string Node(string op, params string[] inputs) => Nodes(op, inputs, 1)[0];

        public string Node(string op, string[] inputs, params (string Name, object Value)[] attrs) => Nodes(op, inputs, 1, attrs)[0];

        public string[] Nodes(string op, string[] inputs, int outputs, params (string Name, object Value)[] attrs)
        {
            var n = new NodeProto { OpType = op, Name = $"{op.ToLowerInvariant()}_{_n++}" };
            n.Input.AddRange(inputs);
            var outs = Enumerable.Range(0, outputs).Select(k => $"{n.Name}_y{k}").ToArray();
            n.Output.AddRange(outs);
            foreach (var (name, value) in attrs)
            {
                var a = new AttributeProto { Name = name };
                switch (value)
                {
                    case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
                    case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
                    case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
                    case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
                    case TensorProto t: a.Type = AttributeProto.Types.AttributeType.Tensor; a.T = t; break;
                    default: throw new ArgumentException($"seed attribute {name}: {value.GetType()}");
                }
                n.Attribute.Add(a);
            }
            _m.Graph.Node.Add(n);
            return outs;
        }

        public ModelProto Output(string name)
        {
            _m.Graph.Output.Add(new ValueInfoProto { Name = name });
            return _m;
        }
    }
}
