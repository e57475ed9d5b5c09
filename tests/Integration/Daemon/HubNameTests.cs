using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Daemon;

/// <summary>
/// A spoke whose hub endpoint is a host name (issue 11 item 3). Names come from a per-namespace hosts file:
/// <c>ip netns exec</c> bind-mounts <c>/etc/netns/NAME/hosts</c> over <c>/etc/hosts</c> for every process it starts,
/// and glibc reads the file on every lookup, so rewriting it in place changes what the daemon resolves. The
/// namespace's <c>resolv.conf</c> points DNS at its own loopback, so no lookup leaves the namespace.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class HubNameTests
{
    private const string HubName = "hub.overlay.test";
    private readonly ITestOutputHelper _output;

    public HubNameTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task NameUnresolvedAtStart_SpokeStaysUpResolvingThenConnectsWithin30Seconds()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(1);
        Node s1 = topology.Spoke(1);
        NetnsEtc etc = topology.Track(new NetnsEtc(s1.Ns));
        etc.WriteHosts(null);
        var (hub, spoke) = Create(topology, s1);

        await hub.StartAsync();
        await spoke.StartAsync();
        await Task.Delay(2000);
        Assert.True(spoke.IsRunning, spoke.Describe());
        using (JsonDocument status = JsonDocument.Parse(spoke.Status().Json))
        {
            JsonElement peer = status.RootElement.GetProperty("peers")[0];
            Assert.Equal("resolving", peer.GetProperty("endpoint_state").GetString());
            Assert.Equal(HubName + ":51820", peer.GetProperty("endpoint_name").GetString());
            Assert.Equal(JsonValueKind.Null, peer.GetProperty("endpoint").ValueKind);
        }
        Assert.Contains("resolving " + HubName + ":51820", s1.RunCli("status").Stdout);

        etc.WriteHosts(s1.HubAddress);
        var clock = Stopwatch.StartNew();
        (PingResult ping, _) = DaemonKit.WaitReachable(s1, topology.Hub.OverlayAddress, deadlineSec: 30);
        _output.WriteLine($"hub name resolvable -> spoke reaches the hub in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(ping.Received > 0, $"not connected within 30 s of the name resolving\n{ping}\n{DaemonKit.Describe(hub, spoke)}");
        Assert.Equal("resolved", JsonDocument.Parse(spoke.Status().Json).RootElement.GetProperty("peers")[0].GetProperty("endpoint_state").GetString());
    }

    [SkippableFact]
    public async Task NamePointedAtNewAddressOldRemoved_SpokeFollowsWithin60Seconds()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(1);
        Node s1 = topology.Spoke(1);
        NetnsEtc etc = topology.Track(new NetnsEtc(s1.Ns));
        etc.WriteHosts(s1.HubAddress);
        var (hub, spoke) = Create(topology, s1);
        await hub.StartAsync();
        await spoke.StartAsync();
        Assert.True(DaemonKit.WaitReachable(s1, topology.Hub.OverlayAddress).Ping.Received > 0, DaemonKit.Describe(hub, spoke));

        // The hub's underlay address on spoke1's link moves from .1 to .9 (a re-created VM, dynamic DNS).
        const string moved = "198.18.1.9";
        string hubIf = topology.Hub.Links[0].Interface;
        // Without promotion, deleting the primary address of a subnet also deletes its secondaries.
        Netns.Sysctl(topology.Hub.Ns, $"net.ipv4.conf.{hubIf}.promote_secondaries", "1");
        Netns.AddAddress(topology.Hub.Ns, hubIf, moved + "/24");
        etc.WriteHosts(moved);
        Netns.DeleteAddress(topology.Hub.Ns, hubIf, s1.HubAddress + "/24");
        var clock = Stopwatch.StartNew();

        (PingResult ping, _) = DaemonKit.WaitReachable(s1, topology.Hub.OverlayAddress, deadlineSec: 60);
        _output.WriteLine($"hub name moved to {moved}: spoke reaches the hub again after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(ping.Received > 0, $"spoke did not follow the name within 60 s\n{DaemonKit.Describe(hub, spoke)}");
        Assert.StartsWith(moved + ":", spoke.Status().Peer(OverlayConfigs.HubId).Endpoint);
    }

    private static (OverlayDaemon Hub, OverlayDaemon Spoke) Create(Topology topology, Node s1)
    {
        string psk = OverlayConfigs.NewPsk();
        OverlayDaemon hub = OverlayDaemon.Create(topology.Hub, OverlayConfigs.Hub(OverlayConfigs.NewTunName(), [OverlayConfigs.HubPeer(s1, psk)]));
        JsonObject config = OverlayConfigs.Spoke(s1, OverlayConfigs.NewTunName(), psk);
        config["peers"]![0]!["endpoint"] = HubName + ":" + OverlayConfigs.HubPort;
        return (hub, OverlayDaemon.Create(s1, config));
    }

    /// <summary>/etc/netns/NS/{hosts,resolv.conf} for one namespace; removed on dispose.</summary>
    private sealed class NetnsEtc : IDisposable
    {
        private readonly string _dir;
        private readonly bool _createdParent;

        public NetnsEtc(string ns)
        {
            _createdParent = !Directory.Exists("/etc/netns");
            _dir = Path.Combine("/etc/netns", ns);
            Directory.CreateDirectory(_dir);
            // DNS only to the namespace's own loopback: nothing answers there, so a name not in hosts fails fast.
            File.WriteAllText(Path.Combine(_dir, "resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
        }

        /// <summary>Rewrites hosts in place (same inode, so the bind mount of a running process sees it).</summary>
        public void WriteHosts(string? hubAddress)
        {
            if (hubAddress is not null) Netns.RequireAllowed(hubAddress);
            string text = "127.0.0.1 localhost\n" + (hubAddress is null ? "" : $"{hubAddress} {HubName}\n");
            using var stream = new FileStream(Path.Combine(_dir, "hosts"), FileMode.OpenOrCreate, FileAccess.Write);
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(text));
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
                if (_createdParent && Directory.GetFileSystemEntries("/etc/netns").Length == 0) Directory.Delete("/etc/netns");
            }
            catch (IOException)
            {
            }
        }
    }
}
