using System.Buffers.Binary;
using System.Security.Cryptography;
using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Noise;

/// <summary>
/// Link hint (DESIGN.md §4, docs/link-hint.md): the bits our initiators put into the 32-bit sender index
/// of a handshake initiation (whitepaper §5.4.2; 148-byte message, offset 4, little-endian) so that a hub
/// with many PSK-identity links finds the targeted link in O(1) instead of trying mac1 against every link.
/// <code>
/// hint_key = BLAKE2s-256(key = psk, msg = "subnetra-wg-v1-hint-key" ‖ u32_be(initiator_id) ‖ u32_be(responder_id))
/// bucket   = floor(unix_seconds / 120)
/// tag      = BLAKE2s-256(key = hint_key, msg = "subnetra-wg-v1-hint" ‖ u64_be(bucket))
/// hint     = u32_be(tag[0..4]) >> 4                       (28 bits)
/// index    = (hint &lt;&lt; 4) | low,  low ∈ 0..15, index ≠ 0  (the u32 value, written little-endian)
/// </code>
/// Without the PSK nobody can compute a hint (keyed BLAKE2s is a PRF), and hints of different buckets
/// are independent, so an observer cannot link two initiations of one link across buckets. The
/// responder accepts the buckets either side of its own, so clocks may differ by one bucket. A hint only
/// selects candidates; mac1 still confirms each one. The wire format is WireGuard's unchanged: to a stock
/// peer the index is opaque, and a stock initiator's random index simply finds no candidate.
/// </summary>
public static class LinkHint
{
    public const int KeySize = 32;

    /// <summary>Bucket length in seconds: long enough that rebuilding the responder's table (one
    /// BLAKE2s per link) is rare, short enough that a hint is reused for at most about one rekey.</summary>
    public const int BucketSeconds = 120;

    /// <summary>Hint bits in the top of the sender index; the rest is free for local uniqueness.</summary>
    public const int HintBits = 28;
    public const int LowBits = 32 - HintBits;
    public const uint LowMask = (1u << LowBits) - 1;
    public const uint HintMask = (1u << HintBits) - 1;

    /// <summary>"subnetra-wg-v1-hint-key" (23 ASCII bytes, no NUL).</summary>
    public static ReadOnlySpan<byte> KeyLabel => "subnetra-wg-v1-hint-key"u8;

    /// <summary>"subnetra-wg-v1-hint" (19 ASCII bytes, no NUL).</summary>
    public static ReadOnlySpan<byte> TagLabel => "subnetra-wg-v1-hint"u8;

    /// <summary>
    /// The hint key of one direction of a PSK link: the initiator's id first. The hub, responding to
    /// spoke S, uses (S, hub); a spoke initiating to its hub uses (spoke, hub) — the same key.
    /// </summary>
    public static void DeriveKey(ReadOnlySpan<byte> psk, uint initiatorId, uint responderId, Span<byte> hintKey)
    {
        if (psk.Length != PskIdentity.PskSize)
            throw new ArgumentException($"The link PSK must be {PskIdentity.PskSize} bytes.", nameof(psk));
        if (hintKey.Length < KeySize)
            throw new ArgumentException($"Must hold {KeySize} bytes.", nameof(hintKey));

        Span<byte> ids = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(ids, initiatorId);
        BinaryPrimitives.WriteUInt32BigEndian(ids[4..], responderId);
        var hash = new Blake2s(KeySize, psk);
        hash.Update(KeyLabel);
        hash.Update(ids);
        hash.Final(hintKey[..KeySize]);
    }

    /// <summary>floor(unix_seconds / BucketSeconds); times before 1970 count as bucket 0.</summary>
    public static long Bucket(long unixSeconds) => unixSeconds <= 0 ? 0 : unixSeconds / BucketSeconds;

    public static long Bucket(DateTimeOffset utcNow) => Bucket(utcNow.ToUnixTimeSeconds());

    /// <summary>The 28-bit hint of <paramref name="bucket"/> under <paramref name="hintKey"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> hintKey, long bucket)
    {
        if (hintKey.Length != KeySize)
            throw new ArgumentException($"The hint key must be {KeySize} bytes.", nameof(hintKey));

        Span<byte> msg = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(msg, (ulong)bucket);
        Span<byte> tag = stackalloc byte[32];
        var hash = new Blake2s(32, hintKey);
        hash.Update(TagLabel);
        hash.Update(msg);
        hash.Final(tag);
        uint hint = BinaryPrimitives.ReadUInt32BigEndian(tag) >> LowBits;
        CryptographicOperations.ZeroMemory(tag);
        return hint;
    }

    /// <summary>The hint bits a sender index carries (whether or not it was built as one).</summary>
    public static uint Of(uint senderIndex) => senderIndex >> LowBits;

    /// <summary>The sender index with <paramref name="hint"/> on top and <paramref name="low"/> below.</summary>
    public static uint MakeIndex(uint hint, uint low) => ((hint & HintMask) << LowBits) | (low & LowMask);
}
