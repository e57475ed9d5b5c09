namespace Overlay.Protocol.Control;

/// <summary>
/// The network plan as the daemon applied it at start (DESIGN.md §6, config
/// <c>apply_network_plan</c>): <c>applied</c> (every step succeeded) or <c>disabled</c> (the key
/// is false: the operator configures the host). A failing step stops the start, so a running
/// daemon never reports it; <see cref="Error"/> is kept for that state. Documented in docs/status.md.
/// </summary>
public sealed class NetworkPlanStatus
{
    public const string Applied = "applied";
    public const string Disabled = "disabled";

    /// <summary>"applied" or "disabled" ("failed" when <see cref="Error"/> is set).</summary>
    public string State { get; init; } = Disabled;

    /// <summary>The failing step, its error and the fix; null unless <see cref="State"/> is "failed".</summary>
    public string? Error { get; init; }

    /// <summary>The commands applied, in order (empty when disabled).</summary>
    public IReadOnlyList<string> Steps { get; init; } = [];
}
