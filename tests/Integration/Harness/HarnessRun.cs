using System.Security.Cryptography;

namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// Per-test-process identity and last-resort cleanup. Every namespace this run creates is
/// named <c>ovl-&lt;RunId&gt;-...</c> (<see cref="RunPrefix"/>), every WireGuard interface
/// <c>wg&lt;RunId&gt;&lt;n&gt;</c>. Tests dispose what they create; on top of that, at process
/// exit this class ends still-registered processes (by their PIDs) and deletes namespaces with
/// this run's prefix only — never another run's, so concurrent runs do not disturb each other.
/// scripts/netns-cleanup.sh removes leftovers of crashed runs (prefix <see cref="NamespacePrefix"/>).
/// </summary>
public static class HarnessRun
{
    /// <summary>Prefix shared by all harness namespaces (what scripts/netns-cleanup.sh matches).</summary>
    public const string NamespacePrefix = "ovl-";

    private static readonly object Gate = new();
    private static readonly HashSet<ManagedProcess> Processes = new();
    private static readonly HashSet<string> Namespaces = new(StringComparer.Ordinal);
    private static int _sequence;
    private static string? _tempDirectory;

    static HarnessRun()
    {
        RunId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => CleanupRun();
    }

    /// <summary>Six random lowercase hex digits, fixed for this test process.</summary>
    public static string RunId { get; }

    /// <summary><c>ovl-&lt;RunId&gt;-</c>: every namespace of this run starts with it.</summary>
    public static string RunPrefix => $"{NamespacePrefix}{RunId}-";

    /// <summary>A fresh number for names that must be unique within the run.</summary>
    public static int NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>
    /// A run-unique network interface name, <c>&lt;stem&gt;&lt;RunId&gt;&lt;n&gt;</c> (stem 1..4 of [a-z], total at most
    /// IFNAMSIZ-1 = 15). Use it for every tun of a daemon under test: the UAPI socket
    /// /var/run/wireguard/&lt;name&gt;.sock is global across namespaces (DESIGN.md §8).
    /// </summary>
    public static string UniqueInterfaceName(string stem = "wg")
    {
        if (stem.Length is < 1 or > 4 || !stem.All(c => c is >= 'a' and <= 'z'))
        {
            throw new ArgumentException("stem must be 1..4 lowercase letters", nameof(stem));
        }

        string name = stem + RunId + NextSequence().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return name.Length <= 15 ? name : throw new HarnessException($"interface name {name} exceeds 15 characters");
    }

    /// <summary>A 0700 directory for key files and captures, removed at process exit.</summary>
    public static string TempDirectory
    {
        get
        {
            lock (Gate)
            {
                if (_tempDirectory is null)
                {
                    string path = Path.Combine(Path.GetTempPath(), $"ovl-{RunId}");
                    Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                    _tempDirectory = path;
                }

                return _tempDirectory;
            }
        }
    }

    /// <summary>Writes <paramref name="content"/> to a new 0600 file in <see cref="TempDirectory"/> and returns its path.</summary>
    public static string WriteSecretFile(string stem, string content)
    {
        string path = Path.Combine(TempDirectory, $"{stem}-{NextSequence()}");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        return path;
    }

    /// <summary>Namespaces this run created that still exist.</summary>
    public static IReadOnlyList<string> LiveNamespaces
    {
        get
        {
            lock (Gate)
            {
                return Namespaces.ToArray();
            }
        }
    }

    /// <summary>
    /// Ends every process still registered (SIGKILL by PID), deletes every namespace whose
    /// name starts with <see cref="RunPrefix"/>, removes the temp directory. Best effort; never throws.
    /// </summary>
    public static void CleanupRun()
    {
        ManagedProcess[] processes;
        lock (Gate)
        {
            processes = Processes.ToArray();
        }

        foreach (ManagedProcess process in processes)
        {
            try
            {
                process.Kill();
            }
            catch (Exception)
            {
                // Best effort at exit.
            }
        }

        try
        {
            if (Tools.Find("ip") is not null)
            {
                foreach (string ns in Netns.List().Where(n => n.StartsWith(RunPrefix, StringComparison.Ordinal)))
                {
                    Netns.Delete(ns);
                }
            }
        }
        catch (Exception)
        {
            // Best effort at exit.
        }

        try
        {
            string? temp;
            lock (Gate)
            {
                temp = _tempDirectory;
                _tempDirectory = null;
            }

            if (temp is not null && Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
        catch (Exception)
        {
            // Best effort at exit.
        }
    }

    internal static void Register(ManagedProcess process)
    {
        lock (Gate)
        {
            Processes.Add(process);
        }
    }

    internal static void Unregister(ManagedProcess process)
    {
        lock (Gate)
        {
            Processes.Remove(process);
        }
    }

    internal static void RegisterNamespace(string name)
    {
        lock (Gate)
        {
            Namespaces.Add(name);
        }
    }

    internal static void UnregisterNamespace(string name)
    {
        lock (Gate)
        {
            Namespaces.Remove(name);
        }
    }
}
