// The target for `vcnn run`'s argument handling: mutated argument vectors through the CLI's in-process entry (Cli.Run)
// against a fixture folder of small models, tensors and images. RunCommand.DryRun stops an accepted command before the
// device is opened, so no GPU work happens in the loop. An input is the arguments after "run", NUL-separated, with "@/"
// standing for the fixture folder (so saved inputs replay on any machine).
using System.Text;
using Google.Protobuf;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Cli;
using VulkanCnn.Imaging;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Fuzz;

public sealed class CliTarget : IFuzzTarget, IDisposable
{
    private readonly string _root;

    private static readonly string[] Tokens =
    {
        "--input", "--input-shape", "--output-dir", "--resize", "--scale", "--mean", "--std", "--layout", "--device", "--verbose",
        "--", "-", "", "=", "x", "x=", "=x", "y=@/x.npy", "x=@/x.npy", "x=@/x3.npy", "x=@/img.png", "x=@/img.jpg", "x=@/bad.npy",
        "x=@/empty.npy", "x=@/missing.npy", "x=@/dir", "x=@/m1.onnx", "x=@/x3.pb", "x=@/img.bmp", "@/m1.onnx", "@/m3.onnx", "@/sym.onnx",
        "@/nhwc.onnx", "@/x.npy", "@/img.png", "@/missing.onnx", "@/dir", "@/out", "@/out/sub", "@/x.npy/out", "x=1,1,8,8", "x=1,3,8,8",
        "x=0,3,8,8", "x=-1,3,8,8", "x=2147483647,2147483647,1,1", "x=1,3,8", "x=1,,8,8", "x=1,3,8,8,1,1,1,1,1", "x=a,b", "8x8", "0x0",
        "65536x65536", "16x12", "1x1", "-8x8", "8x", "x8", "8X8", "0", "-1", "1e39", "NaN", "Infinity", "-0", "0.5", "1,2,3", "1,2",
        "2147483648", "0x10", "nchw", "nhwc", "NCHW", "nwhc", "ü", "x=@/img.png=@/x.npy",
    };

    public CliTarget(IEnumerable<byte[]>? extraSeeds = null)
    {
        _root = Path.Combine(Path.GetTempPath(), $"vcnn-fuzz-cli-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(_root, "dir"));
        File.WriteAllBytes(Path.Combine(_root, "m1.onnx"), Model(new long[] { 1, 1, 8, 8 }, nhwc: false));
        File.WriteAllBytes(Path.Combine(_root, "m3.onnx"), Model(new long[] { 1, 3, 8, 8 }, nhwc: false));
        File.WriteAllBytes(Path.Combine(_root, "sym.onnx"), Model(new long[] { -1, 3, -1, -1 }, nhwc: false));
        File.WriteAllBytes(Path.Combine(_root, "nhwc.onnx"), Model(new long[] { 1, 8, 8, 3 }, nhwc: true));
        File.WriteAllBytes(Path.Combine(_root, "x.npy"), ImageIO.NpyArrayBytes("x.npy", new float[64], new[] { 1, 1, 8, 8 }));
        File.WriteAllBytes(Path.Combine(_root, "x3.npy"), ImageIO.NpyArrayBytes("x3.npy", new float[192], new[] { 1, 3, 8, 8 }));
        File.WriteAllBytes(Path.Combine(_root, "bad.npy"), Encoding.ASCII.GetBytes("\x93NUMPY not really"));
        File.WriteAllBytes(Path.Combine(_root, "empty.npy"), Array.Empty<byte>());
        var pb = new TensorProto { Name = "x", DataType = (int)TensorProto.Types.DataType.Float };
        pb.Dims.AddRange(new long[] { 1, 3, 8, 8 });
        pb.FloatData.AddRange(new float[192]);
        File.WriteAllBytes(Path.Combine(_root, "x3.pb"), pb.ToByteArray());
        using (var img = new Image<Rgb24>(8, 8)) { img.SaveAsPng(Path.Combine(_root, "img.png")); img.SaveAsJpeg(Path.Combine(_root, "img.jpg")); img.SaveAsBmp(Path.Combine(_root, "img.bmp")); }
        Seeds = new[]
        {
            new[] { "@/m1.onnx", "--input", "x=@/x.npy", "--output-dir", "@/out" },
            new[] { "@/m3.onnx", "--input", "x=@/img.png", "--resize", "8x8", "--mean", "0.5,0.5,0.5", "--std", "0.25", "--scale", "0.00392", "--output-dir", "@/out" },
            new[] { "@/m3.onnx", "--input=x=@/img.jpg", "--layout", "nchw", "--output-dir=@/out", "--verbose" },
            new[] { "@/sym.onnx", "--input", "x=@/x3.npy", "--input-shape", "x=1,3,8,8", "--output-dir", "@/out" },
            new[] { "@/m3.onnx", "--input", "x=@/x3.pb", "--output-dir", "@/out" },
            new[] { "@/nhwc.onnx", "--input", "x=@/img.png", "--output-dir", "@/out", "--mean", "1" },
            new[] { "@/sym.onnx", "--input", "x=@/img.bmp", "--resize", "16x12", "--output-dir", "@/out" },
        }.Select(Encode).Concat(extraSeeds ?? Array.Empty<byte[]>()).ToArray();
    }

    public string Name => "cli";

    public IReadOnlyList<byte[]> Seeds { get; }

    /// <summary>The fixture folder that "@/" stands for.</summary>
    public string Root => _root;

    private static byte[] Model(long[] dims, bool nhwc)
    {
        var g = new OnnxSeeds.G(13);
        string x = dims.Contains(-1) ? g.SymbolicInput("x", dims) : g.Input("x", dims);
        if (nhwc) x = g.Node("Transpose", new[] { x }, ("perm", new long[] { 0, 3, 1, 2 }));
        var c = g.Node("Conv", new[] { x, g.Floats("w", 2, 3, 1, 1) });
        return g.Output(g.Node("Relu", c)).ToByteArray();
    }

    public static byte[] Encode(IEnumerable<string> args) => Encoding.UTF8.GetBytes(string.Join('\0', args));

    public static string[] Decode(byte[] input) => input.Length == 0 ? Array.Empty<string>() : Encoding.UTF8.GetString(input).Split('\0');

    public byte[] Mutate(byte[] seed, Random rng)
    {
        var t = Decode(seed).ToList();
        int steps = 1 + rng.Next(3);
        for (int s = 0; s < steps; s++)
        {
            int at = t.Count == 0 ? 0 : rng.Next(t.Count);
            switch (t.Count == 0 ? 0 : rng.Next(7))
            {
                case 0: t.Insert(rng.Next(t.Count + 1), Tokens[rng.Next(Tokens.Length)]); break;
                case 1: t[at] = Tokens[rng.Next(Tokens.Length)]; break;
                case 2: t.RemoveAt(at); break;
                case 3: t.Insert(at, t[at]); break;
                case 4: { int j = rng.Next(t.Count); (t[at], t[j]) = (t[j], t[at]); break; }
                case 5:   // "--k v" joined to "--k=v", or a token byte-mutated
                    if (t[at].StartsWith("--") && at + 1 < t.Count && !t[at].Contains('=')) { t[at] += "=" + t[at + 1]; t.RemoveAt(at + 1); }
                    else t[at] = Encoding.UTF8.GetString(ByteMutator.Mutate(Encoding.UTF8.GetBytes(t[at]), rng, 2)).Replace('\0', '0');
                    break;
                default: t[at] = Encoding.UTF8.GetString(ByteMutator.Mutate(Encoding.UTF8.GetBytes(t[at]), rng, 2)).Replace('\0', '0'); break;
            }
        }
        return Encode(t);
    }

    /// <summary>The argument vector an input stands for: "run", then its tokens with "@/" made the fixture folder and
    /// every --output-dir kept inside it (the command creates that folder).</summary>
    public string[] Arguments(byte[] input)
    {
        var args = new List<string> { "run" };
        args.AddRange(Decode(input).Select(a => a.Replace("@/", _root + "/")));
        for (int i = 1; i < args.Count; i++)
        {
            if (args[i].StartsWith("--output-dir=", StringComparison.Ordinal)) args[i] = "--output-dir=" + Inside(args[i]["--output-dir=".Length..]);
            else if (args[i] == "--output-dir" && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) args[i + 1] = Inside(args[i + 1]);
        }
        return args.ToArray();
    }

    private string Inside(string dir)
    {
        try
        {
            string full = Path.GetFullPath(dir, _root);
            if (full.StartsWith(_root + "/", StringComparison.Ordinal)) return full;
        }
        catch (ArgumentException) { }
        return Path.Combine(_root, "out");
    }

    public Outcome Execute(byte[] input)
    {
        var args = Arguments(input);
        var (stdout, stderr) = (Console.Out, Console.Error);
        var err = new StringWriter();
        int code;
        RunCommand.DryRun = true;
        Console.SetOut(TextWriter.Null);
        Console.SetError(err);
        try { code = global::VulkanCnn.Cli.Cli.Run(args); }
        catch (Exception e) { return Outcome.Finding($"escaped Cli.Run: {e.GetType().Name}", e.ToString()); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); RunCommand.DryRun = false; }
        string text = err.ToString();
        string detail = string.Join(" ", args.Select(a => $"'{a}'")) + "\n" + text;
        if (code == global::VulkanCnn.Cli.Cli.InternalError)
        {
            int at = text.IndexOf("internal error, ", StringComparison.Ordinal);
            string type = at < 0 ? "?" : new string(text[(at + 16)..].TakeWhile(ch => ch != ':').ToArray());
            return Outcome.Finding($"exit 70 ({type})", detail);
        }
        if (code is not (0 or 1 or 2)) return Outcome.Finding($"exit {code}", detail);
        bool verbose = args.Any(a => a == "--verbose" || a.StartsWith("--verbose=", StringComparison.Ordinal));
        // One line per error (the importer's list of unsupported nodes has one per node), never a stack trace unless asked.
        if (code != 0 && !verbose && text.Contains("\n   at ", StringComparison.Ordinal)) return Outcome.Finding("stack trace without --verbose", detail);
        return code == 0 ? Outcome.Ok : new Outcome(OutcomeKind.Rejected, $"exit {code}");
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
