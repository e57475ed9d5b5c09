namespace Overlay.Os.Plan;

/// <summary>The plan state status reports: applied, disabled (apply_network_plan false) or failed.</summary>
public enum PlanState { Applied, Disabled, Failed }

/// <summary>The outcome of applying a plan: the state, the steps applied, and for a failure the error naming the step and the fix.</summary>
public sealed record PlanApplyResult(PlanState State, IReadOnlyList<PlanStep> Applied, string? Error)
{
    public bool Succeeded => State != PlanState.Failed;

    public static string StateName(PlanState s) => s switch
    {
        PlanState.Applied => "applied",
        PlanState.Disabled => "disabled",
        _ => "failed",
    };
}

/// <summary>
/// Applies a <see cref="PlanDocument"/> step by step through an <see cref="IPlanRunner"/>, logging
/// each step. The first failing step stops it; the steps applied before are undone in reverse
/// (their <see cref="PlanStep.Undo"/> commands), so a failed start leaves nothing half-applied.
/// Forwarding steps come last in every plan, so a rollback never has to turn forwarding off.
/// </summary>
public static class PlanApplier
{
    public static PlanApplyResult Apply(PlanDocument plan, IPlanRunner runner, Action<string> info, Action<string> warn)
    {
        var applied = new List<PlanStep>();
        foreach (PlanStep step in plan.Steps)
        {
            info($"network plan: {step.Description}: {step.CommandLine}");
            PlanRunResult r = runner.Run(step.Argv);
            if (r.Succeeded)
            {
                applied.Add(step);
                continue;
            }
            string error = Describe(step, r, plan.InterfaceName);
            Rollback(applied, runner, info, warn);
            return new PlanApplyResult(PlanState.Failed, [], error);
        }
        return new PlanApplyResult(PlanState.Applied, applied, null);
    }

    /// <summary>Undoes <paramref name="applied"/> in reverse; failures are warnings (the interface closing removes the rest).</summary>
    public static void Rollback(IReadOnlyList<PlanStep> applied, IPlanRunner runner, Action<string> info, Action<string> warn)
    {
        for (int i = applied.Count - 1; i >= 0; i--)
        {
            if (applied[i].Undo is not { } undo) continue;
            info($"network plan: undo {applied[i].Description}: {string.Join(' ', undo)}");
            PlanRunResult r = runner.Run(undo);
            if (!r.Succeeded) warn($"network plan: undo of {applied[i].Description} failed ({Outcome(r)}); closing the interface removes it");
        }
    }

    /// <summary>"network plan step 'NAME' failed: CMD: exit 2: OUTPUT; FIX".</summary>
    public static string Describe(PlanStep step, PlanRunResult r, string tun) =>
        $"network plan step '{step.Description}' failed: {step.CommandLine}: {Outcome(r)}; {Fix(step, r, tun)}";

    private static string Outcome(PlanRunResult r) =>
        r.ExitCode < 0 ? r.Output : $"exit {r.ExitCode}" + (r.Output.Length > 0 ? $": {r.Output}" : "");

    private static string Fix(PlanStep step, PlanRunResult r, string tun)
    {
        string text = r.Output;
        if (r.ExitCode < 0 && text.Contains("not found", StringComparison.Ordinal))
            return "install the package named above, or set \"apply_network_plan\": false and configure the interface yourself";
        if (text.Contains("Operation not permitted", StringComparison.OrdinalIgnoreCase) || text.Contains("Permission denied", StringComparison.OrdinalIgnoreCase))
            return "run subnetrad as root (Linux: or with CAP_NET_ADMIN)";
        if (text.Contains("File exists", StringComparison.OrdinalIgnoreCase) || text.Contains("already", StringComparison.OrdinalIgnoreCase))
            return step.Kind == PlanStepKind.Route
                ? "another interface or an earlier run already holds this route: remove it (ip route / netstat -rn), or set \"apply_network_plan\": false"
                : "the address is already in use on this host: remove it from the other interface, or set \"apply_network_plan\": false";
        return $"check the config's addresses and routes against this host ('subnetra --print-network-plan --config F --tun {tun}' prints the plan), or set \"apply_network_plan\": false and apply it yourself";
    }
}
