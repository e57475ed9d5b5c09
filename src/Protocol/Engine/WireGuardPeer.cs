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
/// statistics `wg show` reports. Everything mutable is touched only by the loop thread.
/// </summary>
public sealed class WireGuardPeer
{
    internal const long Unarmed = long.MaxValue;
    internal const long LongAgo = long.MinValue / 4;

    private readonly WireGuardEngine _engine;
    private readonly byte[] _remoteStatic = new byte[32];
    private UdpEndpoint _endpoint;

    internal readonly byte[] Psk = new byte[32];
    internal readonly byte[] StaticStatic = new byte[32];
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

    internal bool Removed;

    // Link hint (docs/link-hint.md; WireGuardEngine.LinkHints.cs): keys of both directions and this
    // peer's inbound hints for the engine's buckets b-1, b, b+1.
    internal bool HasLinkHint;
    internal readonly byte[] HintKeyOut = new byte[LinkHint.KeySize];
    internal readonly byte[] HintKeyIn = new byte[LinkHint.KeySize];
    internal readonly uint[] HintsIn = new uint[3];

    internal WireGuardPeer(WireGuardEngine engine, LocalIdentity local, ReadOnlySpan<byte> remoteStatic,
        ReadOnlySpan<byte> psk, int id, string name, UdpEndpoint endpoint, int persistentKeepaliveSeconds)
    {
        if (remoteStatic.Length != 32) throw new ArgumentException("public key must be 32 bytes", nameof(remoteStatic));
        if (psk.Length != 0 && psk.Length != 32) throw new ArgumentException("psk must be 32 bytes", nameof(psk));
        _engine = engine;
        Local = local;
        Id = id;
        Name = name;
        remoteStatic.CopyTo(_remoteStatic);
        psk.CopyTo(Psk);
        _endpoint = endpoint;
        _persistentKeepaliveSeconds = persistentKeepaliveSeconds;
        Cookies = new CookieGenerator(remoteStatic);
        // DH(s_local, S_remote) is fixed per peer: precompute it (wireguard-go precomputedStaticStatic).
        // An all-zero result leaves it zero, and every handshake with this peer then fails.
        X25519.SharedSecret(local.PrivateKey, remoteStatic, StaticStatic);
    }

    public int Id { get; }
    /// <summary>A label (status, logs); a config reload may rename a peer without touching its session.</summary>
    public string Name { get; set; }
    public LocalIdentity Local { get; }
    public ReadOnlySpan<byte> RemoteStatic => _remoteStatic;
    public object? Tag { get; set; }

    /// <summary>
    /// Copies the link's preshared key into <paramref name="destination"/> (32 bytes). Only for the
    /// WireGuard UAPI <c>get</c> reply (reference/wireguard.md §4.3); the caller zeroes its copy.
    /// </summary>
    public void CopyPresharedKey(Span<byte> destination) => Psk.CopyTo(destination);
    private int _persistentKeepaliveSeconds;

    /// <summary>Persistent keepalive interval in seconds (0 = off). Setting a positive value makes a keepalive due at once.</summary>
    public int PersistentKeepaliveSeconds
    {
        get => _persistentKeepaliveSeconds;
        set
        {
            _persistentKeepaliveSeconds = value;
            PersistentKeepaliveAt = value > 0 ? _engine.Now : Unarmed;
        }
    }

    /// <summary>
    /// Where datagrams for this peer go. The engine updates it (roaming) only after a packet from a new
    /// source authenticated; the node may set it from config.
    /// </summary>
    public UdpEndpoint Endpoint
    {
        get => _endpoint;
        set => _engine.OnEndpointChanged(this, value);
    }

    internal void SetEndpointField(UdpEndpoint endpoint) => _endpoint = endpoint;

    /// <summary>Bytes of whole WireGuard messages received from / sent to this peer, handshakes included (as wg show).</summary>
    public long RxBytes { get; internal set; }
    public long TxBytes { get; internal set; }

    /// <summary>Wall time of the last completed handshake (UAPI last_handshake_time).</summary>
    public DateTimeOffset? LastHandshake { get; internal set; }

    /// <summary>True when a confirmed keypair can send now.</summary>
    public bool HasSession => _engine.CanSend(Keypairs.Current);

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
