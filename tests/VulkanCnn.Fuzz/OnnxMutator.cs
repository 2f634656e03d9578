// Structure-aware mutations of ONNX models: the protobuf is decoded, one to four changes are made to what the importer
// reads (node operators, inputs, outputs, names and order; attributes; initializer dims, types, sizes and values;
// graph inputs, outputs, opset and IR version) and the model is encoded again.
using Google.Protobuf;
using VulkanCnn.Onnx;
using VulkanCnn.Onnx.Proto;
using static VulkanCnn.Onnx.Proto.AttributeProto.Types;

namespace VulkanCnn.Fuzz;

internal static class OnnxMutator
{
    // Attribute names the importer reads, with a few values each that are valid somewhere.
    private static readonly string[] AttrNames =
    {
        "axis", "axes", "perm", "pads", "strides", "kernel_shape", "dilations", "group", "auto_pad", "mode", "ceil_mode",
        "count_include_pad", "transA", "transB", "alpha", "beta", "gamma", "epsilon", "keepdims", "select_last_index", "split",
        "starts", "ends", "shape", "to", "value", "value_float", "value_floats", "value_int", "value_ints", "coordinate_transformation_mode",
        "nearest_mode", "exclusive", "reverse", "largest", "sorted", "k", "blocksize", "allowzero", "num_outputs", "output_padding",
        "output_shape", "min", "max", "approximate", "noop_with_empty_axes", "size", "bias", "start", "end", "scales", "sizes",
        "extrapolation_value", "cubic_coeff_a", "exclude_outside", "consumed_inputs", "spatial", "is_test", "momentum", "broadcast",
        "stash_type", "num_groups", "storage_order", "p", "lambd", "direction",
    };

    private static readonly string[] Strings =
    {
        "", "constant", "reflect", "edge", "wrap", "nearest", "linear", "cubic", "bilinear", "SAME_UPPER", "SAME_LOWER", "VALID",
        "NOTSET", "half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel", "tf_crop_and_resize", "round_prefer_floor",
        "floor", "ceil", "DCR", "CRD", "tanh", "none", "LEFT", "\0", "ü",
    };

    private static readonly float[] Floats = { 0f, -0f, 1f, -1f, 0.5f, 1e-5f, 6f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.Epsilon, 1e30f };

    private static readonly string[] Ops = OnnxImporter.SupportedOperators.Concat(new[] { "Loop", "If", "Scan", "NonZero", "Unknown", "" }).ToArray();

    /// <summary>A structure-aware mutation of <paramref name="model"/> (which is left unchanged), encoded.</summary>
    public static byte[] Mutate(ModelProto model, Random rng)
    {
        var m = model.Clone();
        m.Graph ??= new GraphProto();
        int steps = 1 + rng.Next(4);
        for (int s = 0; s < steps; s++) Step(m, rng);
        return m.ToByteArray();
    }

    private static long Int(Random rng) => rng.Next(3) switch
    {
        0 => ByteMutator.Interesting[rng.Next(ByteMutator.Interesting.Length)],
        1 => rng.Next(-4, 9),
        _ => rng.Next(-70000, 70000),
    };

    private static T Pick<T>(IList<T> list, Random rng) => list[rng.Next(list.Count)];

    private static List<string> Names(GraphProto g) =>
        g.Input.Select(i => i.Name).Concat(g.Initializer.Select(t => t.Name)).Concat(g.Node.SelectMany(n => n.Output)).Concat(new[] { "", "nowhere" }).ToList();

    private static void Step(ModelProto m, Random rng)
    {
        var g = m.Graph;
        switch (rng.Next(16))
        {
            case 0 or 1 or 2 when g.Node.Count > 0: MutateAttribute(Pick(g.Node, rng), rng); break;
            case 3 when g.Node.Count > 0:
            {
                var n = Pick(g.Node, rng);
                var names = Names(g);
                if (n.Input.Count > 0 && rng.Next(3) > 0) n.Input[rng.Next(n.Input.Count)] = Pick(names, rng);
                else if (n.Input.Count > 0 && rng.Next(2) == 0) n.Input.RemoveAt(rng.Next(n.Input.Count));
                else n.Input.Add(Pick(names, rng));
                break;
            }
            case 4 when g.Node.Count > 0:
            {
                var n = Pick(g.Node, rng);
                var names = Names(g);
                if (n.Output.Count > 0 && rng.Next(3) > 0) n.Output[rng.Next(n.Output.Count)] = Pick(names, rng);   // two writers of one name
                else if (n.Output.Count > 0 && rng.Next(2) == 0) n.Output.RemoveAt(rng.Next(n.Output.Count));
                else n.Output.Add(n.Name + "_extra");
                break;
            }
            case 5 when g.Node.Count > 0: Pick(g.Node, rng).OpType = Pick(Ops, rng); break;
            case 6 when g.Node.Count > 0:
            {
                int i = rng.Next(g.Node.Count), j = rng.Next(g.Node.Count);
                switch (rng.Next(3))
                {
                    case 0: (g.Node[i], g.Node[j]) = (g.Node[j], g.Node[i]); break;
                    case 1: g.Node.Insert(j, g.Node[i].Clone()); break;
                    default: g.Node.RemoveAt(i); break;
                }
                break;
            }
            case 7 or 8 when g.Initializer.Count > 0: MutateTensor(Pick(g.Initializer, rng), rng); break;
            case 9 when g.Node.Any(n => n.OpType == "Constant"):
            {
                var c = Pick(g.Node.Where(n => n.OpType == "Constant").ToList(), rng);
                if (c.Attribute.FirstOrDefault(a => a.T != null) is { } a) MutateTensor(a.T, rng); else MutateAttribute(c, rng);
                break;
            }
            case 10 when g.Input.Count > 0: MutateValueInfo(Pick(g.Input, rng), rng); break;
            case 11:
            {
                var names = Names(g);
                if (g.Output.Count > 0 && rng.Next(3) == 0) g.Output.Add(Pick(g.Output, rng).Clone());   // duplicate output name
                else if (g.Output.Count > 0 && rng.Next(2) == 0) g.Output[rng.Next(g.Output.Count)].Name = Pick(names, rng);
                else if (g.Output.Count > 0) g.Output.RemoveAt(rng.Next(g.Output.Count));
                else g.Output.Add(new ValueInfoProto { Name = Pick(names, rng) });
                break;
            }
            case 12:
                if (m.OpsetImport.Count > 0 && rng.Next(4) > 0) m.OpsetImport[0].Version = rng.Next(3) == 0 ? Int(rng) : rng.Next(1, 22);
                else m.IrVersion = Int(rng);
                break;
            case 13 when g.Node.Count > 0:
            {
                var n = Pick(g.Node, rng);
                n.Name = rng.Next(2) == 0 ? "" : Pick(Names(g), rng);
                break;
            }
            case 14 when g.Initializer.Count > 0:
            {
                var t = Pick(g.Initializer, rng);
                if (rng.Next(2) == 0) t.Name = Pick(Names(g), rng);   // an initializer named like another value
                else g.Initializer.Add(t.Clone());
                break;
            }
            default:
                if (g.Node.Count > 0) MutateAttribute(Pick(g.Node, rng), rng);
                break;
        }
    }

    private static void MutateAttribute(NodeProto n, Random rng)
    {
        if (n.Attribute.Count == 0 || rng.Next(4) == 0)
        {
            n.Attribute.Add(RandomAttribute(Pick(AttrNames, rng), rng));
            return;
        }
        var a = Pick(n.Attribute, rng);
        switch (rng.Next(8))
        {
            case 0: n.Attribute.Remove(a); break;
            case 1: n.Attribute[n.Attribute.IndexOf(a)] = RandomAttribute(a.Name, rng); break;
            case 2: a.I = Int(rng); break;
            case 3: a.F = Pick(Floats, rng); break;
            case 4: a.S = ByteString.CopyFromUtf8(Pick(Strings, rng)); break;
            case 5 when a.T != null: MutateTensor(a.T, rng); break;
            default:
                if (a.Ints.Count > 0 && rng.Next(3) > 0) a.Ints[rng.Next(a.Ints.Count)] = Int(rng);
                else if (a.Ints.Count > 0 && rng.Next(2) == 0) a.Ints.RemoveAt(rng.Next(a.Ints.Count));
                else if (a.Floats.Count > 0) a.Floats[rng.Next(a.Floats.Count)] = Pick(Floats, rng);
                else a.Ints.Add(Int(rng));
                break;
        }
    }

    private static AttributeProto RandomAttribute(string name, Random rng)
    {
        var a = new AttributeProto { Name = name };
        switch (rng.Next(6))
        {
            case 0: a.Type = AttributeType.Int; a.I = Int(rng); break;
            case 1: a.Type = AttributeType.Float; a.F = Pick(Floats, rng); break;
            case 2: a.Type = AttributeType.String; a.S = ByteString.CopyFromUtf8(Pick(Strings, rng)); break;
            case 3: a.Type = AttributeType.Floats; for (int i = rng.Next(5); i > 0; i--) a.Floats.Add(Pick(Floats, rng)); break;
            case 4: a.Type = AttributeType.Tensor; a.T = RandomTensor(rng); break;
            default: a.Type = AttributeType.Ints; for (int i = rng.Next(9); i > 0; i--) a.Ints.Add(Int(rng)); break;
        }
        return a;
    }

    private static TensorProto RandomTensor(Random rng)
    {
        var t = new TensorProto { DataType = rng.Next(2) == 0 ? (int)TensorProto.Types.DataType.Int64 : (int)TensorProto.Types.DataType.Float };
        int n = rng.Next(5);
        if (rng.Next(2) == 0) t.Dims.Add(n);
        for (int i = 0; i < n; i++)
            if (t.DataType == (int)TensorProto.Types.DataType.Int64) t.Int64Data.Add(Int(rng)); else t.FloatData.Add(Pick(Floats, rng));
        return t;
    }

    private static void MutateTensor(TensorProto t, Random rng)
    {
        switch (rng.Next(9))
        {
            case 0 or 1:
                if (t.Dims.Count > 0 && rng.Next(3) > 0) t.Dims[rng.Next(t.Dims.Count)] = Int(rng);
                else if (t.Dims.Count > 0 && rng.Next(2) == 0) t.Dims.RemoveAt(rng.Next(t.Dims.Count));
                else t.Dims.Insert(rng.Next(t.Dims.Count + 1), Int(rng));
                break;
            case 2: t.DataType = rng.Next(3) == 0 ? (int)Int(rng) : rng.Next(0, 17); break;
            case 3 when !t.RawData.IsEmpty:   // data cut or extended
            {
                var raw = t.RawData.ToByteArray();
                int len = rng.Next(2) == 0 ? rng.Next(raw.Length + 1) : raw.Length + 1 + rng.Next(16);
                Array.Resize(ref raw, len);
                t.RawData = ByteString.CopyFrom(raw);
                break;
            }
            case 4 or 5 when !t.RawData.IsEmpty && t.RawData.Length <= 1 << 16:   // one value replaced (shape constants)
            {
                var raw = t.RawData.ToByteArray();
                int width = t.DataType is 7 or 11 or 13 ? 8 : t.DataType is 1 or 6 or 12 ? 4 : 1;
                if (raw.Length >= width)
                {
                    int at = rng.Next(raw.Length / width) * width;
                    var v = BitConverter.GetBytes(width == 4 && t.DataType == 1 ? BitConverter.SingleToInt32Bits(Pick(Floats, rng)) : Int(rng));
                    Array.Copy(v, 0, raw, at, width);
                    t.RawData = ByteString.CopyFrom(raw);
                }
                break;
            }
            case 6:
                if (t.Int64Data.Count > 0) t.Int64Data[rng.Next(t.Int64Data.Count)] = Int(rng);
                else if (t.Int32Data.Count > 0) t.Int32Data[rng.Next(t.Int32Data.Count)] = (int)Int(rng);
                else if (t.FloatData.Count > 0) t.FloatData[rng.Next(t.FloatData.Count)] = Pick(Floats, rng);
                else t.Int64Data.Add(Int(rng));
                break;
            case 7: t.DataLocation = TensorProto.Types.DataLocation.External; t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" }); break;
            default:
                if (t.Int64Data.Count > 0) t.Int64Data.RemoveAt(rng.Next(t.Int64Data.Count)); else t.FloatData.Add(Pick(Floats, rng));
                break;
        }
    }

    private static void MutateValueInfo(ValueInfoProto vi, Random rng)
    {
        var tt = vi.Type?.TensorType;
        if (tt == null || rng.Next(8) == 0) { vi.Type = rng.Next(2) == 0 ? null : new TypeProto(); return; }
        if (rng.Next(6) == 0) { tt.ElemType = rng.Next(0, 17); return; }
        if (tt.Shape == null || rng.Next(8) == 0) { tt.Shape = rng.Next(2) == 0 ? null : new TensorShapeProto(); return; }
        var dims = tt.Shape.Dim;
        if (dims.Count > 0 && rng.Next(4) > 0)
        {
            var d = Pick(dims, rng);
            if (rng.Next(4) == 0) d.DimParam = "N"; else d.DimValue = Int(rng);
        }
        else if (dims.Count > 0 && rng.Next(2) == 0) dims.RemoveAt(rng.Next(dims.Count));
        else dims.Add(new TensorShapeProto.Types.Dimension { DimValue = Int(rng) });
    }
}
