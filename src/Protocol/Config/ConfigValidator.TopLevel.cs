using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Overlay.Protocol.Config;

/// <summary>Top-level keys: role, addresses, ports, routes, interface options and the tun MTU.</summary>
internal sealed partial class ConfigValidator
{
    private void ReadIdentity(TopDraft d)
    {
        var top = d.Fields;
        if (Required(top, "role", "required: \"hub\", \"spoke\" or \"manual\"") is { } roleNode && String(roleNode) is string roleText)
        {
            d.Role = roleText switch
            {
                "hub" => NodeRole.Hub,
                "spoke" => NodeRole.Spoke,
                "manual" => NodeRole.Manual,
                _ => null,
            };
            if (d.Role is null) Error("role", $"must be \"hub\", \"spoke\" or \"manual\"; got '{roleText}'");
        }

        if (Required(top, "virtual_subnet", "required: the overlay network as a CIDR, e.g. 198.18.0.0/24") is { } vsNode)
            d.VirtualSubnet = Network(vsNode);

        if (Required(top, "local_id", "required: this node's id, 1..65535") is { } idNode)
            d.LocalId = Integer(idNode, 1, 65535);

        // local_tun_ip: one CIDR, or a list with at most one per address family (dual stack)
        if (top.TryGetValue("local_tun_ip", out var tunIpNode)) LocalTunIps(tunIpNode, d.LocalTunIps);
        d.LocalTunIp = d.LocalTunIps.Count > 0 ? d.LocalTunIps[0] : null;
    }

    /// <summary>local_tun_ip: a CIDR string, or an array of one or two with at most one per family.</summary>
    private void LocalTunIps(ConfigNode n, List<InterfaceAddress> result)
    {
        IReadOnlyList<ConfigNode> items;
        if (n.IsArrayLike || n.Kind == JsonValueKind.Array)
        {
            items = Array(n) ?? [];
            if (items.Count is 0 or > 2) { Error(n.JsonPath, $"must list one or two addresses (at most one IPv4 and one IPv6); got {items.Count}"); return; }
        }
        else items = [n];
        foreach (ConfigNode item in items)
        {
            if (String(item) is not string text) continue;
            if (!AddressText.TryParseCidr(text, out var a, out int len, out string err)) { Error(item.JsonPath, err); continue; }
            var address = new InterfaceAddress(a, len);
            if (result.Any(r => r.IsIPv6 == address.IsIPv6))
            {
                Error(item.JsonPath, $"a second {(address.IsIPv6 ? "IPv6" : "IPv4")} address; list at most one IPv4 and one IPv6 address");
                continue;
            }
            result.Add(address);
        }
    }

    private void ReadListenPorts(TopDraft d)
    {
        d.ListenPort = d.Fields.TryGetValue("listen_port", out var lpNode) ? Integer(lpNode, 0, 65535) : null;
        if (d.Fields.TryGetValue("listen_ports", out var lpsNode))
        {
            // Subnetra ignores listen_port when listen_ports is present; so do we, but say so.
            if (lpNode is not null)
                Warn("listen_port", "ignored because listen_ports is set (listen_ports opens one socket per port)");
            d.ListenPorts = ListenPorts(lpsNode);
        }
    }

    private void ReadRoutes(TopDraft d)
    {
        if (d.Fields.TryGetValue("local_routes", out var lrNode))
        {
            d.LocalRoutesNode = lrNode;
            d.LocalRoutes = NetworkList(lrNode, allowSingle: false);
        }
        if (d.Fields.TryGetValue("remote_routes", out var rrNode))
        {
            d.RemoteRoutesNode = rrNode;
            d.RemoteRoutes = NetworkList(rrNode, allowSingle: false);
        }
        d.Keepalive = d.Fields.TryGetValue("keepalive_secs", out var kaNode) ? Integer(kaNode, 0, MaxKeepaliveSecs) : null;
    }

    /// <summary>tun_name, negotiation_version, obfuscate and apply_network_plan.</summary>
    private void ReadInterfaceOptions(TopDraft d)
    {
        var top = d.Fields;
        if (top.TryGetValue("tun_name", out var tnNode) && String(tnNode) is string tn)
        {
            if (IsValidTunName(tn, out string why)) d.TunName = tn;
            else Error(tnNode.JsonPath, why);
        }

        if (top.TryGetValue("negotiation_version", out var nvNode) && Integer(nvNode, int.MinValue, int.MaxValue) is int nv)
        {
            if (nv != 1) Error(nvNode.JsonPath, $"must be 1 (the only version: WireGuard protocol v1); got {nv}");
        }

        if (top.TryGetValue("obfuscate", out var obNode) && Bool(obNode) is bool ob)
        {
            if (ob)
                Error(obNode.JsonPath,
                    "true is not supported: packets are standard WireGuard messages and their framing is never masked " +
                    "(Subnetra's header obfuscation does not exist here); remove the key or set it to false");
            else
                Warn(obNode.JsonPath, "false has no effect: WireGuard framing is never masked; the key can be removed");
        }

        // DESIGN.md §6: the daemon configures its own interface unless told not to.
        if (top.TryGetValue("apply_network_plan", out var apNode) && Bool(apNode) is bool ap) d.ApplyNetworkPlan = ap;
    }

    /// <summary>local_tun_mtu, read after the peers because IPv6 anywhere raises its minimum.</summary>
    private void ReadTunMtu(TopDraft d)
    {
        bool anyV6 = IsV6(d.VirtualSubnet) || d.LocalTunIps.Any(a => a.IsIPv6)
            || d.LocalRoutes.Any(n => IsV6(n)) || d.RemoteRoutes.Any(n => IsV6(n))
            || d.Peers.Any(p => p.AllowedSrc.Any(n => IsV6(n)));
        if (d.Fields.TryGetValue("local_tun_mtu", out var mtuNode) && Integer(mtuNode, OverlayConfig.MinTunMtu, OverlayConfig.MaxTunMtu) is int m)
        {
            if (anyV6 && m < OverlayConfig.MinTunMtuIPv6)
                Error(mtuNode.JsonPath, $"must be at least {OverlayConfig.MinTunMtuIPv6} when IPv6 inner addresses are configured (RFC 8200 §5); got {m}");
            d.Mtu = m;
        }
    }

    internal static bool IsValidTunName(string name, out string why)
    {
        if (name.Length is 0 or > MaxTunNameLength)
            why = $"must be 1..{MaxTunNameLength} characters (Linux IFNAMSIZ); got {name.Length}";
        else if (name is "." or "..")
            why = $"'{name}' is not a valid interface name";
        else if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            why = "may contain only letters, digits, '_', '.' and '-'";
        else { why = ""; return true; }
        return false;
    }

    private static bool IsV6(IPNetwork? n) => n is IPNetwork x && x.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;

}
