using Overlay.Protocol.Config;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Overlay.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into subnetra's (issue 13 item 6): an unknown
/// command or option gets a "did you mean" from the commands and options valid at that point
/// (edit distance, as the config validator suggests keys), and no message names a .NET type
/// ("as expected type 'System.Int32'" becomes "takes a number").
/// </summary>
public static partial class UsageErrors
{
    public static IEnumerable<string> Describe(ParseResult pr)
    {
        Command command = pr.CommandResult.Command;
        var unmatched = new HashSet<string>(pr.UnmatchedTokens, StringComparer.Ordinal);
        foreach (ParseError e in pr.Errors)
        {
            Match m = Unrecognized().Match(e.Message);
            if (m.Success && unmatched.Contains(m.Groups[1].Value))
            {
                yield return Unknown(m.Groups[1].Value, command);
                continue;
            }
            yield return WithoutTypeNames(e.Message);
        }
    }

    /// <summary>"status " for a subcommand (for "Run 'subnetra status --help'"), "" for the root.</summary>
    public static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c && c.Parent is not null; r = r.Parent)
            names.Insert(0, c.Command.Name);
        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }

    internal static string Unknown(string token, Command command)
    {
        string where = command is RootCommand ? "subnetra" : $"'subnetra {CommandPath(command)}'".Replace(" '", "'", StringComparison.Ordinal);
        bool option = token.StartsWith('-');
        var candidates = new List<string>();
        if (option)
        {
            for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
                foreach (Option o in c.Options)
                    if (!o.Hidden && (ReferenceEquals(c, command) || o.Recursive)) candidates.Add(o.Name);
        }
        else
        {
            foreach (Command sub in command.Subcommands)
                if (!sub.Hidden) candidates.Add(sub.Name);
        }
        string kind = option ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";
        string message = $"unknown {kind} '{token}' for {where}";
        if (Suggest(token, candidates) is string best) return $"{message}; did you mean '{best}'?";
        if (!option && command.Subcommands.Count > 0)
            return $"{message}; commands: {string.Join(", ", candidates)}";
        return message;
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null && c is not RootCommand; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c.Name);
        return string.Join(' ', names);
    }

    /// <summary>The nearest candidate by edit distance (or a prefix match), if near enough to be a typo.</summary>
    internal static string? Suggest(string token, IEnumerable<string> candidates)
    {
        string t = token.TrimStart('-').ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string c in candidates)
        {
            string k = c.TrimStart('-');
            if (t.Length >= 3 && k.StartsWith(t, StringComparison.Ordinal)) return c;
            int d = EditDistance.Between(t, k);
            if (d < bestDistance) { bestDistance = d; best = c; }
        }
        return bestDistance <= Math.Max(2, t.Length / 3) ? best : null;
    }

    /// <summary>The library's conversion error without its CLR type name: "Cannot parse argument 'x' for option '--y'" + what it takes.</summary>
    internal static string WithoutTypeNames(string message)
    {
        Match m = TypeName().Match(message);
        if (!m.Success) return message;
        string what = m.Groups[1].Value switch
        {
            "System.Int32" or "System.Int64" or "System.UInt16" or "System.Nullable`1[System.Int32]" => "a whole number",
            "System.Double" or "System.Nullable`1[System.Double]" => "a number",
            "System.Boolean" => "true or false",
            _ => "a different value",
        };
        return message[..m.Index].TrimEnd() + $"; it takes {what}.";
    }

    [GeneratedRegex(@"^Unrecognized command or argument '(.*)'\.?$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"\s*as expected type '([^']+)'\.?")]
    private static partial Regex TypeName();
}
