using System.Security.Cryptography;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// One direction's ChaCha20-Poly1305 key of a transport session (RFC 8439 §2.8, WireGuard's counter
/// nonce and empty associated data, whitepaper §5.4.6), with the backend chosen per message size by
/// measurement (issue 14 item 4; bench/README.md "AEAD backends"): libsodium below
/// <see cref="FrameworkMinimumLength"/> bytes of plaintext, where its per-call cost is about half the
/// framework's, and the framework's <see cref="ChaCha20Poly1305"/> (OpenSSL 3, AVX-512 on the bench VM)
/// from there up, where OpenSSL's wider ChaCha20 and Poly1305 win by 5-25 % at a full 1,420-byte segment.
/// </summary>
/// <remarks>
/// The framework instance is created once per key (at handshake time, when the keypair is built) and
/// disposed with the key; per packet neither backend allocates. The framework is used on Linux only,
/// where it was measured (macOS's backend is CryptoKit, unmeasured), and only where
/// <see cref="ChaCha20Poly1305.IsSupported"/>.
///
/// A failed framework decryption throws <see cref="AuthenticationTagMismatchException"/>; <see cref="Open"/>
/// turns that into false and moves this key to libsodium for good, so forged packets cost at most one
/// exception per session key (a key lives at most REJECT_AFTER_TIME, 180 s), never one per packet.
/// Loop thread only: neither this type nor the framework instance is thread-safe.
/// </remarks>
public sealed class ChaChaPolyKey : IDisposable
{
    /// <summary>
    /// Plaintext length from which the framework backend is used. Measured on the bench VM (AMD EPYC,
    /// AVX-512, OpenSSL 3.0.19, libsodium 1.0.18), thread CPU time per call: libsodium is cheaper up to
    /// 1,024 bytes (48 B: 480 vs 990 ns), the framework from 1,152 up (1,420 B: 1,405 vs 1,842 ns in one
    /// run, 2,046 vs 2,224 in a busier one). Re-measure with <c>bench/Overlay.Benchmarks -- aead</c>.
    /// </summary>
    public const int FrameworkMinimumLength = 1152;

    /// <summary>Whether keys built with the default threshold use the framework for large messages here.</summary>
    public static bool FrameworkAvailable { get; } = OperatingSystem.IsLinux() && ChaCha20Poly1305.IsSupported;

    private readonly byte[] _key = new byte[ChaChaPoly.KeySize];
    private readonly byte[] _nonce = new byte[ChaChaPoly.NonceSize];
    private readonly int _frameworkMinimumLength;
    private ChaCha20Poly1305? _framework;

    /// <param name="key">32 bytes.</param>
    public ChaChaPolyKey(ReadOnlySpan<byte> key) : this(key, FrameworkAvailable ? FrameworkMinimumLength : int.MaxValue)
    {
    }

    /// <param name="key">32 bytes.</param>
    /// <param name="frameworkMinimumLength">Plaintext length from which the framework is used; <see cref="int.MaxValue"/> for libsodium only, 0 for the framework at every size (tests, benchmarks).</param>
    public ChaChaPolyKey(ReadOnlySpan<byte> key, int frameworkMinimumLength)
    {
        if (key.Length != ChaChaPoly.KeySize) throw new ArgumentException($"key must be {ChaChaPoly.KeySize} bytes", nameof(key));
        key.CopyTo(_key);
        _frameworkMinimumLength = frameworkMinimumLength;
        if (frameworkMinimumLength != int.MaxValue) _framework = new ChaCha20Poly1305(_key);
    }

    /// <summary>The raw key (zero after <see cref="Dispose"/>); the libsodium backend reads it.</summary>
    internal ReadOnlySpan<byte> Key => _key;

    /// <summary>True while large messages go to the framework (false after a failed open moved this key to libsodium, or after dispose).</summary>
    public bool UsesFramework => _framework is not null;

    /// <summary>Seals <paramref name="plaintext"/> with the counter nonce and no associated data into <paramref name="destination"/> (ciphertext ‖ tag); in place is fine.</summary>
    public void Seal(ulong counter, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ChaCha20Poly1305? framework = _framework;
        if (framework is null || plaintext.Length < _frameworkMinimumLength)
        {
            ChaChaPoly.Seal(_key, counter, plaintext, ReadOnlySpan<byte>.Empty, destination);
            return;
        }
        AeadArguments.CheckSeal(_key.Length, ChaChaPoly.NonceSize, ChaChaPoly.NonceSize, plaintext, destination);
        ChaChaPoly.WriteCounterNonce(counter, _nonce);
        framework.Encrypt(_nonce, plaintext, destination[..plaintext.Length],
            destination.Slice(plaintext.Length, ChaChaPoly.TagSize));
    }

    /// <summary>
    /// Opens ciphertext ‖ tag into <paramref name="destination"/> (in place is fine). Returns false if the tag
    /// does not verify or the input is shorter than a tag; the destination is then not plaintext.
    /// </summary>
    public bool Open(ulong counter, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> destination)
    {
        ChaCha20Poly1305? framework = _framework;
        int plaintextLength = ciphertextAndTag.Length - ChaChaPoly.TagSize;
        if (framework is null || plaintextLength < _frameworkMinimumLength)
            return ChaChaPoly.Open(_key, counter, ciphertextAndTag, ReadOnlySpan<byte>.Empty, destination);
        AeadArguments.CheckOpen(_key.Length, ChaChaPoly.NonceSize, ChaChaPoly.NonceSize, ciphertextAndTag, destination);
        ChaChaPoly.WriteCounterNonce(counter, _nonce);
        try
        {
            framework.Decrypt(_nonce, ciphertextAndTag[..plaintextLength], ciphertextAndTag[plaintextLength..],
                destination[..plaintextLength]);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // Forged or corrupted: from now on this key opens with libsodium, which returns false
            // without throwing, so a stream of forgeries costs one exception per key, not per packet.
            _framework = null;
            framework.Dispose();
            return false;
        }
    }

    /// <summary>Zeroes the key and releases the framework instance (its native context holds a copy of the key).</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        ChaCha20Poly1305? framework = _framework;
        _framework = null;
        framework?.Dispose();
    }
}
