using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Conformance;

/// <summary>
/// wireguard-go's tests/netns.sh up to its NAT block, on its own topology (<see cref="NetnsTrick"/>:
/// the daemons in ns0, their interfaces moved into ns1 and ns2, the endpoints on ns0's loopback),
/// one named test per scenario (issue 15 items 3 and 6): interface counters, the tests() function
/// (ping both ways, iperf3 TCP and UDP, IPv4 and IPv6 inner) over IPv4 and IPv6 outer at the default
/// MTU and at 34,736, roaming over both outer families, the crypto-RP filter, and a clean exit
/// when the moved interface is deleted in its new namespace. Transfers are 2 s each, not 1 GB.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class NetnsTrickTests
{
    private const int IperfSeconds = 2;
    private readonly ITestOutputHelper _output;

    public NetnsTrickTests(ITestOutputHelper output) => _output = output;

    [SkippableFact]
    public async Task Counters_TenPingsOverIPv4Outer_WithinNetnsShWindow()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        t.SetEndpoints(NetnsTrick.Outer4);

        AssertReceived(t.Ping(2, NetnsTrick.Inner4(1), waitSec: 5), t.Describe());

        (long rx, long tx, string text) = t.InterfaceBytes(2);
        _output.WriteLine(text);
        Assert.True(rx >= 840 && tx >= 880 && rx < 2500 && tx < 2500, $"rx {rx} tx {tx}\n{text}\n{t.Describe()}");
    }

    [SkippableFact]
    public async Task Tests_IPv4Outer_DefaultMtu_PingAndIperf3Pass()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        t.SetEndpoints(NetnsTrick.Outer4);
        await RunTestsAsync(t, NetnsTrick.DefaultMtu);
    }

    [SkippableFact]
    public async Task Tests_IPv4Outer_BigMtu_PingAndIperf3PassAndPaddingFollowsMtu()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        t.SetEndpoints(NetnsTrick.Outer4);
        await RaiseMtuAsync(t);
        await RunTestsAsync(t, NetnsTrick.BigMtu);
    }

    [SkippableFact]
    public async Task Tests_IPv6Outer_DefaultMtu_PingAndIperf3Pass()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        t.SetEndpoints(NetnsTrick.Outer6);
        await RunTestsAsync(t, NetnsTrick.DefaultMtu);
    }

    [SkippableFact]
    public async Task Tests_IPv6Outer_BigMtu_PingAndIperf3PassAndPaddingFollowsMtu()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        t.SetEndpoints(NetnsTrick.Outer6);
        await RaiseMtuAsync(t);
        await RunTestsAsync(t, NetnsTrick.BigMtu);
    }

    /// <summary>
    /// netns.sh "IPv4 roaming": ns0's loopback address changes and wg1 moves to port 9999; wg2 learns
    /// wg1's new source address and port from the authenticated packet.
    /// </summary>
    [SkippableFact]
    public async Task Roaming_IPv4Outer_AddressAndPortChange_EndpointFollows()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        t.SetEndpoints(NetnsTrick.Outer4);
        AssertReceived(t.Ping(1, NetnsTrick.Inner4(2), count: 1, waitSec: 5), t.Describe());

        Netns.DeleteAddress(t.Ns0, "lo", NetnsTrick.Outer4 + "/24");
        Netns.AddAddress(t.Ns0, "lo", "198.18.0.99/24");
        t.SetListenPort(1, 9999);
        t.Wg(1).SetPeer(t.Keys[1].PublicKey, endpoint: $"{NetnsTrick.Outer4}:{NetnsTrick.ListenPort(2)}");

        AssertReceived(t.Ping(1, NetnsTrick.Inner6(2), count: 1), t.Describe());
        Assert.Equal("198.18.0.99:9999", t.EndpointSeenBy(2));
    }

    /// <summary>netns.sh "IPv6 roaming": wg1 moves to port 9998 and talks over IPv6; wg2 follows.</summary>
    [SkippableFact]
    public async Task Roaming_IPv6Outer_PortChange_EndpointFollows()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        t.SetEndpoints(NetnsTrick.Outer4);
        AssertReceived(t.Ping(1, NetnsTrick.Inner4(2), count: 1, waitSec: 5), t.Describe());

        t.SetListenPort(1, 9998);
        t.Wg(1).SetPeer(t.Keys[1].PublicKey, endpoint: $"[{NetnsTrick.Outer6}]:{NetnsTrick.ListenPort(2)}");

        AssertReceived(t.Ping(1, NetnsTrick.Inner4(2), count: 1), t.Describe());
        Assert.Equal($"[{NetnsTrick.Outer6}]:9998", t.EndpointSeenBy(2));
    }

    /// <summary>
    /// netns.sh "crypto-RP filter": wg1 first allows the whole inner /24 from wg2, so a datagram from
    /// wg2's inner address arrives; then a more specific allowed IP (wg2's /32) on another peer takes
    /// that address away from wg2, and the same datagram is dropped by wg1 (inner source not wg2's).
    /// The packet still authenticates, so wg1 learns wg2's new port (9997) from it.
    /// </summary>
    [SkippableFact]
    public async Task CryptoRpFilter_MoreSpecificAllowedIpOnAnotherPeer_DatagramNoLongerArrives()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        t.SetEndpoints(NetnsTrick.Outer6);
        AssertReceived(t.Ping(2, NetnsTrick.Inner4(1), count: 1, waitSec: 5), t.Describe());
        t.Wg(1).SetPeer(t.Keys[1].PublicKey, allowedIps: ["198.19.241.0/24"]);
        Assert.True(await t.UdpArrivesAsync(2, 1), t.Describe());

        string moreSpecific = WgKeyPair.Generate().PublicKey;
        t.Wg(1).SetPeer(moreSpecific, allowedIps: [NetnsTrick.Inner4(2) + "/32"]);
        t.SetListenPort(2, 9997);
        Assert.False(await t.UdpArrivesAsync(2, 1), t.Describe());

        Netns.Exec(t.Ns0, ["wg", "set", t.Wg(1).InterfaceName, "peer", moreSpecific, "remove"], TimeSpan.FromSeconds(15)).EnsureSuccess();
        Assert.Equal($"[{NetnsTrick.Outer6}]:9997", t.EndpointSeenBy(1));
    }

    /// <summary>The interface was moved into ns1; <c>ip link del</c> there ends the daemon in ns0 with exit 0.</summary>
    [SkippableFact]
    public async Task MovedInterface_DeletedInItsNewNamespace_DaemonExitsCleanly()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        t.SetEndpoints(NetnsTrick.Outer4);
        AssertReceived(t.Ping(1, NetnsTrick.Inner4(2), count: 1, waitSec: 5), t.Describe());
        await Task.Delay(1500);   // three watch periods: a moved interface must not look deleted
        Assert.False(t.Wg(1).Process.HasExited, t.Describe());

        Netns.ExecOrThrow(t.NsOf(1), "ip", "link", "del", t.Wg(1).InterfaceName);

        Assert.Equal(0, await t.Wg(1).Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains(t.Wg(1).Process.Lines, l => l.Text.Contains("was deleted", StringComparison.Ordinal));
        Assert.False(File.Exists(t.Wg(1).UapiSocketPath));
        Assert.False(t.Wg(2).Process.HasExited, t.Describe());
    }

    /// <summary>Without a move, <c>ip link del</c> in the daemon's own namespace still ends it with exit 0.</summary>
    [SkippableFact]
    public async Task UnmovedInterface_DeletedInDaemonNamespace_DaemonExitsCleanly()
    {
        using NetnsTrick t = await NetnsTrick.StartAsync();
        using WireGuardGo wg = await WireGuardGo.StartSubnetraWgAsync(t.Ns0);

        Netns.ExecOrThrow(t.Ns0, "ip", "link", "del", wg.InterfaceName);

        Assert.Equal(0, await wg.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains(wg.Process.Lines, l => l.Text.Contains("was deleted", StringComparison.Ordinal));
    }

    private static void AssertReceived(PingResult ping, string context) => Assert.True(ping.AllReceived, $"{ping}\n{context}");

    /// <summary>
    /// Sets 34,736 on both moved interfaces and waits until each daemon has re-read it from the
    /// interface's new namespace (its verbose log says so): padding follows the MTU without a restart.
    /// </summary>
    private static async Task RaiseMtuAsync(NetnsTrick t)
    {
        t.SetMtu(NetnsTrick.BigMtu);
        foreach (WireGuardGo wg in t.Peers)
            await wg.Process.WaitForLineAsync($"MTU {NetnsTrick.BigMtu}, padding follows it", TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// netns.sh's tests(): ping over IPv4 and IPv6 both ways, then iperf3 (server and client sides as netns.sh) TCP v4,
    /// TCP v6, UDP v4 and UDP v6 at -b 0; plus, at <paramref name="mtu"/>, one ping of exactly the MTU
    /// each way with DF set, so a full-size inner packet is proven to pass unfragmented.
    /// </summary>
    private async Task RunTestsAsync(NetnsTrick t, int mtu)
    {
        AssertReceived(t.Ping(2, NetnsTrick.Inner4(1), waitSec: 5), t.Describe());
        AssertReceived(t.Ping(1, NetnsTrick.Inner4(2)), t.Describe());
        AssertReceived(t.Ping(2, NetnsTrick.Inner6(1)), t.Describe());
        AssertReceived(t.Ping(1, NetnsTrick.Inner6(2)), t.Describe());
        AssertReceived(t.Ping(2, NetnsTrick.Inner4(1), count: 3, size: mtu), $"{mtu}-byte ping 2->1\n{t.Describe()}");
        AssertReceived(t.Ping(1, NetnsTrick.Inner6(2), count: 3, size: mtu), $"{mtu}-byte ping6 1->2\n{t.Describe()}");

        await IperfAsync(t, server: 2, client: 1, NetnsTrick.Inner4(2), udp: false);
        await IperfAsync(t, server: 1, client: 2, NetnsTrick.Inner6(1), udp: false);
        await IperfAsync(t, server: 1, client: 2, NetnsTrick.Inner4(1), udp: true);
        await IperfAsync(t, server: 2, client: 1, NetnsTrick.Inner6(2), udp: true);
    }

    private async Task IperfAsync(NetnsTrick t, int server, int client, string address, bool udp)
    {
        using Iperf3Server s = await Iperf3Server.StartAsync(t.NsOf(server), address);
        Iperf3Result r = Iperf3.RunClient(t.NsOf(client), address, seconds: IperfSeconds,
            options: udp ? new Iperf3Options { Udp = true, Bandwidth = "0" } : null);
        _output.WriteLine($"iperf3 {(udp ? "UDP" : "TCP")} {client} -> {server} ({address}): {r}");
        Assert.True(r.BitsPerSecond > 0, $"{r}\n{t.Describe()}");
    }
}
