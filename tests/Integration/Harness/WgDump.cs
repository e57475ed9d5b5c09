using System.Globalization;

namespace Overlay.Integration.Tests.Harness;

/// <summary>One peer line of <c>wg show &lt;if&gt; dump</c>.</summary>
public sealed record WgDumpPeer(
    string PublicKey,
    string? PresharedKey,
    string? Endpoint,
    IReadOnlyList<string> AllowedIps,
    DateTimeOffset? LatestHandshake,
    long RxBytes,
    long TxBytes,
    int? PersistentKeepalive)
{
    public bool HasHandshake => LatestHandshake is not null;
}

/// <summary>
/// Parsed <c>wg show &lt;if&gt; dump</c> (wg(8) "dump" format, tab-separated): the interface line
/// <c>private-key public-key listen-port fwmark</c>, then per peer <c>public-key preshared-key endpoint
/// allowed-ips latest-handshake transfer-rx transfer-tx persistent-keepalive</c>. "(none)" and "off"
/// become null; handshake 0 (never) becomes null.
/// </summary>
public sealed record WgDump(string? PrivateKey, string? PublicKey, int ListenPort, string? FwMark, IReadOnlyList<WgDumpPeer> Peers)
{
    public WgDumpPeer Peer(string publicKey) =>
        Peers.FirstOrDefault(p => p.PublicKey == publicKey)
        ?? throw new HarnessException($"no peer {publicKey} in wg dump (peers: {string.Join(", ", Peers.Select(p => p.PublicKey))})");

    public static WgDump Parse(string text)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            throw new HarnessException("empty wg dump");
        }

        string[] head = lines[0].Split('\t');
        if (head.Length != 4)
        {
            throw new HarnessException($"wg dump interface line has {head.Length} fields, want 4: '{lines[0]}'");
        }

        var peers = new List<WgDumpPeer>();
        foreach (string line in lines.Skip(1))
        {
            string[] f = line.Split('\t');
            if (f.Length != 8)
            {
                throw new HarnessException($"wg dump peer line has {f.Length} fields, want 8: '{line}'");
            }

            long handshake = long.Parse(f[4], CultureInfo.InvariantCulture);
            peers.Add(new WgDumpPeer(
                f[0],
                None(f[1]),
                None(f[2]),
                f[3] == "(none)" ? [] : f[3].Split(','),
                handshake == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(handshake),
                long.Parse(f[5], CultureInfo.InvariantCulture),
                long.Parse(f[6], CultureInfo.InvariantCulture),
                f[7] == "off" ? null : int.Parse(f[7], CultureInfo.InvariantCulture)));
        }

        return new WgDump(None(head[0]), None(head[1]), int.Parse(head[2], CultureInfo.InvariantCulture), None(head[3]), peers);
    }

    private static string? None(string field) => field is "(none)" or "off" ? null : field;
}
