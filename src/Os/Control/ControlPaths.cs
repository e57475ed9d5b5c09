namespace Overlay.Os.Control;

/// <summary>
/// Where the control socket lives (DESIGN.md §5, §7): <c>SUBNETRA_SOCK</c> when set, so
/// several daemons on one host (one per network namespace in tests) never share a socket;
/// otherwise the per-OS default in <see cref="Default"/>.
/// </summary>
public static partial class ControlPaths
{
    public const string EnvironmentVariable = "SUBNETRA_SOCK";

    /// <summary>The socket path the daemon binds and the CLI dials.</summary>
    public static string Resolve() => Resolve(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>
    /// The control socket of a subnetra-wg interface (issue 15): <c>IFNAME.sock</c> in
    /// <see cref="WgDirectory"/>, one per interface, apart from subnetrad's socket and from
    /// <c>/var/run/wireguard</c> (where wg(8) would list any <c>*.sock</c> as an interface).
    /// </summary>
    public static string ForInterface(string interfaceName) => Path.Combine(WgDirectory, interfaceName + ".sock");

    /// <summary><paramref name="fromEnvironment"/> when non-empty, else <see cref="Default"/>.</summary>
    public static string Resolve(string? fromEnvironment)
        => string.IsNullOrWhiteSpace(fromEnvironment) ? Default : fromEnvironment;
}
