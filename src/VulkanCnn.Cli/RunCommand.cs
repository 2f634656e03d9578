// vcnn run MODEL.onnx and vcnn info MODEL.onnx: import an ONNX model, show its optimised graph, run it on files
// (.npy, .pb, or images with resize and normalisation options).
using System.Text;
using VulkanCnn.Graph;
using VulkanCnn.Imaging;
using VulkanCnn.Onnx;

namespace VulkanCnn.Cli;

internal static class RunCommand
{
    /// <summary>For the fuzz target of `vcnn run`: stop after the arguments, files and import are checked, before the
    /// device is opened (no GPU work in the fuzz loop).</summary>
    internal static bool DryRun { get; set; }

    /// <summary>--input-shape NAME=1,3,H,W options as a dictionary.</summary>
    internal static Dictionary<string, int[]> InputShapes(Options o)
    {
        var r = new Dictionary<string, int[]>();
        foreach (var v in o.GetAll("input-shape"))
        {
            int eq = v.LastIndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--input-shape expects NAME=D0,D1,..., got '{v}'.");
            var dims = v[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries)
                .Select(d => int.TryParse(d, out int x) && x > 0 ? x : throw new ArgumentException($"--input-shape {v}: '{d}' is not a positive integer.")).ToArray();
            r[v[..eq]] = dims;
        }
        return r;
    }

    /// <summary>Reads an input tensor from .npy (float32) or an ONNX TensorProto .pb file: values and dimensions.</summary>
    internal static (float[] Data, int[] Dims) ReadTensor(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"input file '{path}' does not exist.", path);
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var (data, shape) = ImageIO.ReadNpy(path);
            return (data, shape);
        }
        if (path.EndsWith(".pb", StringComparison.OrdinalIgnoreCase))
        {
            var t = OnnxTensor.Load(path);
            if (!t.IsFloat) throw new InvalidDataException($"'{path}': tensor '{t.Name}' is not floating-point.");
            return (t.ToFloats(), t.Dims.ToArray());
        }
        throw new ArgumentException($"'{path}': inputs are read from .npy (float32) or ONNX TensorProto .pb files.");
    }

    internal static bool IsImage(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".bmp" or ".gif" or ".tga" or ".webp" or ".tif" or ".tiff";

    /// <summary>The model's declared input dimensions (null where symbolic or absent).</summary>
    private static long?[] DeclaredDims(OnnxModel model, string name)
    {
        var vi = model.Proto.Graph.Input.First(i => i.Name == name);
        var dims = vi.Type?.TensorType?.Shape?.Dim;
        if (dims == null) return Array.Empty<long?>();
        return dims.Select(d => d.ValueCase == Onnx.Proto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0 ? d.DimValue : (long?)null).ToArray();
    }

    private static float[] Floats(Options o, string option, int channels, float fallback)
    {
        var v = o.Get(option);
        if (v == null) return Enumerable.Repeat(fallback, channels).ToArray();
        var parts = v.Split(',', StringSplitOptions.TrimEntries).Select(s => float.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float f)
            ? f : throw new ArgumentException($"--{option} expects numbers separated by commas, got '{v}'.")).ToArray();
        // A zero --std or a non-finite value would turn every input into ±Inf or NaN without a word.
        foreach (var f in parts)
            if (!float.IsFinite(f) || (option == "std" && f == 0))
                throw new ArgumentException($"--{option} {v}: {(option == "std" ? "every value must be finite and not 0" : "every value must be finite")}.");
        if (parts.Length == 1) return Enumerable.Repeat(parts[0], channels).ToArray();
        if (parts.Length != channels) throw new ArgumentException($"--{option} {v}: the input has {channels} channels; give one value or {channels}.");
        return parts;
    }

    /// <summary>
    /// An image as a model input: resized (--resize WxH, else the model's fixed height and width, else the image's size),
    /// each channel mapped as (pixel·scale − mean) / std (--scale, default 1/255; --mean, --std: one value or one per
    /// channel), laid out as the model's input shape says: [1,C,H,W] or [1,H,W,C] with C = 1 (grey), 3 (RGB) or 4 (RGB
    /// and an opaque alpha, pixel value 255). --layout nchw|nhwc settles ambiguous shapes.
    /// </summary>
    internal static (float[] Data, int[] Dims) ReadImage(Options o, OnnxModel model, string name, string path) =>
        ReadImage(o, DeclaredDims(model, name), name, path);

    /// <summary>The same for an input whose declared dimensions are <paramref name="declared"/> (null: symbolic).</summary>
    internal static (float[] Data, int[] Dims) ReadImage(Options o, long?[] declared, string name, string path)
    {
        if (declared.Length != 4) throw new ArgumentException($"--input {name}={path}: an image needs a rank-4 input (NCHW or NHWC); '{name}' has rank {declared.Length}.");
        static bool IsChannels(long? d) => d is 1 or 3 or 4;
        string layout = o.Get("layout")?.ToLowerInvariant() ?? (IsChannels(declared[1]) && !IsChannels(declared[3]) ? "nchw"
            : IsChannels(declared[3]) && !IsChannels(declared[1]) ? "nhwc"
            : throw new ArgumentException($"--input {name}={path}: cannot tell from [{string.Join(",", declared.Select(d => d?.ToString() ?? "?"))}] whether '{name}' is NCHW or NHWC; give --layout nchw or --layout nhwc."));
        if (layout is not ("nchw" or "nhwc")) throw new ArgumentException($"--layout must be nchw or nhwc, got '{layout}'.");
        bool nchw = layout == "nchw";
        int channels = (int)((nchw ? declared[1] : declared[3]) ?? 3);
        if (channels is not (1 or 3 or 4)) throw new ArgumentException($"--input {name}={path}: the input has {channels} channels; images give 1, 3 or 4.");
        long? mh = nchw ? declared[2] : declared[1], mw = nchw ? declared[3] : declared[2];
        int? width = mw is long a ? (int)a : null, height = mh is long b ? (int)b : null;
        if (o.Get("resize") is { } rs)
        {
            var p = rs.ToLowerInvariant().Split('x');
            if (p.Length != 2 || !int.TryParse(p[0], out int rw) || !int.TryParse(p[1], out int rh) || rw <= 0 || rh <= 0)
                throw new ArgumentException($"--resize expects WxH (e.g. 640x480), got '{rs}'.");
            (width, height) = (rw, rh);
        }
        var (pixels, shape) = ImageIO.Load(path, channels == 1, width, height);
        if (mh is long fh && shape.H != fh || mw is long fw && shape.W != fw)
            throw new ArgumentException($"--input {name}={path}: the image is {shape.W}x{shape.H} but the model's input is fixed at {mw}x{mh}; leave out --resize or match it.");
        float scale = o.Float("scale") ?? 1f / 255f;
        if (!float.IsFinite(scale)) throw new ArgumentException($"--scale must be a finite number, got {scale}.");
        var mean = Floats(o, "mean", channels, 0f);
        var std = Floats(o, "std", channels, 1f);
        int hw = shape.H * shape.W;
        var data = new float[channels * hw];
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < hw; i++)
            {
                float px = c < shape.C ? pixels[c * hw + i] : 255f;
                float v = (px * scale - mean[c]) / std[c];
                data[nchw ? c * hw + i : i * channels + c] = v;
            }
        var dims = nchw ? new[] { 1, channels, shape.H, shape.W } : new[] { 1, shape.H, shape.W, channels };
        Console.WriteLine($"{name}: {path} as [{string.Join(",", dims)}] ({layout.ToUpperInvariant()}, (pixel·{scale:G4} − mean) / std)");
        return (data, dims);
    }

    internal static string FileNameFor(string output) => new(output.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    public static int Info(Options o)
    {
        string path = o.Positional[0];
        var model = OnnxModel.Load(path);
        var import = OnnxImporter.Import(model, InputShapes(o));
        var net = Optimizer.Optimize(import.Network);
        Console.WriteLine($"{path}: IR {model.IrVersion}, opset {model.Opset}, producer '{model.Producer}', {model.Proto.Graph.Node.Count} ONNX nodes -> {net.Nodes.Count} after import and optimisation");
        PrintNetwork(import, net);
        return 0;
    }

    /// <summary>What <c>vcnn info</c> prints of an imported network (ONNX or TFLite): its inputs and outputs, the layer
    /// table, parameters, multiply-adds and peak activation memory.</summary>
    internal static void PrintNetwork(OnnxImport import, Network net)
    {
        foreach (var (name, dims) in import.InputDims) Console.WriteLine($"input  {name} [{string.Join(",", dims)}]");
        foreach (var (name, dims) in import.OutputDims) Console.WriteLine($"output {name} [{string.Join(",", dims)}]");
        Console.Write(net.SummaryTable());
        var (_, _, _, _, peak) = MemoryPlanner.PlanNetwork(net, 256);
        ulong sum = (ulong)net.Nodes.Where(n => !n.Layer.IsAlias).Sum(n => n.OutputShape.ElementCount * 4);
        Console.WriteLine($"{net.ParameterCount:N0} parameters, {net.MultiplyAdds / 1e9:0.###} G multiply-adds; " +
                          $"peak activation memory {peak / 1048576.0:0.00} MiB (buffers reused; {sum / 1048576.0:0.00} MiB without reuse)");
    }

    public static int RunModel(Options o)
    {
        if (o.Positional.Count != 1) throw new ArgumentException("vcnn run takes one MODEL.onnx.");
        string outDir = o.Get("output-dir") ?? throw new ArgumentException("vcnn run needs --output-dir DIR.");
        Cli.CheckWritableDirectory(outDir, "--output-dir");
        var model = OnnxModel.Load(o.Positional[0]);
        var given = new Dictionary<string, (float[] Data, int[] Dims)>();
        foreach (var v in o.GetAll("input"))
        {
            int eq = v.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--input expects NAME=FILE, got '{v}'.");
            string name = v[..eq];
            if (!model.InputNames.Contains(name))
                throw new ArgumentException($"--input {name}: the model has no input '{name}'; its inputs are {string.Join(", ", model.InputNames.Select(n => $"'{n}'"))}.");
            string file = v[(eq + 1)..];
            given[name] = IsImage(file) ? ReadImage(o, model, name, file) : ReadTensor(file);
        }
        foreach (var n in model.InputNames)
            if (!given.ContainsKey(n)) throw new ArgumentException($"input '{n}' is not given; use --input {n}=FILE (.npy, .pb or an image).");
        var shapes = InputShapes(o);
        foreach (var (name, (data, dims)) in given)
            if (!shapes.ContainsKey(name)) shapes[name] = dims.Length > 0 && dims[0] == 1 ? dims : new[] { 1 }.Concat(dims).ToArray();
        var import = OnnxImporter.Import(model, shapes);
        // Every input's values against its imported shape, before the device is opened and the network compiled.
        foreach (var (name, (data, _)) in given)
        {
            long expected = import.InputDims[name].Aggregate(1L, (a, d) => a * d);
            if (data.LongLength != expected)
                throw new ArgumentException($"--input {name}: the file gives {data.LongLength:N0} values, the input [{string.Join(",", import.InputDims[name])}] takes {expected:N0}.");
        }
        if (DryRun) return 0;
        using var ctx = Cli.OpenContext(o);
        using var session = new Session(ctx, import.Network);
        var net = session.Network;
        for (int i = 0; i < net.InputIds.Count; i++)
        {
            string name = net.Nodes[net.InputIds[i]].Name;
            var (data, _) = given[name];
            session.SetInput(data, i);
        }
        session.Run();
        WriteOutputs(session, import, outDir, ctx.DeviceInfo.Name);
        return 0;
    }

    /// <summary>Writes each output of a session that has run as OUTDIR/NAME.npy in the model's shape, then the GPU time.</summary>
    internal static void WriteOutputs(Session session, OnnxImport import, string outDir, string deviceName)
    {
        var net = session.Network;
        Directory.CreateDirectory(outDir);
        for (int i = 0; i < net.OutputIds.Count; i++)
        {
            string name = net.Nodes[net.OutputIds[i]].Name;
            var y = new float[session.OutputShape(i).ElementCount];
            session.GetOutput(y, i);
            string file = Path.Combine(outDir, FileNameFor(name) + ".npy");
            ImageIO.WriteNpyArray(file, y, import.OutputDims[name]);
            Console.WriteLine($"{name} [{string.Join(",", import.OutputDims[name])}] -> {file}");
        }
        Console.WriteLine($"{deviceName}: GPU {session.LastGpuMilliseconds:0.00} ms");
    }
}
