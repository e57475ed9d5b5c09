using System.Text;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.SelfTests;

/// <summary>
/// Two Debian wireguard-go instances, hub (listening on 51820) and spoke s1 (dialing it with a PSK and
/// keepalive), with the overlay on 198.19.0.0/24. Exercises WireGuardGo, WgKeys, WgDump, the wg-quick
/// config path, and iperf3 across a real tunnel.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class WireGuardGoTests
{
    private const int HubPort = 51820;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public async Task TwoInstances_PskTunnel_PingsHandshakesAndCarriesNoPlaintext()
    {
        Requires.Netns("wireguard-go", "wg", "ping", "tcpdump");
        using Topology topology = Topology.HubAndSpokes(1);
        (WireGuardGo hub, WireGuardGo spoke, WgKeyPair hubKeys, WgKeyPair spokeKeys) = await StartPairAsync(topology, wgQuickSpoke: false);
        Node s1 = topology.Spoke(1);
        const string marker = "0vl-tunnel-mark!";
        string markerHex = Convert.ToHexStringLower(Encoding.ASCII.GetBytes(marker));

        CaptureResult underlay = await PacketCapture.CaptureAsync(topology.Hub.Ns, topology.Hub.Links[0].Interface, TimeSpan.Zero, "udp", () =>
        {
            PingResult ping = s1.Ping(topology.Hub.OverlayAddress, count: 3, deadlineSec: 10, patternHex: markerHex);
            Assert.True(ping.AllReceived, ping + "\n" + spoke.Process.Tail());
            return Task.CompletedTask;
        });

        WgDumpPeer hubView = hub.Show().Peer(spokeKeys.PublicKey);
        WgDumpPeer spokeView = spoke.Show().Peer(hubKeys.PublicKey);
        Assert.True(hubView.HasHandshake);
        Assert.True(spokeView.HasHandshake);
        Assert.True(hubView.RxBytes > 0 && hubView.TxBytes > 0, $"hub rx {hubView.RxBytes} tx {hubView.TxBytes}");
        Assert.True(spokeView.RxBytes > 0 && spokeView.TxBytes > 0, $"spoke rx {spokeView.RxBytes} tx {spokeView.TxBytes}");
        Assert.StartsWith($"{s1.UnderlayAddress}:", hubView.Endpoint);
        Assert.Equal(25, spokeView.PersistentKeepalive);
        Assert.NotNull(spokeView.PresharedKey);
        Assert.True(underlay.CountUdp(HubPort) >= 6, underlay.ToString());
        Assert.False(underlay.Contains(marker), "ICMP payload marker visible on the underlay: the tunnel leaks plaintext");
    }

    [SkippableFact]
    public async Task ApplyConfig_WgQuickTextOnSpoke_TunnelComesUp()
    {
        Requires.Netns("wireguard-go", "wg", "ping");
        using Topology topology = Topology.HubAndSpokes(1);
        (WireGuardGo hub, WireGuardGo spoke, WgKeyPair _, WgKeyPair spokeKeys) = await StartPairAsync(topology, wgQuickSpoke: true);

        PingResult ping = topology.Spoke(1).Ping(topology.Hub.OverlayAddress, count: 2, deadlineSec: 10);

        Assert.True(ping.AllReceived, ping + "\n" + spoke.Process.Tail());
        Assert.True(hub.Show().Peer(spokeKeys.PublicKey).HasHandshake);
        Assert.Contains("mtu 1380", topology.Spoke(1).ExecOrThrow("ip", "link", "show", "dev", spoke.InterfaceName).Stdout);
        Assert.Contains($"198.19.7.0/24 dev {spoke.InterfaceName}", topology.Spoke(1).ExecOrThrow("ip", "route", "show").Stdout);
    }

    [SkippableFact]
    public async Task Iperf3_AcrossTunnel_ReportsPositiveRate()
    {
        Requires.Netns("wireguard-go", "wg", "ping", "iperf3");
        using Topology topology = Topology.HubAndSpokes(1);
        (WireGuardGo hub, WireGuardGo _, WgKeyPair _, WgKeyPair spokeKeys) = await StartPairAsync(topology, wgQuickSpoke: false);
        Node s1 = topology.Spoke(1);
        Assert.True(s1.Ping(topology.Hub.OverlayAddress, count: 1, deadlineSec: 10).AllReceived);
        Iperf3Server server = topology.Track(await Iperf3Server.StartAsync(topology.Hub.Ns, topology.Hub.OverlayAddress));

        Iperf3Result result = Iperf3.RunClient(s1.Ns, server.Address, server.Port, seconds: 3);

        Assert.True(result.BitsPerSecond > 0, result.ToString());
        Assert.True(hub.Show().Peer(spokeKeys.PublicKey).RxBytes > 1_000_000);
    }

    /// <summary>Hub and spoke wireguard-go with fresh keys and PSK; the spoke is configured by wg set or by wg-quick text.</summary>
    private static async Task<(WireGuardGo Hub, WireGuardGo Spoke, WgKeyPair HubKeys, WgKeyPair SpokeKeys)> StartPairAsync(
        Topology topology, bool wgQuickSpoke)
    {
        Node s1 = topology.Spoke(1);
        WgKeyPair hubKeys = WgKeyPair.Generate();
        WgKeyPair spokeKeys = WgKeyPair.Generate();
        string psk = WgKeys.GeneratePresharedKey();

        WireGuardGo hub = topology.Track(await WireGuardGo.StartAsync(topology.Hub.Ns));
        hub.SetPrivateKey(hubKeys.PrivateKey, HubPort);
        hub.SetPeer(spokeKeys.PublicKey, psk, allowedIps: [$"{s1.OverlayAddress}/32"]);
        hub.AddAddress(topology.Hub.OverlayCidr);
        hub.Up();

        WireGuardGo spoke = topology.Track(await WireGuardGo.StartAsync(s1.Ns));
        if (wgQuickSpoke)
        {
            spoke.ApplyConfig($"""
                [Interface]
                PrivateKey = {spokeKeys.PrivateKey}
                Address = {s1.OverlayCidr}
                MTU = 1380

                [Peer]
                PublicKey = {hubKeys.PublicKey}
                PresharedKey = {psk}
                Endpoint = {s1.HubAddress}:{HubPort}
                AllowedIPs = {Topology.OverlayPrefix}, 198.19.7.0/24
                PersistentKeepalive = 25
                """);
        }
        else
        {
            spoke.SetPrivateKey(spokeKeys.PrivateKey);
            spoke.SetPeer(hubKeys.PublicKey, psk, $"{s1.HubAddress}:{HubPort}", [Topology.OverlayPrefix], persistentKeepalive: 25);
            spoke.AddAddress(s1.OverlayCidr);
            spoke.Up();
        }

        await spoke.WaitForHandshakeAsync(hubKeys.PublicKey, HandshakeTimeout);
        return (hub, spoke, hubKeys, spokeKeys);
    }
}
