// The classes of bad ONNX input the fuzzer (tests/VulkanCnn.Fuzz) and issue 9 found, one test each: every one is now a
// documented exception (InvalidDataException, NotSupportedException, ArgumentException: exactly those types) whose
// message names the file and the numbers, where it used to be an OverflowException, a NullReferenceException, an
// IndexOutOfRangeException, an internal exception type, a bare base-library message or an abort.
using Google.Protobuf;
using VulkanCnn.Onnx;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Tests.Onnx;

public class OnnxRobustnessTests
{
    private const string File = "robust.onnx";

    private static Exception ImportError(byte[] model)
    {
        try { OnnxImporter.Import(OnnxModel.Load(model, File)); }
        catch (Exception e) { return e; }
        Assert.Fail("the model was imported");
        return null!;
    }

    private static void Refused<T>(OnnxGraph g, params string[] parts) where T : Exception => Refused<T>(g.Bytes(), parts);

    private static void Refused<T>(byte[] model, params string[] parts) where T : Exception
    {
        var e = ImportError(model);
        Assert.That(e.GetType(), Is.EqualTo(typeof(T)), e.ToString());
        Assert.That(e.Message, Does.Contain($"'{File}'"), e.ToString());
        foreach (var p in parts) Assert.That(e.Message, Does.Contain(p), e.ToString());
    }

    [Test]
    public void RangeWithStepZeroIsAnErrorNotAnAbort()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4);
        var r = g.Node("Range", new[] { g.InitInts("s", new long[] { 0 }), g.InitInts("l", new long[] { 4 }), g.InitInts("d", new long[] { 0 }) });
        g.Output(g.Node("Add", new[] { x, g.Node("Cast", new[] { r }, ("to", 1)) }));
        Refused<ArgumentException>(g, "Range", "step not 0");
    }

    [Test]
    public void RangeWithAHugeCountIsRefusedBeforeItIsComputed()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4);
        var r = g.Node("Range", new[] { g.InitInts("s", new long[] { 0 }), g.InitInts("l", new long[] { long.MaxValue / 2 }), g.InitInts("d", new long[] { 1 }) });
        g.Output(g.Node("Add", new[] { x, g.Node("Cast", new[] { r }, ("to", 1)) }));
        Refused<NotSupportedException>(g, "Range", "16,777,216");
    }

    [Test]
    public void ConstantOfShapeOfAHugeShapeNamesTheShape()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4);
        var c = g.Node("ConstantOfShape", new[] { g.InitInts("shape", new long[] { 100000, 100000 }, 2) });
        g.Output(g.Node("Add", new[] { x, c }));
        Refused<NotSupportedException>(g, "ConstantOfShape", "[100000,100000]");
        var neg = new OnnxGraph();
        var x2 = neg.Input("x", 1, 4);
        neg.Output(neg.Node("Add", new[] { x2, neg.Node("ConstantOfShape", new[] { neg.InitInts("shape", new long[] { -1, 4 }, 2) }) }));
        Refused<ArgumentException>(neg, "ConstantOfShape", "-1");
    }

    [Test]
    public void AFoldCreatesAtMost2To24ElementsBeyondItsInputs()
    {
        // A chain of folds of 2^27 generated elements took over 5 s (a hang to the fuzzer); 2^24 stays well inside.
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4);
        var c = g.Node("ConstantOfShape", new[] { g.InitInts("shape", new long[] { 8192, 4096 }, 2) });
        g.Output(g.Node("Add", new[] { x, c }));
        Refused<NotSupportedException>(g, "ConstantOfShape", "[8192,4096]", "16,777,216");
        var e = new OnnxGraph();
        var ex = e.Input("x", 1, 4);
        var big = e.Node("Expand", new[] { e.Init("one", new float[] { 1 }, 1), e.InitInts("s", new long[] { 8192, 4096 }, 2) });
        e.Output(e.Node("Add", new[] { ex, big }));
        Refused<NotSupportedException>(e, "Expand", "16,777,216");
    }

    [Test]
    public void InitializerDimsThatOverflowAreCaughtBeforeTheElementCheck()
    {
        foreach (var dims in new[] { new long[] { int.MaxValue, int.MaxValue, 4 }, new long[] { 65536, 65536, 65536, 65536, 0 } })
        {
            var g = new OnnxGraph();
            var x = g.Input("x", 1, 4);
            var t = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float };
            t.Dims.AddRange(dims);
            g.Graph.Initializer.Add(t);
            g.Output(g.Node("Add", new[] { x, "w" }));
            Refused<InvalidDataException>(g, "tensor 'w'", $"[{string.Join(",", dims)}]", "1,073,741,824");
        }
    }

    [Test]
    public void AnInitializerIsNotAllocatedBeforeItsDataIsThere()
    {
        // 2^28 elements claimed by a file of a few hundred bytes: refused for the data it lacks, without 2 GiB allocated.
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4);
        var t = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(new byte[16]) };
        t.Dims.AddRange(new long[] { 1 << 14, 1 << 14 });
        g.Graph.Initializer.Add(t);
        g.Output(g.Node("Add", new[] { x, "w" }));
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Refused<InvalidDataException>(g, "tensor 'w'", "1,073,741,824 bytes", "found 16");
        Assert.That(GC.GetTotalAllocatedBytes(precise: true) - before, Is.LessThan(64L << 20));
    }

    [TestCase(0L, "is 0")]
    [TestCase(-3L, "is -3")]
    [TestCase(1L << 40, "is 1099511627776")]
    public void AZeroNegativeOrHugeInputDimIsNamedAsSuchNotSymbolic(long dim, string text)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, dim, 4);
        g.Output(g.Node("Relu", new[] { x }));
        Refused<ArgumentException>(g, "input 'x' dimension 1", text);
        Assert.That(ImportError(g.Bytes()).Message, Does.Not.Contain("symbolic"));
    }

    [Test]
    public void AnInputOverTheElementLimitIsRefusedSoNoCountGoesNegative()
    {
        // vcnn info used to print negative multiply-adds for a 2^31-1 x 2^31-1 input.
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 1, int.MaxValue, int.MaxValue);
        g.Output(g.Node("Conv", new[] { x, g.Init("w", new float[9], 1, 1, 3, 3) }));
        Refused<NotSupportedException>(g, "input 'x'", "2,147,483,647 elements");
    }

    [Test]
    public void DuplicateGraphOutputNamesAreRefused()
    {
        var g = new OnnxGraph();
        var y = g.Node("Relu", new[] { g.Input("x", 1, 4) });
        g.Output(y);
        g.Output(y);
        Refused<InvalidDataException>(g, $"graph output '{y}' is listed 2 times");
    }

    [Test]
    public void TwoNodesWritingOneTensorAreRefused()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4);
        var a = g.Node("Relu", new[] { x });
        var b = g.Node("Sigmoid", new[] { x });
        g.Graph.Node[1].Output[0] = a;   // the Sigmoid now also writes the Relu's output
        g.Output(a);
        Refused<InvalidDataException>(g, $"writes '{a}'", "an earlier node already produces");
        var h = new OnnxGraph();
        var hx = h.Input("x", 1, 4);
        h.Node("Relu", new[] { hx });
        h.Graph.Node[0].Output[0] = hx;   // a node over the graph input
        h.Output(hx);
        Refused<InvalidDataException>(h, "writes 'x'", "a graph input");
        Assert.That(b, Is.Not.Empty);
    }

    [TestCase("Add", 1)]
    [TestCase("Conv", 1)]
    [TestCase("Where", 2)]
    [TestCase("Relu", 0)]
    public void AMissingInputIsRefusedBeforeTheOperatorConverts(string op, int inputs)
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 1, 4, 4);
        g.Output(g.Node(op, Enumerable.Repeat(x, inputs).ToArray()));
        Refused<InvalidDataException>(g, $"({op}) has inputs", $"{op} takes");
    }

    [Test]
    public void AnInputThatIsNoTensorIsAPublicNotSupportedException()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4);
        g.Graph.Input[0].Type = null;
        g.Output(g.Node("Relu", new[] { x }));
        Refused<NotSupportedException>(g, "input 'x'", "not a tensor");
    }

    [Test]
    public void AttributesPast32BitsAreErrorsNotWrapped()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4, 2, 2);
        // Flatten's axis 2^32 + 1 used to wrap to 1 and be taken as axis 1.
        g.Output(g.Node("Flatten", new[] { x }, ("axis", (1L << 32) + 1)));
        Refused<ArgumentException>(g, "axis", "4,294,967,297");
        var d = new OnnxGraph();
        var dx = d.Input("x", 1, 4, 2, 2);
        d.Output(d.Node("DepthToSpace", new[] { dx }, ("blocksize", 65536)));   // 65536² wrapped to 0: a division by zero
        Refused<ArgumentException>(d, "DepthToSpace", "65536");
    }

    [Test]
    public void SliceWithMismatchedStartsAndEndsIsAnError()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4, 4);
        g.Output(g.Node("Slice", new[] { x, g.InitInts("st", new long[] { 0, 1 }, 2), g.InitInts("en", new long[] { 2 }, 1) }));
        Refused<ArgumentException>(g, "starts [0,1]", "ends [2]");
    }

    [Test]
    public void PadsPast32BitsAreNamed()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 1, 4, 4);
        g.Output(g.Node("Pad", new[] { x, g.InitInts("p", new long[] { 0, 0, 0, long.MinValue, 0, 0, 0, 1 }, 8) }));
        Refused<ArgumentException>(g, "pads", "axis 3");
    }

    [Test]
    public void AConstantWithExternalDataFromBytesDoesNotReadTheWorkingDirectory()
    {
        var g = new OnnxGraph();
        var x = g.Input("x", 1, 4);
        var t = new TensorProto { Name = "c", DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.Add(4);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        g.Output(g.Node("Add", new[] { x, g.Node("Constant", Array.Empty<string>(), ("value", t)) }));
        Refused<InvalidDataException>(g, "'weights.bin'", "read from bytes without a folder");
    }
}
