using System.Text.Json.Serialization;

namespace Overlay.Protocol.Control;

/// <summary>
/// One request on the control socket (DESIGN.md §7): a single JSON object on one line,
/// e.g. <c>{"command":"status"}</c>. Unknown fields are rejected rather than ignored so a
/// misspelt argument never silently does nothing.
/// </summary>
/// <remarks>
/// Later commands (<c>policy_add</c>, <c>policy_del</c>, <c>policy_show</c>, <c>save</c>,
/// <c>reload</c>, <c>metrics</c>) add their arguments as new <em>optional</em> (nullable)
/// properties here, so every request that is valid today stays valid and its meaning does
/// not change. A daemon older than its CLI answers a new field with an "unknown field"
/// error, which is the honest answer.
/// </remarks>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ControlRequest
{
    /// <summary>The command name, one of <see cref="ControlCommands"/>.</summary>
    public required string Command { get; init; }

    /// <summary><c>policy_add</c>, <c>policy_del</c>: the rule's destination prefix (CIDR, host bits clear).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Prefix { get; init; }

    /// <summary><c>policy_add</c>: <c>peer</c>, <c>local</c> or <c>drop</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Action { get; init; }

    /// <summary><c>policy_add</c> with action <c>peer</c>: the peer's id.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? PeerId { get; init; }

    /// <summary>The optional fields set on this request, by wire name (for per-command checks).</summary>
    public IEnumerable<string> FieldsSet()
    {
        if (Prefix is not null) yield return "prefix";
        if (Action is not null) yield return "action";
        if (PeerId is not null) yield return "peer_id";
    }
}

/// <summary>Command names understood by the control plane.</summary>
public static class ControlCommands
{
    public const string Status = "status";
    public const string PolicyAdd = "policy_add";
    public const string PolicyDel = "policy_del";
    public const string PolicyShow = "policy_show";
    public const string Save = "save";
    public const string Reload = "reload";

    /// <summary>Every command a daemon of this version answers; the server rejects the rest.</summary>
    public static IReadOnlyList<string> All { get; } = [Status, PolicyAdd, PolicyDel, PolicyShow, Save, Reload];

    /// <summary>The optional request fields each command takes; any other set field is an error.</summary>
    public static IReadOnlyList<string> FieldsOf(string command) => command switch
    {
        PolicyAdd => ["prefix", "action", "peer_id"],
        PolicyDel => ["prefix"],
        _ => [],
    };

    public static bool IsKnown(string? command)
    {
        if (command is null) return false;
        foreach (string c in All)
        {
            if (string.Equals(c, command, StringComparison.Ordinal)) return true;
        }
        return false;
    }
}
