using System.Text.RegularExpressions;

namespace Overlay.Cli.Tests.Deploy;

/// <summary>
/// runbooks/macos-spoke-acceptance.md is followed by a person on a Mac, so what it quotes must
/// be true of this build: every JSON config in it passes subnetrad --check, every option it
/// passes to subnetrad/subnetra exists in that tool's --help, the plan it shows is what
/// subnetra prints for the example, and every checkpoint names a command and an expectation.
/// </summary>
public sealed partial class MacOsRunbookTests
{
    private static string RunbookPath => Path.Combine(Harness.SourceDirectory(), "..", "..", "runbooks", "macos-spoke-acceptance.md");

    private static string Runbook => File.ReadAllText(RunbookPath);

    [GeneratedRegex("```json\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex(@"\b(subnetrad|subnetra)((?: +[^ |`;)\n]+)*)")]
    private static partial Regex Invocation();

    [GeneratedRegex(@"^\d+\. \[ \] \*\*(.+?)\*\*", RegexOptions.Multiline)]
    private static partial Regex Checkpoint();

    [Fact]
    public void JsonConfigs_PassSubnetradCheck()
    {
        var blocks = JsonBlock().Matches(Runbook).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(blocks);
        string dir = Directory.CreateTempSubdirectory("overlay-runbook-").FullName;
        try
        {
            for (int i = 0; i < blocks.Count; i++)
            {
                string path = Path.Combine(dir, $"block{i}.json");
                File.WriteAllText(path, blocks[i]);
                var r = Harness.Daemon("--check", "--config", path);
                Assert.True(r.Exit == 0, $"runbook JSON block {i}: {r.Err}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void JsonConfig_IsTheShippedMacExample()
    {
        string block = JsonBlock().Match(Runbook).Groups[1].Value;
        Assert.Equal(File.ReadAllText(Path.Combine(Harness.Examples, "spoke-macos.json")).TrimEnd(), block.TrimEnd());
    }

    [Fact]
    public void Options_ExistInHelp()
    {
        string daemonHelp = Harness.Daemon("--help").Out;
        string cliHelp = Harness.Cli("", "--help").Out;
        var subcommandHelp = new Dictionary<string, string>
        {
            ["status"] = Harness.Cli("", "status", "--help").Out,
            ["export"] = Harness.Cli("", "export", "--help").Out,
            ["genpsk"] = Harness.Cli("", "genpsk", "--help").Out,
        };
        int checkedOptions = 0;
        foreach (Match m in Invocation().Matches(Runbook))
        {
            string[] words = m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string help = m.Groups[1].Value == "subnetrad" ? daemonHelp
                : words.Length > 0 && subcommandHelp.TryGetValue(words[0], out string? sub) ? sub
                : cliHelp;
            foreach (string word in words.Where(w => w.StartsWith("--", StringComparison.Ordinal)))
            {
                Assert.True(Regex.IsMatch(help, $@"(^|[\s,]){Regex.Escape(word)}(\s|$|,)", RegexOptions.Multiline),
                    $"runbook uses '{word}' in '{m.Value}', which that command's --help does not list");
                checkedOptions++;
            }
        }
        Assert.True(checkedOptions >= 10, $"only {checkedOptions} options found: the invocation pattern no longer matches the runbook");
    }

    [Fact]
    public void PlanPreview_MatchesSubnetraOutputForTheExample()
    {
        var r = Harness.Cli("", "--print-network-plan", "--config", Path.Combine(Harness.Examples, "spoke-macos.json"), "--os", "macos");
        Assert.Equal(0, r.Exit);
        Assert.Contains(r.Out.TrimEnd(), Runbook);
    }

    [Fact]
    public void Checkpoints_AreNumberedAndEachNamesCommandAndExpectation()
    {
        string text = Runbook;
        var starts = Checkpoint().Matches(text).ToList();
        Assert.True(starts.Count >= 8, $"expected at least 8 checkpoints, found {starts.Count}");
        for (int i = 0; i < starts.Count; i++)
        {
            Assert.StartsWith($"{i + 1}. [ ]", starts[i].Value);
            int end = i + 1 < starts.Count ? starts[i + 1].Index : text.IndexOf("\n## ", starts[i].Index, StringComparison.Ordinal);
            string body = text[starts[i].Index..(end < 0 ? text.Length : end)];
            Assert.True(body.Contains('`'), $"checkpoint {i + 1} names no command");
            Assert.True(body.Contains("Expected", StringComparison.Ordinal), $"checkpoint {i + 1} gives no expected output");
        }
    }

    [Fact]
    public void SelfContainedBuildCommand_IsGiven() =>
        Assert.Contains("dotnet publish src/Daemon -c Release -r osx-arm64 --self-contained -p:PublishSingleFile=true", Runbook);
}
