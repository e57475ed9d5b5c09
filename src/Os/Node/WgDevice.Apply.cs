using System.Net;
using Overlay.Os.Uapi;
using Overlay.Protocol;
using Overlay.Protocol.Config;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Node;

public sealed partial class WgDevice
{
    /// <summary>
    /// Applies a parsed set on the loop thread. Returns 0, or the errno (positive) with a message:
    /// EADDRINUSE when listen_port cannot be bound (nothing else of the request is applied then),
    /// and EADDRINUSE too when fwmark cannot be set (EPERM without CAP_NET_ADMIN): wireguard-go
    /// answers a failed BindSetMark with <c>IpcErrorPortInUse</c>, and the rest of the request is
    /// not applied, as wireguard-go stops at the failing line. A listen port already rebound stays.
    /// Ends in one <see cref="NodeDataPath.SetRouting"/> swap, so no packet sees half a change; the
    /// swap runs whatever returns or throws, so peers already applied always get their routes.
    /// </summary>
    public int Apply(UapiSetRequest request, out string error)
    {
        error = "";
        try
        {
            if (request.ListenPort is int port && port != _ports.ListenPort)
            {
                try
                {
                    _ports.Rebind(port);
                }
                catch (IOException e)
                {
                    error = $"listen_port {port}: {e.Message}";
                    return UapiErrno.EADDRINUSE;
                }
            }
            if (request.Fwmark is uint mark && mark != Fwmark)
            {
                try
                {
                    _ports.SetFwmark(mark); // SystemCallException (an IOException): EPERM without CAP_NET_ADMIN
                }
                catch (IOException e)
                {
                    error = $"fwmark {mark}: {e.Message}";
                    return UapiErrno.EADDRINUSE;
                }
                Fwmark = mark;
            }
            if (request.PrivateKey is { } sk) SetPrivateKey(sk);
            if (request.ReplacePeers)
            {
                foreach (WgPeerEntry p in _peers.ToArray()) RemoveEntry(p);
            }
            foreach (UapiPeerChange change in request.Peers) ApplyPeer(change);
            return 0;
        }
        finally
        {
            InstallRouting();
        }
    }

    private void SetPrivateKey(byte[] sk)
    {
        // The same key again (wg setconf / syncconf always send it) changes nothing, as in
        // wireguard-go's SetPrivateKey: sessions stay.
        if (SameKey(sk)) return;
        LocalIdentity old = _identity;
        _hasKey = !KeyEncoding.IsAllZero(sk);
        _identity = _hasKey ? new LocalIdentity(sk) : LocalIdentity.Generate();
        _node.WireGuard.SetExplicitIdentity(_hasKey ? _identity : null);
        // The static-static DH of every peer depends on our key, and its sessions were keyed
        // with the old one: re-create each peer under the new identity (wireguard-go expires
        // the peers' keypairs on a key change). Counters and the last handshake carry over, as there.
        foreach (WgPeerEntry p in _peers.ToArray())
        {
            if (_hasKey && p.PublicKey.AsSpan().SequenceEqual(_identity.PublicKey))
            {
                // A peer whose key is now our own is removed, as in wireguard-go.
                RemoveEntry(p);
                continue;
            }
            p.Engine = Recreate(p.Engine);
        }
        old.ZeroKeys();
    }

    private bool SameKey(byte[] sk)
    {
        if (!_hasKey) return KeyEncoding.IsAllZero(sk);
        var probe = new LocalIdentity(sk);   // clamps as the running identity was clamped
        bool same = probe.PublicKey.SequenceEqual(_identity.PublicKey);
        probe.ZeroKeys();
        return same;
    }

    private WireGuardPeer Recreate(WireGuardPeer running)
    {
        var psk = new byte[32];
        running.CopyPresharedKey(psk);
        UdpEndpoint endpoint = running.Endpoint;
        int keepalive = running.PersistentKeepaliveSeconds;
        int id = running.Id;
        string name = running.Name;
        AllowedSources allowed = AllowedFor(running);
        _node.RemovePeer(running);
        WireGuardPeer peer = _node.AddPeer(new NodePeerSetup
        {
            Id = id,
            Name = name,
            Local = _identity,
            RemoteStatic = running.RemoteStatic.ToArray(),
            Psk = psk,
            Endpoint = endpoint,
            PersistentKeepaliveSeconds = keepalive,
            AllowedSources = allowed,
        });
        WireGuardEngine.CarryOverStats(running, peer);
        Zero(psk);
        return peer;
    }

    private void ApplyPeer(UapiPeerChange c)
    {
        string key = Hex(c.PublicKey);
        _byKey.TryGetValue(key, out WgPeerEntry? entry);
        if (c.Remove)
        {
            if (entry is not null) RemoveEntry(entry);
            return;
        }
        if (entry is null)
        {
            if (c.UpdateOnly) return;
            entry = CreateEntry(c.PublicKey, key);
            if (entry is null) return;
        }
        WireGuardPeer peer = entry.Engine;
        if (c.PresharedKey is { } psk) _node.WireGuard.SetPresharedKey(peer, psk);
        if (c.Endpoint is { } ep) _node.WireGuard.SetEndpoint(peer, ep);
        if (c.PersistentKeepaliveInterval is int ka && ka != peer.PersistentKeepaliveSeconds) _node.WireGuard.SetPersistentKeepalive(peer, ka);
        if (c.ReplaceAllowedIps)
        {
            foreach (IPNetwork n in entry.Allowed.Items) _owner.Remove(n);
            entry.Allowed.Clear();
        }
        foreach (UapiAllowedIpChange a in c.AllowedIps)
        {
            if (a.Remove)
            {
                if (entry.Allowed.Remove(a.Prefix)) _owner.Remove(a.Prefix);
                continue;
            }
            // Cryptokey routing: a prefix has one owner; adding it here moves it from the old one.
            if (_owner.TryGetValue(a.Prefix, out WgPeerEntry? previous) && !ReferenceEquals(previous, entry))
                previous.Allowed.Remove(a.Prefix);
            _owner[a.Prefix] = entry;
            entry.Allowed.Add(a.Prefix);
        }
    }

    private WgPeerEntry? CreateEntry(byte[] publicKey, string key)
    {
        int id = AllocateId();
        if (id == 0) return null;   // 65,535 peers: the data path's id space is full
        WireGuardPeer peer = _node.AddPeer(new NodePeerSetup
        {
            Id = id,
            Name = Convert.ToBase64String(publicKey),
            Local = _identity,
            RemoteStatic = publicKey,
            Psk = new byte[32],
            AllowedSources = new AllowedSources([]),
        });
        var entry = new WgPeerEntry(publicKey, peer);
        _peers.Add(entry);
        _membership++;
        _byKey.Add(key, entry);
        return entry;
    }

    private void RemoveEntry(WgPeerEntry entry)
    {
        foreach (IPNetwork n in entry.Allowed.Items) _owner.Remove(n);
        entry.Allowed.Clear();
        _peers.Remove(entry);
        _membership++;
        _byKey.Remove(Hex(entry.PublicKey));
        _node.RemovePeer(entry.Engine);
    }

    private int AllocateId()
    {
        for (int tries = 0; tries < ushort.MaxValue; tries++)
        {
            int id = _nextId;
            _nextId = _nextId == ushort.MaxValue ? 1 : _nextId + 1;
            if (_node.PeerById(id) is null) return id;
        }
        return 0;
    }

    /// <summary>
    /// Rebuilds the table (every allowed IP -> its owner) and, when any peer's allowed IPs, engine or
    /// the peer list changed since the last build, every peer's source check; then swaps them in.
    /// </summary>
    private void InstallRouting()
    {
        var byIndex = new WireGuardPeer?[_peers.Count];
        var routes = new List<Route>(_owner.Count);
        bool sourcesStale = _sourcesMembership != _membership;
        for (int i = 0; i < _peers.Count; i++)
        {
            WgPeerEntry p = _peers[i];
            byIndex[i] = p.Engine;
            var target = RouteTarget.ToPeer(i, (ushort)p.Engine.Id);
            foreach (IPNetwork n in p.Allowed.Items) routes.Add(new Route(n, target));
            sourcesStale |= p.SourcesVersion != p.Allowed.Version || !ReferenceEquals(p.SourcesEngine, p.Engine);
        }
        if (sourcesStale)
        {
            // A source is accepted from the peer its longest match belongs to, exactly as outbound
            // routing picks the peer (cryptokey routing both ways; netns.sh's crypto-RP filter). So
            // one peer's change can move another's sources: all are rebuilt together.
            var prefixes = new IReadOnlyList<IPNetwork>[_peers.Count];
            for (int i = 0; i < _peers.Count; i++) prefixes[i] = _peers[i].Allowed.ToArray();
            AllowedSources[] sources = AllowedSources.ByLongestMatch(prefixes);
            for (int i = 0; i < _peers.Count; i++)
            {
                WgPeerEntry p = _peers[i];
                _node.SetAllowedSources(p.Engine, sources[i]);
                p.SourcesVersion = p.Allowed.Version;
                p.SourcesEngine = p.Engine;
            }
            _sourcesMembership = _membership;
        }
        _node.SetRouting(new ForwardingTable(routes), byIndex);
    }

    private AllowedSources AllowedFor(WireGuardPeer engine)
    {
        foreach (WgPeerEntry p in _peers)
            if (ReferenceEquals(p.Engine, engine)) return new AllowedSources(p.Allowed.Items);
        return new AllowedSources([]);
    }

    /// <summary>The device as <c>get=1</c> reports it (wireguard-go's order). Loop thread.</summary>
    public UapiDevice Snapshot()
    {
        var peers = new List<UapiPeer>(_peers.Count);
        foreach (WgPeerEntry e in _peers)
        {
            peers.Add(UapiPeer.From(e.Engine, e.PublicKey.ToArray(), e.Allowed.ToArray()));
        }
        byte[]? sk = null;
        if (_hasKey)
        {
            sk = new byte[32];
            _identity.CopyPrivateKey(sk);
        }
        return new UapiDevice { PrivateKey = sk, ListenPort = _ports.ListenPort, Fwmark = Fwmark, Peers = peers };
    }
}

/// <summary>Plain WireGuard's role: no hub relay, no dialing; inbound goes to the tun after the allowed-IPs check.</summary>
public sealed class PlainWgPolicy : IRolePolicy
{
    public string Role => "wg";

    public void OnStart(NodeDataPath node)
    {
    }

    public void OnTurn(NodeDataPath node)
    {
    }

    public void OnHandshakeMessage(NodeDataPath node)
    {
    }

    public bool DeliversInboundToTun => true;

    public bool UsesLinkHints => false;
}
