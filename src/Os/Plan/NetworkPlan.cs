using System.Net;
using System.Net.Sockets;
using System.Text;
using Overlay.Protocol.Config;

namespace Overlay.Os.Plan;

/// <summary>The host OS a plan is written for.</summary>
public enum PlanOs { Linux, MacOS }

/// <summary>Inputs besides the config: target OS, interface name override, underlay path MTU.</summary>
public sealed record NetworkPlanOptions(PlanOs Os, string? TunName = null, int? PathMtu = null);

/// <summary>
/// The host commands that give the tunnel interface its address, MTU and routes (DESIGN.md §6:
/// the daemon never changes routes itself; the operator reviews and runs these). Pure text:
/// the same config and options always give the same output, and nothing is applied.
///
/// Linux uses iproute2 (ip-link(8), ip-address(8), ip-route(8)). macOS uses ifconfig(8) with a
/// point-to-point address on the utun (no on-link route is created, so every overlay route is
/// added explicitly with route(8)).
///
/// MTU advice (--path-mtu P): a WireGuard data message adds 32 bytes (16-byte header + 16-byte
/// Poly1305 tag, whitepaper §5.4.6) plus UDP (8) and the outer IP header (IPv4 20 / IPv6 40),
/// so the tunnel MTU is P − 60 over IPv4 and P − 80 over IPv6. The recommendation uses IPv6
/// unless every configured endpoint is an IPv4 literal.
/// </summary>
public static class NetworkPlan
{
    public const int WireGuardOverhead = 32;
    public const int UdpHeader = 8;
    public const int IPv4Header = 20;
    public const int IPv6Header = 40;
    public const int OverheadIPv4 = WireGuardOverhead + UdpHeader + IPv4Header; // 60
    public const int OverheadIPv6 = WireGuardOverhead + UdpHeader + IPv6Header; // 80
    public const string MacOsPlaceholder = "utunN";

    /// <summary>The OS this binary was built for (the --os default).</summary>
    public static PlanOs BuildOs =>
#if OVERLAY_MACOS
        PlanOs.MacOS;
#else
        PlanOs.Linux;
#endif

    public static bool TryParseOs(string text, out PlanOs os)
    {
        switch (text.ToLowerInvariant())
        {
            case "linux": os = PlanOs.Linux; return true;
            case "macos": case "darwin": case "osx": os = PlanOs.MacOS; return true;
            default: os = PlanOs.Linux; return false;
        }
    }

    /// <summary>The interface name the plan uses: --tun, else tun_name (Linux) or "utunN" (macOS).</summary>
    public static string InterfaceName(OverlayConfig config, NetworkPlanOptions options) =>
        options.TunName ?? (options.Os == PlanOs.Linux ? config.TunName : MacOsPlaceholder);

    /// <summary>The destinations the host must send into the tunnel, in table order.</summary>
    public static IReadOnlyList<IPNetwork> TunnelRoutes(OverlayConfig config) => config.Role switch
    {
        NodeRole.Hub => config.Peers.SelectMany(p => p.AllowedSrc).Distinct().ToList(),
        NodeRole.Spoke => config.RemoteRoutes.Count > 0 ? config.RemoteRoutes : [config.VirtualSubnet],
        _ => [],
    };

    /// <summary>True when every configured peer endpoint is an IPv4 literal (and there is at least one).</summary>
    public static bool UnderlayIsIPv4Only(OverlayConfig config)
    {
        bool any = false;
        foreach (var p in config.Peers)
        {
            if (p.Endpoint is null) continue;
            if (p.Endpoint.Address is not { AddressFamily: AddressFamily.InterNetwork }) return false;
            any = true;
        }
        return any && config.Role == NodeRole.Spoke;
    }

    public static string Generate(OverlayConfig config, NetworkPlanOptions options)
    {
        var sb = new StringBuilder();
        string tun = InterfaceName(config, options);
        string os = options.Os == PlanOs.Linux ? "linux" : "macos";
        Line(sb, $"# subnetra network plan for interface '{tun}' ({os})");
        Line(sb, $"# role={OverlayConfig.RoleName(config.Role)} local_id={config.LocalId} virtual_subnet={config.VirtualSubnet}");
        Line(sb, "# printed, never applied: review, then run as root after subnetrad is up (it creates the interface).");
        if (options.Os == PlanOs.MacOS && options.TunName is null)
        {
            Line(sb, $"# '{MacOsPlaceholder}' stands for the utun the kernel assigns at start: take the name from the");
            Line(sb, "# [ready] banner (or re-run with --tun utun7); re-apply after every daemon restart.");
        }
        if (options.PathMtu is int pathMtu) MtuAdvice(sb, config, pathMtu);
        sb.Append('\n');

        if (options.Os == PlanOs.Linux) Linux(sb, config, tun);
        else MacOs(sb, config, tun);
        return sb.ToString();
    }

    private static void MtuAdvice(StringBuilder sb, OverlayConfig config, int pathMtu)
    {
        int v4 = pathMtu - OverheadIPv4, v6 = pathMtu - OverheadIPv6;
        bool v4Only = UnderlayIsIPv4Only(config);
        int recommended = v4Only ? v4 : v6;
        Line(sb, $"# underlay path MTU: {pathMtu} (--path-mtu)");
        Line(sb, $"# tunnel overhead: {OverheadIPv4} bytes over IPv4, {OverheadIPv6} over IPv6 (WireGuard header 16 + tag 16 + UDP 8 + outer IP 20/40)");
        Line(sb, $"# max tunnel MTU: {v4} over an IPv4 underlay, {v6} over IPv6; recommended here: {recommended}"
            + (v4Only ? " (every endpoint is IPv4)" : " (an IPv6 underlay is possible)"));
        int floor = config.VirtualSubnet.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? OverlayConfig.MinTunMtuIPv6 : OverlayConfig.MinTunMtu;
        if (recommended < floor)
            Line(sb, $"# WARNING: path MTU {pathMtu} leaves only {recommended} bytes, below the minimum tunnel MTU {floor}; this path cannot carry the overlay without fragmentation.");
        if (config.TunMtu > recommended)
        {
            Line(sb, $"# WARNING: configured local_tun_mtu {config.TunMtu} exceeds the recommended {recommended};");
            Line(sb, $"#          packets larger than {recommended} bytes will be fragmented or dropped. Set \"local_tun_mtu\": {recommended}.");
        }
        else
        {
            Line(sb, $"# configured local_tun_mtu {config.TunMtu} fits this path.");
        }
    }

    private static void Linux(StringBuilder sb, OverlayConfig config, string tun)
    {
        Line(sb, $"ip link set dev {tun} mtu {config.TunMtu} up");
        IPNetwork? onLink = null;
        if (config.LocalTunIp is InterfaceAddress ip)
        {
            Line(sb, $"ip {Family(ip.IsIPv6)}addr add {ip} dev {tun}");
            onLink = ip.Network;
        }
        else if (config.Role == NodeRole.Hub)
        {
            Line(sb, "# local_tun_ip is unset: this hub relays inside the daemon and has no overlay address,");
            Line(sb, "# so the host needs no address or routes on the tunnel.");
            return;
        }
        else
        {
            Line(sb, "# local_tun_ip is unset: give this host its overlay address yourself, e.g.");
            Line(sb, $"#   ip addr add <overlay-address>/<prefix> dev {tun}");
        }
        Routes(sb, config, tun, onLink, (net, t) => $"ip {Family(IsV6(net))}route add {net} dev {t}");
        Line(sb, "");
        Line(sb, "# optional, when this host routes a LAN through the tunnel: clamp TCP MSS to the path MTU");
        Line(sb, $"#   iptables -t mangle -A FORWARD -o {tun} -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu");
    }

    private static void MacOs(StringBuilder sb, OverlayConfig config, string tun)
    {
        if (config.LocalTunIp is InterfaceAddress ip)
        {
            // utun is point-to-point: local and destination are both our address, and the
            // routes below point at the interface (the form wg-quick(8) uses on Darwin).
            Line(sb, ip.IsIPv6
                ? $"ifconfig {tun} inet6 {ip.Address} prefixlen 128 mtu {config.TunMtu} up"
                : $"ifconfig {tun} inet {ip.Address} {ip.Address} mtu {config.TunMtu} up");
        }
        else
        {
            Line(sb, $"ifconfig {tun} mtu {config.TunMtu} up");
            if (config.Role == NodeRole.Hub)
            {
                Line(sb, "# local_tun_ip is unset: this hub relays inside the daemon and has no overlay address,");
                Line(sb, "# so the host needs no address or routes on the tunnel.");
                return;
            }
            Line(sb, "# local_tun_ip is unset: give this host its overlay address yourself, e.g.");
            Line(sb, $"#   ifconfig {tun} inet <overlay-address> <overlay-address> up");
        }
        Routes(sb, config, tun, onLink: null, (net, t) => $"route -q -n add -{(IsV6(net) ? "inet6" : "inet")} -net {net} -interface {t}");
    }

    private static void Routes(StringBuilder sb, OverlayConfig config, string tun, IPNetwork? onLink, Func<IPNetwork, string, string> command)
    {
        if (config.Role == NodeRole.Manual)
        {
            Line(sb, "# role manual: the forwarding table starts empty; add host routes that match the rules");
            Line(sb, "# you install through the control socket.");
            return;
        }
        Line(sb, config.Role == NodeRole.Hub
            ? "# routes to the spokes' allowed_src (the hub host's own traffic; relaying needs none):"
            : "# routes reachable through the tunnel:");
        foreach (var net in TunnelRoutes(config))
        {
            if (onLink is IPNetwork link && AddressText.Covers(link, net))
                Line(sb, $"# {net} is on-link through the address above; no route needed");
            else
                Line(sb, command(net, tun));
        }
    }

    private static string Family(bool v6) => v6 ? "-6 " : "";
    private static bool IsV6(IPNetwork n) => n.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
    private static void Line(StringBuilder sb, string s) => sb.Append(s).Append('\n');
}
