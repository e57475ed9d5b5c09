using Overlay.Os.Plan;

namespace Overlay.Os.Tests.Plan;

/// <summary>
/// An <see cref="IPlanRunner"/> that records every command and answers from a script: the
/// command line that should fail (exit 2 with a message), everything else succeeds.
/// </summary>
public sealed class RecordingPlanRunner : IPlanRunner
{
    private readonly Dictionary<string, PlanRunResult> _failures = new(StringComparer.Ordinal);

    public List<string> Commands { get; } = [];

    public RecordingPlanRunner FailOn(string commandLine, int exit = 2, string output = "RTNETLINK answers: File exists")
    {
        _failures[commandLine] = new PlanRunResult(exit, output);
        return this;
    }

    public PlanRunResult Run(IReadOnlyList<string> argv)
    {
        string line = string.Join(' ', argv);
        Commands.Add(line);
        return _failures.TryGetValue(line, out PlanRunResult r) ? r : new PlanRunResult(0, "");
    }
}
