using System.Net;
using System.Net.Sockets;
using Overlay.Protocol;
using Overlay.Protocol.Config;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Node;

/// <summary>
/// Turns a validated config into the node's runtime pieces: one local static identity per
/// link (DESIGN.md §4: PSK identity derived from (psk, local_id, peer.id), or the node's
/// explicit key when the peer has a public_key), the peer's static public key, the
/// role-derived forwarding table and each peer's allowed inner sources. Host-name endpoints
/// are resolved here, at start and on reload. On a spoke a name that does not resolve yet is not
/// an error: its endpoint stays unknown and the spoke's hub resolver keeps trying (issue 11).
/// </summary>
public static class NodeSetupBuilder
{
    public static NodeSetup Build(OverlayConfig config, Func<string, IPAddress[]>? resolve = null)
    {
        resolve ??= Dns.GetHostAddresses;
        LocalIdentity? explicitIdentity = config.PrivateKey is { } sk ? new LocalIdentity(sk) : null;
        IReadOnlyList<PeerConfig> links = config.Peers;
        var endpoints = new UdpEndpoint[links.Count];
        for (int i = 0; i < links.Count; i++)
        {
            PeerConfig p = links[i];
            if (p.PublicKey is not null && explicitIdentity is null)
                throw new InvalidOperationException(
                    $"{config.SourcePath}: peers[{p.Index}].public_key is set but the node has no private_key");
            endpoints[i] = Resolve(config, p, resolve);
        }
        // Two X25519 per PSK link (our link key's public half, the peer's public key): the bulk of a big
        // hub's start-up, independent per link, so spread over the cores.
        var peers = new NodePeerSetup[links.Count];
        Parallel.For(0, links.Count, i =>
        {
            PeerConfig p = links[i];
            LocalIdentity local;
            byte[] remote = new byte[32];
            if (p.PublicKey is { } pub)
            {
                local = explicitIdentity!;
                pub.CopyTo(remote, 0);
            }
            else
            {
                Span<byte> derived = stackalloc byte[32];
                PskIdentity.DeriveStaticPrivate(p.Psk, config.LocalId, p.Id, derived);
                local = new LocalIdentity(derived);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(derived);
                PskIdentity.DeriveStaticPublic(p.Psk, p.Id, config.LocalId, remote);
            }
            peers[i] = new NodePeerSetup
            {
                Id = p.Id,
                Name = p.Name,
                Local = local,
                RemoteStatic = remote,
                Psk = p.Psk,
                Endpoint = endpoints[i],
                // keepalive_secs applies to every role (the hub's default is 0); an explicit value wins, as in Subnetra.
                PersistentKeepaliveSeconds = config.KeepaliveSecs,
                AllowedSources = new AllowedSources(p.EffectiveAllowedSources),
            };
        });
        return new NodeSetup
        {
            LocalId = config.LocalId,
            Mtu = config.TunMtu,
            Table = ForwardingTable.FromConfig(config),
            ExplicitIdentity = explicitIdentity,
            Peers = peers,
        };
    }

    private static UdpEndpoint Resolve(OverlayConfig config, PeerConfig p, Func<string, IPAddress[]> resolve)
    {
        if (p.Endpoint is null) return default;
        IPAddress? address = p.Endpoint.Address;
        if (address is null)
        {
            IPAddress[] found;
            try
            {
                found = resolve(p.Endpoint.Host);
            }
            catch (SocketException) when (config.Role == NodeRole.Spoke)
            {
                return default;
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException(
                    $"{config.SourcePath}: peers[{p.Index}].endpoint: cannot resolve '{p.Endpoint.Host}': {e.Message}; fix the name or use an IP address", e);
            }
            address = PreferredAddress(found);
            if (address is null && config.Role == NodeRole.Spoke) return default;
            if (address is null)
                throw new InvalidOperationException($"{config.SourcePath}: peers[{p.Index}].endpoint: '{p.Endpoint.Host}' has no address");
        }
        return UdpEndpoint.From(new IPEndPoint(address, p.Endpoint.Port));
    }

    /// <summary>The address a name's answer is dialed at: the first IPv4 one, else the first (IPv6).</summary>
    public static IPAddress? PreferredAddress(IPAddress[] found) =>
        Array.Find(found, a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault();
}
