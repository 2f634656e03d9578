// What a fuzz target is (seeds, a mutator, one execution on bytes) and how an execution is judged: accepted, rejected
// with a documented exception that names the input, or a finding (anything else).
using System.Reflection;

namespace VulkanCnn.Fuzz;

/// <summary>How one input fared.</summary>
public enum OutcomeKind
{
    /// <summary>The input was read (and, for ONNX, imported) without an error.</summary>
    Accepted,
    /// <summary>The input was refused with a documented exception type whose message names the input.</summary>
    Rejected,
    /// <summary>A bug: an undocumented exception, a message without the input's name, an exception raised inside the base
    /// library that our code let through, a negative count, a hang or a process death.</summary>
    Finding,
}

/// <summary>The outcome of one input: its kind, a short label used for counting (the exception type, or the finding's
/// signature) and, for findings, the full detail (stack trace).</summary>
public readonly record struct Outcome(OutcomeKind Kind, string Label, string? Detail = null)
{
    public static Outcome Ok { get; } = new(OutcomeKind.Accepted, "accepted");

    public static Outcome Finding(string label, string detail) => new(OutcomeKind.Finding, label, detail);
}

/// <summary>An in-process fuzz target: the inputs it starts from, how it mutates one, and how it runs one.</summary>
public interface IFuzzTarget
{
    /// <summary>The name on the command line (onnx, npy, image, cli).</summary>
    string Name { get; }

    /// <summary>The seed inputs (well-formed files, past findings).</summary>
    IReadOnlyList<byte[]> Seeds { get; }

    /// <summary>The seed the next mutation starts from.</summary>
    byte[] PickSeed(Random rng) => Seeds[rng.Next(Seeds.Count)];

    /// <summary>A mutated copy of <paramref name="seed"/> (never the seed array itself).</summary>
    byte[] Mutate(byte[] seed, Random rng);

    /// <summary>Runs one input and judges it; must not throw.</summary>
    Outcome Execute(byte[] input);
}

/// <summary>The judgement of an exception shared by every target.</summary>
public static class Judge
{
    /// <summary>
    /// A rejection when <paramref name="e"/> is exactly one of the <paramref name="documented"/> types, its message names
    /// <paramref name="source"/>, and the exception at the bottom of its chain was raised by VulkanCnn's own code or by one
    /// of <paramref name="trustedOrigins"/> (namespace prefixes, e.g. the protobuf parser whose errors are wrapped on
    /// purpose). Everything else is a finding: an escaping OverflowException, a bare message from a base-library
    /// argument check wrapped by the importer, an internal exception type.
    /// </summary>
    public static Outcome Exception(Exception e, string source, Type[] documented, params string[] trustedOrigins)
    {
        var type = e.GetType();
        if (!documented.Contains(type)) return Outcome.Finding($"undocumented {type.Name}", e.ToString());
        if (!e.Message.Contains(source, StringComparison.Ordinal)) return Outcome.Finding($"message without '{source}' ({type.Name})", e.ToString());
        // An exception of a trusted library (the protobuf parser's, ImageSharp's) anywhere in the chain was wrapped on purpose.
        var root = e;
        while (root.InnerException != null && !IsTrusted(root.GetType(), trustedOrigins)) root = root.InnerException;
        if (IsTrusted(root.GetType(), trustedOrigins)) return new Outcome(OutcomeKind.Rejected, type.Name);
        // Raised by VulkanCnn's own code, or inside a trusted library (possibly through a base-library helper it called).
        // A base-library exception raised on VulkanCnn's behalf (Enumerable.Range's bare "count" message) is a finding.
        string origin = Origin(root);
        string caller = new System.Diagnostics.StackTrace(root).GetFrames().Select(f => f.GetMethod()?.DeclaringType?.FullName ?? "")
            .FirstOrDefault(n => !n.StartsWith("System.", StringComparison.Ordinal) && !n.StartsWith("Internal.", StringComparison.Ordinal)) ?? "";
        // VulkanCnn's own checked arithmetic (checked(...) raises through a runtime helper) is a deliberate check.
        if (root is OverflowException && caller.StartsWith("VulkanCnn.", StringComparison.Ordinal)) return new Outcome(OutcomeKind.Rejected, type.Name);
        if (!origin.StartsWith("VulkanCnn.", StringComparison.Ordinal) && !trustedOrigins.Any(t => origin.StartsWith(t, StringComparison.Ordinal) || caller.StartsWith(t, StringComparison.Ordinal)))
            return Outcome.Finding($"{root.GetType().Name} from {origin} ({type.Name})", e.ToString());
        return new Outcome(OutcomeKind.Rejected, type.Name);
    }

    private static bool IsTrusted(Type t, string[] prefixes) => prefixes.Any(p => t.FullName?.StartsWith(p, StringComparison.Ordinal) == true);

    /// <summary>Namespace-qualified type and method that raised <paramref name="e"/> ("?" without a stack).</summary>
    public static string Origin(Exception e)
    {
        MethodBase? m = e.TargetSite;
        return m?.DeclaringType is { } t ? $"{t.FullName}.{m.Name}" : "?";
    }
}
