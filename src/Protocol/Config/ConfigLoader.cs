using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Overlay.Protocol.Config;

/// <summary>
/// Loads and validates the JSON config (DESIGN.md §5, docs/config.md).
///
/// The file is read with Microsoft.Extensions.Configuration.Json (comments and trailing
/// commas allowed, duplicate keys rejected) and the flattened tree is then walked here,
/// because the configuration binder silently ignores unknown keys and wrong types
/// (dotnet-feasibility.md §7). Every problem is collected, each naming the key path in JSON
/// form (<c>peers[1].psk</c>), so an operator fixes a file in one pass.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Files larger than this are refused before parsing (a config is a few KiB).</summary>
    public const long MaxFileBytes = 1024 * 1024;

    public const string EnvironmentVariable = "SUBNETRA_CONFIG";
    public const string SystemDefaultPath = "/etc/subnetra/config.json";

    /// <summary>
    /// Chooses the config path: <paramref name="cliPath"/> (--config), else $SUBNETRA_CONFIG,
    /// else ./config.json when it exists, else /etc/subnetra/config.json.
    /// </summary>
    public static ConfigPathResolution ResolvePath(
        string? cliPath,
        Func<string, string?>? getEnvironment = null,
        string? currentDirectory = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        currentDirectory ??= Directory.GetCurrentDirectory();
        if (!string.IsNullOrEmpty(cliPath))
            return new(Path.GetFullPath(cliPath, currentDirectory), ConfigPathSource.CommandLine);
        string? env = getEnvironment(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env))
            return new(Path.GetFullPath(env, currentDirectory), ConfigPathSource.Environment);
        string local = Path.Combine(currentDirectory, "config.json");
        if (File.Exists(local))
            return new(local, ConfigPathSource.WorkingDirectory);
        return new(SystemDefaultPath, ConfigPathSource.SystemDefault);
    }

    /// <summary>Loads and validates a config file. Never throws for bad input; see <see cref="ConfigLoadResult.Errors"/>.</summary>
    public static ConfigLoadResult LoadFile(string path)
    {
        string full = Path.GetFullPath(path);
        var fail = (string msg) => new ConfigLoadResult(null, [new ConfigError(full, "", msg)], []);
        FileInfo info;
        try
        {
            info = new FileInfo(full);
            if (Directory.Exists(full)) return fail("is a directory, not a config file");
            if (!info.Exists) return fail("config file not found");
            if (info.Length > MaxFileBytes) return fail($"config file is {info.Length} bytes; the limit is {MaxFileBytes}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return fail($"cannot read config file: {e.Message}");
        }

        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder().AddJsonFile(full, optional: false, reloadOnChange: false).Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or UnauthorizedAccessException or JsonException)
        {
            return new ConfigLoadResult(null, [DescribeLoadFailure(full, e)], []);
        }
        return Validate(root, full, Path.GetDirectoryName(full) ?? "/");
    }

    /// <summary>
    /// Loads a config from JSON text (tests, tools). <paramref name="displayName"/> names it in
    /// errors; <paramref name="baseDirectory"/> anchors a relative private_key_file.
    /// </summary>
    public static ConfigLoadResult LoadJson(string json, string displayName, string? baseDirectory = null)
    {
        IConfigurationRoot root;
        try
        {
            var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
            root = new ConfigurationBuilder().AddJsonStream(stream).Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or JsonException)
        {
            return new ConfigLoadResult(null, [DescribeLoadFailure(displayName, e)], []);
        }
        return Validate(root, displayName, baseDirectory ?? Directory.GetCurrentDirectory());
    }

    /// <summary>
    /// Turns the provider's exception chain into one line. A syntax error carries a
    /// JsonException with 0-based line and byte position; we print them 1-based, as editors do.
    /// </summary>
    private static ConfigError DescribeLoadFailure(string file, Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is JsonException je)
            {
                string msg = je.Message;
                int cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
                if (cut > 0) msg = msg[..cut];
                string where = je.LineNumber is long line ? $"line {line + 1}, column {(je.BytePositionInLine ?? 0) + 1}: " : "";
                return new ConfigError(file, "", $"invalid JSON: {where}{msg}");
            }
        }
        // The innermost message is the specific one ("A duplicate key 'role' was found.",
        // "Top-level JSON element must be an object...").
        Exception inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        string text = inner.Message;
        if (text.StartsWith("A duplicate key", StringComparison.Ordinal))
            text += " (keys are compared case-insensitively by the JSON reader)";
        return new ConfigError(file, "", $"invalid JSON: {text}");
    }

    private static ConfigLoadResult Validate(IConfiguration root, string file, string baseDirectory)
    {
        var v = new ConfigValidator(file, baseDirectory);
        var config = v.Run(ConfigNode.FromConfiguration(root));
        return new ConfigLoadResult(config, v.Errors, v.Warnings);
    }

    /// <summary>Converts an M.E.Configuration path ("peers:1:psk") to JSON form ("peers[1].psk").</summary>
    public static string FormatKeyPath(string configurationPath)
    {
        var sb = new System.Text.StringBuilder();
        foreach (string part in configurationPath.Split(ConfigurationPath.KeyDelimiter))
        {
            if (part.Length > 0 && part.All(char.IsAsciiDigit)) sb.Append('[').Append(part).Append(']');
            else
            {
                if (sb.Length > 0) sb.Append('.');
                sb.Append(part);
            }
        }
        return sb.ToString();
    }
}

/// <summary>
/// The flattened configuration as a small tree. M.E.Configuration keeps only strings:
/// a JSON scalar becomes a value (numbers and booleans as text), an object or array becomes
/// children, and null, {} and [] lose their type (null/{} have no value and no children, []
/// becomes the empty string).
/// </summary>
internal sealed class ConfigNode
{
    public required string Key { get; init; }
    public required string JsonPath { get; init; }
    public string? Value { get; init; }
    public required IReadOnlyList<ConfigNode> Children { get; init; }

    public bool IsNull => Value is null && Children.Count == 0;
    public bool IsContainer => Children.Count > 0;

    /// <summary>Children keyed 0..n-1 in order: what an array flattens to.</summary>
    public bool IsArrayLike
    {
        get
        {
            if (Children.Count == 0) return false;
            for (int i = 0; i < Children.Count; i++)
                if (Children[i].Key != i.ToString(System.Globalization.CultureInfo.InvariantCulture)) return false;
            return true;
        }
    }

    public string Describe() =>
        IsNull ? "null" : IsArrayLike ? "an array" : IsContainer ? "an object" : $"'{Value}'";

    public static ConfigNode FromConfiguration(IConfiguration root) => new()
    {
        Key = "",
        JsonPath = "",
        Children = root.GetChildren().Select(Build).ToList(),
    };

    private static ConfigNode Build(IConfigurationSection s) => new()
    {
        Key = s.Key,
        JsonPath = ConfigLoader.FormatKeyPath(s.Path),
        Value = s.Value,
        Children = s.GetChildren().Select(Build).ToList(),
    };
}
