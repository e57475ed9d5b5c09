namespace Overlay.Os.Plan;

/// <summary>What a plan step changes; rollback and reload reason about the kind.</summary>
public enum PlanStepKind
{
    /// <summary>MTU and link up (goes with the interface).</summary>
    Link,
    /// <summary>An address on the interface (goes with the interface).</summary>
    Address,
    /// <summary>A route through the interface (goes with the interface).</summary>
    Route,
    /// <summary>A host-wide sysctl (IP forwarding); stays after the daemon stops.</summary>
    Forwarding,
}

/// <summary>
/// One host command of a network plan: the argument vector (argv[0] is the tool's bare name,
/// e.g. "ip"; the runner resolves it to an absolute path), what it does in words, and the
/// command that undoes it (null when closing the interface undoes it, or nothing should).
/// The printed plan is <see cref="CommandLine"/> of every step, so printing and applying share
/// one list and cannot drift.
/// </summary>
public sealed record PlanStep(PlanStepKind Kind, string Description, IReadOnlyList<string> Argv, IReadOnlyList<string>? Undo = null)
{
    /// <summary>The step as a shell line: the argv joined by spaces (no element needs quoting).</summary>
    public string CommandLine => string.Join(' ', Argv);

    public override string ToString() => $"{Description} ({CommandLine})";
}

/// <summary>A line of a printed plan: a comment (Text starting with '#', or empty) or a step.</summary>
public readonly record struct PlanLine(string? Text, PlanStep? Step)
{
    public static PlanLine Comment(string text) => new(text, null);
    public static PlanLine Of(PlanStep step) => new(null, step);
    public string Render() => Step?.CommandLine ?? Text ?? "";
}

/// <summary>A plan for one config and interface: the printed lines, and the steps among them in order.</summary>
public sealed class PlanDocument(string interfaceName, PlanOs os, IReadOnlyList<PlanLine> lines)
{
    public string InterfaceName { get; } = interfaceName;
    public PlanOs Os { get; } = os;
    public IReadOnlyList<PlanLine> Lines { get; } = lines;

    /// <summary>The commands in apply order (the printed order).</summary>
    public IReadOnlyList<PlanStep> Steps { get; } = lines.Where(l => l.Step is not null).Select(l => l.Step!).ToArray();

    public string Render()
    {
        var sb = new System.Text.StringBuilder();
        foreach (PlanLine line in Lines) sb.Append(line.Render()).Append('\n');
        return sb.ToString();
    }
}
