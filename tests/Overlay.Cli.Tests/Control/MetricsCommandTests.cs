using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using Overlay.Cli;
using Overlay.Os.Control;
using Overlay.Protocol.Control;
using Overlay.Protocol.Stats;

namespace Overlay.Cli.Tests.Control;

public sealed class MetricsCommandTests : SocketDirectoryTest
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
            UdpPorts = [51820],
            Socket = "/run/subnetra/subnetra.sock",
            UptimeSeconds = 3723,
            Peers =
            [
                PeerStatus.Create(2, "o'brien \"laptop\" C:\\", "198.18.0.2:41000", Now.AddSeconds(-12), 1_300_000, 350_000, ["198.18.2.0/24"], Now),
                PeerStatus.Create(300, "office", null, null, 0, 512, ["198.18.3.0/24"], Now),
            ],
            Traffic = TrafficStats.From(counters),
            Drops = StatusSnapshot.DropsFrom(counters),
        };
    }

    /// <summary>
    /// Golden exposition. To regenerate after an intended change:
    /// OVERLAY_UPDATE_GOLDEN=1 dotnet test tests/Overlay.Cli.Tests, then review the diff.
    /// </summary>
    [Fact]
    public void Render_Sample_MatchesGolden()
    {
        string actual = PrometheusText.Render(Sample());
        if (Environment.GetEnvironmentVariable("OVERLAY_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(Harness.SourceDirectory(), "Golden", "metrics.prom"), actual);
        }
        Assert.Equal(File.ReadAllText(Path.Combine(Harness.Golden, "metrics.prom")), actual);
    }

    [Fact]
    public void Render_Sample_EveryLineIsValidExposition()
    {
        // Exposition format 0.0.4: comment lines, or name{labels} value with escaped label values.
        var sample = new Regex("""^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? -?[0-9]+$""");
        var families = new HashSet<string>();
        foreach (string line in PrometheusText.Render(Sample()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                Assert.True(families.Add(line.Split(' ')[2]), $"family declared twice: {line}");
                continue;
            }
            if (line.StartsWith("# HELP ", StringComparison.Ordinal)) continue;
            Assert.Matches(sample, line);
            string name = line.Split('{', ' ')[0];
            Assert.Contains(name, families);
        }
    }

    [Fact]
    public void Render_EveryDropReason_HasASample()
    {
        string text = PrometheusText.Render(Sample());
        for (int i = 0; i < DropReasons.Count; i++)
        {
            string reason = DropReasons.Name((DropReason)i);
            Assert.Contains($"subnetra_drops_total{{reason=\"{reason}\"}} ", text);
        }
        Assert.Contains("subnetra_drops_total{reason=\"no_route\"} 3\n", text);
    }

    [Fact]
    public void Render_EveryTrafficCounter_HasTotalMetricAndOwnHelp()
    {
        string text = PrometheusText.Render(Sample());
        JsonElement traffic = JsonSerializer.SerializeToElement(new TrafficStats(), ControlJsonContext.Default.TrafficStats);
        int n = 0;
        foreach (JsonProperty p in traffic.EnumerateObject())
        {
            Assert.True(PrometheusText.TrafficHelp.ContainsKey(p.Name), $"no HELP text for traffic counter {p.Name}");
            Assert.Contains($"# TYPE subnetra_{p.Name}_total counter\n", text);
            n++;
        }
        Assert.Equal(19, n);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\"b", "a\\\"b")]
    [InlineData("a\\b", "a\\\\b")]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("\\\"\n", "\\\\\\\"\\n")]
    [InlineData("o'brien {x=1}", "o'brien {x=1}")]
    public void EscapeLabelValue_SpecialCharacters_EscapedPerExpositionFormat(string value, string expected)
    {
        Assert.Equal(expected, PrometheusText.EscapeLabelValue(value));
    }

    [Fact]
    public void EscapeHelp_BackslashAndNewline_EscapedQuotesKept()
    {
        Assert.Equal("a\\\\b\\nc \"q\"", PrometheusText.EscapeHelp("a\\b\nc \"q\""));
    }

    private static async Task<(int Exit, string Out, string Err)> InvokeAsync(params string[] args)
    {
        var root = new RootCommand("test") { MetricsCommand.Create() };
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Metrics_MissingSocket_PrintsUpZeroExit1()
    {
        var (exit, stdout, stderr) = await InvokeAsync("metrics", "--socket", SocketPath);

        Assert.Equal(1, exit);
        Assert.Equal(
            "# HELP subnetra_up 1 when subnetrad answered on its control socket, 0 when it did not.\n" +
            "# TYPE subnetra_up gauge\n" +
            "subnetra_up 0\n", stdout);
        Assert.Equal($"daemon not running (socket {SocketPath})\n", stderr);
    }

    [Fact]
    public async Task Metrics_LiveDaemon_PrintsExpositionExit0()
    {
        await using ControlServer server = ControlServer.Start(SocketPath, (_, _) => ValueTask.FromResult(ControlResponse.ForStatus(Sample())));

        var (exit, stdout, stderr) = await InvokeAsync("metrics", "--socket", SocketPath);

        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.Equal(PrometheusText.Render(Sample()), stdout);
        Assert.Contains("subnetra_up 1\n", stdout);
        Assert.Contains("subnetra_peer_online{id=\"2\",name=\"o'brien \\\"laptop\\\" C:\\\\\"} 1\n", stdout);
        Assert.Contains("subnetra_peer_last_handshake_timestamp_seconds{id=\"300\",name=\"office\"} 0\n", stdout);
    }

    [Fact]
    public async Task Metrics_ErrorReply_PrintsUpZeroExit1()
    {
        await using ControlServer server = ControlServer.Start(SocketPath, (_, _) => ValueTask.FromResult(ControlResponse.Failure("loop not started")));

        var (exit, stdout, stderr) = await InvokeAsync("metrics", "--socket", SocketPath);

        Assert.Equal(1, exit);
        Assert.EndsWith("subnetra_up 0\n", stdout);
        Assert.Equal("daemon replied with an error: loop not started\n", stderr);
    }
}
