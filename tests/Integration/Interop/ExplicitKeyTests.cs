using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Interop;

/// <summary>
/// Interop (issue item 5c), explicit identity (DESIGN.md §4 mode 2): our hub owns a <c>wg genkey</c> private key, the
/// peer is Debian's wireguard-go with its own <c>wg genkey</c> keys, and our config names the peer's public_key and a
/// psk (base64 from <c>wg genpsk</c>, the other accepted PSK form). The hub also knows the peer's endpoint, so after
/// our hub restarts it initiates itself: both roles of the handshake run in explicit mode.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class ExplicitKeyTests
{
    private const int StockPort = 51820;
    private readonly ITestOutputHelper _output;

    public ExplicitKeyTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task ExplicitKeys_OurHubAndWireGuardGoPeer_PingBothWaysAndAgainAfterHubRestart()
    {
        DaemonKit.Require("ping", "wireguard-go", "wg");
        using Topology topology = Topology.HubAndSpokes(1);
        Node hubNode = topology.Hub;
        Node s1 = topology.Spoke(1);
        WgKeyPair hubKeys = WgKeyPair.Generate();
        WgKeyPair stockKeys = WgKeyPair.Generate();
        string psk = WgKeys.GeneratePresharedKey();

        JsonObject peer = OverlayConfigs.HubPeer(s1, psk);
        peer["public_key"] = stockKeys.PublicKey;
        peer["endpoint"] = $"{s1.UnderlayAddress}:{StockPort.ToString(CultureInfo.InvariantCulture)}";
        JsonObject config = OverlayConfigs.Hub(OverlayConfigs.NewTunName(), [peer]);
        config["private_key"] = hubKeys.PrivateKey;
        OverlayDaemon hub = OverlayDaemon.Create(hubNode, config);
        await hub.StartAsync();

        WireGuardGo stock = topology.Track(await WireGuardGo.StartAsync(s1.Ns));
        stock.SetPrivateKey(stockKeys.PrivateKey, StockPort);
        stock.SetPeer(hubKeys.PublicKey, psk, OverlayConfigs.HubEndpointFor(s1), [OverlayConfigs.VirtualSubnet], persistentKeepalive: 25);
        stock.AddAddress(s1.OverlayCidr);
        stock.Up();

        // First handshake: wireguard-go initiates toward our hub's explicit key.
        Assert.True(DaemonKit.WaitReachable(s1, hubNode.OverlayAddress).Ping.Received == 1, Describe(stock, hub));
        AssertPingsBothWays(topology, stock, hub);
        WgDumpPeer first = stock.Show().Peer(hubKeys.PublicKey);
        _output.WriteLine($"wireguard-go sees our hub: endpoint {first.Endpoint} handshake {first.LatestHandshake} rx {first.RxBytes} tx {first.TxBytes}");
        Assert.True(first.HasHandshake);
        Assert.True(hub.Status().Peer(OverlayConfigs.IdOf(s1)).Online, Describe(stock, hub));

        // Second handshake: our restarted hub initiates to the configured endpoint when it has a packet for the peer.
        await Task.Delay(1100);
        int exit = await hub.StopAsync();
        Assert.True(exit == 0, $"hub exit {exit}\n{hub.Describe()}");
        await hub.StartAsync();

        (PingResult back, TimeSpan after) = DaemonKit.WaitReachable(hubNode, s1.OverlayAddress);
        _output.WriteLine($"restarted hub -> wireguard-go first reply after {after.TotalMilliseconds:0} ms");
        Assert.True(back.Received == 1, "restarted hub never reached wireguard-go\n" + back + "\n" + Describe(stock, hub));
        WgDumpPeer second = stock.Show().Peer(hubKeys.PublicKey);
        Assert.True(second.LatestHandshake > first.LatestHandshake, $"no second handshake: {first.LatestHandshake} then {second.LatestHandshake}");
        AssertPingsBothWays(topology, stock, hub);
    }

    private static void AssertPingsBothWays(Topology topology, WireGuardGo stock, OverlayDaemon hub)
    {
        Node s1 = topology.Spoke(1);
        PingResult up = s1.Ping(topology.Hub.OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(up.AllReceived, "wireguard-go -> our hub\n" + up + "\n" + Describe(stock, hub));
        PingResult down = topology.Hub.Ping(s1.OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(down.AllReceived, "our hub -> wireguard-go\n" + down + "\n" + Describe(stock, hub));
    }

    private static string Describe(WireGuardGo stock, OverlayDaemon hub) =>
        hub.Describe() + "\n--- " + stock + "\n" + stock.Process.Tail(25);
}
