using System.Buffers.Binary;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// ChaCha20-Poly1305 AEAD, RFC 8439 §2.8 (libsodium <c>crypto_aead_chacha20poly1305_ietf_*</c>):
/// 32-byte key, 12-byte nonce, 16-byte tag appended to the ciphertext.
/// WireGuard (whitepaper §5.4, "AEAD") uses the nonce 4 zero bytes ‖ little-endian u64 counter;
/// the counter overloads build exactly that.
/// </summary>
/// <remarks>
/// In-place use (destination starting at the input's address) is supported and is what the
/// data path does. When Open fails, libsodium zeroes the destination, so an in-place failed
/// Open destroys the ciphertext; the packet is dropped anyway.
/// </remarks>
public static unsafe class ChaChaPoly
{
    public const int TagSize = 16;
    public const int KeySize = 32;
    public const int NonceSize = 12;

    public static void Seal(ReadOnlySpan<byte> key, ulong counter, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ad, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteCounterNonce(counter, nonce);
        Seal(key, nonce, plaintext, ad, destination);
    }

    /// <summary>Returns false if the tag does not verify or the input is shorter than a tag.</summary>
    public static bool Open(ReadOnlySpan<byte> key, ulong counter, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> ad, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteCounterNonce(counter, nonce);
        return Open(key, nonce, ciphertextAndTag, ad, destination);
    }

    public static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce12, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ad, Span<byte> destination)
    {
        AeadArguments.CheckSeal(key.Length, nonce12.Length, NonceSize, plaintext, destination);
        Interop.Sodium.EnsureInitialized();

        fixed (byte* c = destination)
        fixed (byte* m = plaintext)
        fixed (byte* a = ad)
        fixed (byte* n = nonce12)
        fixed (byte* k = key)
        {
            // Always returns 0 (it aborts only for messages over 2^38 bytes).
            Interop.Sodium.crypto_aead_chacha20poly1305_ietf_encrypt(
                c, null, m, (ulong)plaintext.Length, a, (ulong)ad.Length, null, n, k);
        }
    }

    /// <summary>Returns false if the tag does not verify or the input is shorter than a tag.</summary>
    public static bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce12, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> ad, Span<byte> destination)
    {
        AeadArguments.CheckOpen(key.Length, nonce12.Length, NonceSize, ciphertextAndTag, destination);
        if (ciphertextAndTag.Length < TagSize)
        {
            return false;
        }

        Interop.Sodium.EnsureInitialized();
        fixed (byte* m = destination)
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* a = ad)
        fixed (byte* n = nonce12)
        fixed (byte* k = key)
        {
            return Interop.Sodium.crypto_aead_chacha20poly1305_ietf_decrypt(
                m, null, null, c, (ulong)ciphertextAndTag.Length, a, (ulong)ad.Length, n, k) == 0;
        }
    }

    /// <summary>WireGuard's nonce: bytes 0..3 zero, bytes 4..11 the counter, little-endian.</summary>
    public static void WriteCounterNonce(ulong counter, Span<byte> nonce12)
    {
        nonce12[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce12[4..NonceSize], counter);
    }
}
