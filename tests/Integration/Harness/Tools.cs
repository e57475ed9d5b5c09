namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// Finds host tools by name. Searches PATH plus the sbin directories, because a non-root
/// PATH often lacks /usr/sbin where Debian puts <c>ip</c>. Results are cached per name.
/// </summary>
public static class Tools
{
    private static readonly string[] ExtraDirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
    private static readonly Dictionary<string, string?> Cache = new(StringComparer.Ordinal);

    /// <summary>Absolute path of an executable named <paramref name="name"/>, or null.</summary>
    public static string? Find(string name)
    {
        if (name.Contains('/'))
        {
            return File.Exists(name) ? name : null;
        }

        lock (Cache)
        {
            if (Cache.TryGetValue(name, out string? cached))
            {
                return cached;
            }

            string? found = null;
            IEnumerable<string> dirs = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
                .Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Concat(ExtraDirs);
            foreach (string dir in dirs)
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate) && IsExecutable(candidate))
                {
                    found = candidate;
                    break;
                }
            }

            Cache[name] = found;
            return found;
        }
    }

    /// <summary>Absolute path of <paramref name="name"/>; throws naming the Debian package to install.</summary>
    public static string Require(string name) =>
        Find(name) ?? throw new HarnessException($"required tool '{name}' not found ({PackageHint(name)}; see scripts/install-deps.sh)");

    /// <summary>The names among <paramref name="names"/> that are not installed.</summary>
    public static IReadOnlyList<string> Missing(params string[] names) => names.Where(n => Find(n) is null).ToArray();

    /// <summary>The Debian package that ships a tool, for skip and error messages.</summary>
    public static string PackageHint(string name) => name switch
    {
        "ip" => "apt package iproute2",
        "ping" => "apt package iputils-ping",
        "wg" => "apt package wireguard-tools",
        "wireguard-go" => "apt package wireguard-go",
        "iperf3" => "apt package iperf3",
        "tcpdump" => "apt package tcpdump",
        "dotnet" => "the .NET SDK",
        _ => "install it",
    };

    private static bool IsExecutable(string path) =>
        (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
