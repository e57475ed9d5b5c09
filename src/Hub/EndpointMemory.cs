using System.Net;
using System.Text.Json;
using Overlay.Os.Node;
using Overlay.Protocol;
using Overlay.Protocol.Config;
using Overlay.Protocol.Engine;

namespace Overlay.Hub;

/// <summary>
/// The hub's memory of where its roaming spokes were last heard, kept across restarts.
///
/// Why: spokes usually have no endpoint in the hub's config (they roam, sit behind NAT), so
/// a freshly restarted hub cannot send to them; WireGuard would leave recovery to the
/// spokes, whose "stopped hearing back" timer (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT = 15 s)
/// re-handshakes only after 15 s of unanswered traffic. With this file the hub initiates to
/// every remembered endpoint as soon as it starts (the spokes' NAT mappings are still open
/// thanks to their keepalives), so sessions are back within a round trip. A stale entry
/// costs nothing but a few unanswered initiations; the spoke's own timer still applies.
///
/// Format: a small JSON object {"version":1,"endpoints":{"<peer id>":"ip:port"}}, written
/// atomically (temp file + rename, mode 0600). It holds no secrets. It is read through
/// <see cref="RegularFileReader"/>: opened once, regular files only, at most <see cref="MaxBytes"/> + 1 bytes,
/// so a FIFO or /dev/zero put in its place warns instead of hanging or exhausting memory.
/// </summary>
public sealed class EndpointMemory(string path)
{
    /// <summary>Longest file read: an entry is under 60 bytes, so 100,000 spokes need about 6 MB.</summary>
    public const long MaxBytes = 16 * 1024 * 1024;

    public string Path { get; } = path;

    /// <summary>Remembered endpoints by peer id; empty when the file is missing or unreadable (never fatal).</summary>
    public IReadOnlyDictionary<int, UdpEndpoint> Load(Action<string>? warn = null)
    {
        var result = new Dictionary<int, UdpEndpoint>();
        FileReadResult read = RegularFileReader.Instance.Read(Path, MaxBytes);
        if (read.Status == FileReadStatus.NotFound) return result;
        if (!read.Ok)
        {
            warn?.Invoke($"endpoint memory {Path} {read.Problem}; starting without it (remove it, or point SUBNETRA_STATE elsewhere)");
            return result;
        }
        try
        {
            using JsonDocument doc = JsonDocument.Parse(read.Bytes);
            if (!doc.RootElement.TryGetProperty("endpoints", out JsonElement endpoints) || endpoints.ValueKind != JsonValueKind.Object)
                return result;
            foreach (JsonProperty e in endpoints.EnumerateObject())
            {
                if (int.TryParse(e.Name, out int id) && e.Value.ValueKind == JsonValueKind.String &&
                    IPEndPoint.TryParse(e.Value.GetString()!, out IPEndPoint? ep) && ep.Port != 0)
                    result[id] = UdpEndpoint.From(ep);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: GetString()/Name on a lone UTF-16 surrogate escape. A bad
            // memory file must never stop the hub (systemd would restart it into the same crash).
            warn?.Invoke($"endpoint memory {Path}: {e.Message}; starting without it");
        }
        return result;
    }

    /// <summary>Writes the endpoints atomically; returns false (and warns) on failure.</summary>
    public bool Save(IEnumerable<KeyValuePair<int, UdpEndpoint>> endpoints, Action<string>? warn = null)
    {
        try
        {
            string? dir = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string tmp = Path + ".tmp";
            using (var stream = new FileStream(tmp, new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteNumber("version", 1);
                json.WriteStartObject("endpoints");
                foreach (var (id, ep) in endpoints)
                    if (!ep.IsNone) json.WriteString(id.ToString(System.Globalization.CultureInfo.InvariantCulture), ep.ToString());
                json.WriteEndObject();
                json.WriteEndObject();
                json.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, Path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warn?.Invoke($"endpoint memory {Path}: cannot save: {e.Message}");
            return false;
        }
    }

    /// <summary>The current endpoint of every peer that has one.</summary>
    public static List<KeyValuePair<int, UdpEndpoint>> Snapshot(IReadOnlyList<WireGuardPeer> peers)
    {
        var list = new List<KeyValuePair<int, UdpEndpoint>>(peers.Count);
        foreach (WireGuardPeer p in peers)
            if (!p.Endpoint.IsNone) list.Add(new(p.Id, p.Endpoint));
        return list;
    }
}
