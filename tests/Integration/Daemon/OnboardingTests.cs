using Overlay.Cli;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Overlay.Protocol.Config;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Daemon;

/// <summary>
/// Issue 13's done-when, end to end: the configs come from <c>subnetra init</c> and two
/// <c>subnetra add-peer</c> (one <c>--os macos</c>) and nothing else, pass <c>subnetra check</c>
/// as a set, and the three daemons started from them relay a ping from spoke to spoke. The hub
/// advertises 198.18.1.1:51820, its address on s1's link, which every spoke reaches through its
/// 198.18.0.0/16 route (Topology). The macOS-style spoke has no tun_name, so it runs with the
/// default snr0 in a private mount namespace (OverlayDaemon's UAPI-socket workaround).
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class OnboardingTests
{
    private readonly ITestOutputHelper _output;

    public OnboardingTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task GeneratedHubAndSpokes_CheckPassesAndSpokePingsSpokeThroughRelay()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(2);
        string dir = Path.Combine(HarnessRun.TempDirectory, $"onboard-{HarnessRun.NextSequence()}");
        Directory.CreateDirectory(dir);
        string hubFile = Path.Combine(dir, "hub.json"), s1File = Path.Combine(dir, "s1.json"), s2File = Path.Combine(dir, "s2.json");

        Cli("init", "--virtual-subnet", Topology.OverlayPrefix, "--endpoint", $"{topology.Hub.UnderlayAddress}:{OverlayConfigs.HubPort}",
            "--tun-name", OverlayConfigs.NewTunName(), "--output", hubFile);
        Cli("add-peer", "--config", hubFile, "--name", "s1", "--tun-name", OverlayConfigs.NewTunName(), "--output", s1File);
        Cli("add-peer", "--config", hubFile, "--name", "s2", "--os", "macos", "--output", s2File);
        Cli("check", hubFile, s1File, s2File);

        string s2Address = ConfigLoader.LoadFile(s2File, Overlay.Os.Node.RegularFileReader.Instance).Config!.LocalTunIp!.Value.Address.ToString();
        OverlayDaemon hub = OverlayDaemon.FromFile(topology.Hub, hubFile);
        OverlayDaemon s1 = OverlayDaemon.FromFile(topology.Spoke(1), s1File);
        OverlayDaemon s2 = OverlayDaemon.FromFile(topology.Spoke(2), s2File, privateUapiDirectory: true);
        await hub.StartAsync();
        await Task.WhenAll(s1.StartAsync(), s2.StartAsync());

        (PingResult warm, TimeSpan after) = DaemonKit.WaitReachable(topology.Spoke(1), s2Address);
        _output.WriteLine($"s1 -> s2 ({s2Address}) first reply after {after.TotalMilliseconds:0} ms ({warm.Received}/{warm.Transmitted})");
        PingResult ping = topology.Spoke(1).Ping(s2Address, count: 3, deadlineSec: 10);
        Assert.True(ping.AllReceived, $"s1 -> s2 through the relay\n{ping}\n{DaemonKit.Describe(hub, s1, s2)}");

        DaemonStatus status = hub.Status();
        Assert.True(status.Peer(2).Online && status.Peer(3).Online, status.Json);
        Assert.True(status.TrafficCounter("relay_packets") >= 6, status.Json);
    }

    [SkippableFact]
    public async Task HubWithNoPeers_RunsAndAddPeerReloadBringsThePeerIn()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(1);
        string dir = Path.Combine(HarnessRun.TempDirectory, $"onboard-{HarnessRun.NextSequence()}");
        Directory.CreateDirectory(dir);
        string hubFile = Path.Combine(dir, "hub.json"), s1File = Path.Combine(dir, "s1.json");
        Cli("init", "--virtual-subnet", Topology.OverlayPrefix, "--endpoint", $"{topology.Hub.UnderlayAddress}:{OverlayConfigs.HubPort}",
            "--tun-name", OverlayConfigs.NewTunName(), "--output", hubFile);
        OverlayDaemon hub = OverlayDaemon.FromFile(topology.Hub, hubFile);
        await hub.StartAsync();
        Assert.Empty(hub.Status().Peers);

        Cli("add-peer", "--config", hubFile, "--name", "s1", "--tun-name", OverlayConfigs.NewTunName(), "--output", s1File,
            "--reload", "--socket", topology.Hub.ControlSocketPath);
        Assert.Equal(2, Assert.Single(hub.Status().Peers).Id);

        OverlayDaemon s1 = OverlayDaemon.FromFile(topology.Spoke(1), s1File);
        await s1.StartAsync();
        (PingResult ping, _) = DaemonKit.WaitReachable(topology.Spoke(1), topology.Hub.OverlayAddress);
        Assert.True(ping.Received == 1, $"s1 -> hub after add-peer --reload\n{ping}\n{DaemonKit.Describe(hub, s1)}");
    }

    private void Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = CliCommand.Run(args, TextReader.Null, stdout, stderr);
        _output.WriteLine($"$ subnetra {string.Join(' ', args)}\n{stdout}{stderr}");
        Assert.True(exit == 0, $"subnetra {string.Join(' ', args)} exited {exit}:\n{stderr}");
    }
}
