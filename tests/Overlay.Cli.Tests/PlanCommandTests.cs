namespace Overlay.Cli.Tests;

public class PlanCommandTests
{
    public static IEnumerable<object[]> Cases() =>
        Harness.ExampleFiles().SelectMany(f => new[] { new object[] { f[0], "linux" }, new object[] { f[0], "macos" } });

    /// <summary>
    /// Golden output per example and OS (with --path-mtu 1500 for the MTU advice). To regenerate
    /// after an intended change: OVERLAY_UPDATE_GOLDEN=1 dotnet test tests/Overlay.Cli.Tests, then review the diff.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void PrintNetworkPlan_Example_MatchesGolden(string example, string os)
    {
        var r = Harness.Cli("", "--print-network-plan", "--config", Path.Combine(Harness.Examples, example), "--os", os, "--path-mtu", "1500");
        Assert.True(r.Exit == 0, r.Err);
        string name = $"{Path.GetFileNameWithoutExtension(example)}.{os}.txt";
        if (Environment.GetEnvironmentVariable("OVERLAY_UPDATE_GOLDEN") == "1")
        {
            string dir = Path.Combine(Harness.SourceDirectory(), "Golden");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, name), r.Out);
            return;
        }
        string golden = Path.Combine(Harness.Golden, name);
        Assert.True(File.Exists(golden), $"missing golden file {name}");
        Assert.Equal(File.ReadAllText(golden), r.Out);
    }

    [Fact]
    public void PrintNetworkPlan_MacOsTun_SubstitutesName()
    {
        var r = Harness.Cli("", "--print-network-plan", "--config", Path.Combine(Harness.Examples, "spoke-macos.json"), "--os", "macos", "--tun", "utun7");
        Assert.Equal(0, r.Exit);
        Assert.Contains("ifconfig utun7 inet 198.18.0.3 198.18.0.3 mtu 1420 up\n", r.Out);
        Assert.Contains("route -q -n add -inet -net 198.18.0.0/24 -interface utun7\n", r.Out);
        Assert.DoesNotContain("utunN", r.Out);
    }

    [Fact]
    public void PrintNetworkPlan_SmallPath_WarnsAboutMtu()
    {
        var r = Harness.Cli("", "--print-network-plan", "--config", Path.Combine(Harness.Examples, "spoke-linux.json"), "--os", "linux", "--path-mtu", "1400");
        Assert.Contains("# WARNING: configured local_tun_mtu 1420 exceeds the recommended 1340;", r.Out);
    }

    [Fact]
    public void PrintNetworkPlan_LinuxTunOverride_UsesName()
    {
        var r = Harness.Cli("", "--print-network-plan", "--config", Path.Combine(Harness.Examples, "spoke-linux.json"), "--os", "linux", "--tun", "ovl7");
        Assert.Contains("ip link set dev ovl7 mtu 1420 up\n", r.Out);
        Assert.Contains("ip addr add 198.18.0.2/24 dev ovl7\n", r.Out);
        Assert.Contains("# 198.18.0.0/24 is on-link through the address above; no route needed\n", r.Out);
        Assert.DoesNotContain("snr0", r.Out);
    }

    [Theory]
    [InlineData("--print-network-plan", "--os", "windows")]
    [InlineData("--print-network-plan", "--path-mtu", "100")]
    [InlineData("--print-network-plan", "--tun", "bad/name")]
    [InlineData("--frobnicate")]
    [InlineData("frobnicate")]
    [InlineData()]
    public void Cli_UsageError_ExitsTwo(params string[] args)
    {
        var r = Harness.Cli("", args);
        Assert.Equal(2, r.Exit);
        Assert.Equal("", r.Out);
        Assert.NotEqual("", r.Err);
    }

    [Fact]
    public void PrintNetworkPlan_BadConfig_ExitsTwo()
    {
        string path = Path.Combine(Harness.BadConfigs, "03-duplicate-psk.json");
        var r = Harness.Cli("", "--print-network-plan", "--config", path);
        Assert.Equal(2, r.Exit);
        Assert.Contains($"{path}: peers[1].psk: duplicate of peers[0].psk", r.Err);
    }

    [Theory]
    [InlineData(new[] { "--help" }, new[] { "--print-network-plan", "--config", "--path-mtu", "--os", "--tun", "--version", "genpsk", "genkey", "pubkey", "export" })]
    [InlineData(new[] { "export", "--help" }, new[] { "--config", "--peer", "--endpoint" })]
    [InlineData(new[] { "genpsk", "--help" }, new[] { "64 hex" })]
    [InlineData(new[] { "genkey", "--help" }, new[] { "base64" })]
    [InlineData(new[] { "pubkey", "--help" }, new[] { "standard input" })]
    public void Help_EveryCommand_DescribesOptions(string[] args, string[] mentions)
    {
        var r = Harness.Cli("", args);
        Assert.Equal(0, r.Exit);
        foreach (string m in mentions) Assert.Contains(m, r.Out);
    }

    [Fact]
    public void Version_PrintsNameAndVersion() => Assert.Equal("subnetra 0.1.0\n", Harness.Cli("", "--version").Out);
}
