namespace Overlay.Os.Uapi;

/// <summary>
/// Where wg(8) looks for userspace WireGuard daemons: <c>/var/run/wireguard/&lt;ifname&gt;.sock</c>
/// on Linux and macOS (wireguard-tools builds it from RUNSTATEDIR, default /var/run;
/// reference/wireguard.md §4.1). The path is global across network namespaces, so every
/// daemon on a host needs its own tun name.
/// </summary>
public static class UapiPaths
{
    public const string Directory = "/var/run/wireguard";

    public static string SocketPath(string interfaceName) => Path.Combine(Directory, interfaceName + ".sock");
}
