using System.Diagnostics;

namespace Overlay.Cli.Tests.Deploy;

public sealed class InstallScriptTests
{
    private static (int Exit, string Out, string Err) Bash(params string[] args)
    {
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoFiles.Root };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "install.sh did not finish in 30 s");
        return (p.ExitCode, stdout, err.Result);
    }

    /// <summary>
    /// Regression (review): publish.sh installs deploy/bin/subnetra-wg, but .gitignore's <c>bin/</c>
    /// kept the launcher out of the repository, so a fresh clone's publish stopped at "cannot stat".
    /// </summary>
    [Fact]
    public void SubnetraWgLauncher_IsTrackedExecutableAndRunsTheDaemonsWgMode()
    {
        string launcher = RepoFiles.PathOf("deploy/bin/subnetra-wg");
        Assert.True(File.Exists(launcher), "deploy/bin/subnetra-wg is missing");
        Assert.True(File.GetUnixFileMode(launcher).HasFlag(UnixFileMode.UserExecute), "deploy/bin/subnetra-wg is not executable");
        Assert.Contains("--subnetra-wg", File.ReadAllText(launcher));
        if (!Path.Exists(Path.Combine(RepoFiles.Root, ".git")))
            return;   // a source tarball, not a checkout: nothing to ask git
        var tracked = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", ["-C", RepoFiles.Root, "ls-files", "--error-unmatch", "deploy/bin/subnetra-wg"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        tracked.WaitForExit(10_000);
        Assert.True(tracked.ExitCode == 0, "deploy/bin/subnetra-wg is not tracked by git (.gitignore?)");
    }

    [Fact]
    public void InstallScript_Syntax_ParsesWithBashN()
    {
        var r = Bash("-n", "scripts/install.sh");
        Assert.True(r.Exit == 0, r.Err);
    }

    [Fact]
    public void InstallScript_DryRunWithPrefix_PrintsEveryStepAndChangesNothing()
    {
        string prefix = Path.Combine("/tmp", "inst-" + Guid.NewGuid().ToString("N")[..12]);
        var r = Bash("scripts/install.sh", "--dry-run", "--prefix", prefix);

        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("+ scripts/publish.sh --rid linux-x64 --cli --out /tmp/subnetra-install.", r.Out);
        Assert.Contains($"+ install -d -m 0755 {prefix}/bin", r.Out);
        // subnetra-wg (issue 15) is installed beside subnetrad.
        Assert.Contains($"/subnetra-wg {prefix}/bin/", r.Out);
        Assert.Contains("+ install -d -m 0700 /etc/subnetra", r.Out);
        Assert.Contains("+ write /etc/systemd/system/subnetrad.service (mode 0644)", r.Out);
        Assert.Contains("+ write /etc/systemd/system/subnetra-textfile.timer (mode 0644)", r.Out);
        Assert.Contains($"{prefix}/bin/subnetrad --check --config /etc/subnetra/config.json", r.Out);
        Assert.DoesNotContain("systemctl enable", r.Out.Replace("2. systemctl enable --now subnetrad (it applies", "", StringComparison.Ordinal));
        Assert.False(Directory.Exists(prefix), "--dry-run created the prefix");
    }

    [Fact]
    public void InstallScript_DryRunWithRid_PublishesThatRidThroughPublishScript()
    {
        var r = Bash("scripts/install.sh", "--dry-run", "--rid", "linux-arm64", "--prefix", "/opt/subnetra-test");

        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("+ scripts/publish.sh --rid linux-arm64 --cli --out /tmp/subnetra-install.", r.Out);
        Assert.DoesNotContain("dotnet publish", r.Out);
    }

    // install.sh ships what scripts/publish.sh builds; bench/README.md's RSS and startup numbers are for
    // the trimmed ReadyToRun single file, so publish.sh must keep producing exactly that.
    [Fact]
    public void PublishScript_Options_TrimmedReadyToRunSingleFile()
    {
        string script = File.ReadAllText(Path.Combine(RepoFiles.Root, "scripts", "publish.sh"));

        Assert.Contains("--self-contained", script);
        Assert.Contains("-p:PublishSingleFile=true", script);
        Assert.Contains("-p:PublishTrimmed=true", script);
        Assert.Contains("-p:PublishReadyToRun=true", script);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--prefix", "relative/dir")]
    [InlineData("--prefix")]
    public void InstallScript_BadArguments_Exit2(params string[] args)
    {
        var r = Bash(["scripts/install.sh", .. args]);
        Assert.Equal(2, r.Exit);
        Assert.StartsWith("install.sh: ", r.Err);
    }
}
