using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Daemon;

/// <summary>
/// Start and stop contract (DESIGN.md §6, docs/status.md): the ready banner names role, id, tun, port and socket;
/// SIGTERM and SIGINT end the daemon with exit code 0 and take the tun, the control socket and the UAPI socket with it.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class ShutdownTests
{
    private const string Banner =
        @"^subnetrad \S+ role=(?<role>hub|spoke) local_id=(?<id>\d+) tun=(?<tun>\S+) udp=(?<udp>\d+) sock=(?<sock>\S+) \[ready\]$";

    private readonly ITestOutputHelper _output;

    public ShutdownTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task Shutdown_SigtermOnHubSigintOnSpoke_ExitZeroAndTunAndSocketsGone()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(1);
        OverlayStar star = await OverlayStar.StartAsync(topology);
        Assert.True(DaemonKit.WaitReachable(topology.Spoke(1), topology.Hub.OverlayAddress).Ping.Received == 1, star.Describe());

        var uapiWhileRunning = new Dictionary<OverlayDaemon, bool>();
        foreach (OverlayDaemon daemon in star.All)
        {
            _output.WriteLine(daemon.ReadyLine);
            var match = System.Text.RegularExpressions.Regex.Match(daemon.ReadyLine ?? string.Empty, Banner);
            Assert.True(match.Success, $"ready banner does not match /{Banner}/: '{daemon.ReadyLine}'");
            Assert.Equal(daemon.Node.Role == NodeRole.Hub ? "hub" : "spoke", match.Groups["role"].Value);
            Assert.Equal(OverlayConfigs.IdOf(daemon.Node).ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups["id"].Value);
            Assert.Equal(daemon.TunName, match.Groups["tun"].Value);
            Assert.Equal(daemon.Node.ControlSocketPath, match.Groups["sock"].Value);
            if (daemon.Node.Role == NodeRole.Hub)
            {
                Assert.Equal(OverlayConfigs.HubPort.ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups["udp"].Value);
            }

            Assert.True(File.Exists(daemon.Node.ControlSocketPath), "no control socket at " + daemon.Node.ControlSocketPath);
            uapiWhileRunning[daemon] = File.Exists(UapiPath(daemon));
        }

        int hubExit = await star.Hub.StopAsync(NativeMethods.SIGTERM);
        int spokeExit = await star.Spoke(1).StopAsync(NativeMethods.SIGINT);

        Assert.True(hubExit == 0, $"hub exit {hubExit} after SIGTERM\n{star.Hub.Describe()}");
        Assert.True(spokeExit == 0, $"spoke exit {spokeExit} after SIGINT\n{star.Spoke(1).Describe()}");
        foreach (OverlayDaemon daemon in star.All)
        {
            ExecResult link = daemon.Node.Exec("ip", "link", "show", "dev", daemon.TunName);
            Assert.False(link.Succeeded, $"{daemon.TunName} still exists in {daemon.Node.Ns} after exit:\n{link.Stdout}");
            Assert.False(File.Exists(daemon.Node.ControlSocketPath), "control socket left behind: " + daemon.Node.ControlSocketPath);
            _output.WriteLine($"{daemon}: UAPI socket while running: {uapiWhileRunning[daemon]}");
            Assert.False(File.Exists(UapiPath(daemon)), "UAPI socket left behind: " + UapiPath(daemon));
        }
    }

    private static string UapiPath(OverlayDaemon daemon) => Path.Combine(WireGuardGo.UapiDirectory, daemon.TunName + ".sock");
}
