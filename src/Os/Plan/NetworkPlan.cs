using System.Net;
using System.Net.Sockets;
using Overlay.Protocol.Config;

namespace Overlay.Os.Plan;

/// <summary>The host OS a plan is written for.</summary>
public enum PlanOs { Linux, MacOS }

/// <summary>Inputs besides the config: target OS, interface name override, underlay path MTU.</summary>
public sealed record NetworkPlanOptions(PlanOs Os, string? TunName = null, int? PathMtu = null);

/// <summary>
/// The host commands that give the tunnel interface its address, MTU and routes, and turn on IP
/// forwarding on a spoke that routes a LAN (DESIGN.md §6). <see cref="Build"/> returns one
/// <see cref="PlanDocument"/>: <c>--print-network-plan</c> prints it and the daemon applies its
/// steps (<see cref="PlanApplier"/>), so what is printed is what is applied. Pure: the same
/// config and options always give the same plan.
///
/// Linux uses iproute2 (ip-link(8), ip-address(8), ip-route(8)) and sysctl(8). macOS uses
/// ifconfig(8) with a point-to-point address on the utun (no on-link route is created, so every
/// overlay route is added explicitly with route(8)) and sysctl(8).
///
/// MTU advice (--path-mtu P): a WireGuard data message adds 32 bytes (16-byte header + 16-byte
/// Poly1305 tag, whitepaper §5.4.6) plus UDP (8) and the outer IP header (IPv4 20 / IPv6 40),
/// so the tunnel MTU is P − 60 over IPv4 and P − 80 over IPv6. The recommendation uses IPv6
/// unless every configured endpoint is an IPv4 literal.
/// </summary>
public static partial class NetworkPlan
{
    public const int WireGuardOverhead = 32;
    public const int UdpHeader = 8;
    public const int IPv4Header = 20;
    public const int IPv6Header = 40;
    public const int OverheadIPv4 = WireGuardOverhead + UdpHeader + IPv4Header; // 60
    public const int OverheadIPv6 = WireGuardOverhead + UdpHeader + IPv6Header; // 80
    public const string MacOsPlaceholder = "utunN";

    /// <summary>The OS this binary was built for (the --os default); NetworkPlan.Linux.cs / .MacOS.cs.</summary>
    public static PlanOs BuildOs => GetBuildOs();

    private static partial PlanOs GetBuildOs();

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

    /// <summary>
    /// The address families this node forwards for: a spoke whose local_routes hold a prefix
    /// other than its own tun address routes a LAN behind it, so the host must forward between
    /// the tunnel and that LAN (a hub relays inside the daemon and needs no forwarding).
    /// </summary>
    public static (bool IPv4, bool IPv6) ForwardingFamilies(OverlayConfig config)
    {
        bool v4 = false, v6 = false;
        if (config.Role != NodeRole.Spoke) return (false, false);
        foreach (IPNetwork net in config.LocalRoutes)
        {
            bool isV6 = IsV6(net);
            bool own = net.PrefixLength == (isV6 ? 128 : 32) && config.LocalTunIps.Any(ip => net.BaseAddress.Equals(ip.Address));
            if (own) continue;
            if (isV6) v6 = true; else v4 = true;
        }
        return (v4, v6);
    }

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

    /// <summary>The printed form of <see cref="Build"/>.</summary>
    public static string Generate(OverlayConfig config, NetworkPlanOptions options) => Build(config, options).Render();

    /// <summary>The plan for a config on an interface: comments and steps in apply order.</summary>
    public static PlanDocument Build(OverlayConfig config, NetworkPlanOptions options)
    {
        var w = new PlanWriter();
        string tun = InterfaceName(config, options);
        string os = options.Os == PlanOs.Linux ? "linux" : "macos";
        w.Comment($"# subnetra network plan for interface '{tun}' ({os})");
        w.Comment($"# role={OverlayConfig.RoleName(config.Role)} local_id={config.LocalId} virtual_subnet={config.VirtualSubnet}");
        w.Comment(config.ApplyNetworkPlan
            ? "# subnetrad applies these steps itself on every start, once it has created the interface (apply_network_plan true)."
            : "# apply_network_plan is false: subnetrad applies nothing; run these as root after subnetrad is up (it creates the interface).");
        if (options.Os == PlanOs.MacOS && options.TunName is null)
        {
            w.Comment($"# '{MacOsPlaceholder}' stands for the utun the kernel assigns at start (the [ready] banner and");
            w.Comment("# 'subnetra status' name it); a restart may get a new utunN, and the daemon applies the plan to it.");
        }
        if (options.PathMtu is int pathMtu) MtuAdvice(w, config, pathMtu);
        w.Comment("");

        if (options.Os == PlanOs.Linux) LinuxPlanSteps.Write(w, config, tun);
        else MacOsPlanSteps.Write(w, config, tun);
        return new PlanDocument(tun, options.Os, w.Lines);
    }

    private static void MtuAdvice(PlanWriter w, OverlayConfig config, int pathMtu)
    {
        int v4 = pathMtu - OverheadIPv4, v6 = pathMtu - OverheadIPv6;
        bool v4Only = UnderlayIsIPv4Only(config);
        int recommended = v4Only ? v4 : v6;
        w.Comment($"# underlay path MTU: {pathMtu} (--path-mtu)");
        w.Comment($"# tunnel overhead: {OverheadIPv4} bytes over IPv4, {OverheadIPv6} over IPv6 (WireGuard header 16 + tag 16 + UDP 8 + outer IP 20/40)");
        w.Comment($"# max tunnel MTU: {v4} over an IPv4 underlay, {v6} over IPv6; recommended here: {recommended}"
            + (v4Only ? " (every endpoint is IPv4)" : " (an IPv6 underlay is possible)"));
        int floor = config.VirtualSubnet.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? OverlayConfig.MinTunMtuIPv6 : OverlayConfig.MinTunMtu;
        if (recommended < floor)
            w.Comment($"# WARNING: path MTU {pathMtu} leaves only {recommended} bytes, below the minimum tunnel MTU {floor}; this path cannot carry the overlay without fragmentation.");
        if (config.TunMtu > recommended)
        {
            w.Comment($"# WARNING: configured local_tun_mtu {config.TunMtu} exceeds the recommended {recommended};");
            w.Comment($"#          packets larger than {recommended} bytes will be fragmented or dropped. Set \"local_tun_mtu\": {recommended}.");
        }
        else
        {
            w.Comment($"# configured local_tun_mtu {config.TunMtu} fits this path.");
        }
    }

    /// <summary>
    /// The route lines shared by both OSes: a comment for role manual, else one step per tunnel
    /// route that the address's on-link prefix does not already cover.
    /// </summary>
    internal static void Routes(PlanWriter w, OverlayConfig config, IReadOnlyList<IPNetwork> onLink, Func<IPNetwork, PlanStep> step)
    {
        if (config.Role == NodeRole.Manual)
        {
            w.Comment("# role manual: the forwarding table starts empty; add host routes that match the rules");
            w.Comment("# you install through the control socket.");
            return;
        }
        w.Comment(config.Role == NodeRole.Hub
            ? "# routes to the spokes' allowed_src (the hub host's own traffic; relaying needs none):"
            : "# routes reachable through the tunnel:");
        foreach (var net in TunnelRoutes(config))
        {
            if (onLink.Any(link => AddressText.Covers(link, net)))
                w.Comment($"# {net} is on-link through the address above; no route needed");
            else
                w.Step(step(net));
        }
    }

    /// <summary>The forwarding comment and one sysctl step per family, last in the plan (see <see cref="PlanApplier"/>).</summary>
    internal static void Forwarding(PlanWriter w, OverlayConfig config, string v4Key, string v6Key)
    {
        var (v4, v6) = ForwardingFamilies(config);
        if (!v4 && !v6) return;
        w.Comment("# local_routes go beyond this node's own address (a LAN behind it): the host forwards between");
        w.Comment("# the tunnel and that LAN. Host-wide; left on when subnetrad stops (other services may rely on it).");
        if (v4) w.Step(new PlanStep(PlanStepKind.Forwarding, "enable IPv4 forwarding", ["sysctl", "-w", v4Key + "=1"]));
        if (v6) w.Step(new PlanStep(PlanStepKind.Forwarding, "enable IPv6 forwarding", ["sysctl", "-w", v6Key + "=1"]));
    }

    internal static bool IsV6(IPNetwork n) => n.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
}

/// <summary>Collects the lines of a plan as it is built.</summary>
internal sealed class PlanWriter
{
    public List<PlanLine> Lines { get; } = [];
    public void Comment(string text) => Lines.Add(PlanLine.Comment(text));
    public void Step(PlanStep step) => Lines.Add(PlanLine.Of(step));
}
