using System.Globalization;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Conformance;

/// <summary>
/// The two-peer setup of wireguard-go's tests/netns.sh, mapped to our address rules: peer 1 in
/// the hub namespace of a <see cref="Topology"/>, peer 2 (and 3) in spoke namespaces, each a
/// <c>subnetra-wg -f</c> configured only with wg(8) and ip(8). Inner addresses: peer n is
/// 198.19.241.n/24 and 2001:2:0:241::n/112 (netns.sh: 192.168.241.n/24, fd00::n/112); outer: the
/// topology's veth links (netns.sh: loopback of ns0).
/// </summary>
public sealed class WgPair : IDisposable
{
    public const int Port1 = 1, Port2 = 2;

    private WgPair(Topology topology) => Topology = topology;

    public Topology Topology { get; }

    public List<WireGuardGo> Peers { get; } = [];

    public List<WgKeyPair> Keys { get; } = [];

    public WireGuardGo Wg(int n) => Peers[n - 1];

    public Node NodeOf(int n) => n == 1 ? Topology.Hub : Topology.Spoke(n - 1);

    public static string Inner4(int n) => $"198.19.241.{n}";

    public static string Inner6(int n) => $"2001:2:0:241::{n}";

    public static int ListenPort(int n) => 51820 + n;

    /// <summary>Endpoint of peer <paramref name="n"/> as peer <paramref name="from"/> reaches it over the underlay.</summary>
    public string EndpointOf(int n, int from) =>
        n == 1 ? $"{Topology.Hub.AddressFacing(NodeOf(from))}:{ListenPort(1)}" : $"{NodeOf(n).UnderlayAddress}:{ListenPort(n)}";

    /// <summary>
    /// Starts <paramref name="count"/> peers (2 or 3); peer 1 has every other as a peer (allowed IPs
    /// their inner /32 and /128), each other peer has peer 1 with the whole inner /24 and /112.
    /// </summary>
    public static async Task<WgPair> StartAsync(int count = 2)
    {
        DaemonKit.Require("ping", "wg");
        var pair = new WgPair(Topology.HubAndSpokes(count - 1));
        try
        {
            for (int n = 1; n <= count; n++)
            {
                WireGuardGo wg = pair.Topology.Track(await WireGuardGo.StartSubnetraWgAsync(pair.NodeOf(n).Ns));
                WgKeyPair keys = WgKeyPair.Generate();
                wg.SetPrivateKey(keys.PrivateKey, ListenPort(n));
                wg.AddAddress(Inner4(n) + "/24");
                wg.AddAddress(Inner6(n) + "/112");
                wg.Up();
                pair.Peers.Add(wg);
                pair.Keys.Add(keys);
            }
            for (int n = 2; n <= count; n++)
            {
                pair.Wg(1).SetPeer(pair.Keys[n - 1].PublicKey, endpoint: pair.EndpointOf(n, 1), allowedIps: [Inner4(n) + "/32", Inner6(n) + "/128"]);
                pair.Wg(n).SetPeer(pair.Keys[0].PublicKey, endpoint: pair.EndpointOf(1, n), allowedIps: ["198.19.241.0/24", "2001:2:0:241::/112"]);
            }
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    public PingResult Ping4(int from, int to, int count = 3, int? size = null) =>
        Netns.Ping(NodeOf(from).Ns, Inner4(to), count: count, deadlineSec: 10, payloadSize: size);

    /// <summary>ping -6 inside 2001:2::/48 (the harness's Ping is IPv4-only).</summary>
    public PingResult Ping6(int from, int to, int count = 3)
    {
        string target = Inner6(to);
        if (!target.StartsWith("2001:2:0:", StringComparison.Ordinal)) throw new ArgumentException("IPv6 tests stay inside 2001:2::/48");
        ExecResult r = Netns.Exec(NodeOf(from).Ns, ["ping", "-6", "-n", "-q", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-w", "10", target], TimeSpan.FromSeconds(15));
        return Netns.ParsePing(r.Stdout);
    }

    public ExecResult Wg(int n, params string[] args) =>
        Netns.Exec(NodeOf(n).Ns, ["wg", .. args], TimeSpan.FromSeconds(30)).EnsureSuccess();

    public void Dispose() => Topology.Dispose();
}
