namespace Overlay.Cli.Tests;

/// <summary>
/// A small reader for wg-quick(8) / wg(8) config syntax: [Section] headers, "Key = Value"
/// lines, '#' comments and blank lines. Anything else is a syntax error.
/// </summary>
internal static class WgQuickParser
{
    public sealed record Section(string Name, IReadOnlyList<KeyValuePair<string, string>> Entries)
    {
        public string? Get(string key) => Entries.Where(e => e.Key == key).Select(e => e.Value).FirstOrDefault();
    }

    public static IReadOnlyList<Section> Parse(string text)
    {
        var sections = new List<Section>();
        List<KeyValuePair<string, string>>? current = null;
        int n = 0;
        foreach (string raw in text.Split('\n'))
        {
            n++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = [];
                sections.Add(new Section(line[1..^1], current));
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq <= 0 || current is null) throw new FormatException($"line {n}: not 'Key = Value' inside a section: {raw}");
            current.Add(new(line[..eq].Trim(), line[(eq + 1)..].Trim()));
        }
        return sections;
    }
}
