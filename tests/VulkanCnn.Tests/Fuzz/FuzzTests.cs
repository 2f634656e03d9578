// The fuzz targets in the suite: every saved input of the corpus (past findings, tests/VulkanCnn.Tests/Fuzz/corpus) is
// replayed and must now be accepted or rejected with a documented exception, and each target runs a fixed-seed budget
// of mutations (about 20 s in all on one core) that must find nothing. scripts/fuzz.sh runs the same targets for longer.
using VulkanCnn.Fuzz;
using VulkanCnn.Models;
using VulkanCnn.Tests.Onnx;

namespace VulkanCnn.Tests.Fuzz;

[NonParallelizable]   // the CLI target redirects Console
public class FuzzTests
{
    private static string Repo => Targets.FindRepository(AppContext.BaseDirectory) ?? throw new InvalidOperationException("VulkanCnn.sln not found above the test folder.");

    public static IEnumerable<TestCaseData> CorpusFiles() =>
        Targets.Names.SelectMany(t => Targets.Corpus(Targets.FindRepository(AppContext.BaseDirectory), t)
            .Select(c => new TestCaseData(t, Path.GetFileName(c.Path)).SetName($"Corpus({t}/{Path.GetFileName(c.Path)})")));

    [TestCaseSource(nameof(CorpusFiles))]
    public void APastFindingIsNowAnOrdinaryOutcome(string target, string file)
    {
        var t = Targets.Create(target, null);
        try
        {
            var outcome = FuzzRunner.RunOne(t, File.ReadAllBytes(Path.Combine(Targets.CorpusDir(Repo, target), file)), TimeSpan.FromSeconds(5));
            Assert.That(outcome.Kind, Is.Not.EqualTo(OutcomeKind.Finding), $"{target}/{file}: {outcome.Label}\n{outcome.Detail}");
        }
        finally { (t as IDisposable)?.Dispose(); }
    }

    [Test]
    public void TheCorpusHoldsSmallInputsOfEveryTarget()
    {
        foreach (var t in Targets.Names)
        {
            var files = Targets.Corpus(Repo, t);
            Assert.That(files, Is.Not.Empty, $"no corpus for {t}");
            foreach (var (path, bytes) in files) Assert.That(bytes.Length, Is.LessThanOrEqualTo(8192), $"{path}: corpus files stay small");
        }
    }

    // Iterations per target: at the development machine's rates (ONNX ~4,000/s, images ~9,000/s, .npy ~30,000/s,
    // arguments ~3,000/s, one core) about 20 s together.
    [TestCase("onnx", 40_000)]
    [TestCase("npy", 100_000)]
    [TestCase("image", 20_000)]
    [TestCase("cli", 6_000)]
    public void AFixedSeedBudgetFindsNothing(string target, int iterations)
    {
        // ONNX also starts from models the tests build: the notes' LeNet-5 written out through the test kit.
        var extra = target == "onnx" ? new[] { NetworkToOnnx.Write(Architectures.Build("lenet5", null, seed: 1)).Bytes() } : null;
        var t = Targets.Create(target, Repo, realModels: true, extraSeeds: extra);
        try
        {
            var report = FuzzRunner.Run(t, new FuzzOptions { Iterations = iterations, Seed = 20240901 });
            TestContext.Out.Write(report.Summary());
            var first = report.Findings.Select(f => $"{f.Label}: {f.Detail.Split('\n').Take(6).Aggregate((a, b) => a + "\n" + b)}");
            Assert.That(report.FindingCount, Is.Zero, $"{report.Summary()}\n{string.Join("\n\n", first)}");
            Assert.That(report.Iterations, Is.EqualTo(iterations));
            Assert.That(report.Counts.Keys, Does.Contain("accepted"), "no mutant was accepted: the mutators only produce garbage");
        }
        finally { (t as IDisposable)?.Dispose(); }
    }
}
