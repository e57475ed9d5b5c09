using System.Buffers.Binary;
using System.Security.Cryptography;
using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Noise;

/// <summary>
/// PSK identity (DESIGN.md §4, mode 1): both ends of a link derive each side's static X25519
/// key from the link's 32-byte PSK, so the config needs no public keys.
/// <c>static_private(psk, self_id, peer_id) = clamp(BLAKE2s-256(key = psk,
/// msg = "subnetra-wg-v1-static" ‖ u32_be(self_id) ‖ u32_be(peer_id)))</c>; the label is the
/// 21 ASCII bytes without a NUL. A node uses (local_id, peer.id) for its own key and
/// (peer.id, local_id) for the peer's public key. Pinned by Vectors/psk-identity-kat.json.
/// </summary>
public static class PskIdentity
{
    public const int PskSize = 32;

    /// <summary>The domain-separation label, "subnetra-wg-v1-static" (21 bytes).</summary>
    public static ReadOnlySpan<byte> Label => "subnetra-wg-v1-static"u8;

    public static void DeriveStaticPrivate(ReadOnlySpan<byte> psk, uint selfId, uint peerId, Span<byte> privateKey)
    {
        if (psk.Length != PskSize)
        {
            throw new ArgumentException($"The link PSK must be {PskSize} bytes.", nameof(psk));
        }

        if (privateKey.Length < X25519.KeySize)
        {
            throw new ArgumentException($"Must hold {X25519.KeySize} bytes.", nameof(privateKey));
        }

        Span<byte> ids = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(ids, selfId);
        BinaryPrimitives.WriteUInt32BigEndian(ids[4..], peerId);

        Span<byte> key = stackalloc byte[X25519.KeySize];
        var hash = new Blake2s(X25519.KeySize, psk);
        hash.Update(Label);
        hash.Update(ids);
        hash.Final(key);
        X25519.Clamp(key);

        key.CopyTo(privateKey);
        CryptographicOperations.ZeroMemory(key);
    }

    public static void DeriveStaticPublic(ReadOnlySpan<byte> psk, uint selfId, uint peerId, Span<byte> publicKey)
    {
        Span<byte> privateKey = stackalloc byte[X25519.KeySize];
        DeriveStaticPrivate(psk, selfId, peerId, privateKey);
        X25519.DerivePublicKey(privateKey, publicKey);
        CryptographicOperations.ZeroMemory(privateKey);
    }
}
