using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Overlay.Protocol.Config;
using Overlay.Protocol.Crypto;

namespace Overlay.Cli;

/// <summary>What add-peer was asked for.</summary>
public sealed record AddPeerRequest(
    string Name, string Os, int? Id, string? Ip, IReadOnlyList<string> Lans, bool WireGuard, string? TunName);

/// <summary>
/// The new spoke worked out against a validated hub config: its id and address (the next free
/// ones, or the requested ones when they clash with nothing), its LANs, a fresh link PSK, the
/// hub's new peers[] entry and the spoke's own config. Pure: no files are touched here.
/// </summary>
public sealed class PeerPlan
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public required IPAddress Address { get; init; }
    public required IReadOnlyList<IPNetwork> Lans { get; init; }
    public required string Psk { get; init; }
    public required JsonObject HubEntry { get; init; }
    public required JsonObject SpokeConfig { get; init; }
    /// <summary>LANs of this spoke that existing spokes' configs do not route yet (they use virtual_subnet or their own remote_routes).</summary>
    public required IReadOnlyList<IPNetwork> LansOutsideSubnet { get; init; }

    public static PeerPlan? TryCreate(OverlayConfig hub, PeerEndpoint advertised, AddPeerRequest r, out string error)
    {
        if (r.Name.Length is 0 or > 48 || r.Name.Any(c => c is < ' ' or > '~'))
        {
            error = "--name takes 1..48 printable ASCII characters (a label for status and logs)";
            return null;
        }
        foreach (var p in hub.Peers)
            if (p.Name == r.Name)
            {
                error = $"--name {r.Name}: peer {p.Id} in {hub.SourcePath} already has that name";
                return null;
            }

        int id;
        if (r.Id is int wanted)
        {
            if (wanted == hub.LocalId) { error = $"--id {wanted} is the hub's own local_id"; return null; }
            if (hub.FindPeer(wanted) is { } clash) { error = $"--id {wanted} is taken by peer '{clash.Name}' (peers[{clash.Index}])"; return null; }
            id = wanted;
        }
        else if (NextId(hub) is int next) id = next;
        else { error = "no free peer id left in 1..65535"; return null; }

        int prefix = hub.VirtualSubnet.PrefixLength;
        IPAddress address;
        if (r.Ip is not null)
        {
            if (!AddressText.TryParseAddress(r.Ip, out address) || !AddressPool.IsUsable(hub.VirtualSubnet, address))
            {
                error = $"--ip takes an address inside virtual_subnet {hub.VirtualSubnet} (not its network or broadcast address), not '{r.Ip}'";
                return null;
            }
            if (Holder(hub, address) is string holder) { error = $"--ip {address} is taken by {holder}"; return null; }
        }
        else if (AddressPool.NextFree(hub.VirtualSubnet, a => Holder(hub, a) is not null) is IPAddress free) address = free;
        else { error = $"virtual_subnet {hub.VirtualSubnet} has no free address left"; return null; }

        var lans = new List<IPNetwork>();
        foreach (string text in r.Lans)
        {
            if (!AddressText.TryParseCidr(text, out var a, out int len, out string why)) { error = $"--lan {text}: {why}"; return null; }
            var lan = AddressText.ToNetwork(a, len);
            if (!lan.BaseAddress.Equals(a)) { error = $"--lan {text} has host bits set; did you mean {lan}?"; return null; }
            if (len == 0) { error = $"--lan {text} is too broad: the hub relays a spoke's allowed_src to it, so /0 would capture all traffic"; return null; }
            foreach (var p in hub.Peers)
                foreach (var n in p.AllowedSrc)
                    if (AddressText.Overlaps(n, lan)) { error = $"--lan {lan} overlaps {n} of peer '{p.Name}' (peers[{p.Index}].allowed_src)"; return null; }
            if (hub.LocalTunIp is InterfaceAddress own && lan.Contains(own.Address)) { error = $"--lan {lan} contains the hub's own address {own.Address}"; return null; }
            if (lan.Contains(address)) { error = $"--lan {lan} contains the spoke's own overlay address {address}; a LAN is a network behind the spoke"; return null; }
            if (lans.Contains(lan)) { error = $"--lan {lan} is given twice"; return null; }
            lans.Add(lan);
        }

        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        string psk = KeyEncoding.ToHex(key);
        CryptographicOperations.ZeroMemory(key);

        var hostRoute = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        var allowed = new List<string> { hostRoute.ToString() };
        allowed.AddRange(lans.Select(l => l.ToString()));
        var entry = new JsonObject
        {
            ["id"] = id,
            ["name"] = r.Name,
            ["allowed_src"] = ConfigJson.Strings(allowed),
            ["psk"] = psk,
        };

        var spoke = new JsonObject
        {
            ["role"] = "spoke",
            ["virtual_subnet"] = hub.VirtualSubnet.ToString(),
            ["local_id"] = id,
            ["local_tun_ip"] = $"{address}/{prefix}",
        };
        if (hub.TunMtu != OverlayConfig.DefaultTunMtu) spoke["local_tun_mtu"] = hub.TunMtu;
        // local_routes replaces the default (local_tun_ip as a host route), so the spoke's own address stays in it.
        if (lans.Count > 0) spoke["local_routes"] = ConfigJson.Strings(allowed);
        var remote = RemoteRoutes(hub, lans);
        if (remote.Count > 1) spoke["remote_routes"] = ConfigJson.Strings(remote.Select(n => n.ToString()));
        if (r.Os == "linux" && r.TunName is not null) spoke["tun_name"] = r.TunName;
        spoke["peers"] = new JsonArray(new JsonObject
        {
            ["id"] = (int)hub.LocalId,
            ["name"] = "hub",
            ["endpoint"] = advertised.ToString(),
            ["psk"] = psk,
        });

        error = "";
        return new PeerPlan
        {
            Id = id, Name = r.Name, Address = address, Lans = lans, Psk = psk, HubEntry = entry, SpokeConfig = spoke,
            LansOutsideSubnet = lans.Where(l => !AddressText.Covers(hub.VirtualSubnet, l)).ToList(),
        };
    }

    /// <summary>
    /// What the new spoke sends to the hub: virtual_subnet, plus every other spoke's LAN outside
    /// it (and the hub's address if outside), as export computes AllowedIPs.
    /// </summary>
    private static List<IPNetwork> RemoteRoutes(OverlayConfig hub, List<IPNetwork> ownLans)
    {
        var list = new List<IPNetwork> { hub.VirtualSubnet };
        void Add(IPNetwork n)
        {
            foreach (var have in list) if (AddressText.Covers(have, n)) return;
            foreach (var own in ownLans) if (AddressText.Overlaps(own, n)) return;
            list.Add(n);
        }
        if (hub.LocalTunIp is InterfaceAddress ip) Add(ip.HostRoute);
        foreach (var p in hub.Peers)
            foreach (var n in p.AllowedSrc) Add(n);
        return list;
    }

    /// <summary>Who holds <paramref name="a"/>: the hub's own address or a peer whose allowed_src covers it.</summary>
    private static string? Holder(OverlayConfig hub, IPAddress a)
    {
        if (hub.LocalTunIp is InterfaceAddress own && own.Address.Equals(a)) return "the hub (local_tun_ip)";
        foreach (var p in hub.Peers)
            for (int k = 0; k < p.AllowedSrc.Count; k++)
                if (p.AllowedSrc[k].Contains(a)) return $"peer '{p.Name}' (peers[{p.Index}].allowed_src {p.AllowedSrc[k]})";
        return null;
    }

    /// <summary>One above the highest id in use (hub included), else the lowest free one.</summary>
    private static int? NextId(OverlayConfig hub)
    {
        int max = hub.LocalId;
        foreach (var p in hub.Peers) max = Math.Max(max, p.Id);
        if (max < 65535) return max + 1;
        for (int id = 1; id <= 65535; id++)
            if (id != hub.LocalId && hub.FindPeer(id) is null) return id;
        return null;
    }
}
