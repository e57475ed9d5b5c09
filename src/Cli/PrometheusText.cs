using System.Globalization;
using System.Text;
using System.Text.Json;
using Overlay.Protocol.Control;
using Overlay.Protocol.Stats;

namespace Overlay.Cli;

/// <summary>
/// Renders a <see cref="StatusSnapshot"/> as Prometheus text exposition format 0.0.4
/// (prometheus.io/docs/instrumenting/exposition_formats): one <c># HELP</c> and one
/// <c># TYPE</c> line per metric family, then its samples; label values escape <c>\</c>,
/// <c>"</c> and newline, HELP text escapes <c>\</c> and newline. Metric names and their
/// meaning are documented in docs/metrics.md. Pure function of the snapshot: the CLI
/// asks the daemon for <c>status</c> and renders here, so the daemon needs no metrics code.
/// </summary>
public static class PrometheusText
{
    /// <summary>Every metric name starts with this (Subnetra's exporter uses the same).</summary>
    public const string Prefix = "subnetra_";

    /// <summary>HELP text for each traffic counter of <see cref="TrafficStats"/>, by its snake_case status name.</summary>
    public static IReadOnlyDictionary<string, string> TrafficHelp { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["tun_rx_packets"] = "Packets read from the tunnel interface.",
        ["tun_rx_bytes"] = "Bytes read from the tunnel interface.",
        ["tun_tx_packets"] = "Packets written to the tunnel interface.",
        ["tun_tx_bytes"] = "Bytes written to the tunnel interface.",
        ["udp_rx_packets"] = "Datagrams received on the UDP socket(s), every WireGuard message type.",
        ["udp_rx_bytes"] = "Bytes received on the UDP socket(s).",
        ["udp_tx_packets"] = "Datagrams sent on the UDP socket(s).",
        ["udp_tx_bytes"] = "Bytes sent on the UDP socket(s).",
        ["relay_packets"] = "Packets the hub forwarded from one peer to another.",
        ["relay_bytes"] = "Bytes the hub forwarded from one peer to another.",
        ["handshake_initiations_sent"] = "WireGuard handshake initiations (type 1) sent.",
        ["handshake_initiations_received"] = "WireGuard handshake initiations (type 1) received.",
        ["handshake_responses_sent"] = "WireGuard handshake responses (type 2) sent.",
        ["handshake_responses_received"] = "WireGuard handshake responses (type 2) received.",
        ["cookie_replies_sent"] = "WireGuard cookie replies (type 3) sent under load.",
        ["cookie_replies_received"] = "WireGuard cookie replies (type 3) received.",
        ["keepalives_sent"] = "Empty transport messages (keepalives) sent.",
        ["keepalives_received"] = "Empty transport messages (keepalives) received.",
        ["sessions_established"] = "Completed handshakes that produced a session.",
    };

    /// <summary>The exposition for a running daemon: <c>subnetra_up 1</c> and every metric of <paramref name="s"/>.</summary>
    public static string Render(StatusSnapshot s)
    {
        var w = new StringBuilder(4096);
        Family(w, "up", "gauge", "1 when subnetrad answered on its control socket, 0 when it did not.");
        Sample(w, "up", null, 1);

        Family(w, "build_info", "gauge", "Constant 1; labels carry the daemon's version, role, local id and tunnel name.");
        Sample(w, "build_info",
            [("version", s.Version), ("role", s.Role), ("local_id", Int(s.LocalId)), ("tun", s.Tun)], 1);

        Family(w, "uptime_seconds", "gauge", "Seconds since the daemon started.");
        Sample(w, "uptime_seconds", null, s.UptimeSeconds);

        JsonElement traffic = JsonSerializer.SerializeToElement(s.Traffic, ControlJsonContext.Default.TrafficStats);
        foreach (JsonProperty counter in traffic.EnumerateObject())
        {
            if (counter.Value.ValueKind != JsonValueKind.Number) continue;
            string name = counter.Name + "_total";
            string help = TrafficHelp.TryGetValue(counter.Name, out string? h) ? h : $"Traffic counter {counter.Name} from subnetra status.";
            Family(w, name, "counter", help + " Since the daemon started.");
            Sample(w, name, null, counter.Value.GetInt64());
        }

        Family(w, "drops_total", "counter",
            "Packets dropped since the daemon started, by reason (every reason is present; see runbooks/troubleshooting.md).");
        foreach ((string reason, long count) in OrderedDrops(s.Drops))
        {
            Sample(w, "drops_total", [("reason", reason)], count);
        }

        Family(w, "peers", "gauge", "Configured peers.");
        Sample(w, "peers", null, s.Peers.Count);

        Family(w, "peer_online", "gauge", "1 when the peer's last handshake is younger than 180 s (REJECT_AFTER_TIME), else 0.");
        foreach (PeerStatus p in s.Peers) Sample(w, "peer_online", PeerLabels(p), p.Online ? 1 : 0);

        Family(w, "peer_last_handshake_timestamp_seconds", "gauge",
            "Unix time of the peer's last completed handshake; 0 when there was none since the daemon started.");
        foreach (PeerStatus p in s.Peers) Sample(w, "peer_last_handshake_timestamp_seconds", PeerLabels(p), p.LastHandshakeUnix ?? 0);

        Family(w, "peer_rx_bytes_total", "counter", "WireGuard bytes received from the peer, as on the wire.");
        foreach (PeerStatus p in s.Peers) Sample(w, "peer_rx_bytes_total", PeerLabels(p), p.RxBytes);

        Family(w, "peer_tx_bytes_total", "counter", "WireGuard bytes sent to the peer, as on the wire.");
        foreach (PeerStatus p in s.Peers) Sample(w, "peer_tx_bytes_total", PeerLabels(p), p.TxBytes);
        return w.ToString();
    }

    /// <summary>The exposition when the daemon did not answer: only <c>subnetra_up 0</c>.</summary>
    public static string RenderDown()
    {
        var w = new StringBuilder(160);
        Family(w, "up", "gauge", "1 when subnetrad answered on its control socket, 0 when it did not.");
        Sample(w, "up", null, 0);
        return w.ToString();
    }

    /// <summary>Escapes a label value: backslash, double quote and line feed (exposition format 0.0.4).</summary>
    public static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny("\\\"\n") < 0) return value;
        var b = new StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            b.Append(c switch
            {
                '\\' => @"\\",
                '"' => "\\\"",
                '\n' => @"\n",
                _ => c.ToString(),
            });
        }
        return b.ToString();
    }

    /// <summary>Escapes HELP text: backslash and line feed (quotes stay as they are).</summary>
    public static string EscapeHelp(string text) => text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>Drop reasons in <see cref="DropReason"/> order first, then any a newer daemon added, in its order.</summary>
    private static IEnumerable<KeyValuePair<string, long>> OrderedDrops(IReadOnlyDictionary<string, long> drops)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < DropReasons.Count; i++)
        {
            string name = DropReasons.Name((DropReason)i);
            known.Add(name);
            if (drops.TryGetValue(name, out long n)) yield return new(name, n);
        }
        foreach (KeyValuePair<string, long> d in drops)
        {
            if (!known.Contains(d.Key)) yield return d;
        }
    }

    private static (string, string)[] PeerLabels(PeerStatus p) => [("id", Int(p.Id)), ("name", p.Name)];

    private static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static void Family(StringBuilder w, string name, string type, string help)
    {
        w.Append("# HELP ").Append(Prefix).Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        w.Append("# TYPE ").Append(Prefix).Append(name).Append(' ').Append(type).Append('\n');
    }

    private static void Sample(StringBuilder w, string name, (string Key, string Value)[]? labels, long value)
    {
        w.Append(Prefix).Append(name);
        if (labels is { Length: > 0 })
        {
            w.Append('{');
            for (int i = 0; i < labels.Length; i++)
            {
                if (i > 0) w.Append(',');
                w.Append(labels[i].Key).Append("=\"").Append(EscapeLabelValue(labels[i].Value)).Append('"');
            }
            w.Append('}');
        }
        w.Append(' ').Append(Int(value)).Append('\n');
    }
}
