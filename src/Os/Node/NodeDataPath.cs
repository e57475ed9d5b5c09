using Overlay.Protocol;
using Overlay.Os.Tun;
using Overlay.Os.Udp;
using Overlay.Protocol.Routing;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Stats;

namespace Overlay.Os.Node;

/// <summary>
/// The packet path both roles share: tun -> forwarding table -> peer -> seal -> UDP, and
/// UDP -> WireGuard engine -> inner-source check -> forwarding table -> local tun or relay
/// to another peer (never back to its source). Driven by one loop thread; no allocation
/// per packet: frames come from preallocated batches and every buffer is sealed or opened
/// in place. The role (hub/spoke) only adds policy through <see cref="IRolePolicy"/>.
/// </summary>
public sealed class NodeDataPath : IWireGuardOutput
{
    /// <summary>WireGuard's transport header sits in front of the packet (16 bytes).</summary>
    public const int FrameHeadroom = 16;
    /// <summary>Padding (≤15) and the Poly1305 tag (16) follow the packet.</summary>
    public const int FrameTailroom = 32;
    /// <summary>Datagrams per recvmmsg/sendmmsg batch.</summary>
    public const int BatchSize = 32;
    /// <summary>
    /// The largest UDP payload accepted or relayed: a packet at the largest configurable tun
    /// MTU (<see cref="Overlay.Protocol.Config.OverlayConfig.MaxTunMtu"/>) plus WireGuard's
    /// 16-byte header, up to 15 bytes of padding and the 16-byte tag.
    /// </summary>
    public const int MaxDatagram = Overlay.Protocol.Config.OverlayConfig.MaxTunMtu + FrameHeadroom + FrameTailroom;
    /// <summary>
    /// The largest inner packet subnetra-wg carries (<see cref="NodeSetup.MaxPacket"/>): its sealed
    /// datagram, unpadded, still fits one UDP datagram over IPv4 (65,535 - 20 - 8 = 65,507 bytes =
    /// 65,475 + 16-byte header + 16-byte tag). netns.sh's 34,736-byte MTU fits with room to spare.
    /// </summary>
    public const int MaxPlainPacket = 65_535 - 20 - 8 - FrameHeadroom - 16;
    /// <summary>Batches read per readable event before yielding to the other fds (fairness).</summary>
    public const int MaxBatchesPerTurn = 8;

    private readonly WireGuardEngine _wg;
    private readonly int _localId;
    private readonly bool _linkHints;
    // Replaced together by SetRouting on the loop thread, between packets (never during one).
    private ForwardingTable _table;
    private WireGuardPeer?[] _byIndex;
    // The node's per-peer state, keyed by the engine's slot (WireGuardPeer.Slot).
    private NodePeer?[] _peerState = new NodePeer?[16];
    private readonly ITunPort _tun;
    private readonly IUdpPort[] _udp;
    private readonly DatagramBatch _rx;
    private readonly DatagramBatch[] _tx;
    private readonly byte[] _tunFrame;
    private readonly int _maxPacket;
    // subnetrad: its configured MTU. subnetra-wg: what the frames hold, not the current MTU, since
    // right after `ip link set mtu` raises it the kernel hands over larger packets before the MTU is re-read.
    private readonly int _tunPacketLimit;
    private readonly IRolePolicy _policy;
    private readonly bool _deliverInboundToTun;
    private int _currentSocket;
    private UdpEndpoint _currentSource;
    private LocalAddress _currentDestination;
    // Per socket, per tx entry: the slot of the peer it is for (-1: none), so a refused source is forgotten by its peer.
    private readonly int[][] _txPeerSlot;
    private bool _inDatagram;
    private readonly long[] _seenSendErrors;
    private readonly long[] _seenTruncated;
    private long _seenShortFrames;

    public Counters Counters { get; }
    /// <summary>The clock the engine runs on (the WireGuard engine's timestamps are in its units).</summary>
    public TimeProvider Time { get; }
    public WireGuardEngine WireGuard => _wg;
    public ForwardingTable Table => _table;
    /// <summary>The tunnel MTU padding follows; its one owner is the engine (<see cref="SetMtu"/>).</summary>
    public int Mtu => _wg.Mtu;

    /// <summary>The largest inner packet a frame holds (<see cref="NodeSetup.MaxPacket"/>); a larger one is dropped as oversized.</summary>
    public int MaxPacket => _maxPacket;

    /// <summary>
    /// The interface's MTU changed (subnetra-wg re-reads it off the packet path): padding follows it
    /// from the next packet on, as wireguard-go pads to the device's current MTU. Loop thread only.
    /// </summary>
    public void SetMtu(int mtu) => _wg.SetMtu(Math.Clamp(mtu, 1, _maxPacket));
    public IRolePolicy Policy => _policy;

    public NodeDataPath(NodeSetup setup, ITunPort tun, IUdpPort[] udp, TimeProvider time, IRolePolicy policy)
    {
        ArgumentOutOfRangeException.ThrowIfZero(udp.Length);
        Counters = new Counters();
        Time = time;
        _tun = tun;
        _udp = udp;
        _policy = policy;
        _deliverInboundToTun = policy.DeliversInboundToTun;
        _linkHints = policy.UsesLinkHints;
        _table = setup.Table;
        _wg = new WireGuardEngine(time, Counters, this, new WireGuardEngineOptions { Mtu = setup.Mtu });
        _localId = setup.LocalId;
        // Frames fit the largest datagram any node of the overlay may send (a peer's MTU can
        // exceed ours), not just our own MTU: a smaller frame would truncate and silently lose
        // full-size packets from peers with a larger MTU (review finding). subnetra-wg's frames
        // hold MaxPlainPacket (64 KiB each): the slabs are allocated, not written, so a frame
        // only becomes resident as far as packets fill it (DatagramBatch).
        ArgumentOutOfRangeException.ThrowIfGreaterThan(setup.MaxPacket, MaxPlainPacket);
        _maxPacket = setup.MaxPacket;
        _tunPacketLimit = setup.FollowsInterfaceMtu ? setup.MaxPacket : setup.Mtu;
        int frameSize = FrameHeadroom + setup.MaxPacket + FrameHeadroom + FrameTailroom;
        _rx = new DatagramBatch(BatchSize, frameSize, FrameHeadroom);
        _tx = new DatagramBatch[udp.Length];
        _txPeerSlot = new int[udp.Length][];
        for (int i = 0; i < udp.Length; i++)
        {
            _tx[i] = new DatagramBatch(BatchSize, frameSize, 0);
            _txPeerSlot[i] = new int[BatchSize];
        }
        _seenSendErrors = new long[udp.Length];
        _seenTruncated = new long[udp.Length];
        _tunFrame = GC.AllocateArray<byte>(frameSize, pinned: true);
        if (setup.ExplicitIdentity is not null) _wg.SetExplicitIdentity(setup.ExplicitIdentity);
        _byIndex = new WireGuardPeer[setup.Peers.Count];
        for (int i = 0; i < setup.Peers.Count; i++) _byIndex[i] = AddPeer(setup.Peers[i]);
    }

    /// <summary>
    /// Adds a peer (start, reload). It is reachable through the forwarding table only once a
    /// table and index map naming it are installed with <see cref="SetRouting"/>. Loop thread only.
    /// </summary>
    public WireGuardPeer AddPeer(NodePeerSetup p)
    {
        WireGuardPeer peer = _wg.AddPeer(p.Local, p.RemoteStatic, p.Psk, p.Id, p.Name, p.Endpoint, p.PersistentKeepaliveSeconds);
        // Every hub/spoke link gets a link hint (docs/link-hint.md): harmless to a stock peer, O(1)
        // selection at ours. Not in plain WireGuard mode (IRolePolicy.UsesLinkHints).
        if (_linkHints) _wg.EnableLinkHint(peer, _localId);
        if (peer.Slot >= _peerState.Length) Array.Resize(ref _peerState, Math.Max(_peerState.Length * 2, peer.Slot + 1));
        _peerState[peer.Slot] = new NodePeer(p.AllowedSources);
        return peer;
    }

    /// <summary>Removes a peer: its keys are zeroed and packets routed to it are dropped (<c>no_route</c>). Loop thread only.</summary>
    public void RemovePeer(WireGuardPeer peer)
    {
        if (!ReferenceEquals(_wg.PeerInSlot(peer.Slot), peer)) return;   // removed already; the slot may hold another peer
        _wg.RemovePeer(peer);
        _peerState[peer.Slot] = null;
    }

    /// <summary>
    /// Installs a new forwarding table and the map from its peer indices to peers. Called on
    /// the loop thread between packets, so no packet sees half a change and none is dropped
    /// by the swap itself.
    /// </summary>
    public void SetRouting(ForwardingTable table, WireGuardPeer?[] peersByIndex)
    {
        _byIndex = peersByIndex;
        _table = table;
    }

    /// <summary>Replaces a peer's allowed inner sources (a UAPI set moved or added a prefix). Loop thread only.</summary>
    public void SetAllowedSources(WireGuardPeer peer, AllowedSources allowed) => _peerState[peer.Slot]!.AllowedSources = allowed;

    /// <summary>
    /// Swaps the UDP port at <paramref name="socket"/> (a UAPI listen_port rebind). Loop thread
    /// only, between packets; queued datagrams of the old socket are sent through it first.
    /// </summary>
    public void ReplaceUdp(int socket, IUdpPort port)
    {
        Flush(socket);
        _udp[socket] = port;
        _seenSendErrors[socket] = port.SendErrors;
        _seenTruncated[socket] = port.ReceiveTruncated;
    }


    public WireGuardPeer? PeerById(int id) => _wg.FindPeer(id);

    /// <summary>The node's state for a live peer (its allowed sources, its socket).</summary>
    public NodePeer StateOf(WireGuardPeer peer) => _peerState[peer.Slot]!;

    /// <summary>The peer at a config index (the forwarding table's peer reference).</summary>
    public WireGuardPeer? PeerAt(int index) => (uint)index < (uint)_byIndex.Length ? _byIndex[index] : null;

    // ---- loop driver -------------------------------------------------------------------

    /// <summary>Runs the role's start hook (a spoke dials its hub) as one loop turn.</summary>
    public void Start()
    {
        BeginTurn(Time.GetTimestamp());
        _policy.OnStart(this);
        EndTurn();
    }

    /// <summary>Starts a turn at <paramref name="now"/>, the loop's one clock read (a <see cref="Time"/> timestamp).</summary>
    public void BeginTurn(long now)
    {
        _wg.BeginTurn(now);
        _policy.OnTurn(this);
    }

    public long NextDeadlineTimestamp => _wg.NextDeadlineTimestamp;

    public void OnTimer() => _wg.Tick();

    public void EndTurn()
    {
        FlushTun();
        for (int i = 0; i < _tx.Length; i++) Flush(i);
        CollectDeviceDrops();
    }

    /// <summary>
    /// Folds drops the sockets and the tun count themselves (a datagram refused by the kernel,
    /// one too large for a frame, a utun frame too short to hold a packet) into the node's
    /// counters once per turn, so status shows every loss.
    /// </summary>
    private void CollectDeviceDrops()
    {
        for (int i = 0; i < _udp.Length; i++)
        {
            long errors = _udp[i].SendErrors, truncated = _udp[i].ReceiveTruncated;
            Counters.Drop(DropReason.SendError, errors - _seenSendErrors[i]);
            Counters.Drop(DropReason.Oversized, truncated - _seenTruncated[i]);
            _seenSendErrors[i] = errors;
            _seenTruncated[i] = truncated;
        }
        long shortFrames = _tun.ShortFramesDropped;
        Counters.Drop(DropReason.NotIp, shortFrames - _seenShortFrames);
        _seenShortFrames = shortFrames;
    }

    // ---- tun -> peer --------------------------------------------------------------------

    /// <summary>
    /// Drains the tun (bounded per turn, but never leaving segments of a split super-packet
    /// behind, which poll would not report) and sends each packet to its peer.
    /// </summary>
    public void OnTunReadable()
    {
        Span<byte> frame = _tunFrame;
        for (int n = 0; n < BatchSize * MaxBatchesPerTurn || _tun.HasBuffered; n++)
        {
            int len = _tun.Read(frame, FrameHeadroom);
            if (len <= 0) return;
            HandleTunPacket(frame, len);
        }
    }

    /// <summary>One packet from the tun at frame[FrameHeadroom..+length].</summary>
    public void HandleTunPacket(Span<byte> frame, int length)
    {
        Counters.TunRxPackets++;
        Counters.TunRxBytes += length;
        ReadOnlySpan<byte> packet = frame.Slice(FrameHeadroom, length);
        if (length > _tunPacketLimit) { Counters.Drop(DropReason.Oversized); return; }
        if (!InnerPacket.TryGetDestination(packet, out ReadOnlySpan<byte> dst)) { Counters.Drop(DropReason.NotIp); return; }
        RouteTarget route = _table.Lookup(dst);
        switch (route.Kind)
        {
            case RouteKind.Peer:
                WireGuardPeer? peer = PeerAt(route.PeerIndex);
                if (peer is null) { Counters.Drop(DropReason.NoRoute); return; }
                _wg.SendPacket(peer, frame, length);
                return;
            case RouteKind.Drop:
                Counters.Drop(DropReason.PolicyDrop);
                return;
            default:
                // Local or none: the kernel routed it to us, but nothing beyond the tun owns it.
                Counters.Drop(DropReason.NoRoute);
                return;
        }
    }

    // ---- UDP -> tun / relay -------------------------------------------------------------

    public void OnUdpReadable(int socket)
    {
        for (int b = 0; b < MaxBatchesPerTurn || _udp[socket].HasBuffered; b++)
        {
            int n = _udp[socket].ReceiveBatch(_rx);
            if (n <= 0) return;
            for (int i = 0; i < n; i++)
            {
                int len = _rx.Length(i);
                HandleDatagram(socket, _rx.Frame(i)[_rx.Headroom..], len, _rx.Endpoint(i), _rx.Local(i));
            }
            FlushTun();   // the batch's segments of one flow leave as one tun write (GRO)
            if (n < _rx.Capacity) return;
        }
    }

    /// <summary>
    /// One UDP payload at frame[0..length], sent to our <paramref name="destination"/> (none when the socket
    /// does not say); the frame continues past it so a relayed packet can be re-sealed in place (padding and
    /// tag need the tailroom).
    /// </summary>
    public void HandleDatagram(int socket, Span<byte> frame, int length, UdpEndpoint source, LocalAddress destination = default)
    {
        Counters.UdpRxPackets++;
        Counters.UdpRxBytes += length;
        _currentSocket = socket;
        _currentSource = source;
        _currentDestination = destination;
        _inDatagram = true;
        InboundResult r = _wg.ProcessDatagram(frame[..length], source, destination);
        _inDatagram = false;
        // Load is counted after classification: only well-formed initiations and responses with a valid
        // mac1 count, so junk whose first byte is 1 or 2 cannot put the hub under load (issue 12 item 3).
        if (r.IsAuthenticHandshake) _policy.OnHandshakeMessage(this);
        if (r.Kind != InboundKind.Data) return;

        WireGuardPeer from = r.Peer!;
        NodePeer state = _peerState[from.Slot]!;
        state.Socket = socket;
        Span<byte> packet = frame.Slice(r.Offset, r.Length);
        if (!InnerPacket.TryGetSource(packet, out ReadOnlySpan<byte> src) || !InnerPacket.TryGetDestination(packet, out ReadOnlySpan<byte> dst))
        {
            Counters.Drop(DropReason.NotIp);
            return;
        }
        if (!state.AllowedSources.Contains(src)) { Counters.Drop(DropReason.InnerSourceSpoofed); return; }

        RouteTarget route = _deliverInboundToTun ? RouteTarget.Local : _table.Lookup(dst);
        switch (route.Kind)
        {
            case RouteKind.Local:
                if (_tun.Write(frame, r.Offset, r.Length))
                {
                    Counters.TunTxPackets++;
                    Counters.TunTxBytes += r.Length;
                }
                else
                {
                    Counters.Drop(DropReason.SendError);
                }
                return;
            case RouteKind.Peer:
                WireGuardPeer? to = PeerAt(route.PeerIndex);
                if (to is null) { Counters.Drop(DropReason.NoRoute); return; }
                if (ReferenceEquals(to, from)) { Counters.Drop(DropReason.NoReflect); return; }
                // The packet sits right after the 16-byte header it arrived with: seal it in
                // place for the next hop; the frame must also hold padding (<= 15) and the tag.
                if (r.Offset + r.Length + FrameTailroom > frame.Length) { Counters.Drop(DropReason.Oversized); return; }
                Counters.RelayPackets++;
                Counters.RelayBytes += r.Length;
                _wg.SendPacket(to, frame[(r.Offset - FrameHeadroom)..], r.Length);
                return;
            case RouteKind.Drop:
                Counters.Drop(DropReason.PolicyDrop);
                return;
            default:
                Counters.Drop(DropReason.NoRoute);
                return;
        }
    }

    // ---- IWireGuardOutput ---------------------------------------------------------------

    void IWireGuardOutput.Send(WireGuardPeer peer, ReadOnlySpan<byte> datagram)
    {
        if (peer.Endpoint.IsNone) { Counters.Drop(DropReason.NoEndpoint); return; }
        NodePeer state = _peerState[peer.Slot]!;
        // A reply to the datagram being processed (handshake response, keepalive after it)
        // leaves through the socket it arrived on: with listen_ports, a port-restricted NAT
        // only passes replies from the port the peer sent to (review finding).
        if (_inDatagram && peer.Endpoint == _currentSource) state.Socket = _currentSocket;
        // The peer's sticky source: replies leave from the address it sent to (WireGuardPeer.LocalSource).
        Enqueue(state.Socket, datagram, peer.Endpoint, peer.LocalSource, peer.Slot);
    }

    /// <summary>A cookie reply leaves from the address the message it answers was sent to, as the kernel's does.</summary>
    void IWireGuardOutput.SendTo(in UdpEndpoint destination, ReadOnlySpan<byte> datagram) =>
        Enqueue(_currentSocket, datagram, destination, _inDatagram ? _currentDestination : default, -1);

    private void Enqueue(int socket, ReadOnlySpan<byte> datagram, UdpEndpoint destination, LocalAddress source, int peerSlot)
    {
        DatagramBatch tx = _tx[socket];
        if (datagram.Length > tx.FrameSize - tx.Headroom) { Counters.Drop(DropReason.Oversized); return; }
        if (tx.Count == tx.Capacity) Flush(socket);
        int i = tx.Count++;
        datagram.CopyTo(tx.Frame(i)[tx.Headroom..]);
        tx.Length(i) = datagram.Length;
        tx.Endpoint(i) = destination;
        tx.Local(i) = source;
        _txPeerSlot[socket][i] = peerSlot;
        Counters.UdpTxPackets++;
        Counters.UdpTxBytes += datagram.Length;
    }

    /// <summary>Writes what the tun held back to coalesce; its losses are send errors.</summary>
    private void FlushTun()
    {
        int dropped = _tun.Flush();
        if (dropped > 0) Counters.Drop(DropReason.SendError, dropped);
    }

    private void Flush(int socket)
    {
        DatagramBatch tx = _tx[socket];
        if (tx.Count == 0) return;
        int sent = _udp[socket].SendBatch(tx);
        for (int i = sent; i < tx.Count; i++) Counters.Drop(DropReason.SendError);
        if (tx.LocalRefusals > 0) ForgetRefusedSources(socket, sent);
        tx.Count = 0;
    }

    /// <summary>
    /// The kernel refused some entries' sources (the address left the host) and the socket sent them without:
    /// their peers forget the address, so the next datagrams go out with the kernel's choice at once (rare path).
    /// </summary>
    private void ForgetRefusedSources(int socket, int sent)
    {
        DatagramBatch tx = _tx[socket];
        int[] slots = _txPeerSlot[socket];
        for (int i = 0; i < sent; i++)
        {
            if (!tx.LocalRefused(i) || slots[i] < 0) continue;
            WireGuardPeer? peer = _wg.PeerInSlot(slots[i]);
            if (peer is not null) _wg.ForgetLocalSource(peer, tx.Local(i));
        }
    }
}

/// <summary>The node's state for one WireGuard peer, kept in <see cref="NodeDataPath"/>'s table keyed by the peer's slot.</summary>
public sealed class NodePeer(AllowedSources allowedSources)
{
    public AllowedSources AllowedSources { get; set; } = allowedSources;
    /// <summary>The UDP socket this peer was last heard on; replies leave through it.</summary>
    public int Socket { get; set; }
}

