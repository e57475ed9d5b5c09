using System.Net;
using System.Security.Cryptography;
using Overlay.Protocol.Engine;

namespace Overlay.Os.Uapi;

/// <summary>
/// What a WireGuard UAPI <c>get=1</c> reports (reference/wireguard.md §4.3): a copy of the
/// device taken on the loop thread, so the socket threads never touch live engine state.
/// Holds key material; <see cref="Dispose"/> zeroes every key.
/// </summary>
public sealed class UapiDevice : IDisposable
{
    /// <summary>
    /// The interface private key (32 bytes), or null when the node has no single one: a node
    /// whose links use PSK-derived identities has one static key per peer, and wg's
    /// device-level private_key can only name one. Then wg shows no interface public key.
    /// </summary>
    public byte[]? PrivateKey { get; init; }

    /// <summary>First bound UDP port; 0 is not reported.</summary>
    public int ListenPort { get; init; }

    /// <summary>SO_MARK of the UDP socket; 0 is not reported.</summary>
    public uint Fwmark { get; init; }

    public IReadOnlyList<UapiPeer> Peers { get; init; } = [];

    public void Dispose()
    {
        if (PrivateKey is not null) CryptographicOperations.ZeroMemory(PrivateKey);
        foreach (UapiPeer p in Peers) CryptographicOperations.ZeroMemory(p.PresharedKey);
    }
}

/// <summary>One peer section of a <c>get=1</c> reply.</summary>
public sealed class UapiPeer
{
    /// <summary>The peer's static public key (32 bytes).</summary>
    public required byte[] PublicKey { get; init; }

    /// <summary>The link PSK (32 bytes; all zero means none).</summary>
    public required byte[] PresharedKey { get; init; }

    /// <summary>"IP:port" or "[IPv6]:port"; null while unknown (omitted from the reply).</summary>
    public string? Endpoint { get; init; }

    /// <summary>Absolute time of the last completed handshake; null = never (reported as 0).</summary>
    public DateTimeOffset? LastHandshake { get; init; }

    public long TxBytes { get; init; }
    public long RxBytes { get; init; }

    /// <summary>Seconds, 0 = off.</summary>
    public int PersistentKeepaliveInterval { get; init; }

    /// <summary>
    /// The prefixes, kept binary (16 bytes each, the addresses shared with the device's own set, which
    /// never mutates them) and formatted to text chunk by chunk while the reply is written, so a
    /// snapshot of 130,560 allowed IPs is ~2 MB of references, not 130,560 strings.
    /// </summary>
    public IReadOnlyList<IPNetwork> AllowedIps { get; init; } = [];

    /// <summary>
    /// A copy of an engine peer for the reply (loop thread): the PSK into a fresh buffer that the
    /// device's Dispose zeroes, counters, endpoint and handshake time; both daemons' UAPI use this.
    /// </summary>
    public static UapiPeer From(WireGuardPeer peer, byte[] publicKey, IReadOnlyList<IPNetwork> allowedIps)
    {
        var psk = new byte[32];
        peer.CopyPresharedKey(psk);
        return new UapiPeer
        {
            PublicKey = publicKey,
            PresharedKey = psk,
            Endpoint = peer.Endpoint.IsNone ? null : peer.Endpoint.ToString(),
            LastHandshake = peer.LastHandshake,
            TxBytes = peer.TxBytes,
            RxBytes = peer.RxBytes,
            PersistentKeepaliveInterval = peer.PersistentKeepaliveSeconds,
            AllowedIps = allowedIps,
        };
    }
}
