using System.Text.RegularExpressions;

namespace Overlay.Cli.Tests.Deploy;

/// <summary>Files of the source tree (deploy/, runbooks/, docs/, scripts/) that the deployment tests read.</summary>
internal static partial class RepoFiles
{
    public static string Root => Path.GetFullPath(Path.Combine(Harness.SourceDirectory(), "..", ".."));

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static IEnumerable<string> Markdown(params string[] directories) =>
        directories.SelectMany(d => Directory.GetFiles(PathOf(d), "*.md", SearchOption.AllDirectories))
            .OrderBy(f => f, StringComparer.Ordinal);

    /// <summary>Fenced code blocks of a markdown file: (info string, body).</summary>
    public static IEnumerable<(string Lang, string Body, int Line)> CodeBlocks(string markdownPath)
    {
        string[] lines = File.ReadAllLines(markdownPath);
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal)) continue;
            string lang = lines[i][3..].Trim();
            int start = i + 1;
            int end = start;
            while (end < lines.Length && !lines[end].StartsWith("```", StringComparison.Ordinal)) end++;
            yield return (lang, string.Join('\n', lines[start..end]), start + 1);
            i = end;
        }
    }

    /// <summary>A systemd unit file as (section, key, value) entries, comments and blanks skipped.</summary>
    public static List<(string Section, string Key, string Value)> ParseUnit(string path)
    {
        var entries = new List<(string, string, string)>();
        string section = "";
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }
            int eq = line.IndexOf('=');
            Assert.True(eq > 0, $"{path}: not key=value: {raw}");
            entries.Add((section, line[..eq].Trim(), line[(eq + 1)..].Trim()));
        }
        return entries;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_./-]*subnetrad?$")]
    public static partial Regex OurProgram();
}
