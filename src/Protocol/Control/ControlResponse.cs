using System.Text.Json.Serialization;

namespace Overlay.Protocol.Control;

/// <summary>
/// One reply on the control socket: a single JSON object on one line. Every reply carries
/// <c>ok</c>; a failed request carries <c>error</c> (one human-readable sentence) and
/// nothing else; a successful one carries the member named after its command
/// (<c>status</c> for <c>status</c>). Members that do not apply are omitted, so future
/// commands add members without changing existing replies.
/// </summary>
public sealed class ControlResponse
{
    public required bool Ok { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StatusSnapshot? Status { get; init; }

    /// <summary>One line for people: what a policy, save or reload command did.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Message { get; init; }

    /// <summary><c>policy_add</c>, <c>policy_del</c>, <c>policy_show</c>: the rules and the effective table after the command.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PolicyView? Policy { get; init; }

    /// <summary><c>save</c>: the state file written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StateFile { get; init; }

    /// <summary><c>reload</c>: what changed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ReloadSummary? Reload { get; init; }

    public static ControlResponse Failure(string error) => new() { Ok = false, Error = error };

    public static ControlResponse ForStatus(StatusSnapshot status) => new() { Ok = true, Status = status };
}
