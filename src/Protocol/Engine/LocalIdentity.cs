using System.Security.Cryptography;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Noise;

namespace Overlay.Protocol.Engine;

/// <summary>
/// One static X25519 key this node answers to (DESIGN.md §4: one per PSK-identity link plus the optional
/// explicit key), with its precomputed mac1 key HASH(LABEL_MAC1 ‖ S) and cookie key HASH(LABEL_COOKIE ‖ S)
/// (whitepaper §5.4.4, §5.4.7) and the peers that reach it.
/// </summary>
public sealed class LocalIdentity
{
    internal readonly byte[] PrivateKey = new byte[32];
    private readonly byte[] _publicKey = new byte[32];
    internal readonly byte[] Mac1Key = new byte[32];
    internal readonly byte[] CookieKey = new byte[32];
    internal readonly List<WireGuardPeer> Peers = new();
    /// <summary>Where the owning engine lists this identity for the mac1 scan; -1 when not listed (O(1) add and remove).</summary>
    internal int ScanPosition = -1;
    internal WireGuardEngine? ScanOwner;

    /// <summary>Creates the identity from a private key; the key is clamped as on load in wireguard-go.</summary>
    public LocalIdentity(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != X25519.KeySize)
            throw new ArgumentException("private key must be 32 bytes", nameof(privateKey));
        privateKey.CopyTo(PrivateKey);
        X25519.Clamp(PrivateKey);
        X25519.DerivePublicKey(PrivateKey, _publicKey);
        NoiseConstants.Mac1Key(_publicKey, Mac1Key);
        NoiseConstants.CookieKey(_publicKey, CookieKey);
    }

    public static LocalIdentity Generate()
    {
        Span<byte> key = stackalloc byte[32];
        X25519.GeneratePrivateKey(key);
        var identity = new LocalIdentity(key);
        CryptographicOperations.ZeroMemory(key);
        return identity;
    }

    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>
    /// Copies the (clamped) private key into <paramref name="destination"/> (32 bytes). Only for
    /// the WireGuard UAPI <c>get</c> reply (reference/wireguard.md §4.3), which reports it as
    /// wireguard-go does on a root-only socket; the caller zeroes its copy.
    /// </summary>
    public void CopyPrivateKey(Span<byte> destination) => PrivateKey.CopyTo(destination);

    /// <summary>Zeroes the private key and the keys derived from it; the identity answers no handshake after this.</summary>
    public void ZeroKeys()
    {
        CryptographicOperations.ZeroMemory(PrivateKey);
        CryptographicOperations.ZeroMemory(Mac1Key);
        CryptographicOperations.ZeroMemory(CookieKey);
    }

    internal WireGuardPeer? FindPeer(ReadOnlySpan<byte> remoteStatic)
    {
        foreach (var peer in Peers)
            if (peer.RemoteStatic.SequenceEqual(remoteStatic)) return peer;
        return null;
    }
}
