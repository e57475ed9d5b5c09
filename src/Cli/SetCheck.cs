using System.CommandLine;
using System.Net;
using Overlay.Protocol.Config;
using Overlay.Protocol.Crypto;

namespace Overlay.Cli;

/// <summary>
/// <c>subnetra check FILE...</c> (issue 13 item 3): validates each file as <c>subnetrad --check</c>
/// does, then the files as one network, catching what no single file shows — a spoke holding
/// another link's PSK passes --check and fails only at handshake time. For each spoke and its
/// hub (the hub config whose local_id is the spoke's peers[0].id): the hub has a peer with the
/// spoke's id, with the same psk and, for explicit identities, the matching keys; the spoke's
/// tun address and local routes lie inside that peer's allowed_src and in virtual_subnet; the
/// spoke dials the hub's listen port (or its advertised_endpoint); across spokes no id or
/// address repeats. Each problem is one line <c>FILE: key.path: message</c> naming the other
/// file and its key path; exit 2. All well: one summary line, exit 0.
/// </summary>
public static class SetCheck
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "Config files of one network: its hub and any of its spokes", Arity = ArgumentArity.OneOrMore };
        var command = new Command("check", "Validate config files one by one (as 'subnetrad --check') and then together: matching ids and PSKs per link, addresses inside allowed_src and virtual_subnet, the hub's port, no repeated spoke id or address") { files };
        command.SetAction(parse =>
        {
            var io = parse.InvocationConfiguration;
            return Run(parse.GetValue(files)!, io.Output, io.Error);
        });
        return command;
    }

    public static int Run(IReadOnlyList<string> paths, TextWriter stdout, TextWriter stderr)
    {
        var configs = new List<OverlayConfig>();
        int failedFiles = 0;
        foreach (string path in paths)
        {
            var result = ConfigLoader.LoadFile(path, Overlay.Os.Node.RegularFileReader.Instance);
            foreach (string w in result.Warnings) stderr.WriteLine($"warning: {w}");
            foreach (var e in result.Errors) stderr.WriteLine(e.ToString());
            if (result.Config is { } c) configs.Add(c);
            else failedFiles++;
        }
        var problems = Problems(configs);
        foreach (string p in problems) stderr.WriteLine(p);
        if (failedFiles > 0 || problems.Count > 0)
        {
            stderr.WriteLine($"check failed: {failedFiles} of {paths.Count} file(s) invalid, {problems.Count} problem(s) across files");
            return CliCommand.ExitUsage;
        }
        int hubs = configs.Count(c => c.Role == NodeRole.Hub);
        int spokes = configs.Count(c => c.Role == NodeRole.Spoke);
        stdout.WriteLine($"check OK: {configs.Count} file(s), {hubs} hub(s), {spokes} spoke(s): every link matches at both ends");
        return CliCommand.ExitOk;
    }

    /// <summary>Every cross-file problem of a set of valid configs, as <c>FILE: key.path: message</c> lines.</summary>
    public static List<string> Problems(IReadOnlyList<OverlayConfig> configs)
    {
        var problems = new List<string>();
        void Add(OverlayConfig file, string path, string message) => problems.Add(new ConfigError(file.SourcePath, path, message).ToString());
        var hubs = configs.Where(c => c.Role == NodeRole.Hub).ToList();
        var spokes = configs.Where(c => c.Role == NodeRole.Spoke).ToList();

        for (int i = 0; i < hubs.Count; i++)
            for (int j = 0; j < i; j++)
                if (hubs[i].LocalId == hubs[j].LocalId)
                    Add(hubs[i], "local_id", $"{hubs[i].LocalId} is also the local_id of {hubs[j].SourcePath}: a spoke could not tell which hub it belongs to");

        for (int i = 0; i < spokes.Count; i++)
        {
            OverlayConfig s = spokes[i];
            for (int j = 0; j < i; j++)
            {
                OverlayConfig t = spokes[j];
                if (s.LocalId == t.LocalId)
                    Add(s, "local_id", $"{s.LocalId} is also the local_id of {t.SourcePath}: every spoke needs its own id");
                if (s.LocalTunIp is InterfaceAddress a && t.LocalTunIp is InterfaceAddress b && a.Address.Equals(b.Address))
                    Add(s, "local_tun_ip", $"{a.Address} is also the local_tun_ip of {t.SourcePath}: every spoke needs its own address");
            }
            PeerConfig hubPeer = s.HubPeer!;
            OverlayConfig? hub = hubs.FirstOrDefault(h => h.LocalId == hubPeer.Id);
            if (hub is null)
            {
                if (hubs.Count > 0)
                    Add(s, "peers[0].id", $"{hubPeer.Id} is not the local_id of any hub given ({string.Join(", ", hubs.Select(h => $"{h.SourcePath}: local_id = {h.LocalId}"))})");
                continue;
            }
            CheckLink(hub, s, Add);
        }
        return problems;
    }

    private static void CheckLink(OverlayConfig hub, OverlayConfig s, Action<OverlayConfig, string, string> add)
    {
        PeerConfig hubPeer = s.HubPeer!;
        string hubFile = hub.SourcePath;
        if (!s.VirtualSubnet.Equals(hub.VirtualSubnet))
            add(s, "virtual_subnet", $"{s.VirtualSubnet} differs from {hubFile}: virtual_subnet = {hub.VirtualSubnet}");
        PeerConfig? link = hub.FindPeer(s.LocalId);
        if (link is null)
        {
            add(s, "local_id", $"{s.LocalId} has no entry in {hubFile}: peers[].id (ids there: {string.Join(", ", hub.Peers.Select(p => p.Id))}); add it with 'subnetra add-peer'");
            return;
        }
        string linkPath = $"peers[{link.Index}]";
        if (!link.Psk.AsSpan().SequenceEqual(hubPeer.Psk))
            add(s, "peers[0].psk", $"does not match {hubFile}: {linkPath}.psk (peer '{link.Name}'): both ends of a link need the same PSK, or the handshake fails");
        CheckIdentities(hub, s, link, linkPath, add);

        // What the spoke sends from must be accepted by the hub for this peer (else inner_source_spoofed drops).
        var sources = new List<(string Path, IPNetwork Net)>();
        if (s.LocalTunIp is InterfaceAddress ip) sources.Add(("local_tun_ip", ip.HostRoute));
        for (int k = 0; k < s.LocalRoutes.Count; k++) sources.Add(($"local_routes[{k}]", s.LocalRoutes[k]));
        string allowed = string.Join(", ", link.AllowedSrc);
        foreach (var (path, net) in sources)
            if (!link.AllowedSrc.Any(a => AddressText.Covers(a, net)))
                add(s, path, $"{net} is outside {hubFile}: {linkPath}.allowed_src ({allowed}); the hub would drop its packets as inner_source_spoofed");
        if (s.LocalTunIp is InterfaceAddress own && !s.VirtualSubnet.Contains(own.Address))
            add(s, "local_tun_ip", $"{own.Address} is outside virtual_subnet {s.VirtualSubnet}");
        if (s.LocalTunIp is InterfaceAddress own2 && !hub.VirtualSubnet.Contains(own2.Address))
            add(s, "local_tun_ip", $"{own2.Address} is outside {hubFile}: virtual_subnet ({hub.VirtualSubnet})");

        if (hubPeer.Endpoint is PeerEndpoint ep && !hub.EffectiveListenPorts.Contains(ep.Port)
            && !(hub.AdvertisedEndpoint is PeerEndpoint adv && adv.Port == ep.Port))
            add(s, "peers[0].endpoint", $"port {ep.Port} is not a port {hubFile} listens on ({string.Join(", ", hub.EffectiveListenPorts)})"
                + (hub.AdvertisedEndpoint is PeerEndpoint a ? $" nor its advertised_endpoint {a}" : ""));
    }

    /// <summary>Explicit identities: each side's public_key must be the other side's private key's public half.</summary>
    private static void CheckIdentities(OverlayConfig hub, OverlayConfig s, PeerConfig link, string linkPath, Action<OverlayConfig, string, string> add)
    {
        PeerConfig hubPeer = s.HubPeer!;
        if (link.UsesExplicitIdentity != hubPeer.UsesExplicitIdentity)
        {
            add(s, "peers[0].public_key", link.UsesExplicitIdentity
                ? $"missing, but {hubFile(hub)}: {linkPath}.public_key is set: both ends must use explicit keys, or neither"
                : $"set, but {hubFile(hub)}: {linkPath} has no public_key: both ends must use explicit keys, or neither");
            return;
        }
        if (!link.UsesExplicitIdentity) return;
        Span<byte> pub = stackalloc byte[X25519.KeySize];
        if (hub.PrivateKey is { } hubKey)
        {
            X25519.DerivePublicKey(hubKey, pub);
            if (!pub.SequenceEqual(hubPeer.PublicKey))
                add(s, "peers[0].public_key", $"is not the public key of {hubFile(hub)}'s private key ({KeyEncoding.FormatBase64Key(pub)})");
        }
        if (s.PrivateKey is { } spokeKey)
        {
            X25519.DerivePublicKey(spokeKey, pub);
            if (!pub.SequenceEqual(link.PublicKey))
                add(s, "private_key", $"its public key {KeyEncoding.FormatBase64Key(pub)} is not {hubFile(hub)}: {linkPath}.public_key");
        }

        static string hubFile(OverlayConfig h) => h.SourcePath;
    }
}
