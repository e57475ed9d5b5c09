using System.Text.Json;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Daemon.Kit;

/// <summary>One entry of <c>peers[]</c> in <c>subnetra status --json</c> (docs/status.md, schema_version 1).</summary>
public sealed record PeerStatus(int Id, string Name, string? Endpoint, long? LastHandshakeUnix, long RxBytes, long TxBytes, bool Online);

/// <summary>
/// The parts of <c>subnetra status --json</c> the integration tests assert on: peers, traffic counters and drop
/// counters. Parsed with <see cref="JsonDocument"/> so members a newer daemon adds are ignored (docs/status.md:
/// "a consumer should ignore members it does not know").
/// </summary>
public sealed record DaemonStatus(
    int SchemaVersion,
    IReadOnlyList<PeerStatus> Peers,
    IReadOnlyDictionary<string, long> Traffic,
    IReadOnlyDictionary<string, long> Drops,
    string Json)
{
    public PeerStatus Peer(int id) =>
        Peers.FirstOrDefault(p => p.Id == id) ?? throw new HarnessException($"no peer {id} in status: {Json}");

    /// <summary>A drop counter by reason name; throws if the daemon did not report it (every reason must be present).</summary>
    public long Drop(string reason) =>
        Drops.TryGetValue(reason, out long value) ? value : throw new HarnessException($"drop reason '{reason}' missing from status: {Json}");

    public long TrafficCounter(string name) =>
        Traffic.TryGetValue(name, out long value) ? value : throw new HarnessException($"traffic counter '{name}' missing from status: {Json}");

    /// <summary>Non-zero drop counters as "reason=n, ...", for test output.</summary>
    public string NonZeroDrops =>
        string.Join(", ", Drops.Where(d => d.Value != 0).Select(d => $"{d.Key}={d.Value}")) is { Length: > 0 } s ? s : "none";

    public static DaemonStatus Parse(string json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            var peers = new List<PeerStatus>();
            foreach (JsonElement p in root.GetProperty("peers").EnumerateArray())
            {
                peers.Add(new PeerStatus(
                    p.GetProperty("id").GetInt32(),
                    p.GetProperty("name").GetString() ?? string.Empty,
                    p.TryGetProperty("endpoint", out JsonElement ep) && ep.ValueKind == JsonValueKind.String ? ep.GetString() : null,
                    p.TryGetProperty("last_handshake_unix", out JsonElement hs) && hs.ValueKind == JsonValueKind.Number ? hs.GetInt64() : null,
                    p.GetProperty("rx_bytes").GetInt64(),
                    p.GetProperty("tx_bytes").GetInt64(),
                    p.GetProperty("online").GetBoolean()));
            }

            return new DaemonStatus(
                root.GetProperty("schema_version").GetInt32(),
                peers,
                Counters(root.GetProperty("traffic")),
                Counters(root.GetProperty("drops")),
                json.Trim());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new HarnessException($"cannot parse `subnetra status --json`: {e.Message}\n{json}", e);
        }
    }

    private static Dictionary<string, long> Counters(JsonElement element)
    {
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Number)
            {
                counters[property.Name] = property.Value.GetInt64();
            }
        }

        return counters;
    }
}
