namespace Overlay.Protocol.Crypto;

/// <summary>
/// XChaCha20-Poly1305 AEAD, draft-irtf-cfrg-xchacha-03 §2.3 (libsodium
/// <c>crypto_aead_xchacha20poly1305_ietf_*</c>): 32-byte key, 24-byte nonce, 16-byte tag.
/// WireGuard uses it only to seal the cookie in a cookie reply (whitepaper §5.4.7),
/// with a random 24-byte nonce.
/// </summary>
public static unsafe class XChaChaPoly
{
    public const int TagSize = 16;
    public const int KeySize = 32;
    public const int NonceSize = 24;

    public static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce24, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ad, Span<byte> destination)
    {
        AeadArguments.CheckSeal(key.Length, nonce24.Length, NonceSize, plaintext, destination);
        Interop.Sodium.EnsureInitialized();

        fixed (byte* c = destination)
        fixed (byte* m = plaintext)
        fixed (byte* a = ad)
        fixed (byte* n = nonce24)
        fixed (byte* k = key)
        {
            Interop.Sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
                c, null, m, (ulong)plaintext.Length, a, (ulong)ad.Length, null, n, k);
        }
    }

    /// <summary>Returns false if the tag does not verify or the input is shorter than a tag.</summary>
    public static bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce24, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> ad, Span<byte> destination)
    {
        AeadArguments.CheckOpen(key.Length, nonce24.Length, NonceSize, ciphertextAndTag, destination);
        if (ciphertextAndTag.Length < TagSize)
        {
            return false;
        }

        Interop.Sodium.EnsureInitialized();
        fixed (byte* m = destination)
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* a = ad)
        fixed (byte* n = nonce24)
        fixed (byte* k = key)
        {
            return Interop.Sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                m, null, null, c, (ulong)ciphertextAndTag.Length, a, (ulong)ad.Length, n, k) == 0;
        }
    }
}
