using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Overlay.Os.Control;
using Overlay.Protocol.Control;

namespace Overlay.Cli;

/// <summary>
/// <c>subnetra status [--json] [--watch [--interval S]] [--socket PATH | --interface NAME]</c>: asks a running daemon for its status over
/// the control socket (DESIGN.md §7) and prints it for people, or as the daemon's JSON
/// (schema in docs/status.md). Exit 0 on success; 1 when the daemon is not running, does
/// not answer, refuses, or replies with an error.
/// </summary>
public static class StatusCommand
{
    /// <summary>How long to wait for the daemon; it answers from its loop within milliseconds when healthy.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default redraw period of <c>status --watch</c>.</summary>
    public const double DefaultWatchSeconds = 2;

    public static Command Create()
    {
        var json = new Option<bool>("--json")
        {
            Description = "Print the status object as the daemon sent it: one line of JSON (schema_version 1, see docs/status.md)",
        };
        var watch = new Option<bool>("--watch", "-w")
        {
            Description = "Redraw every --interval seconds until Ctrl-C (with --json: one line per interval). A daemon that stops answering is shown and retried.",
        };
        var interval = CliOptions.Seconds("--interval", DefaultWatchSeconds, 0.1, 3600, "seconds between redraws with --watch");
        var socket = DaemonCall.SocketOption();
        var iface = DaemonCall.InterfaceOption();
        var command = new Command("status", "Show the running daemon's identity, interface, peers (with their overlay addresses), traffic and drops; with --interface, those of a subnetra-wg interface") { json, watch, interval, socket, iface };
        DaemonCall.ExclusiveSocketOptions(command, socket, iface);
        command.Validators.Add(r =>
        {
            if (r.GetResult(interval) is { Implicit: false } && !r.GetValue(watch)) r.AddError("--interval needs --watch (it sets the redraw period)");
        });
        command.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            string path = DaemonCall.SocketPath(parse, socket, iface);
            InvocationConfiguration io = parse.InvocationConfiguration;
            return parse.GetValue(watch)
                ? WatchAsync(path, parse.GetValue(json), TimeSpan.FromSeconds(parse.GetValue(interval)), io.Output, io.Error, ct)
                : RunAsync(path, parse.GetValue(json), io.Output, io.Error, ct);
        });
        return command;
    }

    /// <summary>Queries <paramref name="socketPath"/> and prints; returns the exit code.</summary>
    public static async Task<int> RunAsync(
        string socketPath, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var (text, failure) = await FetchAsync(socketPath, json, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            await error.WriteLineAsync(failure.Message).ConfigureAwait(false);
            return failure.Exit;
        }
        await output.WriteAsync(text).ConfigureAwait(false);
        return CliCommand.ExitOk;
    }

    /// <summary>ANSI "cursor home, erase below": each frame replaces the last, as watch(1) does.</summary>
    public const string ClearScreen = "\u001b[H\u001b[J";

    /// <summary>
    /// <c>status --watch</c>: one frame per <paramref name="period"/> until <paramref name="ct"/> is
    /// cancelled (Ctrl-C), then exit 0. A failed query is shown in the frame (on stderr for --json)
    /// and retried, so a daemon restart is watched through; a usage failure (not a socket) ends it.
    /// </summary>
    public static async Task<int> WatchAsync(string socketPath, bool json, TimeSpan period, TextWriter output, TextWriter error, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            (string? text, DaemonFailure? failure) = (null, null);
            try
            {
                (text, failure) = await FetchAsync(socketPath, json, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            if (failure is { Exit: CliCommand.ExitUsage })
            {
                await error.WriteLineAsync(failure.Message).ConfigureAwait(false);
                return failure.Exit;
            }
            if (json)
            {
                if (failure is not null) await error.WriteLineAsync(failure.Message).ConfigureAwait(false);
                else await output.WriteAsync(text).ConfigureAwait(false);
            }
            else
            {
                string stamp = DateTimeOffset.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
                await output.WriteAsync($"{ClearScreen}every {period.TotalSeconds:0.#} s, {stamp}; Ctrl-C to stop\n\n{text ?? failure!.Message + "\n"}").ConfigureAwait(false);
            }
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await Task.Delay(period, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return CliCommand.ExitOk;
    }

    /// <summary>One status query rendered as the human view or the verbatim JSON line.</summary>
    private static async Task<(string? Text, DaemonFailure? Failure)> FetchAsync(string socketPath, bool json, CancellationToken ct)
    {
        var (reply, failure) = await DaemonCall.SendAsync(socketPath, new ControlRequest { Command = ControlCommands.Status }, RequestTimeout, ct).ConfigureAwait(false);
        if (failure is not null) return (null, failure);
        string? rawStatus;
        try
        {
            rawStatus = reply!.Member("status") is { } raw && raw.StartsWith('{') ? raw : null;
        }
        catch (JsonException ex)
        {
            return (null, new DaemonFailure($"invalid reply from daemon on {socketPath}: {ex.Message}", CliCommand.ExitFailure));
        }
        if (reply.Response.Status is null || rawStatus is null)
            return (null, new DaemonFailure($"invalid reply from daemon on {socketPath}: no status object", CliCommand.ExitFailure));
        // Verbatim for --json, so fields added by a newer daemon reach scripts too.
        if (json) return (rawStatus + "\n", null);
        var w = new StringWriter { NewLine = "\n" };
        RenderHuman(reply.Response.Status, w, DateTimeOffset.UtcNow);
        return (w.ToString(), null);
    }

    /// <summary>The human view. <paramref name="now"/> turns handshake times into ages.</summary>
    public static void RenderHuman(StatusSnapshot s, TextWriter w, DateTimeOffset now)
    {
        string ports = s.UdpPorts.Count == 0 ? "-" : string.Join(",", s.UdpPorts);
        w.WriteLine(s.Role == "wg"
            ? $"subnetra-wg {s.Version}  role=wg  tun={s.Tun}  udp={ports}  uptime={FormatDuration(s.UptimeSeconds)}"
            : $"subnetrad {s.Version}  role={s.Role}  local_id={s.LocalId}  tun={s.Tun}  udp={ports}  uptime={FormatDuration(s.UptimeSeconds)}");
        w.WriteLine($"interface {s.Tun}  socket {s.Socket}");
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

        var rows = new List<string[]> { new[] { "NAME", "ID", "ADDRESSES", "ENDPOINT", "HANDSHAKE", "RX", "TX", "ONLINE" } };
        foreach (PeerStatus p in s.Peers)
        {
            rows.Add(
            [
                p.Name,
                p.Id.ToString(CultureInfo.InvariantCulture),
                p.AllowedSrc.Count == 0 ? "-" : string.Join(",", p.AllowedSrc),
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
