namespace Overlay.Protocol.Config;

/// <summary>Rules that depend on the role: a hub's listen port and disjoint allowed_src, a spoke's own addresses and hub endpoint.</summary>
internal sealed partial class ConfigValidator
{
    private void CheckHub(TopDraft d)
    {
        if (d.ListenPort == 0)
            Error("listen_port", "a hub must listen on a fixed port (1..65535) so spokes can reach it; 0 means ephemeral");
        if (d.LocalRoutesNode is not null && d.LocalRoutes.Count > 0)
            Warn("local_routes", "ignored on a hub: its table comes from each peer's allowed_src");
        if (d.RemoteRoutesNode is not null && d.RemoteRoutes.Count > 0)
            Warn("remote_routes", "ignored on a hub: its table comes from each peer's allowed_src");

        foreach (var p in d.Peers)
        {
            if (!p.HasAllowedSrc)
            {
                Error($"peers[{p.Index}].allowed_src",
                    "required on a hub: the overlay addresses this spoke may send from and that the hub relays to it (e.g. 198.18.0.2/32)");
                continue;
            }
            CheckHubAllowedSrc(p, d.LocalTunIps);
        }
        CheckHubOverlaps(d.Peers);
    }

    private void CheckHubAllowedSrc(PeerDraft p, List<InterfaceAddress> localTunIps)
    {
        for (int k = 0; k < p.AllowedSrc.Count; k++)
        {
            if (p.AllowedSrc[k].PrefixLength == 0)
                Error(p.AllowedSrcPath(k),
                    $"{p.AllowedSrc[k]} is too broad on a hub: a hub peer's allowed_src is also its relay destination, so /0 would capture all traffic");
            // The hub's own address routes to its tun; a spoke allowed to send from it could impersonate the hub.
            else if (localTunIps.FirstOrDefault(o => p.AllowedSrc[k].Contains(o.Address)) is { Address: not null } own)
                Error(p.AllowedSrcPath(k),
                    $"{p.AllowedSrc[k]} contains the hub's own local_tun_ip {own.Address}; a spoke must not send from the hub's address");
        }
    }

    private void CheckSpoke(TopDraft d)
    {
        if (d.LocalTunIp is null && d.LocalRoutes.Count == 0)
            Error("local_tun_ip", "a spoke needs local_tun_ip or local_routes: the addresses delivered to its own tun");
        if (d.LocalRoutesNode is { } lrNode)
        {
            var items = lrNode.IsArrayLike ? lrNode.Children : [];
            for (int k = 0; k < d.LocalRoutes.Count; k++)
                if (d.LocalRoutes[k].PrefixLength == 0)
                    Error(k < items.Count ? items[k].JsonPath : "local_routes",
                        $"{d.LocalRoutes[k]} is too broad: a /0 local route would keep all traffic on this spoke");
        }
        foreach (var p in d.Peers)
            if (p.Endpoint is null && p.EndpointPresentButInvalid is false)
                Error($"peers[{p.Index}].endpoint", "required on a spoke: the hub's address, IP:port, [IPv6]:port or host:port");
    }
}
