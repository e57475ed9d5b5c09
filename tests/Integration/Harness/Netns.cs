using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Overlay.Integration.Tests.Harness;

/// <summary>Parsed summary of one <c>ping</c> run (iputils).</summary>
public sealed record PingResult(int Transmitted, int Received, double? RttMinMs, double? RttAvgMs, double? RttMaxMs, string Output)
{
    public bool AllReceived => Transmitted > 0 && Received == Transmitted;

    public override string ToString() => $"{Received}/{Transmitted} received, avg {RttAvgMs?.ToString("0.###", CultureInfo.InvariantCulture) ?? "-"} ms\n{Output}";
}

/// <summary>
/// Network-namespace primitives on top of iproute2. Every call is one bounded command
/// (<see cref="Cmd.DefaultTimeout"/> unless given). Addresses are checked against the only
/// range these machines allow, 198.18.0.0/15 (RFC 2544 benchmarking space), before use.
/// </summary>
public static partial class Netns
{
    /// <summary>The only IPv4 prefix tests may use, underlay and overlay alike (DESIGN.md §8).</summary>
    public const string AllowedRange = "198.18.0.0/15";

    /// <summary>The only IPv6 prefix tests may use (RFC 5180 benchmarking, DESIGN.md §8).</summary>
    public const string AllowedRangeIPv6 = "2001:2::/48";

    /// <summary>Creates a namespace (name must start with <see cref="HarnessRun.NamespacePrefix"/>) and brings its <c>lo</c> up.</summary>
    public static void Create(string name)
    {
        if (!name.StartsWith(HarnessRun.NamespacePrefix, StringComparison.Ordinal) || !SafeName().IsMatch(name))
        {
            throw new ArgumentException($"namespace name '{name}' must start with '{HarnessRun.NamespacePrefix}' and use [a-z0-9-]", nameof(name));
        }

        Cmd.Run("ip", "netns", "add", name).EnsureSuccess();
        HarnessRun.RegisterNamespace(name);
        ExecOrThrow(name, "ip", "link", "set", "lo", "up");
    }

    /// <summary>Deletes a namespace; returns false (and never throws) when it did not exist or deletion failed.</summary>
    public static bool Delete(string name)
    {
        ExecResult result = Cmd.Run("ip", "netns", "del", name);
        HarnessRun.UnregisterNamespace(name);
        return result.Succeeded;
    }

    /// <summary>Names from <c>ip netns list</c>.</summary>
    public static IReadOnlyList<string> List()
    {
        ExecResult result = Cmd.Run("ip", "netns", "list").EnsureSuccess();
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')[0])
            .ToArray();
    }

    public static bool Exists(string name) => List().Contains(name, StringComparer.Ordinal);

    /// <summary>PIDs of processes inside the namespace (<c>ip netns pids</c>).</summary>
    public static IReadOnlyList<int> Pids(string name)
    {
        ExecResult result = Cmd.Run("ip", "netns", "pids", name);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
    }

    /// <summary>Runs <c>ip netns exec &lt;ns&gt; argv...</c> with the default timeout; never throws on a non-zero exit.</summary>
    public static ExecResult Exec(string ns, params string[] argv) => Exec(ns, argv, Cmd.DefaultTimeout);

    /// <summary>Runs <c>ip netns exec &lt;ns&gt; argv...</c> bounded by <paramref name="timeout"/>.</summary>
    public static ExecResult Exec(
        string ns,
        IReadOnlyList<string> argv,
        TimeSpan timeout,
        string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        if (argv.Count == 0)
        {
            throw new ArgumentException("empty argv", nameof(argv));
        }

        var full = new List<string>(argv.Count + 4) { "ip", "netns", "exec", ns, Tools.Find(argv[0]) ?? argv[0] };
        full.AddRange(argv.Skip(1));
        return Cmd.Run(full, timeout, stdin, environment);
    }

    /// <summary><see cref="Exec(string, string[])"/> then <see cref="ExecResult.EnsureSuccess"/>.</summary>
    public static ExecResult ExecOrThrow(string ns, params string[] argv) => Exec(ns, argv).EnsureSuccess();

    /// <summary><c>ip addr add &lt;cidr&gt; dev &lt;dev&gt;</c>; the address must lie in 198.18.0.0/15.</summary>
    public static void AddAddress(string ns, string dev, string cidr)
    {
        RequireAllowed(cidr);
        ExecOrThrow(ns, "ip", "addr", "add", cidr, "dev", dev);
    }

    /// <summary><c>ip addr del &lt;cidr&gt; dev &lt;dev&gt;</c>.</summary>
    public static void DeleteAddress(string ns, string dev, string cidr) =>
        ExecOrThrow(ns, "ip", "addr", "del", cidr, "dev", dev);

    /// <summary>
    /// Moves <paramref name="dev"/> from <paramref name="oldCidr"/> to <paramref name="newCidr"/>: delete, then add,
    /// because deleting a primary address also deletes same-subnet secondaries (promote_secondaries is off by default).
    /// Routes through a gateway on that subnet may vanish with the old address; <see cref="Node.ChangeUnderlayAddress"/>
    /// re-adds the topology's routes.
    /// </summary>
    public static void ChangeAddress(string ns, string dev, string oldCidr, string newCidr)
    {
        RequireAllowed(newCidr);
        DeleteAddress(ns, dev, oldCidr);
        AddAddress(ns, dev, newCidr);
    }

    public static void SetLinkUp(string ns, string dev) => ExecOrThrow(ns, "ip", "link", "set", "dev", dev, "up");

    public static void SetMtu(string ns, string dev, int mtu) =>
        ExecOrThrow(ns, "ip", "link", "set", "dev", dev, "mtu", mtu.ToString(CultureInfo.InvariantCulture));

    /// <summary><c>ip route replace &lt;prefix&gt; via &lt;gateway&gt;</c> (or <c>dev</c> when <paramref name="gateway"/> is null).</summary>
    public static void ReplaceRoute(string ns, string prefix, string? gateway, string? dev = null)
    {
        var argv = new List<string> { "ip", "route", "replace", prefix };
        if (gateway is not null)
        {
            argv.Add("via");
            argv.Add(gateway);
        }

        if (dev is not null)
        {
            argv.Add("dev");
            argv.Add(dev);
        }

        Exec(ns, argv, Cmd.DefaultTimeout).EnsureSuccess();
    }

    /// <summary>Writes a sysctl of the namespace (e.g. <c>net.ipv4.ip_forward</c>) through /proc/sys, which is per-netns for net.*.</summary>
    public static void Sysctl(string ns, string key, string value)
    {
        if (!key.StartsWith("net.", StringComparison.Ordinal) || !SafeSysctl().IsMatch(key) || !SafeSysctl().IsMatch(value))
        {
            throw new ArgumentException($"refusing sysctl '{key}={value}': only net.* keys with plain values");
        }

        string path = "/proc/sys/" + key.Replace('.', '/');
        ExecOrThrow(ns, "sh", "-c", $"echo {value} > {path}");
    }

    /// <summary>Reads a sysctl of the namespace.</summary>
    public static string ReadSysctl(string ns, string key)
    {
        if (!key.StartsWith("net.", StringComparison.Ordinal) || !SafeSysctl().IsMatch(key))
        {
            throw new ArgumentException($"refusing sysctl '{key}'");
        }

        return ExecOrThrow(ns, "cat", "/proc/sys/" + key.Replace('.', '/')).Stdout.Trim();
    }

    /// <summary>
    /// <c>ping -c count -w deadline -i interval</c> from <paramref name="ns"/>. ping stops at <paramref name="count"/>
    /// replies or at the deadline, so <c>Ping(ns, ip, count: 1, deadlineSec: 10)</c> doubles as "wait until reachable".
    /// <paramref name="patternHex"/> fills the payload (<c>-p</c>, up to 16 bytes of hex) — a plaintext marker for captures.
    /// Never throws for lost packets; inspect <see cref="PingResult.Received"/>.
    /// </summary>
    public static PingResult Ping(
        string ns,
        string target,
        int count = 3,
        int deadlineSec = 5,
        string? patternHex = null,
        double intervalSec = 0.2,
        int? payloadSize = null)
    {
        RequireAllowed(target);
        var argv = new List<string>
        {
            "ping", target.Contains(':', StringComparison.Ordinal) ? "-6" : "-4", "-n", "-q",
            "-c", count.ToString(CultureInfo.InvariantCulture),
            "-w", deadlineSec.ToString(CultureInfo.InvariantCulture),
            "-i", intervalSec.ToString("0.###", CultureInfo.InvariantCulture),
        };
        if (patternHex is not null)
        {
            if (!HexPattern().IsMatch(patternHex))
            {
                throw new ArgumentException("ping -p takes 1..16 bytes of hex", nameof(patternHex));
            }

            argv.Add("-p");
            argv.Add(patternHex);
        }

        if (payloadSize is int size)
        {
            argv.Add("-s");
            argv.Add(size.ToString(CultureInfo.InvariantCulture));
        }

        argv.Add(target);
        ExecResult result = Exec(ns, argv, TimeSpan.FromSeconds(deadlineSec + 10));
        return ParsePing(result.Stdout + result.Stderr);
    }

    /// <summary>Parses iputils' summary lines ("N packets transmitted, M received", "rtt min/avg/max/mdev = a/b/c/d ms").</summary>
    public static PingResult ParsePing(string output)
    {
        Match counts = PingCounts().Match(output);
        int transmitted = counts.Success ? int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        int received = counts.Success ? int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
        Match rtt = PingRtt().Match(output);
        double? Value(int group) => rtt.Success ? double.Parse(rtt.Groups[group].Value, CultureInfo.InvariantCulture) : null;
        return new PingResult(transmitted, received, Value(1), Value(2), Value(3), output.Trim());
    }

    /// <summary>Throws unless <paramref name="addressOrCidr"/> (an IPv4 address, optionally /len) lies inside 198.18.0.0/15.</summary>
    public static void RequireAllowed(string addressOrCidr)
    {
        if (!IsAllowed(addressOrCidr))
        {
            throw new ArgumentException($"address {addressOrCidr} is outside {AllowedRange}; tests may use only that range (DESIGN.md §8)");
        }
    }

    /// <summary>True when the address (and the whole prefix, for a CIDR) lies inside 198.18.0.0/15 or 2001:2::/48.</summary>
    public static bool IsAllowed(string addressOrCidr)
    {
        string[] parts = addressOrCidr.Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0], out IPAddress? address))
        {
            return false;
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            int length6 = 128;
            if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out length6) || length6 > 128))
            {
                return false;
            }

            return length6 >= 48 && IPNetwork.Parse(AllowedRangeIPv6).Contains(address);
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return false;
        }

        int length = 32;
        if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > 32))
        {
            return false;
        }

        byte[] b = address.GetAddressBytes();
        return length >= 15 && b[0] == 198 && (b[1] & 0xFE) == 18;
    }

    [GeneratedRegex("^[a-z0-9-]{1,40}$")]
    private static partial Regex SafeName();

    [GeneratedRegex("^[A-Za-z0-9_./-]+$")]
    private static partial Regex SafeSysctl();

    [GeneratedRegex("^([0-9a-fA-F]{2}){1,16}$")]
    private static partial Regex HexPattern();

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) (?:packets )?received")]
    private static partial Regex PingCounts();

    [GeneratedRegex(@"= ([\d.]+)/([\d.]+)/([\d.]+)/[\d.]+ ms")]
    private static partial Regex PingRtt();
}
