using System.Text;
using Overlay.Protocol;
using Overlay.Hub;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Hub;

public sealed class EndpointMemoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ovl-epmem-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static UdpEndpoint Ep(string s) => UdpEndpoint.From(System.Net.IPEndPoint.Parse(s));

    [Fact]
    public void SaveThenLoad_RoundTripsIPv4AndIPv6_FileIsPrivate()
    {
        var m = new EndpointMemory(Path.Combine(_dir, "sub", "hub.endpoints.json"));
        Assert.True(m.Save([new(2, Ep("198.18.1.2:40000")), new(3, Ep("[2001:db8::3]:51000"))]));

        var loaded = m.Load();

        Assert.Equal(Ep("198.18.1.2:40000"), loaded[2]);
        Assert.Equal(Ep("[2001:db8::3]:51000"), loaded[3]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(m.Path));
    }

    [Theory]
    [InlineData("fifo", "is a FIFO (named pipe), not a regular file")]
    [InlineData("/dev/zero", "is a character device, not a regular file")]
    [InlineData("link-to-fifo", "which is a FIFO (named pipe), not a regular file")]
    [InlineData("link-to-zero", "which is a character device, not a regular file")]
    public void Load_SpecialFile_IsEmptyAndWarnsWithoutHanging(string kind, string problem)
    {
        using var files = new SpecialFiles();
        string path = kind switch
        {
            "fifo" => files.Fifo(),
            "link-to-fifo" => files.SymlinkTo(files.Fifo(), "hub.endpoints.json"),
            "link-to-zero" => files.SymlinkTo("/dev/zero", "hub.endpoints.json"),
            _ => kind,
        };
        var warnings = new List<string>();
        var loaded = SpecialFiles.WithinTenSeconds(() => new EndpointMemory(path).Load(warnings.Add));
        Assert.Empty(loaded);
        string w = Assert.Single(warnings);
        Assert.StartsWith($"endpoint memory {path} ", w);
        Assert.Contains(problem, w);
        Assert.Contains("starting without it", w);
    }

    [Fact]
    public void Load_OverLimit_IsEmptyAndWarns()
    {
        string path = Path.Combine(_dir, "big.json");
        using (var f = File.Create(path)) f.SetLength(EndpointMemory.MaxBytes + 1);
        var warnings = new List<string>();
        Assert.Empty(new EndpointMemory(path).Load(warnings.Add));
        Assert.Contains("the limit is 16777216 bytes", Assert.Single(warnings));
    }

    [Fact]
    public void Load_MissingOrCorruptFile_IsEmptyAndWarns()
    {
        var missing = new EndpointMemory(Path.Combine(_dir, "none.json"));
        Assert.Empty(missing.Load());

        string bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, "{ not json");
        var warnings = new List<string>();
        Assert.Empty(new EndpointMemory(bad).Load(warnings.Add));
        Assert.Single(warnings);
        Assert.Contains("starting without it", warnings[0]);
    }

    /// <summary>Regression (review): a lone surrogate escape threw InvalidOperationException out of the hub's start.</summary>
    [Theory]
    [InlineData("{\"endpoints\":{\"2\":\"\\ud800\"}}")]
    [InlineData("{\"endpoints\":{\"\\ud800\":\"198.18.0.2:51820\"}}")]
    public void Load_LoneSurrogateInFile_IsEmptyAndWarns(string json)
    {
        string bad = Path.Combine(_dir, "surrogate.json");
        File.WriteAllText(bad, json);
        var warnings = new List<string>();

        Assert.Empty(new EndpointMemory(bad).Load(warnings.Add));
        Assert.Contains("starting without it", Assert.Single(warnings));
    }

    /// <summary>A restarted hub knows no spoke endpoint; without memory, relay waits for the spokes.</summary>
    [Fact]
    public void HubRestart_WithoutMemory_RelayWaitsForSpokeTimers()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();

        o.Restart(0);
        o.Pump();
        byte[] packet = IpPackets.Udp4("198.19.0.2", "198.19.0.3", Encoding.ASCII.GetBytes("after restart"));
        o.Spoke(1).Tun.Inject(packet);
        o.Pump();

        Assert.Equal(0, o.Spoke(2).Tun.Written.Count);
    }

    [Fact]
    public void HubRestart_WithMemory_HubInitiatesAndRelayResumesAtOnce()
    {
        string file = Path.Combine(_dir, "hub.endpoints.json");
        var o = new FakeOverlay();
        o.Add("hub", FakeOverlay.HubJson(2), "198.18.0.1:51820", isHub: true, new HubPolicy(o.Time, new EndpointMemory(file)));
        for (int i = 1; i <= 2; i++) o.Add($"spoke{i}", FakeOverlay.SpokeJson(i), $"198.18.{i}.2:40000", isHub: false);
        o.Start();
        ((HubPolicy)o.Hub.DataPath.Policy).SaveEndpoints(o.Hub.DataPath); // as at shutdown

        o.Restart(0, new HubPolicy(o.Time, new EndpointMemory(file)));
        o.Pump();
        byte[] packet = IpPackets.Udp4("198.19.0.2", "198.19.0.3", Encoding.ASCII.GetBytes("after restart"));
        o.Spoke(1).Tun.Inject(packet);
        o.Pump();

        Assert.Equal(packet, o.Spoke(2).Tun.Written.DequeueCopy());
        Assert.Equal(2, o.Hub.DataPath.Counters.HandshakeInitiationsSent);
    }
}
