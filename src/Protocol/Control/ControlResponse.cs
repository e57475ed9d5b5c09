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

    public static ControlResponse Failure(string error) => new() { Ok = false, Error = error };

    public static ControlResponse ForStatus(StatusSnapshot status) => new() { Ok = true, Status = status };
}
