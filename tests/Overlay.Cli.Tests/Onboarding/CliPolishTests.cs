using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Overlay.Cli.Tests.Onboarding;

/// <summary>Issue 13 item 6: one test per polish item.</summary>
public sealed class CliPolishTests : TempDirectoryTest
{
    [Theory]
    [InlineData(new[] { "stauts" }, "unknown command 'stauts' for subnetra; did you mean 'status'?")]
    [InlineData(new[] { "add-per" }, "did you mean 'add-peer'?")]
    [InlineData(new[] { "status", "--jsn" }, "unknown option '--jsn' for 'subnetra status'; did you mean '--json'?")]
    [InlineData(new[] { "policy", "shwo" }, "unknown command 'shwo' for 'subnetra policy'; did you mean 'show'?")]
    [InlineData(new[] { "--print-network-plan", "--path-mut", "1400" }, "did you mean '--path-mtu'?")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate' for subnetra; commands: ")]
    public void UnknownCommandOrOption_DidYouMean(string[] args, string expected)
    {
        var r = Harness.Cli("", args);
        Assert.Equal(2, r.Exit);
        Assert.Contains(expected, r.Err);
    }

    [Fact]
    public void ExportPeerNotANumber_SaysWhatItTakes()
    {
        var r = Harness.Cli("", "export", "--config", Path.Combine(Harness.Examples, "hub.json"), "--peer", "abc");
        Assert.Equal(2, r.Exit);
        Assert.Contains("--peer takes a peer id (1..65535), not 'abc'", r.Err);
    }

    /// <summary>Every option of every command, given a value of the wrong type, fails without a .NET type name.</summary>
    [Fact]
    public void EveryOption_BadValue_NoDotNetTypeNames()
    {
        var root = Overlay.Cli.CliCommand.Build(TextReader.Null, TextWriter.Null, TextWriter.Null);
        int tried = 0;
        foreach ((string[] path, Option option) in AllOptions(root, []))
        {
            if (option.Arity.MaximumNumberOfValues == 0) continue;
            foreach (string value in new[] { "abc", "-1", "1.5", "99999999999" })
            {
                var r = Harness.Cli("", [.. path, option.Name, value]);
                tried++;
                Assert.DoesNotMatch(new Regex(@"System\.|Int32|Int64|Boolean|Nullable"), r.Err);
            }
        }
        Assert.True(tried > 40, $"only {tried} option values tried");
    }

    [Fact]
    public void EmptyConfigFile_SaysFileIsEmpty()
    {
        string path = P("empty.json");
        File.WriteAllText(path, " \n");
        var r = Harness.Daemon("--check", "--config", path);
        Assert.Equal(2, r.Exit);
        Assert.Contains($"{path}: file is empty", r.Err);
    }

    [Fact]
    public void PskWithSurroundingWhitespace_SaysSo()
    {
        string path = P("ws.json");
        File.WriteAllText(path, """
            { "role": "spoke", "virtual_subnet": "198.19.0.0/24", "local_id": 2, "local_tun_ip": "198.19.0.2/24",
              "peers": [ { "id": 1, "endpoint": "198.18.1.1:51820", "psk": " 1111111111111111111111111111111111111111111111111111111111111111\n" } ] }
            """);
        var r = Harness.Daemon("--check", "--config", path);
        Assert.Equal(2, r.Exit);
        Assert.Contains($"{path}: peers[0].psk: has leading or trailing whitespace", r.Err);
    }

    [Theory]
    [InlineData("198.19.0.1/24", "has host bits set; did you mean 198.19.0.0/24?")]
    [InlineData("198.19.0.0", "PREFIX '198.19.0.0': ")]
    [InlineData("nonsense", "PREFIX 'nonsense': ")]
    public void PolicyAdd_BadPrefix_Exit2WithoutContactingDaemon(string prefix, string expected)
    {
        // The socket path does not exist: reaching the daemon would print "daemon not running" and exit 1.
        var r = Harness.Cli("", "policy", "add", prefix, "--to", "drop", "--socket", P("none.sock"));
        Assert.Equal(2, r.Exit);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("daemon not running", r.Err);
    }

    [Fact]
    public void HelpAndVersionCommands_Work()
    {
        Assert.Equal("subnetra 0.1.0\n", Harness.Cli("", "version").Out);
        var help = Harness.Cli("", "help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("add-peer", help.Out);
        var sub = Harness.Cli("", "help", "policy", "add");
        Assert.Equal(0, sub.Exit);
        Assert.Contains("--to", sub.Out);
        var unknown = Harness.Cli("", "help", "stauts");
        Assert.Equal(2, unknown.Exit);
        Assert.Contains("did you mean 'status'?", unknown.Err);
    }

    [Fact]
    public void StatusSocketNotASocket_SaysSo()
    {
        string file = P("config.json");
        File.WriteAllText(file, "{}");
        var r = Harness.Cli("", "status", "--socket", file);
        Assert.Equal(2, r.Exit);
        Assert.Contains($"{file} is a regular file (2 bytes), not a control socket", r.Err);
        var dir = Harness.Cli("", "status", "--socket", Dir);
        Assert.Equal(2, dir.Exit);
        Assert.Contains($"{Dir} is a directory, not a control socket", dir.Err);
    }

    [Theory]
    [InlineData("--path-mtu", "1400")]
    [InlineData("--os", "macos")]
    [InlineData("--tun", "utun3")]
    public void PlanOptionWithoutPrintNetworkPlan_NamesTheOptionItNeeds(string option, string value)
    {
        var r = Harness.Cli("", option, value);
        Assert.Equal(2, r.Exit);
        Assert.Contains($"{option} needs --print-network-plan", r.Err);
    }

    [Fact]
    public void Readme_CommandList_NamesEveryCommand()
    {
        string readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        var root = Overlay.Cli.CliCommand.Build(TextReader.Null, TextWriter.Null, TextWriter.Null);
        foreach (Command c in root.Subcommands)
            Assert.True(readme.Contains($"`{c.Name}", StringComparison.Ordinal), $"README.md does not list `{c.Name}`");
        foreach (Command c in root.Subcommands.Single(c => c.Name == "policy").Subcommands)
            Assert.Contains($"policy {c.Name}", readme);
    }

    [Fact]
    public void SuggestDirective_CompletesCommandsOptionsAndValues()
    {
        Assert.Equal("status\n", Harness.Cli("", "[suggest:12]", "subnetra sta").Out);
        Assert.Contains("--watch", Harness.Cli("", "[suggest:19]", "subnetra status --w").Out);
        Assert.Equal("linux\nmacos\n", Harness.Cli("", "[suggest:23]", "subnetra add-peer --os ").Out);
    }

    [Fact]
    public void CompletionScripts_DocumentedAndBashCompletes()
    {
        Assert.Equal(0, Harness.Cli("", "completion", "zsh").Exit);
        Assert.Contains("compdef _subnetra subnetra", Harness.Cli("", "completion", "zsh").Out);
        string docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "completion.md"));
        Assert.Contains("subnetra completion bash", docs);
        Assert.Contains("subnetra completion zsh", docs);

        // Real bash: the script calls `subnetra` from PATH, here a wrapper around the test build's subnetra.dll.
        File.WriteAllText(P("completion.bash"), Harness.Cli("", "completion", "bash").Out);
        string script = $"""
            source '{P("completion.bash")}'
            COMP_LINE='subnetra policy sh'; COMP_POINT=${"{#COMP_LINE}"}; COMP_WORDS=(subnetra policy sh); COMP_CWORD=2
            _subnetra_complete; printf '%s\n' "${"{COMPREPLY[@]}"}"
            COMP_LINE='subnetra add-peer --o'; COMP_POINT=${"{#COMP_LINE}"}; COMP_WORDS=(subnetra add-peer --o); COMP_CWORD=2
            _subnetra_complete; printf '%s\n' "${"{COMPREPLY[@]}"}"
            """;
        Assert.Equal(["show", "--os", "--output"], RunShell("bash", "--norc", "-c", script).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableFact]
    public void CompletionScripts_ZshCompletes()
    {
        Skip.IfNot(File.Exists("/usr/bin/zsh") || File.Exists("/bin/zsh"), "zsh is not installed");
        File.WriteAllText(P("_subnetra"), Harness.Cli("", "completion", "zsh").Out);
        // compadd is zsh's completion builtin; outside a completion widget it is stubbed to print what it was given.
        string script = $"""
            compdef() {"{ :; }"}; source '{P("_subnetra")}'; compadd() {"{ print -l -- \"$@\"; }"}
            words=(subnetra policy sh); CURRENT=3; _subnetra
            words=(subnetra add-peer --o); CURRENT=3; _subnetra
            """;
        Assert.Equal(["--", "show", "--", "--os", "--output"], RunShell("zsh", "-f", "-c", script).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Runs a shell with a PATH whose `subnetra` is a wrapper around the test build's subnetra.dll; returns stdout.</summary>
    private string RunShell(string shell, params string[] args)
    {
        string bin = P("bin");
        Directory.CreateDirectory(bin);
        string dll = Path.Combine(AppContext.BaseDirectory, "subnetra.dll");
        File.WriteAllText(Path.Combine(bin, "subnetra"), $"#!/bin/sh\nexec dotnet '{dll}' \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(bin, "subnetra"), (UnixFileMode)0b111_101_101);
        var psi = new ProcessStartInfo(shell, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(psi)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"{shell} did not finish in 60 s");
        Assert.True(process.ExitCode == 0, $"{shell} exited {process.ExitCode}: {error.Result}");
        return output.Result;
    }

    private static IEnumerable<(string[] Path, Option Option)> AllOptions(Command command, string[] path)
    {
        foreach (Option o in command.Options)
            if (!o.Hidden && o.Name is not "--help" and not "--version") yield return (path, o);
        foreach (Command sub in command.Subcommands)
            foreach (var x in AllOptions(sub, [.. path, sub.Name])) yield return x;
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Overlay.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("Overlay.sln not found above " + AppContext.BaseDirectory);
    }
}
