namespace Overlay.Os.Plan;

/// <summary>The outcome of one command: exit code (or -1 when it did not run), and what it printed or why it failed.</summary>
public readonly record struct PlanRunResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs one plan command (argv[0] a bare tool name from <see cref="PlanTools"/>). The seam between
/// the plan and the host: <see cref="SystemPlanRunner"/> executes, tests record.
/// </summary>
public interface IPlanRunner
{
    PlanRunResult Run(IReadOnlyList<string> argv);
}
