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
    /// <summary>
    /// Files larger than this are refused before parsing. A hub's config grows by about 140 bytes per link,
    /// so a 100,000-link hub is about 14 MB; 16 MiB leaves room and still stops a runaway file early.
    /// </summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Longest private_key_file read: a key file is 45 bytes (44 base64 characters and a newline).</summary>
    public const long MaxKeyFileBytes = 4096;

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

    /// <summary>
    /// Loads and validates a config file, read through <paramref name="files"/> (opened once, regular files
    /// only, at most <see cref="MaxFileBytes"/> + 1 bytes read). Never throws for bad input; see
    /// <see cref="ConfigLoadResult.Errors"/>. The daemon runs the same loader at start, on SIGHUP and on reload.
    /// </summary>
    public static ConfigLoadResult LoadFile(string path, IRegularFileReader files) => LoadFile(path, files, out _);

    /// <summary>
    /// As <see cref="LoadFile(string, IRegularFileReader)"/>, also giving the bytes that were read
    /// (null when the read failed), so a tool that rewrites the file edits exactly what was checked
    /// instead of reading it a second time.
    /// </summary>
    public static ConfigLoadResult LoadFile(string path, IRegularFileReader files, out byte[]? bytesRead)
    {
        string full = Path.GetFullPath(path);
        var fail = (string msg) => new ConfigLoadResult(null, [new ConfigError(full, "", msg)], []);
        FileReadResult read = files.Read(full, MaxFileBytes);
        bytesRead = read.Ok ? read.Bytes : null;
        return read.Status switch
        {
            FileReadStatus.Ok when IsBlank(read.Bytes) =>
                // Without this an empty file is reported as a JSON syntax error at line 1, column 1.
                fail("file is empty: write a config (docs/config.md), or create a hub config with 'subnetra init'"),
            FileReadStatus.Ok => LoadBytes(read.Bytes!, full, Path.GetDirectoryName(full) ?? "/", files),
            FileReadStatus.NotFound => fail("config file not found"),
            FileReadStatus.NotRegular => fail($"{read.Problem}; point --config or SUBNETRA_CONFIG at the JSON config file itself"),
            FileReadStatus.TooLarge => fail($"config file {read.Problem} (about 140 bytes per link: 100,000 links fit); split the deployment or remove unused entries"),
            _ => fail($"cannot read config file: it {read.Problem}"),
        };
    }

    /// <summary>Nothing but whitespace (and a UTF-8 BOM).</summary>
    private static bool IsBlank(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        foreach (byte b in bytes)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        return true;
    }

    /// <summary>
    /// Loads a config from JSON text (tests, tools). <paramref name="displayName"/> names it in
    /// errors; <paramref name="baseDirectory"/> anchors a relative private_key_file, which is read
    /// through <paramref name="files"/> (without one, private_key_file is an error).
    /// </summary>
    public static ConfigLoadResult LoadJson(string json, string displayName, string? baseDirectory = null, IRegularFileReader? files = null) =>
        LoadBytes(System.Text.Encoding.UTF8.GetBytes(json), displayName, baseDirectory ?? Directory.GetCurrentDirectory(), files);

    /// <summary>
    /// Options matching the M.E.Configuration.Json provider, so both readers accept the same files.
    /// </summary>
    private static readonly JsonDocumentOptions KindReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// Reads the bytes once into M.E.Configuration (the values) and once into a JsonDocument (the
    /// token kind of every path), because the provider turns 5, "5" and true into the same kind
    /// of text and a quoted number must be an error (issue 2).
    /// </summary>
    private static ConfigLoadResult LoadBytes(byte[] bytes, string displayName, string baseDirectory, IRegularFileReader? files)
    {
        IConfigurationRoot root;
        Dictionary<string, JsonValueKind> kinds;
        try
        {
            // Parse(Stream) skips a UTF-8 BOM, as the provider's reader does.
            using var doc = JsonDocument.Parse(new MemoryStream(bytes, writable: false), KindReaderOptions);
            // Text that is valid JSON but not valid Unicode ("\ud800") makes the provider throw while it
            // flattens the tree; find it first so it is an ordinary error that names the key.
            var invalid = new List<ConfigError>();
            FindInvalidText(doc.RootElement, "", displayName, invalid);
            if (invalid.Count > 0) return new ConfigLoadResult(null, invalid, []);
            root = new ConfigurationBuilder().AddJsonStream(new MemoryStream(bytes, writable: false)).Build();
            kinds = JsonKinds(doc.RootElement);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or JsonException)
        {
            return new ConfigLoadResult(null, [DescribeLoadFailure(displayName, e)], []);
        }
        var v = new ConfigValidator(displayName, baseDirectory, files);
        var config = v.Run(ConfigNode.FromConfiguration(root, kinds));
        return new ConfigLoadResult(config, v.Errors, v.Warnings);
    }

    private const string InvalidTextMessage =
        "is not valid Unicode text: it holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair); remove or fix the escape";

    /// <summary>Reports every string value and key that cannot become .NET text (a lone surrogate escape).</summary>
    private static void FindInvalidText(JsonElement e, string path, string file, List<ConfigError> errors)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                try { _ = e.GetString(); }
                catch (InvalidOperationException) { errors.Add(new ConfigError(file, path, InvalidTextMessage)); }
                break;
            case JsonValueKind.Object:
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    string name;
                    try { name = p.Name; }
                    catch (InvalidOperationException)
                    {
                        errors.Add(new ConfigError(file, path, "a key " + InvalidTextMessage));
                        continue;
                    }
                    FindInvalidText(p.Value, path.Length > 0 ? path + "." + name : name, file, errors);
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in e.EnumerateArray())
                    FindInvalidText(item, $"{path}[{(i++).ToString(System.Globalization.CultureInfo.InvariantCulture)}]", file, errors);
                break;
        }
    }

    /// <summary>
    /// Maps each flattened path ("peers:0:id") to its JSON token kind. Keys compare
    /// case-insensitively, like IConfiguration's; the provider has already refused keys that
    /// collide that way.
    /// </summary>
    internal static Dictionary<string, JsonValueKind> JsonKinds(JsonElement root)
    {
        var map = new Dictionary<string, JsonValueKind>(StringComparer.OrdinalIgnoreCase);
        void Walk(JsonElement e, string path)
        {
            if (path.Length > 0) map[path] = e.ValueKind;
            string prefix = path.Length > 0 ? path + ConfigurationPath.KeyDelimiter : "";
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject()) Walk(p.Value, prefix + p.Name);
            else if (e.ValueKind == JsonValueKind.Array)
            {
                int i = 0;
                foreach (var item in e.EnumerateArray())
                    Walk(item, prefix + (i++).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        Walk(root, "");
        return map;
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
/// becomes the empty string). <see cref="Kind"/> restores the JSON token kind from a second
/// parse, so a quoted number can be told from a number.
/// </summary>
internal sealed class ConfigNode
{
    public required string Key { get; init; }
    public required string JsonPath { get; init; }
    public string? Value { get; init; }
    public required IReadOnlyList<ConfigNode> Children { get; init; }

    /// <summary>The JSON token kind at this path; null when unknown (no kind map was given).</summary>
    public JsonValueKind? Kind { get; init; }

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

    /// <summary>
    /// The tree of <paramref name="root"/>. With the kind map the tree is built from its paths in
    /// O(n log n) (<see cref="ConfigTree"/>); IConfiguration.GetChildren scans every key per call, which
    /// made a 10,000-link hub take minutes.
    /// </summary>
    public static ConfigNode FromConfiguration(IConfiguration root, IReadOnlyDictionary<string, JsonValueKind>? kinds = null) =>
        kinds is not null ? ConfigTree.Build(root, kinds) : FromSections(root);

    private static ConfigNode FromSections(IConfiguration root) => new()
    {
        Key = "",
        JsonPath = "",
        Children = root.GetChildren().Select(c => Build(c, null)).ToList(),
    };

    private static ConfigNode Build(IConfigurationSection s, IReadOnlyDictionary<string, JsonValueKind>? kinds) => new()
    {
        Key = s.Key,
        JsonPath = ConfigLoader.FormatKeyPath(s.Path),
        Value = s.Value,
        Kind = kinds is not null && kinds.TryGetValue(s.Path, out var k) ? k : null,
        Children = s.GetChildren().Select(c => Build(c, kinds)).ToList(),
    };
}
