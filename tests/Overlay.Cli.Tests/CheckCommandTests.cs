namespace Overlay.Cli.Tests;

public class CheckCommandTests
{
    [Theory]
    [MemberData(nameof(Harness.ExampleFiles), MemberType = typeof(Harness))]
    public void Check_Example_ExitsZeroWithSummary(string file)
    {
        string path = Path.Combine(Harness.Examples, file);
        var r = Harness.Daemon("--check", "--config", path);
        Assert.True(r.Exit == 0, r.Err);
        Assert.StartsWith($"config OK: {path} role=", r.Out);
        Assert.Matches(@"^config OK: \S+ role=(hub|spoke) local_id=\d+ peers=\d+ tun=\S+ udp=\S+\n$", r.Out);
        Assert.DoesNotContain(r.Err.Split('\n'), l => l.Length > 0 && !l.StartsWith("warning: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Examples_AtLeastFiveShipped() => Assert.True(Harness.ExampleFiles().Count() >= 5);

    [Fact]
    public void Check_Hub_SummaryLine()
    {
        string path = Path.Combine(Harness.Examples, "hub.json");
        var r = Harness.Daemon("--check", "--config", path);
        Assert.Equal($"config OK: {path} role=hub local_id=1 peers=3 tun=snr0 udp=51820\n", r.Out);
    }

    public static IEnumerable<object[]> BadConfigFiles() =>
        Directory.GetFiles(Harness.BadConfigs, "*.json").OrderBy(f => f, StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(BadConfigFiles))]
    public void Check_BadConfig_ExitsTwoNamingFileKeyPathAndMessage(string file)
    {
        string path = Path.Combine(Harness.BadConfigs, file);
        string expect = File.ReadAllText(Path.ChangeExtension(path, ".expect")).TrimEnd('\n');
        var r = Harness.Daemon("--check", "--config", path);
        Assert.Equal(2, r.Exit);
        Assert.Equal("", r.Out);
        Assert.True(r.Err.Contains($"{path}: {expect}", StringComparison.Ordinal), $"expected '{path}: {expect}' in:\n{r.Err}");
        foreach (string line in r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.True(line.StartsWith(path + ": ", StringComparison.Ordinal) || line.StartsWith("warning: ", StringComparison.Ordinal), line);
    }

    [Fact]
    public void BadConfigs_CorpusHasThirtyPairedCases()
    {
        var json = Directory.GetFiles(Harness.BadConfigs, "*.json");
        Assert.True(json.Length >= 30, $"{json.Length} bad configs");
        foreach (var f in json) Assert.True(File.Exists(Path.ChangeExtension(f, ".expect")), f);
    }

    [Theory]
    [InlineData("fifo", "is a FIFO (named pipe), not a regular file")]
    [InlineData("/dev/zero", "is a character device, not a regular file")]
    [InlineData("link-to-zero", "which is a character device, not a regular file")]
    public void Check_SpecialFileConfig_ExitsTwoWithoutHangingOrExhaustingMemory(string kind, string problem)
    {
        using var files = new Overlay.Tests.Fakes.SpecialFiles();
        string path = kind switch
        {
            "fifo" => files.Fifo("config.json"),
            "link-to-zero" => files.SymlinkTo("/dev/zero", "config.json"),
            _ => kind,
        };
        var r = Overlay.Tests.Fakes.SpecialFiles.WithinTenSeconds(() => Harness.Daemon("--check", "--config", path));
        Assert.Equal(2, r.Exit);
        Assert.Contains($"{path}: ", r.Err);
        Assert.Contains(problem, r.Err);
        Assert.Contains("point --config or SUBNETRA_CONFIG at the JSON config file itself", r.Err);
    }

    [Fact]
    public void Check_MissingExplicitConfig_ExitsTwo()
    {
        var r = Harness.Daemon("--check", "--config", "/nonexistent/overlay.json");
        Assert.Equal(2, r.Exit);
        Assert.Contains("/nonexistent/overlay.json: config file not found", r.Err);
        Assert.Contains("(config path from --config)", r.Err);
    }

    [Fact]
    public void Check_Warnings_GoToStderrAndStillPass()
    {
        string path = Path.Combine(Harness.Examples, "subnetra-style-spoke.json");
        var r = Harness.Daemon("--check", "--config", path);
        Assert.Equal(0, r.Exit);
        Assert.Contains($"warning: {path}: obfuscate: false has no effect", r.Err);
    }

    [Fact]
    public void Run_WithoutRunMode_ExitsOne()
    {
        var r = Harness.Daemon("--config", Path.Combine(Harness.Examples, "hub.json"));
        Assert.Equal(1, r.Exit);
        Assert.Contains("without the run mode", r.Err);
    }

    [Fact]
    public void Run_LogLevel_PassedToRunMode()
    {
        var o = new StringWriter();
        int rc = Overlay.Daemon.DaemonCommand.Run(["--config", Path.Combine(Harness.Examples, "spoke-linux.json"), "--log-level", "debug"], o, new StringWriter(),
            (cfg, level, stdout, _) => { stdout.Write($"run {cfg.LocalId} {level}"); return 0; });
        Assert.Equal(0, rc);
        Assert.Equal("run 2 Debug", o.ToString());
    }

    [Fact]
    public void Run_BadLogLevel_ExitsTwo()
    {
        var e = new StringWriter();
        int rc = Overlay.Daemon.DaemonCommand.Run(["--config", Path.Combine(Harness.Examples, "spoke-linux.json"), "--log-level", "loud"], new StringWriter(), e,
            (_, _, _, _) => 0);
        Assert.Equal(2, rc);
        Assert.Contains("--log-level must be error, warn, info or debug", e.ToString());
    }

    [Fact]
    public void Run_WithRunDelegate_PassesValidatedConfig()
    {
        var o = new StringWriter();
        int rc = Overlay.Daemon.DaemonCommand.Run(["--config", Path.Combine(Harness.Examples, "spoke-linux.json")], o, new StringWriter(),
            (cfg, _, stdout, _) => { stdout.Write($"run {cfg.LocalId}"); return 0; });
        Assert.Equal(0, rc);
        Assert.Equal("run 2", o.ToString());
    }

    [Fact]
    public void Version_PrintsNameAndVersion()
    {
        Assert.Equal("subnetrad 0.1.0\n", Harness.Daemon("--version").Out);
        Assert.Equal("subnetrad 0.1.0\n", Harness.Daemon("-V").Out);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--check", "--path-mtu", "12")]
    [InlineData("--print-network-plan", "--path-mtu", "abc")]
    [InlineData("--config")]
    [InlineData("extra-argument")]
    public void Daemon_UsageError_ExitsTwo(params string[] args)
    {
        var r = Harness.Daemon(args);
        Assert.Equal(2, r.Exit);
        Assert.Contains("Run 'subnetrad --help' for usage.", r.Err);
        Assert.DoesNotContain("System.", r.Err);
    }

    [Fact]
    public void Daemon_Help_DescribesEveryOption()
    {
        var r = Harness.Daemon("--help");
        Assert.Equal(0, r.Exit);
        foreach (string opt in new[] { "--config", "--check", "--print-network-plan", "--path-mtu", "--version" })
            Assert.Contains(opt, r.Out);
    }
}
