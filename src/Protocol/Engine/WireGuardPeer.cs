using System.Security.Cryptography;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Sessions;
using Overlay.Protocol.Timers;

namespace Overlay.Protocol.Engine;

internal enum HandshakeState
{
    None,
    InitiationCreated,
    InitiationConsumed,
}

/// <summary>
/// One remote WireGuard peer as the engine sees it: its static key and PSK, the handshake in flight, the
/// three keypair slots, staged packets, per-peer timer deadlines (reference/wireguard.md §2.3) and the
/// statistics `wg show` reports. Passive state: it never calls the engine; every change goes through a
/// <see cref="WireGuardEngine"/> method (<see cref="WireGuardEngine.SetEndpoint"/>,
/// <see cref="WireGuardEngine.SetPersistentKeepalive"/>). Everything mutable is touched only by the loop thread.
/// </summary>
public sealed class WireGuardPeer
{
    internal const long Unarmed = long.MaxValue;
    internal const long LongAgo = long.MinValue / 4;

    private readonly byte[] _remoteStatic = new byte[32];

    internal readonly byte[] Psk = new byte[32];
    private readonly byte[] _staticStatic = new byte[32];
    private bool _staticStaticReady;
    internal readonly CookieGenerator Cookies;
    internal readonly KeypairSlots Keypairs = new();
    internal readonly StagedQueue Staged = new(ProtocolTimes.MaxStagedPackets);

    // Handshake in flight (whitepaper §5.4.2–§5.4.3).
    internal HandshakeState State;
    internal readonly byte[] ChainingKey = new byte[32];
    internal readonly byte[] Hash = new byte[32];
    internal readonly byte[] EphemeralPrivate = new byte[32];
    internal readonly byte[] RemoteEphemeral = new byte[32];
    internal uint HandshakeLocalIndex;
    internal uint HandshakeRemoteIndex;
    internal readonly byte[] GreatestTimestamp = new byte[Tai64N.Size];
    internal long LastInitiationConsumed = LongAgo;
    internal long LastSentHandshake = LongAgo;
    internal int HandshakeAttempts;
    internal bool SentLastMinuteHandshake;
    internal bool NeedAnotherKeepalive;

    // Timer deadlines in TimeProvider timestamps; Unarmed when not pending.
    internal long RetransmitHandshakeAt = Unarmed;
    internal long SendKeepaliveAt = Unarmed;
    internal long NewHandshakeAt = Unarmed;
    internal long ZeroKeyMaterialAt = Unarmed;
    internal long PersistentKeepaliveAt = Unarmed;

    // The peer's entry in the engine's timer heap: the deadline it was pushed with (Unarmed when none is live)
    // and the generation that tells this peer's entries from those of an earlier peer in the same slot.
    internal long HeapDeadline = Unarmed;
    internal uint Generation;

    internal bool Removed;

    // Link hint (docs/link-hint.md; WireGuardEngine.LinkHints.cs): keys of both directions and this
    // peer's inbound hints for the engine's buckets b-1, b, b+1.
    internal bool HasLinkHint;

    /// <summary>Whether this link's initiations carry a link hint (docs/link-hint.md).</summary>
    public bool SendsLinkHints => HasLinkHint;
    internal readonly byte[] HintKeyOut = new byte[LinkHint.KeySize];
    internal readonly byte[] HintKeyIn = new byte[LinkHint.KeySize];
    internal readonly uint[] HintsIn = new uint[3];

    internal WireGuardPeer(LocalIdentity local, ReadOnlySpan<byte> remoteStatic,
        ReadOnlySpan<byte> psk, int id, string name, int persistentKeepaliveSeconds)
    {
        if (remoteStatic.Length != 32) throw new ArgumentException("public key must be 32 bytes", nameof(remoteStatic));
        if (psk.Length != 0 && psk.Length != 32) throw new ArgumentException("psk must be 32 bytes", nameof(psk));
        Local = local;
        Id = id;
        Name = name;
        remoteStatic.CopyTo(_remoteStatic);
        psk.CopyTo(Psk);
        PersistentKeepaliveSeconds = persistentKeepaliveSeconds;
        Cookies = new CookieGenerator(remoteStatic);
    }

    /// <summary>
    /// DH(s_local, S_remote), fixed per peer (wireguard-go precomputedStaticStatic), computed at the peer's first
    /// handshake rather than at AddPeer, so a hub with many links that never connect starts without one X25519
    /// per link. An all-zero result leaves it zero, and every handshake with this peer then fails.
    /// </summary>
    internal byte[] StaticStatic
    {
        get
        {
            if (!_staticStaticReady)
            {
                X25519.SharedSecret(Local.PrivateKey, _remoteStatic, _staticStatic);
                _staticStaticReady = true;
            }
            return _staticStatic;
        }
    }

    /// <summary>Zeroes the static-static secret for good (peer removed): handshakes with it fail from now on.</summary>
    internal void ZeroStaticStatic()
    {
        CryptographicOperations.ZeroMemory(_staticStatic);
        _staticStaticReady = true;
    }

    public int Id { get; }
    /// <summary>
    /// The engine's dense slot for this peer (0..<see cref="WireGuardEngine.SlotCapacity"/>), reused after
    /// removal: outer layers key their per-peer tables by it.
    /// </summary>
    public int Slot { get; internal set; }
    /// <summary>A label (status, logs); a config reload may rename a peer without touching its session.</summary>
    public string Name { get; set; }
    public LocalIdentity Local { get; }
    public ReadOnlySpan<byte> RemoteStatic => _remoteStatic;

    /// <summary>
    /// Copies the link's preshared key into <paramref name="destination"/> (32 bytes). Only for the
    /// WireGuard UAPI <c>get</c> reply (reference/wireguard.md §4.3); the caller zeroes its copy.
    /// </summary>
    public void CopyPresharedKey(Span<byte> destination) => Psk.CopyTo(destination);
    /// <summary>Persistent keepalive interval in seconds (0 = off); set through <see cref="WireGuardEngine.SetPersistentKeepalive"/>.</summary>
    public int PersistentKeepaliveSeconds { get; internal set; }

    /// <summary>
    /// Where datagrams for this peer go; set through <see cref="WireGuardEngine.SetEndpoint"/> (config) or
    /// by the engine itself (roaming, only after a packet from a new source authenticated).
    /// </summary>
    public UdpEndpoint Endpoint { get; internal set; }

    /// <summary>
    /// The sticky source: the local address this peer's last authenticated datagram was sent to, which datagrams
    /// for it leave from (IP_PKTINFO / IPV6_PKTINFO); none when the socket does not report destinations, after a
    /// configured endpoint (<see cref="WireGuardEngine.SetEndpoint"/>), or once the kernel refused it
    /// (<see cref="WireGuardEngine.ForgetLocalSource"/>): the kernel picks then.
    /// </summary>
    public LocalAddress LocalSource { get; internal set; }

    /// <summary>Bytes of whole WireGuard messages received from / sent to this peer, handshakes included (as wg show).</summary>
    public long RxBytes { get; internal set; }
    public long TxBytes { get; internal set; }

    /// <summary>Wall time of the last completed handshake (UAPI last_handshake_time).</summary>
    public DateTimeOffset? LastHandshake { get; internal set; }

    public int StagedCount => Staged.Count;

    internal void ZeroHandshake()
    {
        State = HandshakeState.None;
        CryptographicOperations.ZeroMemory(ChainingKey);
        CryptographicOperations.ZeroMemory(Hash);
        CryptographicOperations.ZeroMemory(EphemeralPrivate);
        CryptographicOperations.ZeroMemory(RemoteEphemeral);
        HandshakeRemoteIndex = 0;
    }

    public override string ToString() => $"peer {Id} ({Name})";
}
