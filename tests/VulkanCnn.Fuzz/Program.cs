// The fuzz runner's command line (scripts/fuzz.sh calls it):
//   fuzz TARGET [--seconds N | --iterations N] [--seed S] [--out DIR]   run, print iterations/s and counts by label
//   replay TARGET FILE|DIR...                                          run saved inputs once each (exit 1 on a finding)
//   salvage TARGET DIR                                                 save DIR/current.bin (a dead run's input) as a finding
namespace VulkanCnn.Fuzz;

public static class Program
{
    public static int Main(string[] args)
    {
        try { return Run(args); }
        catch (ArgumentException e) { Console.Error.WriteLine($"fuzz: {e.Message}"); return 2; }
    }

    private static int Run(string[] args)
    {
        if (args.Length < 2) throw new ArgumentException("usage: fuzz TARGET [--seconds N | --iterations N] [--seed S] [--out DIR] | replay TARGET FILE... | salvage TARGET DIR");
        string? repo = Targets.FindRepository(AppContext.BaseDirectory) ?? Targets.FindRepository(Environment.CurrentDirectory);
        string Opt(string name, string def) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : def;
        switch (args[0])
        {
            case "fuzz":
            {
                var target = Targets.Create(args[1], repo);
                string outDir = Opt("--out", Path.Combine(repo ?? ".", "out", "fuzz"));
                Directory.CreateDirectory(outDir);
                long? iterations = Opt("--iterations", "") is { Length: > 0 } it ? long.Parse(it) : null;
                double? seconds = Opt("--seconds", "") is { Length: > 0 } s ? double.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;
                if (iterations == null && seconds == null) seconds = 60;
                var o = new FuzzOptions
                {
                    Iterations = iterations, Duration = seconds is double d ? TimeSpan.FromSeconds(d) : null, Seed = int.Parse(Opt("--seed", "1")),
                    FindingsDir = outDir, CurrentInputFile = Path.Combine(outDir, $"current-{args[1]}.bin"), Log = Console.Out,
                    ProgressEvery = TimeSpan.FromSeconds(double.Parse(Opt("--progress", "30"), System.Globalization.CultureInfo.InvariantCulture)),
                };
                Console.WriteLine($"fuzz {target.Name}: {target.Seeds.Count} seeds, seed {o.Seed}, " + (iterations != null ? $"{iterations:N0} iterations" : $"{seconds} s") + $", findings in {outDir}/{target.Name}");
                var report = FuzzRunner.Run(target, o);
                (target as IDisposable)?.Dispose();
                Console.Write(report.Summary());
                return report.Hung ? 3 : report.FindingCount > 0 ? 1 : 0;
            }
            case "replay":
            {
                var target = Targets.Create(args[1], repo, realModels: false);
                int findings = 0;
                var files = args.Skip(2).Where(p => !p.StartsWith("--")).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p, "*.bin").OrderBy(f => f, StringComparer.Ordinal).ToArray() : new[] { p });
                foreach (var f in files)
                {
                    var outcome = FuzzRunner.RunOne(target, File.ReadAllBytes(f), TimeSpan.FromSeconds(5));
                    if (outcome.Kind == OutcomeKind.Finding) findings++;
                    Console.WriteLine($"{outcome.Kind.ToString().ToLowerInvariant(),-9} {outcome.Label}  {f}");
                    if (outcome.Kind == OutcomeKind.Finding && args.Contains("--verbose")) Console.WriteLine(outcome.Detail);
                }
                (target as IDisposable)?.Dispose();
                return findings > 0 ? 1 : 0;
            }
            case "salvage":
            {
                string dir = args.Length > 2 ? args[2] : throw new ArgumentException("salvage TARGET DIR");
                var input = FuzzRunner.ReadCurrentInput(Path.Combine(dir, $"current-{args[1]}.bin"));
                if (input == null) { Console.Error.WriteLine("fuzz: no current input to salvage"); return 1; }
                Console.WriteLine(FuzzRunner.Save(dir, args[1], "process death", input, "the process died while running this input"));
                return 0;
            }
            default: throw new ArgumentException($"unknown command '{args[0]}'");
        }
    }
}
