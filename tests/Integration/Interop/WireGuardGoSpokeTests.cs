using System.Globalization;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Interop;

/// <summary>
/// Interop (issue item 5b): Debian's wireguard-go as spoke 1 of our hub, configured from
/// <c>subnetra export --config hub.json --peer 2 --endpoint 198.18.1.1:51820</c> — what an operator hands to a stock
/// WireGuard client. Spoke 2 is our own daemon, so the relay also carries stock-peer to our-spoke traffic.
/// wireguard-go initiates; our hub responds (and finds the targeted derived key by mac1).
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class WireGuardGoSpokeTests
{
    private readonly ITestOutputHelper _output;

    public WireGuardGoSpokeTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task WireGuardGoSpokeFromExport_OurHub_PingsBothWaysRelaysAndRehandshakesAfterRestart()
    {
        DaemonKit.Require("ping", "wireguard-go", "wg");
        using Topology topology = Topology.HubAndSpokes(2);
        Node hubNode = topology.Hub;
        Node s1 = topology.Spoke(1);
        Node s2 = topology.Spoke(2);
        string psk1 = OverlayConfigs.NewPsk();
        string psk2 = OverlayConfigs.NewPsk();
        OverlayDaemon hub = OverlayDaemon.Create(hubNode, OverlayConfigs.Hub(
            OverlayConfigs.NewTunName(), [OverlayConfigs.HubPeer(s1, psk1), OverlayConfigs.HubPeer(s2, psk2)]));
        OverlayDaemon ourSpoke = OverlayDaemon.Create(s2, OverlayConfigs.Spoke(s2, OverlayConfigs.NewTunName(), psk2));
        await hub.StartAsync();
        await ourSpoke.StartAsync();

        string id1 = OverlayConfigs.IdOf(s1).ToString(CultureInfo.InvariantCulture);
        ExecResult export = hubNode.RunCli("export", "--config", hub.ConfigPath, "--peer", id1, "--endpoint", OverlayConfigs.HubEndpointFor(s1));
        Assert.True(export.Succeeded, export.Describe());
        _output.WriteLine("spoke 1 exported for wireguard-go:\n" + WireGuardGoHubTests.Redact(export.Stdout));
        WgQuickConfig spokeConfig = WgQuickConfig.Parse(export.Stdout);
        string hubKey = spokeConfig.Peers.Single().PublicKey;
        Assert.Contains(s1.OverlayAddress + "/32", spokeConfig.Addresses);

        WireGuardGo stock = topology.Track(await WireGuardGo.StartAsync(s1.Ns));
        stock.ApplyConfig(spokeConfig);

        Assert.True(DaemonKit.WaitReachable(s1, hubNode.OverlayAddress).Ping.Received == 1, Describe(stock, hub, ourSpoke));
        AssertTraffic(topology, stock, hub, ourSpoke);
        WgDumpPeer dump = stock.Show().Peer(hubKey);
        _output.WriteLine($"wireguard-go sees our hub: endpoint {dump.Endpoint} handshake {dump.LatestHandshake} rx {dump.RxBytes} tx {dump.TxBytes}");
        Assert.True(dump.HasHandshake);
        Assert.True(dump.RxBytes > 0 && dump.TxBytes > 0, $"rx {dump.RxBytes} tx {dump.TxBytes}");
        long? firstHandshake = hub.Status().Peer(OverlayConfigs.IdOf(s1)).LastHandshakeUnix;
        Assert.NotNull(firstHandshake);

        // Restart the stock side: a new wireguard-go process (fresh interface, same config) must handshake again.
        await Task.Delay(1100);
        await stock.StopAsync();
        stock.Dispose();
        WireGuardGo restarted = topology.Track(await WireGuardGo.StartAsync(s1.Ns));
        restarted.ApplyConfig(spokeConfig);

        Assert.True(DaemonKit.WaitReachable(s1, hubNode.OverlayAddress).Ping.Received == 1, "no traffic after restarting wireguard-go\n" + Describe(restarted, hub, ourSpoke));
        Assert.True((await restarted.WaitForHandshakeAsync(hubKey, TimeSpan.FromSeconds(5))).HasHandshake);
        long? secondHandshake = hub.Status().Peer(OverlayConfigs.IdOf(s1)).LastHandshakeUnix;
        Assert.True(secondHandshake > firstHandshake, $"hub's last_handshake_unix did not advance: {firstHandshake} then {secondHandshake}");
        AssertTraffic(topology, restarted, hub, ourSpoke);
    }

    private static void AssertTraffic(Topology topology, WireGuardGo stock, OverlayDaemon hub, OverlayDaemon ourSpoke)
    {
        Node s1 = topology.Spoke(1);
        PingResult up = s1.Ping(topology.Hub.OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(up.AllReceived, "wireguard-go spoke -> our hub\n" + up + "\n" + Describe(stock, hub, ourSpoke));
        PingResult down = topology.Hub.Ping(s1.OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(down.AllReceived, "our hub -> wireguard-go spoke\n" + down + "\n" + Describe(stock, hub, ourSpoke));
        Assert.True(DaemonKit.WaitReachable(s1, topology.Spoke(2).OverlayAddress).Ping.Received == 1, "relay never carried wireguard-go -> our spoke\n" + Describe(stock, hub, ourSpoke));
        PingResult relayed = s1.Ping(topology.Spoke(2).OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(relayed.AllReceived, "wireguard-go spoke -> our spoke through our hub\n" + relayed + "\n" + Describe(stock, hub, ourSpoke));
    }

    private static string Describe(WireGuardGo stock, OverlayDaemon hub, OverlayDaemon ourSpoke) =>
        DaemonKit.Describe(hub, ourSpoke) + "\n--- " + stock + "\n" + stock.Process.Tail(25);
}
