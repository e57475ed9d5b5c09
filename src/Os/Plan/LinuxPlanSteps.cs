using System.Net;
using Overlay.Protocol.Config;

namespace Overlay.Os.Plan;

/// <summary>
/// The Linux plan: iproute2 (ip-link(8), ip-address(8), ip-route(8)) and sysctl(8). Built on
/// every OS (<c>--os linux</c> prints it from a Mac). Addresses and routes go with the tun when
/// it closes; their undo commands serve rollback after a failed start.
/// </summary>
internal static class LinuxPlanSteps
{
    public static void Write(PlanWriter w, OverlayConfig config, string tun)
    {
        w.Step(new PlanStep(PlanStepKind.Link, $"set mtu {config.TunMtu} and bring {tun} up",
            ["ip", "link", "set", "dev", tun, "mtu", config.TunMtu.ToString(System.Globalization.CultureInfo.InvariantCulture), "up"]));
        var onLink = new List<IPNetwork>();
        foreach (InterfaceAddress ip in config.LocalTunIps)
        {
            // nodad: the tunnel is point-to-point; duplicate address detection would only delay an IPv6 address.
            string[] family = ip.IsIPv6 ? ["-6"] : [];
            string[] nodad = ip.IsIPv6 ? ["nodad"] : [];
            w.Step(new PlanStep(PlanStepKind.Address, $"address {ip} on {tun}",
                ["ip", .. family, "addr", "add", ip.ToString(), "dev", tun, .. nodad],
                ["ip", .. family, "addr", "del", ip.ToString(), "dev", tun]));
            onLink.Add(ip.Network);
        }
        if (onLink.Count == 0 && config.Role == NodeRole.Hub)
        {
            w.Comment("# local_tun_ip is unset: this hub relays inside the daemon and has no overlay address,");
            w.Comment("# so the host needs no address or routes on the tunnel.");
            return;
        }
        if (onLink.Count == 0)
        {
            w.Comment("# local_tun_ip is unset: give this host its overlay address yourself, e.g.");
            w.Comment($"#   ip addr add <overlay-address>/<prefix> dev {tun}");
        }
        NetworkPlan.Routes(w, config, onLink, net =>
        {
            string[] family = NetworkPlan.IsV6(net) ? ["-6"] : [];
            return new PlanStep(PlanStepKind.Route, $"route {net} via {tun}",
                ["ip", .. family, "route", "add", net.ToString(), "dev", tun],
                ["ip", .. family, "route", "del", net.ToString(), "dev", tun]);
        });
        NetworkPlan.Forwarding(w, config, "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding");
        w.Comment("");
        w.Comment("# optional, when this host routes a LAN through the tunnel: clamp TCP MSS to the path MTU");
        w.Comment($"#   iptables -t mangle -A FORWARD -o {tun} -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu");
    }
}
