using System.Globalization;
using Overlay.Protocol.Config;

namespace Overlay.Os.Plan;

/// <summary>
/// The macOS plan: ifconfig(8) with a point-to-point address on the utun (local and destination
/// both our address, the form wg-quick(8) uses on Darwin), route(8) with <c>-interface</c> for
/// every overlay route (a utun has no on-link prefix), and sysctl(8). Built on every OS, so
/// the Linux tests pin the exact commands for a given utun name. Routes through the utun go with
/// it when the daemon closes it; the undo commands serve rollback after a failed start.
/// </summary>
internal static class MacOsPlanSteps
{
    public static void Write(PlanWriter w, OverlayConfig config, string tun)
    {
        string mtu = config.TunMtu.ToString(CultureInfo.InvariantCulture);
        bool first = true;
        foreach (InterfaceAddress ip in config.LocalTunIps)
        {
            string a = ip.Address.ToString();
            // The first address also sets the MTU and brings the utun up.
            string[] tail = first ? ["mtu", mtu, "up"] : ["alias"];
            w.Step(ip.IsIPv6
                ? new PlanStep(PlanStepKind.Address, first ? $"address {a}, mtu {mtu}, {tun} up" : $"address {a} on {tun}",
                    ["ifconfig", tun, "inet6", a, "prefixlen", "128", .. tail],
                    ["ifconfig", tun, "inet6", a, "-alias"])
                : new PlanStep(PlanStepKind.Address, first ? $"address {a}, mtu {mtu}, {tun} up" : $"address {a} on {tun}",
                    ["ifconfig", tun, "inet", a, a, .. tail],
                    ["ifconfig", tun, "inet", a, "-alias"]));
            first = false;
        }
        if (config.LocalTunIps.Count == 0)
        {
            w.Step(new PlanStep(PlanStepKind.Link, $"mtu {mtu}, {tun} up", ["ifconfig", tun, "mtu", mtu, "up"]));
            if (config.Role == NodeRole.Hub)
            {
                w.Comment("# local_tun_ip is unset: this hub relays inside the daemon and has no overlay address,");
                w.Comment("# so the host needs no address or routes on the tunnel.");
                return;
            }
            w.Comment("# local_tun_ip is unset: give this host its overlay address yourself, e.g.");
            w.Comment($"#   ifconfig {tun} inet <overlay-address> <overlay-address> up");
        }
        NetworkPlan.Routes(w, config, onLink: [], net =>
        {
            string family = NetworkPlan.IsV6(net) ? "-inet6" : "-inet";
            return new PlanStep(PlanStepKind.Route, $"route {net} via {tun}",
                ["route", "-q", "-n", "add", family, "-net", net.ToString(), "-interface", tun],
                ["route", "-q", "-n", "delete", family, "-net", net.ToString(), "-interface", tun]);
        });
        NetworkPlan.Forwarding(w, config, "net.inet.ip.forwarding", "net.inet6.ip6.forwarding");
    }
}
