using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Interop;

/// <summary>
/// Interop (issue item 5a): our spoke against Debian's wireguard-go as the hub. The hub side comes from
/// <c>subnetra export --config spoke.json --peer 1</c>, the form that prints the hub's view of a spoke config with
/// the PSK-derived keys (DESIGN.md §4). Our spoke initiates; wireguard-go responds.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class WireGuardGoHubTests
{
    private readonly ITestOutputHelper _output;

    public WireGuardGoHubTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task OurSpoke_WireGuardGoHubFromExport_PingsBothWaysAndRehandshakesAfterSpokeRestart()
    {
        DaemonKit.Require("ping", "wireguard-go", "wg");
        using Topology topology = Topology.HubAndSpokes(1);
        Node hubNode = topology.Hub;
        Node s1 = topology.Spoke(1);
        OverlayDaemon spoke = OverlayDaemon.Create(s1, OverlayConfigs.Spoke(s1, OverlayConfigs.NewTunName(), OverlayConfigs.NewPsk()));

        ExecResult export = s1.RunCli("export", "--config", spoke.ConfigPath, "--peer", OverlayConfigs.HubId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(export.Succeeded, "`subnetra export --config spoke.json --peer 1` (the hub side of a spoke config) failed:\n" + export.Describe());
        _output.WriteLine("hub side exported for wireguard-go:\n" + Redact(export.Stdout));
        WireGuardGo hub = topology.Track(await WireGuardGo.StartAsync(hubNode.Ns));
        WgQuickConfig hubConfig = hub.ApplyConfig(export.Stdout);
        Assert.Equal(OverlayConfigs.HubPort, hubConfig.ListenPort);

        // The exported hub side has no Address (the spoke config cannot know the hub's overlay address).
        hub.AddAddress(hubNode.OverlayCidr);
        string spokeKey = hubConfig.Peers.Single().PublicKey;
        await spoke.StartAsync();

        Assert.True(DaemonKit.WaitReachable(s1, hubNode.OverlayAddress).Ping.Received == 1, Describe(hub, spoke));
        AssertPingsBothWays(hubNode, s1, hub, spoke);
        WgDumpPeer first = hub.Show().Peer(spokeKey);
        _output.WriteLine($"wireguard-go sees our spoke: endpoint {first.Endpoint} handshake {first.LatestHandshake} rx {first.RxBytes} tx {first.TxBytes}");
        Assert.True(first.HasHandshake);
        Assert.True(first.RxBytes > 0 && first.TxBytes > 0, $"rx {first.RxBytes} tx {first.TxBytes}");
        Assert.StartsWith(s1.UnderlayAddress + ":", first.Endpoint);
        Assert.True(spoke.Status().Peer(OverlayConfigs.HubId).Online, Describe(hub, spoke));

        // wg shows handshakes in whole seconds: wait past the first one's second before restarting.
        await Task.Delay(1100);
        int exit = await spoke.StopAsync();
        Assert.True(exit == 0, $"spoke exit {exit}\n{spoke.Describe()}");
        await spoke.StartAsync();

        Assert.True(DaemonKit.WaitReachable(s1, hubNode.OverlayAddress).Ping.Received == 1, "no traffic after the spoke restart\n" + Describe(hub, spoke));
        WgDumpPeer second = hub.Show().Peer(spokeKey);
        Assert.True(second.LatestHandshake > first.LatestHandshake, $"no second handshake: {first.LatestHandshake} then {second.LatestHandshake}");
        AssertPingsBothWays(hubNode, s1, hub, spoke);
    }

    private static void AssertPingsBothWays(Node hubNode, Node s1, WireGuardGo hub, OverlayDaemon spoke)
    {
        PingResult up = s1.Ping(hubNode.OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(up.AllReceived, "our spoke -> wireguard-go hub\n" + up + "\n" + Describe(hub, spoke));
        PingResult down = hubNode.Ping(s1.OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(down.AllReceived, "wireguard-go hub -> our spoke\n" + down + "\n" + Describe(hub, spoke));
    }

    private static string Describe(WireGuardGo hub, OverlayDaemon spoke) =>
        spoke.Describe() + "\n--- " + hub + "\n" + hub.Process.Tail(25);

    /// <summary>The export holds private keys; test output gets only their shape.</summary>
    internal static string Redact(string wgQuick) =>
        string.Join('\n', wgQuick.Split('\n').Select(l =>
            l.Contains('=', StringComparison.Ordinal)
            && (l.StartsWith("PrivateKey", StringComparison.OrdinalIgnoreCase) || l.StartsWith("PresharedKey", StringComparison.OrdinalIgnoreCase))
                ? l[..l.IndexOf('=', StringComparison.Ordinal)] + "= (redacted)"
                : l));
}
