using System.Diagnostics;

namespace Overlay.Cli.Tests.Deploy;

public sealed class SystemdUnitTests
{
    private static string Unit => RepoFiles.PathOf("deploy/systemd/subnetrad.service");

    private static string Value(List<(string Section, string Key, string Value)> unit, string section, string key) =>
        unit.Where(e => e.Section == section && e.Key == key).Select(e => e.Value).LastOrDefault()
        ?? throw new Xunit.Sdk.XunitException($"[{section}] {key}= missing from {Unit}");

    [Theory]
    [InlineData("Type", "simple")]
    [InlineData("ExecStart", "/usr/local/bin/subnetrad --config /etc/subnetra/config.json")]
    [InlineData("CapabilityBoundingSet", "CAP_NET_ADMIN")]
    [InlineData("AmbientCapabilities", "CAP_NET_ADMIN")]
    [InlineData("RuntimeDirectory", "subnetra")]
    [InlineData("RuntimeDirectoryMode", "0700")]
    [InlineData("StateDirectory", "subnetra")]
    [InlineData("ProtectSystem", "strict")]
    [InlineData("ProtectHome", "yes")]
    [InlineData("PrivateTmp", "yes")]
    [InlineData("NoNewPrivileges", "yes")]
    [InlineData("DevicePolicy", "closed")]
    [InlineData("DeviceAllow", "/dev/net/tun rw")]
    [InlineData("ReadWritePaths", "-/run/wireguard")]
    [InlineData("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX AF_NETLINK")]
    [InlineData("Restart", "on-failure")]
    [InlineData("RestartSec", "2")]
    [InlineData("ExecReload", "/bin/kill -HUP $MAINPID")]
    public void Service_RequiredKey_HasValue(string key, string expected)
    {
        Assert.Equal(expected, Value(RepoFiles.ParseUnit(Unit), "Service", key));
    }

    [Fact]
    public void Unit_DaemonAppliesItsPlan_NoPlanStepAndTunablesWritable()
    {
        var unit = RepoFiles.ParseUnit(Unit);
        Assert.DoesNotContain(unit, e => e.Key == "ExecStartPost");
        Assert.DoesNotContain("print-network-plan", File.ReadAllText(Unit));
        Assert.Equal("no", Value(unit, "Service", "ProtectKernelTunables"));
        Assert.Contains("AF_NETLINK", Value(unit, "Service", "RestrictAddressFamilies"));
    }

    [Fact]
    public void Service_ExecStartPre_ChecksTheConfigFirst()
    {
        var pre = RepoFiles.ParseUnit(Unit).Where(e => e.Key == "ExecStartPre").Select(e => e.Value).ToList();
        Assert.Contains("/usr/local/bin/subnetrad --check --config /etc/subnetra/config.json", pre);
        Assert.Contains("+/bin/mkdir -p -m 0755 /run/wireguard", pre);
    }

    [Fact]
    public void Service_NoSettingThatBreaksDotnetOrRoot()
    {
        var unit = RepoFiles.ParseUnit(Unit);
        // The JIT needs writable+executable memory; PrivateDevices would hide /dev/net/tun.
        Assert.DoesNotContain(unit, e => e.Key == "MemoryDenyWriteExecute" && e.Value == "yes");
        Assert.DoesNotContain(unit, e => e.Key == "PrivateDevices" && e.Value == "yes");
        Assert.DoesNotContain(unit, e => e.Key == "User");
        Assert.Equal("multi-user.target", Value(unit, "Install", "WantedBy"));
    }

    [Fact]
    public void Service_DaemonFlags_ExistInSubnetradHelp()
    {
        string help = Harness.Daemon("--help").Out;
        foreach (string flag in new[] { "--check", "--config" }) Assert.Contains(flag, help);
        Assert.Equal(0, Harness.Daemon("--check", "--config", Path.Combine(Harness.Examples, "hub.json")).Exit);
    }

    [Fact]
    public void TextfileService_WritesAtomicallyIntoCollectorDirectory()
    {
        var unit = RepoFiles.ParseUnit(RepoFiles.PathOf("deploy/prometheus/subnetra-textfile.service"));
        string exec = Value(unit, "Service", "ExecStart");
        Assert.Equal("oneshot", Value(unit, "Service", "Type"));
        Assert.Contains("/usr/local/bin/subnetra metrics > /var/lib/prometheus/node-exporter/subnetra.prom.tmp;", exec);
        Assert.EndsWith("mv -f /var/lib/prometheus/node-exporter/subnetra.prom.tmp /var/lib/prometheus/node-exporter/subnetra.prom'", exec);
        var timer = RepoFiles.ParseUnit(RepoFiles.PathOf("deploy/prometheus/subnetra-textfile.timer"));
        Assert.Equal("15s", Value(timer, "Timer", "OnUnitActiveSec"));
        Assert.Equal("timers.target", Value(timer, "Install", "WantedBy"));
    }

    /// <summary>
    /// systemd-analyze verify (systemd 252 on Debian 12) on each unit. It insists that every
    /// ExecXxx binary exists, so /usr/local/bin/ is pointed at a directory of stand-in scripts;
    /// every other line is verified as shipped.
    /// </summary>
    [SkippableTheory]
    [InlineData("deploy/systemd/subnetrad.service")]
    [InlineData("deploy/prometheus/subnetra-textfile.service")]
    [InlineData("deploy/prometheus/subnetra-textfile.timer")]
    public void Unit_SystemdAnalyzeVerify_NoFindings(string relative)
    {
        string? analyze = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        Skip.If(analyze is null, "systemd-analyze is not installed (package systemd); the unit's keys are still checked by the parse tests");

        string dir = Path.Combine("/tmp", "unit-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            foreach (string program in new[] { "subnetrad", "subnetra" })
            {
                string stub = Path.Combine(dir, program);
                File.WriteAllText(stub, "#!/bin/sh\nexit 0\n");
                File.SetUnixFileMode(stub, (UnixFileMode)0b111_101_101);
            }
            string name = Path.GetFileName(relative);
            File.WriteAllText(Path.Combine(dir, name), File.ReadAllText(RepoFiles.PathOf(relative)).Replace("/usr/local/bin/", dir + "/", StringComparison.Ordinal));
            if (name.EndsWith(".timer", StringComparison.Ordinal))
            {
                // A timer is verified together with the service it starts.
                string service = Path.ChangeExtension(name, ".service");
                File.WriteAllText(Path.Combine(dir, service), File.ReadAllText(RepoFiles.PathOf(Path.Combine(Path.GetDirectoryName(relative)!, service))).Replace("/usr/local/bin/", dir + "/", StringComparison.Ordinal));
            }

            var psi = new ProcessStartInfo(analyze!) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
            psi.ArgumentList.Add("verify");
            psi.ArgumentList.Add(Path.Combine(dir, name));
            using Process p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(30_000), "systemd-analyze verify did not finish in 30 s");
            Assert.True(p.ExitCode == 0 && stderr.Trim().Length == 0, $"systemd-analyze verify {name}: exit {p.ExitCode}\n{stdout}\n{stderr}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
