using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.SelfTests;

/// <summary>The namespace star itself: reachability as documented on <see cref="Topology"/>, roaming, teardown.</summary>
[Collection(NetnsCollection.Name)]
public sealed class TopologyTests
{
    [SkippableFact]
    public void HubAndSpokes_TwoSpokes_UnderlayReachabilityAsDocumentedAndNoNamespaceLeft()
    {
        Requires.Netns("ping");
        string prefix;
        using (Topology topology = Topology.HubAndSpokes(2))
        {
            prefix = $"{HarnessRun.NamespacePrefix}{topology.Id}-";
            Assert.Equal(3, Netns.List().Count(n => n.StartsWith(prefix, StringComparison.Ordinal)));
            Node hub = topology.Hub;
            Node s1 = topology.Spoke(1);
            Node s2 = topology.Spoke(2);
            Assert.Equal("198.18.1.2", s1.UnderlayAddress);
            Assert.Equal("198.18.1.1", s1.HubAddress);
            Assert.Equal("198.18.2.1", hub.AddressFacing(s2));

            Assert.True(s1.Ping(s1.HubAddress!, count: 2).AllReceived);
            Assert.True(s2.Ping(s2.HubAddress!, count: 2).AllReceived);
            Assert.True(s2.Ping(hub.UnderlayAddress, count: 1).AllReceived);
            Assert.True(hub.Ping(s1.UnderlayAddress, count: 1).AllReceived);
            Assert.True(hub.Ping(s2.UnderlayAddress, count: 1).AllReceived);

            PingResult direct = s1.Ping(s2.UnderlayAddress, count: 1, deadlineSec: 1);
            Assert.Equal(0, direct.Received);

            topology.AllowSpokeToSpokeUnderlay();
            Assert.True(s1.Ping(s2.UnderlayAddress, count: 1, deadlineSec: 5).AllReceived);
        }

        Assert.DoesNotContain(Netns.List(), n => n.StartsWith(prefix, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Dispose_TrackedProcessRunningInNamespace_StopsItThenDeletesNamespaces()
    {
        Requires.Netns("sh");
        ManagedProcess process;
        string hubNs;
        using (Topology topology = Topology.HubAndSpokes(1))
        {
            hubNs = topology.Hub.Ns;
            process = topology.Hub.Start("sh", "-c", "echo ready; exec sleep 30");
            await process.WaitForLineAsync("ready", TimeSpan.FromSeconds(5));
            Assert.Contains(process.Pid, Netns.Pids(hubNs));
        }

        Assert.True(process.HasExited);
        Assert.False(Netns.Exists(hubNs));
    }

    [SkippableFact]
    public void ChangeUnderlayAddress_SpokeRoams_HubReachesNewAddressNotOld()
    {
        Requires.Netns("ping");
        using Topology topology = Topology.HubAndSpokes(1);
        Node s1 = topology.Spoke(1);

        s1.ChangeUnderlayAddress("198.18.1.7");

        Assert.Equal("198.18.1.7", s1.UnderlayAddress);
        Assert.True(topology.Hub.Ping("198.18.1.7", count: 1).AllReceived);
        Assert.Equal(0, topology.Hub.Ping("198.18.1.2", count: 1, deadlineSec: 1).Received);
        Assert.Contains("198.18.0.0/16 via 198.18.1.1", s1.ExecOrThrow("ip", "route", "show").Stdout);
    }

    [SkippableFact]
    public void AddAddress_OutsideBenchmarkRange_Refused()
    {
        Requires.Netns();
        using Topology topology = Topology.HubAndSpokes(1);

        Assert.Throws<ArgumentException>(() => Netns.AddAddress(topology.Hub.Ns, "lo", "10.1.2.3/32"));
    }
}
