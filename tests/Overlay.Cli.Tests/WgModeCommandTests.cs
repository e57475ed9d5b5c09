using Overlay.Daemon;
using Overlay.Os.Node;

#pragma warning disable CA1416

namespace Overlay.Cli.Tests;

/// <summary>subnetra-wg's command line and its macOS hand-off to wg-quick (WG_TUN_NAME_FILE), without a kernel.</summary>
public sealed class WgModeCommandTests
{
    private static (int Exit, string Out, string Err) Run(Dictionary<string, string>? env, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = WgModeCommand.Run(args, stdout, stderr, k => env is not null && env.TryGetValue(k, out string? v) ? v : null);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Run_NoInterface_UsageExit2()
    {
        (int exit, _, string err) = Run(null);
        Assert.Equal(DaemonCommand.ExitUsage, exit);
        Assert.Contains("missing INTERFACE", err);
        Assert.Contains("Usage: subnetra-wg [-f/--foreground] INTERFACE-NAME", err);
    }

    [Fact]
    public void Run_TwoInterfaces_UsageExit2()
    {
        Assert.Equal(DaemonCommand.ExitUsage, Run(null, "-f", "wg0", "wg1").Exit);
    }

    [Fact]
    public void Run_UnknownOption_UsageExit2()
    {
        Assert.Equal(DaemonCommand.ExitUsage, Run(null, "--bogus", "wg0").Exit);
    }

    [Fact]
    public void Run_BadLogLevel_UsageExit2()
    {
        (int exit, _, string err) = Run(new() { ["LOG_LEVEL"] = "loud" }, "-f", "wg0");
        Assert.Equal(DaemonCommand.ExitUsage, exit);
        Assert.Contains("LOG_LEVEL", err);
    }

    [Fact]
    public void Run_Version_Exit0()
    {
        (int exit, string output, _) = Run(null, "--version");
        Assert.Equal(0, exit);
        Assert.StartsWith("subnetra-wg v", output);
    }

    [Theory]
    [InlineData("wg0", true)]
    [InlineData("averyveryverylong", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    [InlineData("", false)]
    public void ValidateInterfaceName_Linux_IfnamsizAndCharacters(string name, bool ok)
    {
        if (!OperatingSystem.IsLinux()) return;   // macOS accepts only utun names
        Assert.Equal(ok, WgModeRunner.ValidateInterfaceName(name) is null);
    }

    [Theory]
    [InlineData(null, LogLevel.Error)]
    [InlineData("error", LogLevel.Error)]
    [InlineData("verbose", LogLevel.Debug)]
    [InlineData("debug", LogLevel.Debug)]
    public void TryParseLogLevel_WireguardGoNames_Mapped(string? text, LogLevel expected)
    {
        Assert.True(WgModeRunner.TryParseLogLevel(text, out LogLevel? level));
        Assert.Equal(expected, level);
    }

    [Fact]
    public void TryParseLogLevel_Silent_NoLog()
    {
        Assert.True(WgModeRunner.TryParseLogLevel("silent", out LogLevel? level));
        Assert.Null(level);
    }

    /// <summary>wg-quick's darwin.bash reads the utunN the kernel chose from WG_TUN_NAME_FILE: the name and a newline, mode 0400.</summary>
    [Fact]
    public void WriteTunNameFile_NameAndNewline_Mode0400_ReplacesStale()
    {
        string dir = Path.Combine(Path.GetTempPath(), "wgname-" + Guid.NewGuid().ToString("n"));
        string path = Path.Combine(dir, "wg0.name");
        try
        {
            WgModeRunner.WriteTunNameFile(path, "utun7");
            WgModeRunner.WriteTunNameFile(path, "utun9");   // a stale file from an earlier run is replaced
            Assert.Equal("utun9\n", File.ReadAllText(path));
            Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(path));
        }
        finally
        {
            if (File.Exists(path)) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("/usr/local/bin/subnetra-wg", null, true)]
    [InlineData("/opt/lib/subnetra-wg.dll", null, true)]
    [InlineData("/usr/local/bin/subnetrad", "/usr/local/bin/subnetrad", false)]
    [InlineData(null, "/usr/bin/subnetra-wg", true)]
    public void IsInvokedAs_ByName(string? argv0, string? processPath, bool expected)
    {
        Assert.Equal(expected, WgModeCommand.IsInvokedAs(argv0, processPath));
    }
}
