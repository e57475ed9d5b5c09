#pragma warning disable CA1416 // Unix file modes: this assembly runs on Linux and macOS only
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Overlay.Os.Interop;
using Overlay.Protocol.Config;
using Overlay.Protocol.Control;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Node;

/// <summary>
/// The per-instance state file that <c>subnetra save</c> writes and <c>subnetrad</c> loads at
/// start: the live policy rules as <c>{"schema_version":1,"rules":[...]}</c> (docs/control.md).
/// Path: <c>SUBNETRA_STATE</c>, else <c>/var/lib/subnetra/&lt;tun_name&gt;.state.json</c> (Linux, FHS
/// 3.0 §5.8 "variable state information") or <c>/var/db/subnetra/&lt;tun_name&gt;.state.json</c>
/// (macOS, hier(7)). Writes are atomic: a temp file in the same directory, fsync, rename(2),
/// fsync of the directory — a crash leaves the old file or the new one, never half of either.
/// </summary>
public static partial class PolicyStateFile
{
    public const string EnvironmentVariable = "SUBNETRA_STATE";

    /// <summary>Longest state file read (a rule is under 100 bytes).</summary>
    public const long MaxBytes = 16 * 1024 * 1024;

    /// <summary>The state file for a daemon whose config has <paramref name="tunName"/>.</summary>
    public static string ResolvePath(string tunName) =>
        ResolvePath(tunName, Environment.GetEnvironmentVariable(EnvironmentVariable));

    public static string ResolvePath(string tunName, string? fromEnvironment) =>
        string.IsNullOrWhiteSpace(fromEnvironment)
            ? Path.Combine(DefaultDirectory, tunName + ".state.json")
            : Path.GetFullPath(fromEnvironment);

    /// <summary>The file's text for <paramref name="rules"/> (indented: people read and diff it).</summary>
    public static string Serialize(IEnumerable<PolicyRule> rules)
    {
        var doc = new PolicyStateDocument { Rules = rules.Select(PolicyRuleInfo.From).ToArray() };
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            JsonSerializer.Serialize(writer, doc, ControlJson.PolicyState);
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>
    /// Writes the rules atomically with mode 0600, creating the directory (mode 0700) when
    /// missing. Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> naming the path.
    /// </summary>
    public static void Save(string path, IEnumerable<PolicyRule> rules)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Serialize(rules));
        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        if (!Directory.Exists(dir))
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // A name of its own per call, created exclusively (O_CREAT|O_EXCL): two saves at once never
        // write into the same temp file, and a leftover or planted file is never reused.
        string temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        bool created = false;
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var f = new FileStream(temp, options))
            {
                created = true;
                // The create mode passes through the umask: force exactly 0600.
                File.SetUnixFileMode(f.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);   // rename(2): atomic within one file system
        }
        catch
        {
            if (created) try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        SyncDirectory(dir);
    }

    /// <summary>
    /// Reads the rules. A missing file is no rules (first start). A file that cannot be read or
    /// parsed, or a rule that does not parse, yields an error naming the path and entry;
    /// valid rules are still returned.
    /// </summary>
    public static IReadOnlyList<PolicyRule> Load(string path, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        errors = problems;
        FileReadResult read = RegularFileReader.Instance.Read(path, MaxBytes);
        switch (read.Status)
        {
            case FileReadStatus.Ok:
                break;
            case FileReadStatus.NotFound:
                return [];
            case FileReadStatus.NotRegular:
                problems.Add($"{path}: state file {read.Problem}; remove it (`subnetra save` writes a new one) or point {EnvironmentVariable} at a regular file");
                return [];
            case FileReadStatus.TooLarge:
                problems.Add($"{path}: state file {read.Problem}");
                return [];
            default:
                problems.Add($"{path}: cannot read state file: it {read.Problem}");
                return [];
        }
        PolicyStateDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(read.Bytes, ControlJson.PolicyState);
        }
        catch (JsonException e)
        {
            problems.Add($"{path}: cannot read state file: {e.Message}");
            return [];
        }
        if (doc is null)
        {
            problems.Add($"{path}: state file is JSON null, expected an object");
            return [];
        }
        if (doc.SchemaVersion != PolicyStateDocument.CurrentSchemaVersion)
        {
            problems.Add($"{path}: schema_version {doc.SchemaVersion} is not supported (this daemon reads {PolicyStateDocument.CurrentSchemaVersion})");
            return [];
        }
        var rules = new List<PolicyRule>();
        for (int i = 0; i < doc.Rules.Count; i++)
        {
            PolicyRuleInfo r = doc.Rules[i];
            if (PolicyRule.TryParse(r.Prefix, r.Action, r.PeerId, out PolicyRule rule, out string error)) rules.Add(rule);
            else problems.Add($"{path}: rules[{i}]: {error}");
        }
        return rules;
    }

    /// <summary>fsync(2) on the directory makes the rename itself durable (rename(2) alone is atomic, not durable).</summary>
    private static void SyncDirectory(string dir)
    {
        int fd = Libc.Open(dir, 0 /* O_RDONLY */);
        if (fd < 0) return;   // best effort: the data file itself is already on disk
        try { _ = fsync(fd); }
        finally { Libc.Close(fd); }
    }

    [LibraryImport(Libc.LibraryName, SetLastError = true)]
    private static partial int fsync(int fd);
}
