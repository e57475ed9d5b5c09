using System.Globalization;
using System.Text;

namespace Overlay.Integration.Tests.Harness;

/// <summary>One [Peer] of a wg-quick config.</summary>
public sealed record WgQuickPeer(string PublicKey, string? PresharedKey, string? Endpoint, IReadOnlyList<string> AllowedIps, int? PersistentKeepalive);

/// <summary>
/// A wg-quick(8) style config, as <c>subnetra export</c> produces it: [Interface] PrivateKey, Address,
/// MTU, ListenPort (plus FwMark, DNS, Table) and [Peer] PublicKey, PresharedKey, Endpoint, AllowedIPs,
/// PersistentKeepalive. Keys are case-insensitive and list values comma-separated, as wg(8) reads them.
/// <see cref="WgSetconfText"/> is the text with the wg-quick-only keys removed — what <c>wg-quick strip</c>
/// prints — so <c>wg setconf</c> validates the keys exactly as a user's wg would. Hook keys (PreUp,
/// PostUp, PreDown, PostDown) and SaveConfig are rejected: the harness will not run arbitrary shell.
/// </summary>
public sealed class WgQuickConfig
{
    // wg-quick(8): keys it consumes itself; everything else in [Interface] goes to wg(8).
    private static readonly HashSet<string> QuickOnlyKeys = new(StringComparer.OrdinalIgnoreCase) { "Address", "DNS", "MTU", "Table" };
    private static readonly HashSet<string> RejectedKeys = new(StringComparer.OrdinalIgnoreCase) { "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig" };

    private WgQuickConfig(string text)
    {
        Text = text;
    }

    /// <summary>The text as given.</summary>
    public string Text { get; }

    public string? PrivateKey { get; private set; }

    public int? ListenPort { get; private set; }

    public string? FwMark { get; private set; }

    /// <summary>Interface addresses in CIDR form (a bare address gets /32, as wg-quick would add it).</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public int? Mtu { get; private set; }

    public IReadOnlyList<string> Dns { get; private set; } = [];

    /// <summary>wg-quick's Table; "off" means: add no routes for AllowedIPs.</summary>
    public string? Table { get; private set; }

    public IReadOnlyList<WgQuickPeer> Peers { get; private set; } = [];

    /// <summary>The config for <c>wg setconf</c>: comments and wg-quick-only keys removed.</summary>
    public string WgSetconfText { get; private set; } = string.Empty;

    public static WgQuickConfig Parse(string text)
    {
        var config = new WgQuickConfig(text);
        var addresses = new List<string>();
        var dns = new List<string>();
        var peers = new List<WgQuickPeer>();
        var setconf = new StringBuilder();
        string? section = null;
        bool sawInterface = false;

        string? peerKey = null;
        string? peerPsk = null;
        string? peerEndpoint = null;
        int? peerKeepalive = null;
        var peerAllowed = new List<string>();

        void FlushPeer(int lineNumber)
        {
            if (section != "peer")
            {
                return;
            }

            if (peerKey is null)
            {
                throw new HarnessException($"wg-quick config line {lineNumber}: [Peer] without PublicKey");
            }

            peers.Add(new WgQuickPeer(peerKey, peerPsk, peerEndpoint, peerAllowed.ToArray(), peerKeepalive));
            peerKey = peerPsk = peerEndpoint = null;
            peerKeepalive = null;
            peerAllowed.Clear();
        }

        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            int lineNumber = n + 1;
            int hash = lines[n].IndexOf('#', StringComparison.Ordinal);
            string line = (hash >= 0 ? lines[n][..hash] : lines[n]).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                FlushPeer(lineNumber);
                string name = line[1..^1].Trim();
                section = name.ToLowerInvariant() switch
                {
                    "interface" => "interface",
                    "peer" => "peer",
                    _ => throw new HarnessException($"wg-quick config line {lineNumber}: unknown section [{name}]"),
                };
                if (section == "interface")
                {
                    if (sawInterface)
                    {
                        throw new HarnessException($"wg-quick config line {lineNumber}: second [Interface]");
                    }

                    sawInterface = true;
                }

                setconf.Append('[').Append(name).Append("]\n");
                continue;
            }

            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (section is null || equals <= 0)
            {
                throw new HarnessException($"wg-quick config line {lineNumber}: expected 'Key = Value' inside a section: '{lines[n].Trim()}'");
            }

            string key = line[..equals].Trim();
            string value = line[(equals + 1)..].Trim();
            if (RejectedKeys.Contains(key))
            {
                throw new HarnessException($"wg-quick config line {lineNumber}: {key} is not supported by the test harness");
            }

            if (section == "interface")
            {
                switch (key.ToLowerInvariant())
                {
                    case "privatekey": config.PrivateKey = value; break;
                    case "listenport": config.ListenPort = Int(value, key, lineNumber); break;
                    case "fwmark": config.FwMark = value; break;
                    case "address": addresses.AddRange(List(value).Select(a => a.Contains('/') ? a : a + "/32")); break;
                    case "mtu": config.Mtu = Int(value, key, lineNumber); break;
                    case "dns": dns.AddRange(List(value)); break;
                    case "table": config.Table = value; break;
                    default: throw new HarnessException($"wg-quick config line {lineNumber}: unknown [Interface] key {key}");
                }

                if (QuickOnlyKeys.Contains(key))
                {
                    continue;
                }
            }
            else
            {
                switch (key.ToLowerInvariant())
                {
                    case "publickey": peerKey = value; break;
                    case "presharedkey": peerPsk = value; break;
                    case "endpoint": peerEndpoint = value; break;
                    case "allowedips": peerAllowed.AddRange(List(value)); break;
                    case "persistentkeepalive": peerKeepalive = value == "off" ? null : Int(value, key, lineNumber); break;
                    default: throw new HarnessException($"wg-quick config line {lineNumber}: unknown [Peer] key {key}");
                }
            }

            setconf.Append(key).Append(" = ").Append(value).Append('\n');
        }

        FlushPeer(lines.Length);
        if (!sawInterface)
        {
            throw new HarnessException("wg-quick config has no [Interface] section");
        }

        config.Addresses = addresses;
        config.Dns = dns;
        config.Peers = peers;
        config.WgSetconfText = setconf.ToString();
        return config;
    }

    private static string[] List(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Int(string value, string key, int lineNumber) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new HarnessException($"wg-quick config line {lineNumber}: {key} wants a number, got '{value}'");
}
