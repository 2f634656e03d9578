// vcnn run MODEL.onnx and vcnn info MODEL.onnx: import an ONNX model, show its optimised graph, run it on files.
using System.Text;
using VulkanCnn.Graph;
using VulkanCnn.Imaging;
using VulkanCnn.Onnx;

namespace VulkanCnn.Cli;

internal static class RunCommand
{
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

    internal static string FileNameFor(string output) => new(output.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    public static int Info(Options o)
    {
        string path = o.Positional[0];
        var model = OnnxModel.Load(path);
        var import = OnnxImporter.Import(model, InputShapes(o));
        var net = Optimizer.Optimize(import.Network);
        Console.WriteLine($"{path}: IR {model.IrVersion}, opset {model.Opset}, producer '{model.Producer}', {model.Proto.Graph.Node.Count} ONNX nodes -> {net.Nodes.Count} after import and optimisation");
        foreach (var (name, dims) in import.InputDims) Console.WriteLine($"input  {name} [{string.Join(",", dims)}]");
        foreach (var (name, dims) in import.OutputDims) Console.WriteLine($"output {name} [{string.Join(",", dims)}]");
        Console.Write(net.SummaryTable());
        var (_, _, _, _, peak) = MemoryPlanner.PlanNetwork(net, 256);
        ulong sum = (ulong)net.Nodes.Where(n => !n.Layer.IsAlias).Sum(n => n.OutputShape.Size * 4);
        Console.WriteLine($"{net.ParameterCount:N0} parameters, {net.MultiplyAdds / 1e9:0.###} G multiply-adds; " +
                          $"peak activation memory {peak / 1048576.0:0.00} MiB (buffers reused; {sum / 1048576.0:0.00} MiB without reuse)");
        return 0;
    }

    public static int RunModel(Options o)
    {
        if (o.Positional.Count != 1) throw new ArgumentException("vcnn run takes one MODEL.onnx.");
        string outDir = o.Get("output-dir") ?? throw new ArgumentException("vcnn run needs --output-dir DIR.");
        var model = OnnxModel.Load(o.Positional[0]);
        var given = new Dictionary<string, (float[] Data, int[] Dims)>();
        foreach (var v in o.GetAll("input"))
        {
            int eq = v.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--input expects NAME=FILE, got '{v}'.");
            string name = v[..eq];
            if (!model.InputNames.Contains(name))
                throw new ArgumentException($"--input {name}: the model has no input '{name}'; its inputs are {string.Join(", ", model.InputNames.Select(n => $"'{n}'"))}.");
            given[name] = ReadTensor(v[(eq + 1)..]);
        }
        foreach (var n in model.InputNames)
            if (!given.ContainsKey(n)) throw new ArgumentException($"input '{n}' is not given; use --input {n}=FILE (.npy or .pb).");
        var shapes = InputShapes(o);
        foreach (var (name, (data, dims)) in given)
            if (!shapes.ContainsKey(name)) shapes[name] = dims.Length > 0 && dims[0] == 1 ? dims : new[] { 1 }.Concat(dims).ToArray();
        var import = OnnxImporter.Import(model, shapes);
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
        Directory.CreateDirectory(outDir);
        for (int i = 0; i < net.OutputIds.Count; i++)
        {
            string name = net.Nodes[net.OutputIds[i]].Name;
            var y = new float[session.OutputShape(i).Size];
            session.GetOutput(y, i);
            string file = Path.Combine(outDir, FileNameFor(name) + ".npy");
            ImageIO.WriteNpyArray(file, y, import.OutputDims[name]);
            Console.WriteLine($"{name} [{string.Join(",", import.OutputDims[name])}] -> {file}");
        }
        Console.WriteLine($"{ctx.DeviceInfo.Name}: GPU {session.LastGpuMilliseconds:0.00} ms");
        return 0;
    }
}
