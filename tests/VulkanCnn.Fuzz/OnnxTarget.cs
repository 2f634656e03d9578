// The ONNX target: bytes -> OnnxModel.Load -> OnnxImporter.Import -> Network, then what `vcnn info` computes from it
// (optimisation, summary table, parameter and multiply-add counts, the activation memory plan). No GPU.
using VulkanCnn.Graph;
using VulkanCnn.Onnx;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Fuzz;

public sealed class OnnxTarget : IFuzzTarget
{
    /// <summary>The name models are loaded under; every documented error must contain it.</summary>
    public const string Source = "fuzz.onnx";

    /// <summary>The importer's documented exceptions (docs/onnx.md, Errors): exactly these types, not subclasses.</summary>
    public static readonly Type[] Documented = { typeof(InvalidDataException), typeof(NotSupportedException), typeof(ArgumentException) };

    private readonly List<(byte[] Bytes, ModelProto? Proto)> _seeds;
    private readonly Dictionary<byte[], ModelProto?> _parsed = new(ReferenceEqualityComparer.Instance);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], ModelProto> _mutants = new();

    /// <param name="seeds">Encoded models; those that parse are also mutated structurally.</param>
    /// <param name="realFraction">How often a seed larger than 64 KiB (a real model) is picked; they import 100x slower.</param>
    public OnnxTarget(IEnumerable<byte[]> seeds, double realFraction = 0.05)
    {
        _seeds = seeds.Select(s => (s, TryParse(s))).ToList();
        foreach (var (b, p) in _seeds) _parsed[b] = p;
        RealFraction = realFraction;
    }

    public string Name => "onnx";

    public double RealFraction { get; }

    public IReadOnlyList<byte[]> Seeds => _seeds.Select(s => s.Bytes).ToArray();

    private static ModelProto? TryParse(byte[] b)
    {
        try { return ModelProto.Parser.ParseFrom(b); }
        catch (Google.Protobuf.InvalidProtocolBufferException) { return null; }
    }

    /// <summary>Picks the seed for the next iteration: small ones mostly, real models at <see cref="RealFraction"/>.</summary>
    public byte[] PickSeed(Random rng)
    {
        var large = _seeds.Where(s => s.Bytes.Length > 65536).ToList();
        var small = _seeds.Where(s => s.Bytes.Length <= 65536).ToList();
        var pool = large.Count > 0 && (small.Count == 0 || rng.NextDouble() < RealFraction) ? large : small;
        return pool[rng.Next(pool.Count)].Bytes;
    }

    public byte[] Mutate(byte[] seed, Random rng)
    {
        // Seeds are parsed once; accepted mutants that are mutated again, when first used.
        var proto = _parsed.TryGetValue(seed, out var p) ? p : _mutants.TryGetValue(seed, out var q) ? q : null;
        if (proto == null && !_parsed.ContainsKey(seed) && TryParse(seed) is { } parsed) _mutants.AddOrUpdate(seed, proto = parsed);
        // Byte-level mutations of a real model mostly land in weights; they get the structural mutator more often.
        double structural = seed.Length > 65536 ? 0.85 : 0.6;
        if (proto != null && rng.NextDouble() < structural) return OnnxMutator.Mutate(proto, rng);
        return ByteMutator.Mutate(seed, rng);
    }

    public Outcome Execute(byte[] input)
    {
        OnnxImport import;
        try
        {
            var model = OnnxModel.Load(input, Source);
            import = OnnxImporter.Import(model);
        }
        catch (Exception e) { return Judge.Exception(e, Source, Documented, "Google.Protobuf."); }
        // An imported network is valid by construction: anything that fails from here on is a bug.
        try
        {
            var net = import.Network;
            var opt = Optimizer.Optimize(net);
            foreach (var n in new[] { net, opt })
            {
                foreach (var row in n.Summary())
                    if (row.MultiplyAdds < 0 || row.Parameters < 0)
                        return Outcome.Finding("negative count", $"{row.Name} ({row.Type} {row.Settings}, output {row.Output}): {row.Parameters} parameters, {row.MultiplyAdds} multiply-adds");
                if (n.MultiplyAdds < 0 || n.ParameterCount < 0) return Outcome.Finding("negative count", $"{n.Name}: {n.ParameterCount} parameters, {n.MultiplyAdds} multiply-adds");
            }
            _ = opt.SummaryTable();
            _ = MemoryPlanner.PlanNetwork(opt, 256);
            return Outcome.Ok;
        }
        catch (Exception e) { return Outcome.Finding($"after import: {e.GetType().Name}", e.ToString()); }
    }
}
