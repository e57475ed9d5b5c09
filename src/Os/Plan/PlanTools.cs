namespace Overlay.Os.Plan;

/// <summary>
/// Where the plan's tools live. Only these fixed absolute paths are tried, never $PATH: the
/// daemon runs as root, and a writable directory early in PATH must not decide what it executes.
/// </summary>
public static class PlanTools
{
    private static readonly Dictionary<string, (string[] Paths, string Package)> Known = new(StringComparer.Ordinal)
    {
        ["ip"] = (["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"], "iproute2"),
        ["sysctl"] = (["/usr/sbin/sysctl", "/sbin/sysctl"], "procps"),
        ["ifconfig"] = (["/sbin/ifconfig"], "the base system (/sbin/ifconfig)"),
        ["route"] = (["/sbin/route"], "the base system (/sbin/route)"),
    };

    /// <summary>The absolute path of <paramref name="tool"/>, or null with the reason and the fix.</summary>
    public static string? Resolve(string tool, out string? missing, Func<string, bool>? exists = null)
    {
        exists ??= File.Exists;
        missing = null;
        if (!Known.TryGetValue(tool, out var entry))
        {
            missing = $"'{tool}' is not a network plan tool";
            return null;
        }
        foreach (string path in entry.Paths)
            if (exists(path)) return path;
        missing = $"{tool} not found (looked in {string.Join(", ", entry.Paths)}); install {entry.Package}"
            + (entry.Package == "iproute2" || entry.Package == "procps" ? $" (apt-get install --no-install-recommends {entry.Package})" : "");
        return null;
    }
}
