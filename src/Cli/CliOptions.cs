using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Overlay.Cli;

/// <summary>
/// Typed options whose parse errors speak the operator's language: <c>--peer takes a peer id
/// (1..65535), not 'abc'</c> rather than the library's "as expected type 'System.Int32'"
/// (issue 13 item 6). Every numeric option of subnetra is built here.
/// </summary>
public static class CliOptions
{
    /// <summary>An integer option in [min, max]; <paramref name="meaning"/> completes "--name takes ...".</summary>
    public static Option<int> Int(string name, string? alias, int min, int max, string meaning, string helpName = "N")
    {
        var option = alias is null ? new Option<int>(name) : new Option<int>(name, alias);
        option.HelpName = helpName;
        option.CustomParser = r => ParseInt(r, name, min, max, meaning) ?? 0;
        return option;
    }

    /// <summary>An optional integer option in [min, max] (null when absent).</summary>
    public static Option<int?> OptionalInt(string name, int min, int max, string meaning, string helpName = "N")
    {
        var option = new Option<int?>(name) { HelpName = helpName };
        option.CustomParser = r => ParseInt(r, name, min, max, meaning);
        return option;
    }

    /// <summary>A number of seconds in [min, max] with a default.</summary>
    public static Option<double> Seconds(string name, double defaultValue, double min, double max, string meaning)
    {
        var option = new Option<double>(name)
        {
            HelpName = "S",
            Description = $"{char.ToUpperInvariant(meaning[0])}{meaning[1..]} ({min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}, default {defaultValue.ToString(CultureInfo.InvariantCulture)})",
            DefaultValueFactory = _ => defaultValue,
        };
        option.CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) && v >= min && v <= max)
                return v;
            r.AddError($"{name} takes {meaning} ({min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}), not '{text}'");
            return defaultValue;
        };
        return option;
    }

    private static int? ParseInt(ArgumentResult r, string name, int min, int max, string meaning)
    {
        string text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        if (text.Length is > 0 and <= 10 && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max)
            return (int)v;
        r.AddError($"{name} takes {meaning} ({min}..{max}), not '{text}'");
        return null;
    }
}
