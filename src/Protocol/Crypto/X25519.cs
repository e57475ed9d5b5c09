using System.Security.Cryptography;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// X25519 Diffie-Hellman (RFC 7748 §5, §6.1) through libsodium's
/// <c>crypto_scalarmult_curve25519</c>. Keys and shared secrets are 32 bytes.
/// WireGuard's DH (whitepaper §5.4) is exactly this, with private keys clamped on load and an
/// all-zero shared secret rejected.
/// </summary>
public static unsafe class X25519
{
    public const int KeySize = 32;

    /// <summary>Fills <paramref name="privateKey"/> from the OS CSPRNG and clamps it.</summary>
    public static void GeneratePrivateKey(Span<byte> privateKey)
    {
        CheckOutput(privateKey.Length, nameof(privateKey));
        RandomNumberGenerator.Fill(privateKey[..KeySize]);
        Clamp(privateKey[..KeySize]);
    }

    /// <summary>
    /// RFC 7748 §5 decodeScalar25519 clamping, done in place on the stored key as WireGuard
    /// does (so a key read back is the clamped one): clear the 3 low bits, clear bit 255, set bit 254.
    /// </summary>
    public static void Clamp(Span<byte> key)
    {
        CheckInput(key.Length, nameof(key));
        key[0] &= 248;
        key[31] = (byte)((key[31] & 127) | 64);
    }

    /// <summary>publicKey = X25519(privateKey, 9) (crypto_scalarmult_curve25519_base).</summary>
    public static void DerivePublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        CheckInput(privateKey.Length, nameof(privateKey));
        CheckOutput(publicKey.Length, nameof(publicKey));
        Interop.Sodium.EnsureInitialized();

        Span<byte> result = stackalloc byte[KeySize];
        int rc;
        fixed (byte* q = result)
        fixed (byte* n = privateKey)
        {
            rc = Interop.Sodium.crypto_scalarmult_curve25519_base(q, n);
        }

        // libsodium clamps internally, so -1 (identity result) cannot happen for any scalar;
        // treat it as a broken library rather than return a bogus key.
        if (rc != 0)
        {
            throw new CryptographicException("crypto_scalarmult_curve25519_base failed.");
        }

        result.CopyTo(publicKey);
    }

    /// <summary>
    /// shared = X25519(privateKey, publicKey). Returns false, with <paramref name="shared"/>
    /// zeroed, when the result is all zero (a low-order peer key, RFC 7748 §6.1 "check").
    /// </summary>
    public static bool SharedSecret(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> shared)
    {
        CheckInput(privateKey.Length, nameof(privateKey));
        CheckInput(publicKey.Length, nameof(publicKey));
        CheckOutput(shared.Length, nameof(shared));
        Interop.Sodium.EnsureInitialized();

        Span<byte> result = stackalloc byte[KeySize];
        int rc;
        fixed (byte* q = result)
        fixed (byte* n = privateKey)
        fixed (byte* p = publicKey)
        {
            rc = Interop.Sodium.crypto_scalarmult_curve25519(q, n, p);
        }

        if (rc != 0)
        {
            CryptographicOperations.ZeroMemory(result);
            shared[..KeySize].Clear();
            return false;
        }

        result.CopyTo(shared);
        CryptographicOperations.ZeroMemory(result);
        return true;
    }

    private static void CheckInput(int length, string name)
    {
        if (length != KeySize)
        {
            throw new ArgumentException($"Must be exactly {KeySize} bytes.", name);
        }
    }

    private static void CheckOutput(int length, string name)
    {
        if (length < KeySize)
        {
            throw new ArgumentException($"Must be at least {KeySize} bytes.", name);
        }
    }
}
