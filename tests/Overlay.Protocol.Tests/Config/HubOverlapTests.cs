using System.Diagnostics;
using System.Text;
using Overlay.Protocol.Config;

namespace Overlay.Protocol.Tests.Config;

/// <summary>The hub's allowed_src disjointness check (ConfigValidator.Overlaps.cs, a sort and a sweep).</summary>
public class HubOverlapTests
{
    private static string Hub(params string[][] allowed)
    {
        var peers = new StringBuilder();
        for (int i = 0; i < allowed.Length; i++)
        {
            if (i > 0) peers.Append(',');
            string src = string.Join(", ", allowed[i].Select(a => $"\"{a}\""));
            peers.Append($$"""{ "id": {{i + 2}}, "allowed_src": [{{src}}], "psk": "{{(i + 1).ToString("x64")}}" }""");
        }
        return $$"""
            { "role": "hub", "virtual_subnet": "198.18.0.0/15", "local_id": 1, "local_tun_ip": "198.18.0.1/15",
              "peers": [ {{peers}} ] }
            """;
    }

    private static string[] Errors(string json) =>
        ConfigLoader.LoadJson(json, "hub.json").Errors.Select(e => $"{e.Path}: {e.Message}").ToArray();

    [Fact]
    public void Check_NestedAcrossThreePeers_EachPairReportedOnTheLaterPeerInConfigOrder()
    {
        string[] errors = Errors(Hub(["198.19.0.0/16"], ["198.19.1.0/24"], ["198.19.1.7/32", "198.19.9.0/24"]));

        Assert.Equal([
            "peers[1].allowed_src[0]: 198.19.1.0/24 overlaps peers[0].allowed_src[0] (198.19.0.0/16); a hub peer's allowed_src must be disjoint from every other peer's",
            "peers[2].allowed_src[0]: 198.19.1.7/32 overlaps peers[0].allowed_src[0] (198.19.0.0/16); a hub peer's allowed_src must be disjoint from every other peer's",
            "peers[2].allowed_src[0]: 198.19.1.7/32 overlaps peers[1].allowed_src[0] (198.19.1.0/24); a hub peer's allowed_src must be disjoint from every other peer's",
            "peers[2].allowed_src[1]: 198.19.9.0/24 overlaps peers[0].allowed_src[0] (198.19.0.0/16); a hub peer's allowed_src must be disjoint from every other peer's",
        ], errors);
    }

    [Fact]
    public void Check_SamePrefixTwice_OneError()
    {
        string[] errors = Errors(Hub(["198.19.4.0/24"], ["198.19.4.0/24"]));
        Assert.Equal("peers[1].allowed_src[0]: 198.19.4.0/24 overlaps peers[0].allowed_src[0] (198.19.4.0/24); a hub peer's allowed_src must be disjoint from every other peer's",
            Assert.Single(errors));
    }

    [Fact]
    public void Check_OverlapWithinOnePeer_NotAnError()
    {
        Assert.Empty(Errors(Hub(["198.19.4.0/24", "198.19.4.8/29"], ["198.19.5.0/24"])));
    }

    [Fact]
    public void Check_AdjacentAndOtherFamily_NotOverlapping()
    {
        Assert.Empty(Errors(Hub(["198.19.4.0/25"], ["198.19.4.128/25"], ["2001:2::/64"], ["2001:2:0:1::/64"])));
        Assert.Single(Errors(Hub(["2001:2::/48"], ["2001:2:0:1::/64"])));
    }

    [Fact]
    public void Check_TenThousandDisjointPeers_FastAndClean()
    {
        string[][] allowed = Enumerable.Range(0, 10_000)
            .Select(i => new[] { $"198.19.{i >> 8}.{i & 255}/32" }).ToArray();
        string json = Hub(allowed);
        var watch = Stopwatch.StartNew();
        string[] errors = Errors(json);
        watch.Stop();

        Assert.True(errors.Length == 0, string.Join("\n", errors.Take(5)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"validation took {watch.Elapsed}");
    }
}
