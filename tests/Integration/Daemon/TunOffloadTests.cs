using System.Globalization;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Daemon;

/// <summary>
/// TCP through tuns with offloads on (issue 14): the sending spoke's tun hands the daemon TSO
/// super-packets that it splits and checksums itself; the receiving daemon coalesces segments
/// (GRO) into super-packets that the kernel takes as CHECKSUM_PARTIAL. The receiving kernels must
/// see data arrive and count no checksum error (nstat TcpInCsumErrors, UdpInCsumErrors): a segment
/// with a bad checksum is never coalesced, so the kernel checks it and would count it.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class TunOffloadTests
{
    private static readonly string[] CsumCounters = ["TcpInCsumErrors", "UdpInCsumErrors"];
    private readonly ITestOutputHelper _output;

    public TunOffloadTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task Iperf3_TcpThroughOffloadedTuns_ReceiversCountNoChecksumErrors()
    {
        DaemonKit.Require("ping", "iperf3", "nstat");
        using Topology topology = Topology.HubAndSpokes(2);
        OverlayStar star = await OverlayStar.StartAsync(topology);
        foreach (OverlayDaemon d in star.All)
        {
            string? line = d.Process!.Lines.Select(l => l.Text).FirstOrDefault(t => t.Contains("tun offloads", StringComparison.Ordinal));
            _output.WriteLine($"{d}: {line}");
            Skip.If(line is null || !line.Contains("tun offloads on", StringComparison.Ordinal), $"{d}: the kernel refused tun offloads: {line}");
        }
        Node hub = topology.Hub, s1 = topology.Spoke(1), s2 = topology.Spoke(2);
        Assert.True(DaemonKit.WaitReachable(s1, hub.OverlayAddress).Ping.Received == 1, "s1 -> hub never reachable\n" + star.Describe());
        Assert.True(DaemonKit.WaitReachable(s1, s2.OverlayAddress).Ping.Received == 1, "s1 -> s2 never reachable\n" + star.Describe());

        Node[] nodes = [hub, s1, s2];
        Dictionary<string, long>[] before = nodes.Select(n => Nstat(n.Ns)).ToArray();

        Iperf3Server atHub = topology.Track(await Iperf3Server.StartAsync(hub.Ns, hub.OverlayAddress));
        Iperf3Result toHub = Iperf3.RunClient(s1.Ns, atHub.Address, atHub.Port, seconds: 2);
        Iperf3Result fromHub = Iperf3.RunClient(s1.Ns, atHub.Address, atHub.Port, seconds: 2, new Iperf3Options { Reverse = true });
        Iperf3Server atS2 = topology.Track(await Iperf3Server.StartAsync(s2.Ns, s2.OverlayAddress));
        Iperf3Result relayed = Iperf3.RunClient(s1.Ns, atS2.Address, atS2.Port, seconds: 2);
        _output.WriteLine($"s1 -> hub {toHub}\nhub -> s1 {fromHub}\ns1 -> s2 (relay) {relayed}");

        Dictionary<string, long>[] after = nodes.Select(n => Nstat(n.Ns)).ToArray();
        for (int i = 0; i < nodes.Length; i++)
            foreach (string counter in CsumCounters)
                Assert.True(before[i][counter] == after[i][counter],
                    $"{nodes[i].Name}: {counter} {before[i][counter]} -> {after[i][counter]}\n{star.Describe()}");
        Assert.True(toHub.BitsPerSecond > 10e6, $"s1 -> hub {toHub}\n{star.Describe()}");
        Assert.True(fromHub.BitsPerSecond > 10e6, $"hub -> s1 {fromHub}\n{star.Describe()}");
        Assert.True(relayed.BitsPerSecond > 10e6, $"s1 -> s2 {relayed}\n{star.Describe()}");
        DaemonStatus hubStatus = star.Hub.Status();
        _output.WriteLine($"hub drops: {hubStatus.NonZeroDrops}");
    }

    /// <summary><c>nstat -asz</c> (absolute, no history update, zeros too) for the checksum counters of one namespace.</summary>
    private static Dictionary<string, long> Nstat(string ns)
    {
        ExecResult r = Netns.ExecOrThrow(ns, ["nstat", "-asz", .. CsumCounters]);
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in r.Stdout.Split('\n'))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 2 && CsumCounters.Contains(f[0])) values[f[0]] = long.Parse(f[1], CultureInfo.InvariantCulture);
        }
        foreach (string c in CsumCounters)
            if (!values.ContainsKey(c)) throw new HarnessException($"nstat in {ns} did not report {c}:\n{r.Stdout}");
        return values;
    }
}
