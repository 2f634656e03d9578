// The fuzz loop: pick a seed (or a recent accepted mutant), mutate, run under a watchdog, count outcomes by label, keep
// the first inputs of every finding. One thread runs inputs; the caller's thread only waits, so a hang is seen after
// the timeout and ends the run (its input saved) instead of stalling it.
using System.IO.MemoryMappedFiles;
using System.Diagnostics;
using System.Security.Cryptography;

namespace VulkanCnn.Fuzz;

public sealed record FuzzOptions
{
    public long? Iterations { get; init; }
    public TimeSpan? Duration { get; init; }
    public int Seed { get; init; } = 1;
    /// <summary>Where findings are written (label-hash.bin and .txt); none when null.</summary>
    public string? FindingsDir { get; init; }
    public TimeSpan HangTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>A file that always holds the input being run (4-byte length, then the bytes), through a memory mapping,
    /// so that the input of a process death can be recovered by the supervisor (scripts/fuzz.sh).</summary>
    public string? CurrentInputFile { get; init; }
    public TimeSpan ProgressEvery { get; init; } = TimeSpan.FromSeconds(30);
    public TextWriter? Log { get; init; }
    public int KeepPerLabel { get; init; } = 3;
}

public sealed class FuzzReport
{
    public string Target { get; init; } = "";
    public long Iterations { get; set; }
    public TimeSpan Elapsed { get; set; }
    public bool Hung { get; set; }
    /// <summary>Outcomes by label, with their kind.</summary>
    public Dictionary<string, (OutcomeKind Kind, long Count)> Counts { get; } = new();
    /// <summary>The first inputs of each finding label.</summary>
    public List<(string Label, byte[] Input, string Detail)> Findings { get; } = new();

    public long FindingCount => Counts.Values.Where(c => c.Kind == OutcomeKind.Finding).Sum(c => c.Count);

    public double PerSecond => Iterations / Math.Max(1e-9, Elapsed.TotalSeconds);

    public string Summary()
    {
        var w = new StringWriter();
        w.WriteLine($"{Target}: {Iterations:N0} iterations in {Elapsed.TotalSeconds:0.0} s ({PerSecond:N0}/s), {FindingCount:N0} finding(s){(Hung ? ", stopped by a hang" : "")}");
        foreach (var (label, (kind, count)) in Counts.OrderBy(c => c.Value.Kind).ThenByDescending(c => c.Value.Count))
            w.WriteLine($"  {kind.ToString().ToLowerInvariant(),-9} {count,12:N0}  {label}");
        return w.ToString();
    }
}

public static class FuzzRunner
{
    public static FuzzReport Run(IFuzzTarget target, FuzzOptions o)
    {
        var report = new FuzzReport { Target = target.Name };
        var rng = new Random(o.Seed);
        var recent = new List<byte[]>();   // accepted mutants, mutated again for depth
        var saved = new Dictionary<string, int>();
        var sw = Stopwatch.StartNew();
        var nextProgress = o.ProgressEvery;
        using var worker = new Worker(target);
        using var current = o.CurrentInputFile != null ? new CurrentInput(o.CurrentInputFile) : null;
        while ((o.Iterations == null || report.Iterations < o.Iterations) && (o.Duration == null || sw.Elapsed < o.Duration))
        {
            var seed = recent.Count > 0 && rng.Next(10) < 3 ? recent[rng.Next(recent.Count)] : target.PickSeed(rng);
            byte[] input = target.Mutate(seed, rng);
            current?.Write(input);
            report.Iterations++;
            if (!worker.TryRun(input, o.HangTimeout, out var outcome))
            {
                outcome = Outcome.Finding($"hang (over {o.HangTimeout.TotalSeconds:0} s)", $"input of {input.Length} bytes still running after {o.HangTimeout.TotalSeconds:0} s");
                report.Hung = true;
            }
            var c = report.Counts.GetValueOrDefault(outcome.Label, (outcome.Kind, 0));
            report.Counts[outcome.Label] = (outcome.Kind, c.Count + 1);
            if (outcome.Kind == OutcomeKind.Finding && saved.GetValueOrDefault(outcome.Label) < o.KeepPerLabel)
            {
                saved[outcome.Label] = saved.GetValueOrDefault(outcome.Label) + 1;
                report.Findings.Add((outcome.Label, input, outcome.Detail ?? ""));
                if (o.FindingsDir != null) Save(o.FindingsDir, target.Name, outcome.Label, input, outcome.Detail ?? "");
                o.Log?.WriteLine($"finding: {outcome.Label}");
            }
            if (outcome.Kind == OutcomeKind.Accepted && input.Length <= 1 << 16)
            {
                if (recent.Count < 256) recent.Add(input); else recent[rng.Next(recent.Count)] = input;
            }
            if (report.Hung) break;
            if (o.Log != null && sw.Elapsed >= nextProgress)
            {
                nextProgress += o.ProgressEvery;
                o.Log.WriteLine($"[{sw.Elapsed.TotalSeconds:0} s] {report.Iterations:N0} iterations, {report.Iterations / sw.Elapsed.TotalSeconds:N0}/s, {report.FindingCount:N0} finding(s)");
            }
        }
        report.Elapsed = sw.Elapsed;
        return report;
    }

    /// <summary>Writes a finding's input and detail as LABEL-HASH.bin/.txt under DIR/TARGET; returns the .bin path.</summary>
    public static string Save(string dir, string target, string label, byte[] input, string detail)
    {
        string folder = Path.Combine(dir, target);
        Directory.CreateDirectory(folder);
        string safe = new string(label.Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '-').ToArray()).Trim('-');
        if (safe.Length > 60) safe = safe[..60];
        string hash = Convert.ToHexString(SHA256.HashData(input))[..12].ToLowerInvariant();
        string path = Path.Combine(folder, $"{safe}-{hash}.bin");
        File.WriteAllBytes(path, input);
        File.WriteAllText(Path.ChangeExtension(path, ".txt"), label + "\n" + detail + "\n");
        return path;
    }

    /// <summary>Runs one input under the watchdog (replay); a hang is reported as a finding.</summary>
    public static Outcome RunOne(IFuzzTarget target, byte[] input, TimeSpan timeout)
    {
        using var worker = new Worker(target);
        return worker.TryRun(input, timeout, out var outcome) ? outcome : Outcome.Finding("hang", $"still running after {timeout.TotalSeconds:0} s");
    }

    /// <summary>The thread that runs inputs. After a timeout it is abandoned (a background thread) with its input.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly IFuzzTarget _target;
        private readonly SemaphoreSlim _go = new(0), _done = new(0);
        private readonly Thread _thread;
        private byte[] _input = Array.Empty<byte>();
        private Outcome _result;
        private volatile bool _stop, _stuck;

        public Worker(IFuzzTarget target)
        {
            _target = target;
            // A large stack: deep recursion in a target is a finding, not a dead fuzzer.
            _thread = new Thread(Loop, 64 << 20) { IsBackground = true, Name = $"fuzz {target.Name}" };
            _thread.Start();
        }

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                if (_stop) return;
                try { _result = _target.Execute(_input); }
                catch (Exception e) { _result = Outcome.Finding($"escaped the target: {e.GetType().Name}", e.ToString()); }
                _done.Release();
            }
        }

        public bool TryRun(byte[] input, TimeSpan timeout, out Outcome outcome)
        {
            _input = input;
            _go.Release();
            if (!_done.Wait(timeout)) { _stuck = true; outcome = default; return false; }
            outcome = _result;
            return true;
        }

        public void Dispose()
        {
            if (_stuck) return;
            _stop = true;
            _go.Release();
            _thread.Join();
        }
    }

    /// <summary>The memory-mapped current-input file.</summary>
    private sealed class CurrentInput : IDisposable
    {
        private const long Capacity = 64L << 20;
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;

        public CurrentInput(string path)
        {
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Create, null, Capacity + 4);
            _view = _file.CreateViewAccessor();
        }

        public void Write(byte[] input)
        {
            int n = (int)Math.Min(input.Length, Capacity);
            _view.Write(0, n);
            _view.WriteArray(4, input, 0, n);
        }

        public static byte[]? Read(string path)
        {
            if (!File.Exists(path)) return null;
            using var f = File.OpenRead(path);
            var len = new byte[4];
            if (f.Read(len, 0, 4) != 4) return null;
            int n = BitConverter.ToInt32(len);
            var b = new byte[n];
            f.ReadExactly(b);
            return b;
        }

        public void Dispose() { _view.Dispose(); _file.Dispose(); }
    }

    /// <summary>The input a dead fuzz process was running (see <see cref="FuzzOptions.CurrentInputFile"/>).</summary>
    public static byte[]? ReadCurrentInput(string path) => CurrentInput.Read(path);
}
