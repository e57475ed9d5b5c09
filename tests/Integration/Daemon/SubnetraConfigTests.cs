using System.Text.Json.Nodes;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Daemon;

/// <summary>
/// DESIGN.md §5: "A Subnetra spoke config with only psk keys must run unchanged." The pair below uses only keys a
/// Subnetra config has — no public or private keys, and no tun_name either, so both daemons take the default snr0.
///
/// Why no unique tun_name here (the one place in these tests): adding tun_name would no longer be the unchanged
/// Subnetra config. Two daemons named snr0 are safe only because each runs in its own mount namespace with a
/// private tmpfs on /run/wireguard (<see cref="OverlayDaemon.PrivateUapiDirectory"/>, the workaround DESIGN.md §8
/// names): the tun itself is per network namespace, the UAPI socket /run/wireguard/snr0.sock is the only shared name,
/// and the control sockets are per node (SUBNETRA_SOCK). So no other daemon — in this test, another test, or on the
/// host — can collide with these two.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class SubnetraConfigTests
{
    private readonly ITestOutputHelper _output;

    public SubnetraConfigTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task SubnetraStylePair_PskOnlyDefaultTun_PingsBothWays()
    {
        DaemonKit.Require("ping", "unshare", "mount");
        using Topology topology = Topology.HubAndSpokes(1);
        Node s1 = topology.Spoke(1);
        string psk = OverlayConfigs.NewPsk();

        // Subnetra's own keys only: listen_ports (list form), negotiation_version, keepalive_secs, local_tun_mtu.
        var hubConfig = new JsonObject
        {
            ["role"] = "hub",
            ["virtual_subnet"] = OverlayConfigs.VirtualSubnet,
            ["local_id"] = OverlayConfigs.HubId,
            ["local_tun_ip"] = topology.Hub.OverlayCidr,
            ["local_tun_mtu"] = 1420,
            ["listen_ports"] = new JsonArray(OverlayConfigs.HubPort),
            ["negotiation_version"] = 1,
            ["peers"] = new JsonArray(new JsonObject
            {
                ["id"] = OverlayConfigs.IdOf(s1),
                ["name"] = "spoke1",
                ["allowed_src"] = s1.OverlayAddress + "/32",
                ["psk"] = psk,
            }),
        };
        var spokeConfig = new JsonObject
        {
            ["role"] = "spoke",
            ["virtual_subnet"] = OverlayConfigs.VirtualSubnet,
            ["local_id"] = OverlayConfigs.IdOf(s1),
            ["local_tun_ip"] = s1.OverlayCidr,
            ["keepalive_secs"] = 25,
            ["negotiation_version"] = 1,
            ["peers"] = new JsonArray(new JsonObject
            {
                ["id"] = OverlayConfigs.HubId,
                ["endpoint"] = OverlayConfigs.HubEndpointFor(s1),
                ["psk"] = psk,
            }),
        };
        OverlayDaemon hub = OverlayDaemon.Create(topology.Hub, hubConfig, privateUapiDirectory: true);
        OverlayDaemon spoke = OverlayDaemon.Create(s1, spokeConfig, privateUapiDirectory: true);
        await hub.StartAsync();
        await spoke.StartAsync();
        _output.WriteLine(hub.ReadyLine);
        _output.WriteLine(spoke.ReadyLine);
        Assert.Contains("tun=snr0", hub.ReadyLine);
        Assert.Contains("tun=snr0", spoke.ReadyLine);

        Assert.True(DaemonKit.WaitReachable(s1, topology.Hub.OverlayAddress).Ping.Received == 1, "spoke -> hub never reachable\n" + DaemonKit.Describe(hub, spoke));
        PingResult up = s1.Ping(topology.Hub.OverlayAddress, count: 3, deadlineSec: 10);
        PingResult down = topology.Hub.Ping(s1.OverlayAddress, count: 3, deadlineSec: 10);

        Assert.True(up.AllReceived, up + "\n" + DaemonKit.Describe(hub, spoke));
        Assert.True(down.AllReceived, down + "\n" + DaemonKit.Describe(hub, spoke));
        Assert.True(hub.Status().Peer(OverlayConfigs.IdOf(s1)).Online);
    }
}
