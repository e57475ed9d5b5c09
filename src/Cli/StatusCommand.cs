using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Overlay.Os.Control;
using Overlay.Protocol.Control;

namespace Overlay.Cli;

/// <summary>
/// <c>subnetra status [--json] [--socket PATH]</c>: asks a running daemon for its status over
/// the control socket (DESIGN.md §7) and prints it for people, or as the daemon's JSON
/// (schema in docs/status.md). Exit 0 on success; 1 when the daemon is not running, does
/// not answer, refuses, or replies with an error.
/// </summary>
public static class StatusCommand
{
    /// <summary>How long to wait for the daemon; it answers from its loop within milliseconds when healthy.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var json = new Option<bool>("--json")
        {
            Description = "Print the status object as the daemon sent it: one line of JSON (schema_version 1, see docs/status.md)",
        };
        var socket = new Option<string?>("--socket")
        {
            Description = $"Control socket path (default: ${ControlPaths.EnvironmentVariable}, else {ControlPaths.Default})",
        };
        var command = new Command("status", "Show the running daemon's identity, peers, traffic and drops") { json, socket };
        command.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            string path = parse.GetValue(socket) is { Length: > 0 } given ? given : ControlPaths.Resolve();
            InvocationConfiguration io = parse.InvocationConfiguration;
            return RunAsync(path, parse.GetValue(json), io.Output, io.Error, ct);
        });
        return command;
    }

    /// <summary>Queries <paramref name="socketPath"/> and prints; returns the exit code.</summary>
    public static async Task<int> RunAsync(
        string socketPath, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        string line;
        try
        {
            line = await ControlClient.SendRawAsync(
                socketPath, new ControlRequest { Command = ControlCommands.Status }, RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException)
        {
            // DaemonNotRunningException's message is exactly "daemon not running (socket PATH)".
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        ControlResponse response;
        string? rawStatus;
        try
        {
            response = ControlJson.ParseResponse(System.Text.Encoding.UTF8.GetBytes(line));
            using JsonDocument doc = JsonDocument.Parse(line);
            rawStatus = doc.RootElement.TryGetProperty("status", out JsonElement s) && s.ValueKind == JsonValueKind.Object
                ? s.GetRawText()
                : null;
        }
        catch (JsonException ex)
        {
            await error.WriteLineAsync($"invalid reply from daemon on {socketPath}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        if (!response.Ok)
        {
            await error.WriteLineAsync($"daemon replied with an error: {response.Error ?? "(no message)"}").ConfigureAwait(false);
            return 1;
        }
        if (response.Status is null || rawStatus is null)
        {
            await error.WriteLineAsync($"invalid reply from daemon on {socketPath}: no status object").ConfigureAwait(false);
            return 1;
        }

        if (json)
        {
            // Verbatim, so fields added by a newer daemon reach scripts too.
            await output.WriteLineAsync(rawStatus).ConfigureAwait(false);
        }
        else
        {
            RenderHuman(response.Status, output, DateTimeOffset.UtcNow);
        }
        return 0;
    }

    /// <summary>The human view. <paramref name="now"/> turns handshake times into ages.</summary>
    public static void RenderHuman(StatusSnapshot s, TextWriter w, DateTimeOffset now)
    {
        string ports = s.UdpPorts.Count == 0 ? "-" : string.Join(",", s.UdpPorts);
        w.WriteLine($"subnetrad {s.Version}  role={s.Role}  local_id={s.LocalId}  tun={s.Tun}  udp={ports}  uptime={FormatDuration(s.UptimeSeconds)}");
        w.WriteLine($"socket {s.Socket}");
        if (s.NetworkPlan is { } plan) w.WriteLine(PlanLine(s.Tun, plan));
        w.WriteLine();

        RenderPeers(s, w, now);
        w.WriteLine();
        RenderTraffic(s.Traffic, w);
        w.WriteLine();
        RenderDrops(s, w);
    }

    /// <summary>"network plan applied on snr0 (3 steps)", "... disabled (apply_network_plan false)" or "... failed: ERROR".</summary>
    public static string PlanLine(string tun, NetworkPlanStatus plan) => plan.State switch
    {
        NetworkPlanStatus.Applied => $"network plan applied on {tun} ({plan.Steps.Count} step{(plan.Steps.Count == 1 ? "" : "s")})",
        NetworkPlanStatus.Disabled => $"network plan disabled (apply_network_plan false): {tun} is configured by the operator",
        _ => $"network plan failed on {tun}: {plan.Error}",
    };

    private static void RenderPeers(StatusSnapshot s, TextWriter w, DateTimeOffset now)
    {
        if (s.Peers.Count == 0)
        {
            w.WriteLine("peers: none");
            return;
        }
        int online = 0;
        foreach (PeerStatus p in s.Peers) if (p.Online) online++;
        w.WriteLine($"peers: {s.Peers.Count} ({online} online)");

        var rows = new List<string[]> { new[] { "NAME", "ID", "ENDPOINT", "HANDSHAKE", "RX", "TX", "ONLINE" } };
        foreach (PeerStatus p in s.Peers)
        {
            rows.Add(
            [
                p.Name,
                p.Id.ToString(CultureInfo.InvariantCulture),
                p.EndpointState == "resolving" && p.Endpoint is null ? $"resolving {p.EndpointName}" : p.Endpoint ?? "-",
                HandshakeAge(p, now),
                FormatBytes(p.RxBytes),
                FormatBytes(p.TxBytes),
                p.Online ? "yes" : "no",
            ]);
        }
        WriteTable(rows, w);
    }

    private static void RenderTraffic(TrafficStats t, TextWriter w)
    {
        w.WriteLine("traffic:");
        w.WriteLine($"  tun    rx {Packets(t.TunRxPackets, t.TunRxBytes)}  tx {Packets(t.TunTxPackets, t.TunTxBytes)}");
        w.WriteLine($"  udp    rx {Packets(t.UdpRxPackets, t.UdpRxBytes)}  tx {Packets(t.UdpTxPackets, t.UdpTxBytes)}");
        w.WriteLine($"  relay  {Packets(t.RelayPackets, t.RelayBytes)}");
        w.WriteLine(
            $"  handshakes  initiations sent {t.HandshakeInitiationsSent} received {t.HandshakeInitiationsReceived}" +
            $"; responses sent {t.HandshakeResponsesSent} received {t.HandshakeResponsesReceived}" +
            $"; cookie replies sent {t.CookieRepliesSent} received {t.CookieRepliesReceived}");
        w.WriteLine(
            $"  keepalives sent {t.KeepalivesSent} received {t.KeepalivesReceived}; sessions established {t.SessionsEstablished}");
    }

    private static void RenderDrops(StatusSnapshot s, TextWriter w)
    {
        long total = 0;
        int width = 0;
        foreach ((string reason, long count) in s.Drops)
        {
            if (count == 0) continue;
            total += count;
            width = Math.Max(width, reason.Length);
        }
        if (total == 0)
        {
            w.WriteLine("drops: none");
            return;
        }
        w.WriteLine($"drops: {total} total");
        foreach ((string reason, long count) in s.Drops)
        {
            if (count != 0) w.WriteLine($"  {reason.PadRight(width)}  {count}");
        }
    }

    /// <summary>Left-aligned columns indented by two (status peers, policy rules).</summary>
    internal static void WriteTable(List<string[]> rows, TextWriter w)
    {
        int columns = rows[0].Length;
        var widths = new int[columns];
        foreach (string[] row in rows)
        {
            for (int c = 0; c < columns; c++) widths[c] = Math.Max(widths[c], row[c].Length);
        }
        foreach (string[] row in rows)
        {
            w.Write(' ');
            for (int c = 0; c < columns; c++)
            {
                w.Write(' ');
                w.Write(c == columns - 1 ? row[c] : row[c].PadRight(widths[c] + 1));
            }
            w.WriteLine();
        }
    }

    private static string Packets(long packets, long bytes)
        => $"{packets.ToString(CultureInfo.InvariantCulture)} packets ({FormatBytes(bytes)})";

    private static string HandshakeAge(PeerStatus p, DateTimeOffset now)
    {
        long? age = p.LastHandshakeUnix is { } unix
            ? Math.Max(0, now.ToUnixTimeSeconds() - unix)
            : p.LastHandshakeAgeSeconds;
        return age is { } seconds ? FormatDuration(seconds) + " ago" : "never";
    }

    /// <summary>Binary units, one decimal above 1 KiB: "512 B", "1.5 KiB", "3.0 GiB".</summary>
    public static string FormatBytes(long bytes)
    {
        if (bytes < 1024) return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>Compact duration, two most significant units from a day down: "45s", "5m12s", "1h02m", "3d04h".</summary>
    public static string FormatDuration(long seconds)
    {
        if (seconds < 0) seconds = 0;
        long d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, sec = seconds % 60;
        if (d > 0) return $"{d}d{h:00}h";
        if (h > 0) return $"{h}h{m:00}m";
        if (m > 0) return $"{m}m{sec:00}s";
        return $"{sec}s";
    }
}
