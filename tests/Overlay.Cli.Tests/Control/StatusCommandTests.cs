using System.CommandLine;
using System.Text.Json;
using Overlay.Cli;
using Overlay.Os.Control;
using Overlay.Protocol.Control;
using Overlay.Protocol.Stats;

namespace Overlay.Cli.Tests.Control;

public sealed class StatusCommandTests : SocketDirectoryTest
{
    private static readonly DateTimeOffset Now = StatusSamples.Now;

    private static StatusSnapshot Sample()
    {
        Counters counters = StatusSamples.Counters();
        return new StatusSnapshot
        {
            Version = "0.1.0",
            Role = "hub",
            LocalId = 1,
            Tun = "snr0",
            UdpPorts = [51820, 51821],
            Socket = "/run/subnetra/subnetra.sock",
            UptimeSeconds = 3723,
            Peers =
            [
                PeerStatus.Create(2, "o'brien-laptop", "198.18.0.2:41000", Now.AddSeconds(-12), 1_300_000, 350_000, ["10.10.2.0/24"], Now),
                PeerStatus.Create(300, "office", null, null, 0, 512, ["10.10.3.0/24"], Now),
                PeerStatus.Create(4, "nas", "[2001:db8::4]:51820", Now.AddSeconds(-7500), 2048, 0, ["10.10.4.0/24"], Now),
            ],
            Traffic = TrafficStats.From(counters),
            Drops = StatusSnapshot.DropsFrom(counters),
        };
    }

    [Fact]
    public void RenderHuman_Sample_MatchesGoldenText()
    {
        var w = new StringWriter { NewLine = "\n" };
        StatusCommand.RenderHuman(Sample(), w, Now);

        const string expected =
            "subnetrad 0.1.0  role=hub  local_id=1  tun=snr0  udp=51820,51821  uptime=1h02m\n" +
            "interface snr0  socket /run/subnetra/subnetra.sock\n" +
            "\n" +
            "peers: 3 (1 online)\n" +
            "  NAME            ID   ADDRESSES     ENDPOINT             HANDSHAKE  RX       TX         ONLINE\n" +
            "  o'brien-laptop  2    10.10.2.0/24  198.18.0.2:41000     12s ago    1.2 MiB  341.8 KiB  yes\n" +
            "  office          300  10.10.3.0/24  -                    never      0 B      512 B      no\n" +
            "  nas             4    10.10.4.0/24  [2001:db8::4]:51820  2h05m ago  2.0 KiB  0 B        no\n" +
            "\n" +
            "traffic:\n" +
            "  tun    rx 10 packets (1.2 KiB)  tx 12 packets (3.4 KiB)\n" +
            "  udp    rx 20 packets (2.4 MiB)  tx 22 packets (900 B)\n" +
            "  relay  5 packets (600 B)\n" +
            "  handshakes  initiations sent 1 received 2; responses sent 3 received 4; cookie replies sent 5 received 6\n" +
            "  keepalives sent 7 received 8; sessions established 9\n" +
            "\n" +
            "drops: 4 total\n" +
            "  invalid_mac1  1\n" +
            "  no_route      3\n";
        Assert.Equal(expected, w.ToString());
    }

    [Fact]
    public void RenderHuman_NoPeersNoDrops_SaysNone()
    {
        var s = new StatusSnapshot
        {
            Version = "0.1.0", Role = "spoke", LocalId = 9, Tun = "utun7", UdpPorts = [], Socket = "/tmp/s.sock",
            UptimeSeconds = 5, Drops = StatusSnapshot.DropsFrom(new Counters()),
        };
        var w = new StringWriter { NewLine = "\n" };
        StatusCommand.RenderHuman(s, w, Now);

        string text = w.ToString();
        Assert.StartsWith("subnetrad 0.1.0  role=spoke  local_id=9  tun=utun7  udp=-  uptime=5s\n", text);
        Assert.Contains("\npeers: none\n", text);
        Assert.EndsWith("\ndrops: none\n", text);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1024, "1.0 KiB")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(1_048_576, "1.0 MiB")]
    [InlineData(5L * 1024 * 1024 * 1024, "5.0 GiB")]
    public void FormatBytes_Value_BinaryUnits(long bytes, string expected)
    {
        Assert.Equal(expected, StatusCommand.FormatBytes(bytes));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(59, "59s")]
    [InlineData(60, "1m00s")]
    [InlineData(312, "5m12s")]
    [InlineData(3723, "1h02m")]
    [InlineData(273600, "3d04h")]
    public void FormatDuration_Seconds_TwoMostSignificantUnits(long seconds, string expected)
    {
        Assert.Equal(expected, StatusCommand.FormatDuration(seconds));
    }

    private async Task<(int Exit, string Out, string Err)> InvokeAsync(params string[] args)
    {
        var root = new RootCommand("test") { StatusCommand.Create() };
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Status_MissingSocket_PrintsDaemonNotRunningExit1()
    {
        var (exit, stdout, stderr) = await InvokeAsync("status", "--socket", SocketPath);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"daemon not running (socket {SocketPath})\n", stderr);
    }

    [Fact]
    public async Task Status_JsonMissingSocket_PrintsDaemonNotRunningExit1()
    {
        var (exit, stdout, stderr) = await InvokeAsync("status", "--json", "--socket", SocketPath);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"daemon not running (socket {SocketPath})\n", stderr);
    }

    [Fact]
    public async Task Status_LiveDaemon_PrintsHumanViewExit0()
    {
        await using ControlServer server = ControlServer.Start(SocketPath, (_, _) => ValueTask.FromResult(ControlResponse.ForStatus(Sample())));

        var (exit, stdout, stderr) = await InvokeAsync("status", "--socket", SocketPath);

        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.StartsWith("subnetrad 0.1.0  role=hub  local_id=1  tun=snr0  udp=51820,51821  uptime=1h02m\n", stdout);
        Assert.Contains("  o'brien-laptop  2    10.10.2.0/24  198.18.0.2:41000", stdout);
        Assert.Contains("  no_route      3\n", stdout);
    }

    [Fact]
    public async Task Status_Json_PrintsStatusObjectAsOneLineExit0()
    {
        await using ControlServer server = ControlServer.Start(SocketPath, (_, _) => ValueTask.FromResult(ControlResponse.ForStatus(Sample())));

        var (exit, stdout, stderr) = await InvokeAsync("status", "--json", "--socket", SocketPath);

        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.EndsWith("\n", stdout);
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(ControlJson.Serialize(Sample(), ControlJson.Status) + "\n", stdout);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal(1, doc.RootElement.GetProperty("schema_version").GetInt32());
        Assert.Equal(DropReasons.Count, doc.RootElement.GetProperty("drops").EnumerateObject().Count());
    }

    [Fact]
    public async Task Status_ErrorReply_PrintsItExit1()
    {
        await using ControlServer server = ControlServer.Start(SocketPath, (_, _) => ValueTask.FromResult(ControlResponse.Failure("loop not started")));

        var (exit, stdout, stderr) = await InvokeAsync("status", "--socket", SocketPath);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal("daemon replied with an error: loop not started\n", stderr);
    }

    [Fact]
    public async Task StatusWatch_RedrawsUntilCancelledThenExit0()
    {
        int requests = 0;
        await using ControlServer server = ControlServer.Start(SocketPath, (_, _) =>
        {
            Interlocked.Increment(ref requests);
            return ValueTask.FromResult(ControlResponse.ForStatus(Sample()));
        });
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));

        int exit = await StatusCommand.WatchAsync(SocketPath, json: false, TimeSpan.FromMilliseconds(100), output, error, cts.Token);

        Assert.Equal(0, exit);
        Assert.Equal("", error.ToString());
        string[] frames = output.ToString().Split(StatusCommand.ClearScreen, StringSplitOptions.RemoveEmptyEntries);
        Assert.True(frames.Length >= 3, $"{frames.Length} frames");
        Assert.Equal(requests, frames.Length);
        Assert.All(frames, f => Assert.Contains("every 0.1 s", f));
        Assert.All(frames, f => Assert.Contains("interface snr0", f));
    }

    [Fact]
    public async Task StatusWatch_DaemonGone_ShowsReasonAndKeepsWatching()
    {
        var output = new StringWriter { NewLine = "\n" };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        int exit = await StatusCommand.WatchAsync(SocketPath, json: false, TimeSpan.FromMilliseconds(100), output, new StringWriter(), cts.Token);

        Assert.Equal(0, exit);
        string[] frames = output.ToString().Split(StatusCommand.ClearScreen, StringSplitOptions.RemoveEmptyEntries);
        Assert.True(frames.Length >= 2, $"{frames.Length} frames");
        Assert.All(frames, f => Assert.Contains($"daemon not running (socket {SocketPath})", f));
    }

    [Fact]
    public void StatusInterval_WithoutWatch_UsageError()
    {
        var r = Harness.Cli("", "status", "--interval", "5", "--socket", SocketPath);
        Assert.Equal(2, r.Exit);
        Assert.Contains("--interval needs --watch", r.Err);
    }

    [Fact]
    public void RenderHuman_WgRole_FirstLineNamesSubnetraWgWithoutLocalId()
    {
        var s = new StatusSnapshot
        {
            Version = "0.1.0", Role = "wg", LocalId = 0, Tun = "wg0", UdpPorts = [51820], Socket = "/run/subnetra-wg/wg0.sock",
            UptimeSeconds = 5, Drops = StatusSnapshot.DropsFrom(new Counters()),
        };
        var w = new StringWriter { NewLine = "\n" };
        StatusCommand.RenderHuman(s, w, Now);

        Assert.StartsWith("subnetra-wg 0.1.0  role=wg  tun=wg0  udp=51820  uptime=5s\ninterface wg0  socket /run/subnetra-wg/wg0.sock\n", w.ToString());
    }

    [Fact]
    public async Task Status_Interface_AsksThatInterfacesSocket()
    {
        var (exit, stdout, stderr) = await InvokeAsync("status", "--interface", "wgnotthere0");

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"daemon not running (socket {ControlPaths.WgDirectory}/wgnotthere0.sock)\n", stderr);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("metrics")]
    public void SocketAndInterface_Both_UsageErrorExit2(string command)
    {
        var stderr = new StringWriter();

        int exit = CliCommand.Run([command, "--socket", SocketPath, "--interface", "wg0"], TextReader.Null, new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.Contains("--socket and --interface", stderr.ToString());
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a-name-longer-than-15")]
    public void Status_BadInterfaceName_UsageErrorExit2(string name)
    {
        var stderr = new StringWriter();

        int exit = CliCommand.Run(["status", "--interface", name], TextReader.Null, new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.Contains("is not an interface name", stderr.ToString());
    }

    [Fact]
    public void ForInterface_Name_OwnDirectoryApartFromWireguardsAndSubnetrads()
    {
        string path = ControlPaths.ForInterface("wg0");
        Assert.Equal(Path.Combine(ControlPaths.WgDirectory, "wg0.sock"), path);
        Assert.NotEqual(ControlPaths.WgDirectory, Path.GetDirectoryName(ControlPaths.Default));
        Assert.DoesNotContain("/wireguard", path);   // wg(8) lists every *.sock there as an interface
    }
}
