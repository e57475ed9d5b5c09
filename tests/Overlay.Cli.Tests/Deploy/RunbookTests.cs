using System.Text.Json;
using System.Text.RegularExpressions;
using Overlay.Protocol.Stats;
using Overlay.Cli;

namespace Overlay.Cli.Tests.Deploy;

/// <summary>
/// The runbooks and docs stay true to the code: every drop reason is explained, every config
/// example passes <c>subnetrad --check</c>, and every subnetra/subnetrad command and flag in a
/// code block exists (checked against the programs' own --help).
/// </summary>
public sealed class RunbookTests
{
    public static TheoryData<string> DropReasonNames()
    {
        var data = new TheoryData<string>();
        for (int i = 0; i < DropReasons.Count; i++) data.Add(DropReasons.Name((DropReason)i));
        return data;
    }

    [Theory]
    [MemberData(nameof(DropReasonNames))]
    public void Troubleshooting_EveryDropReason_HasASection(string reason)
    {
        string text = File.ReadAllText(RepoFiles.PathOf("runbooks/troubleshooting.md"));
        Assert.Contains($"\n### {reason}\n", text);
    }

    [Theory]
    [InlineData("runbooks/linux-hub.md")]
    [InlineData("runbooks/key-rotation.md")]
    [InlineData("runbooks/troubleshooting.md")]
    [InlineData("runbooks/upgrade.md")]
    public void Runbook_Exists(string relative) => Assert.True(File.Exists(RepoFiles.PathOf(relative)), relative);

    public static TheoryData<string, int> ConfigExamples()
    {
        var data = new TheoryData<string, int>();
        foreach (string md in RepoFiles.Markdown("runbooks", "docs"))
        {
            foreach (var (lang, body, line) in RepoFiles.CodeBlocks(md))
            {
                if (lang == "json" && LooksLikeFullConfig(body)) data.Add(Path.GetRelativePath(RepoFiles.Root, md), line);
            }
        }
        return data;
    }

    /// <summary>A JSON object with both "role" and "peers": meant as a whole config file, so it must be complete.</summary>
    private static bool LooksLikeFullConfig(string body)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("role", out _) && doc.RootElement.TryGetProperty("peers", out _);
        }
        catch (JsonException)
        {
            return body.Contains("\"role\"", StringComparison.Ordinal) && body.Contains("\"peers\"", StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ConfigExamples_FoundInRunbooks()
    {
        Assert.True(ConfigExamples().Count >= 2, "expected the hub and spoke examples of runbooks/linux-hub.md");
    }

    [Theory]
    [MemberData(nameof(ConfigExamples))]
    public void ConfigExample_PassesSubnetradCheck(string markdown, int line)
    {
        string body = RepoFiles.CodeBlocks(RepoFiles.PathOf(markdown)).Single(b => b.Line == line).Body;
        string file = Path.Combine(Path.GetTempPath(), $"example-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, body);
        try
        {
            var r = Harness.Daemon("--check", "--config", file);
            Assert.True(r.Exit == 0, $"{markdown}:{line}: subnetrad --check failed:\n{r.Err}{r.Out}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static TheoryData<string, int, string> Commands()
    {
        var data = new TheoryData<string, int, string>();
        foreach (string md in RepoFiles.Markdown("runbooks", "docs"))
        {
            foreach (var (lang, body, line) in RepoFiles.CodeBlocks(md))
            {
                if (lang is not ("sh" or "")) continue;
                string[] lines = body.Split('\n');
                for (int i = 0; i < lines.Length; i++)
                {
                    foreach (string segment in Regex.Split(lines[i], @"\||&&|;|\$\("))
                    {
                        string[] words = segment.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        if (words.Length > 0 && RepoFiles.OurProgram().IsMatch(words[0]))
                            data.Add(Path.GetRelativePath(RepoFiles.Root, md), line + i, segment.Trim());
                    }
                }
            }
        }
        return data;
    }

    [Fact]
    public void Commands_FoundInRunbooks()
    {
        Assert.True(Commands().Count >= 20, "expected the runbooks' subnetra/subnetrad commands");
    }

    /// <summary>
    /// A command line from a code block: the subcommand must be listed by <c>subnetra --help</c>
    /// and every <c>--flag</c> must appear in the --help of that (sub)command.
    /// </summary>
    [Theory]
    [MemberData(nameof(Commands))]
    public void RunbookCommand_ExistsInHelp(string markdown, int line, string command)
    {
        int comment = command.IndexOf(" #", StringComparison.Ordinal);
        string text = comment >= 0 ? command[..comment] : command;
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        words = words.TakeWhile(w => w is not (">" or "<" or "2>&1") && !w.StartsWith('>')).ToArray();
        // "subnetra 0.1.0" in a block is the output of --version, not a command.
        if (words.Length == 2 && Regex.IsMatch(words[1], @"^\d+\.\d+\.\d+$")) return;
        bool daemon = Path.GetFileName(words[0]) == "subnetrad";
        string help;
        string shown;
        if (daemon)
        {
            help = Harness.Daemon("--help").Out;
            shown = "subnetrad";
        }
        else
        {
            // Walk nested subcommands (subnetra policy add ...) as far as the words name them.
            System.CommandLine.Command cmd = CliCommand.Build(TextReader.Null, TextWriter.Null, TextWriter.Null);
            var path = new List<string>();
            foreach (string w in words.Skip(1))
            {
                if (w.StartsWith('-') || w.StartsWith('[')) break;
                var sub = cmd.Subcommands.FirstOrDefault(c => c.Name == w);
                if (sub is null)
                {
                    Assert.True(path.Count > 0 || cmd.Arguments.Count > 0,
                        $"{markdown}:{line}: '{command}': subnetra has no command '{w}' (has: {string.Join(", ", cmd.Subcommands.Select(c => c.Name))})");
                    break;
                }
                cmd = sub;
                path.Add(w);
            }
            var r = Harness.Cli("", [.. path, "--help"]);
            Assert.True(r.Exit == 0, $"{markdown}:{line}: '{command}': subnetra {string.Join(' ', path)} --help failed\n{r.Err}");
            help = r.Out;
            shown = "subnetra " + string.Join(' ', path);
        }
        foreach (string word in words.Skip(1))
        {
            string flag = word.Trim('[', ']');
            if (!flag.StartsWith('-')) continue;
            string name = flag.Split('=')[0];
            Assert.True(Regex.IsMatch(help, $@"(^|[\s,]){Regex.Escape(name)}([\s,]|$)", RegexOptions.Multiline),
                $"{markdown}:{line}: '{command}': flag {name} is not in the --help of {shown}");
        }
    }
}
