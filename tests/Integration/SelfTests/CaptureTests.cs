using System.Text;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.SelfTests;

/// <summary>Proves the capture check can fail: a marker sent in plaintext must be found.</summary>
[Collection(NetnsCollection.Name)]
public sealed class CaptureTests
{
    [SkippableFact]
    public async Task Capture_PlaintextPingWithMarker_MarkerFoundOnUnderlay()
    {
        Requires.Netns("ping", "tcpdump");
        using Topology topology = Topology.HubAndSpokes(1);
        Node s1 = topology.Spoke(1);
        const string marker = "0vl-plain-mark!!";
        string markerHex = Convert.ToHexStringLower(Encoding.ASCII.GetBytes(marker));

        CaptureResult capture = await PacketCapture.CaptureAsync(
            topology.Hub.Ns,
            topology.Hub.Links[0].Interface,
            TimeSpan.Zero,
            "icmp",
            () =>
            {
                PingResult ping = s1.Ping(s1.HubAddress!, count: 2, patternHex: markerHex);
                Assert.True(ping.AllReceived, ping.ToString());
                return Task.CompletedTask;
            });

        Assert.True(capture.Count >= 4, capture.ToString());
        Assert.True(capture.Contains(marker), capture.ToString());
        Assert.False(capture.Contains("never-sent-marker"));
    }
}
