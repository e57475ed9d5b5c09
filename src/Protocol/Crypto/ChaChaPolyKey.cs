using System.Security.Cryptography;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// One direction's ChaCha20-Poly1305 key of a transport session (RFC 8439 §2.8, WireGuard's counter
/// nonce and empty associated data, whitepaper §5.4.6), with the backend chosen per message size by
/// measurement (issue 14; bench/README.md "AEAD backends"): libsodium for small messages, OpenSSL 3 for
/// large ones. On Linux with libcrypto.so.3 OpenSSL is called directly (<see cref="EvpChaChaPoly"/>: one
/// EVP context per key, key installed once) from <see cref="DirectMinimumLength"/> (128) bytes of plaintext,
/// where its wider ChaCha20 and Poly1305 already beat libsodium and it costs a third less than the
/// framework at a full 1,420-byte segment. Where that binding is unavailable or fails its RFC 8439 §2.8.2
/// self-test, the framework's <see cref="ChaCha20Poly1305"/> (the same OpenSSL behind a shim with per-call
/// overhead) takes over from <see cref="FrameworkMinimumLength"/> (1,152) bytes; elsewhere libsodium does all.
/// </summary>
/// <remarks>
/// The OpenSSL instance is created once per key (at handshake time, when the keypair is built) and
/// disposed with the key; per packet no backend allocates. OpenSSL is used on Linux only, where it was
/// measured (macOS's framework backend is CryptoKit, unmeasured).
///
/// A failed open is a false return. The direct backend returns false itself and keeps working. The
/// framework throws <see cref="AuthenticationTagMismatchException"/>; <see cref="Open"/> turns that into
/// false and moves this key to libsodium for good, so forged packets cost at most one exception per
/// session key (a key lives at most REJECT_AFTER_TIME, 180 s), never one per packet.
/// After <see cref="Dispose"/> the key is zero and every size goes to libsodium: seals are garbage, opens
/// fail, nothing throws or touches freed native memory.
/// Loop thread only: neither this type nor the OpenSSL instances are thread-safe.
/// </remarks>
public sealed class ChaChaPolyKey : IDisposable
{
    /// <summary>Which implementation seals and opens messages from the key's threshold up.</summary>
    public enum LargeBackend
    {
        /// <summary>libsodium at every size (no OpenSSL here, after a framework forgery, or after dispose).</summary>
        Libsodium,

        /// <summary>The framework's <see cref="ChaCha20Poly1305"/>.</summary>
        Framework,

        /// <summary>OpenSSL's EVP API called directly (<see cref="EvpChaChaPoly"/>).</summary>
        Direct,
    }

    /// <summary>
    /// Plaintext length from which the direct OpenSSL backend is used. Measured on the bench VM (AMD EPYC,
    /// AVX-512, OpenSSL 3.0.19, libsodium 1.0.18), thread CPU time per call, 2026-12-05: libsodium is cheaper
    /// up to 112 bytes (64 B: 441 vs 504 ns, 112 B: 656 vs 695), OpenSSL from 128 on, where its multi-block
    /// ChaCha20 path starts (128 B: 470 vs 624 ns; 1,420 B: 901 vs 1,840, framework 1,385).
    /// Re-measure with <c>bench/Overlay.Benchmarks -- aead</c>.
    /// </summary>
    public const int DirectMinimumLength = 128;

    /// <summary>
    /// Plaintext length from which the framework backend is used when the direct one is not. Same VM: libsodium
    /// is cheaper up to 1,024 bytes (48 B: 480 vs 990 ns), the framework from 1,152 up (1,420 B: 1,405 vs 1,842 ns
    /// in one run, 2,046 vs 2,224 in a busier one); its per-call overhead is what keeps it out below that.
    /// </summary>
    public const int FrameworkMinimumLength = 1152;

    /// <summary>Whether keys built with the default threshold can use the framework for large messages here.</summary>
    public static bool FrameworkAvailable { get; } = OperatingSystem.IsLinux() && ChaCha20Poly1305.IsSupported;

    /// <summary>Whether keys built by default call OpenSSL directly here (Linux, libcrypto.so.3, self-test passed; checked once).</summary>
    public static bool DirectAvailable { get; } = EvpChaChaPoly.IsAvailable;

    /// <summary>The backend default keys use for large messages here.</summary>
    public static LargeBackend DefaultLargeBackend { get; } =
        DirectAvailable ? LargeBackend.Direct : FrameworkAvailable ? LargeBackend.Framework : LargeBackend.Libsodium;

    /// <summary>The plaintext length from which default keys use <see cref="DefaultLargeBackend"/> (<see cref="int.MaxValue"/> if libsodium only).</summary>
    public static int DefaultLargeMinimumLength { get; } = DefaultLargeBackend switch
    {
        LargeBackend.Direct => DirectMinimumLength,
        LargeBackend.Framework => FrameworkMinimumLength,
        _ => int.MaxValue,
    };

    private readonly byte[] _key = new byte[ChaChaPoly.KeySize];
    private readonly byte[] _nonce = new byte[ChaChaPoly.NonceSize];
    private readonly int _largeMinimumLength;
    private ChaCha20Poly1305? _framework;
    private EvpChaChaPoly? _direct;

    /// <param name="key">32 bytes.</param>
    public ChaChaPolyKey(ReadOnlySpan<byte> key) : this(key, DefaultLargeBackend, DefaultLargeMinimumLength)
    {
    }

    /// <param name="key">32 bytes.</param>
    /// <param name="frameworkMinimumLength">Plaintext length from which the framework is used; <see cref="int.MaxValue"/> for libsodium only, 0 for the framework at every size (tests, benchmarks).</param>
    public ChaChaPolyKey(ReadOnlySpan<byte> key, int frameworkMinimumLength)
        : this(key, frameworkMinimumLength == int.MaxValue ? LargeBackend.Libsodium : LargeBackend.Framework, frameworkMinimumLength)
    {
    }

    /// <param name="key">32 bytes.</param>
    /// <param name="largeBackend">The backend from <paramref name="largeMinimumLength"/> up; it must be available here.</param>
    /// <param name="largeMinimumLength">Plaintext length from which <paramref name="largeBackend"/> is used; 0 for every size.</param>
    public ChaChaPolyKey(ReadOnlySpan<byte> key, LargeBackend largeBackend, int largeMinimumLength)
    {
        if (key.Length != ChaChaPoly.KeySize) throw new ArgumentException($"key must be {ChaChaPoly.KeySize} bytes", nameof(key));
        key.CopyTo(_key);
        _largeMinimumLength = largeBackend == LargeBackend.Libsodium ? int.MaxValue : largeMinimumLength;
        if (largeBackend == LargeBackend.Framework) _framework = new ChaCha20Poly1305(_key);
        else if (largeBackend == LargeBackend.Direct) _direct = new EvpChaChaPoly(_key);
    }

    /// <summary>The raw key (zero after <see cref="Dispose"/>); the libsodium backend reads it.</summary>
    internal ReadOnlySpan<byte> Key => _key;

    /// <summary>Where messages from the threshold up go now (libsodium after a framework forgery moved this key, or after dispose).</summary>
    public LargeBackend Large => _direct is not null ? LargeBackend.Direct : _framework is not null ? LargeBackend.Framework : LargeBackend.Libsodium;

    /// <summary>True while large messages go to OpenSSL, directly or through the framework (false after a framework forgery, or after dispose).</summary>
    public bool UsesOpenSsl => _direct is not null || _framework is not null;

    /// <summary>Seals <paramref name="plaintext"/> with the counter nonce and no associated data into <paramref name="destination"/> (ciphertext ‖ tag); in place is fine.</summary>
    public void Seal(ulong counter, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (plaintext.Length >= _largeMinimumLength)
        {
            EvpChaChaPoly? direct = _direct;
            if (direct is not null)
            {
                ChaChaPoly.WriteCounterNonce(counter, _nonce);
                direct.Seal(_nonce, plaintext, ReadOnlySpan<byte>.Empty, destination);
                return;
            }

            ChaCha20Poly1305? framework = _framework;
            if (framework is not null)
            {
                AeadArguments.CheckSeal(_key.Length, ChaChaPoly.NonceSize, ChaChaPoly.NonceSize, plaintext, destination);
                ChaChaPoly.WriteCounterNonce(counter, _nonce);
                framework.Encrypt(_nonce, plaintext, destination[..plaintext.Length],
                    destination.Slice(plaintext.Length, ChaChaPoly.TagSize));
                return;
            }
        }

        ChaChaPoly.Seal(_key, counter, plaintext, ReadOnlySpan<byte>.Empty, destination);
    }

    /// <summary>
    /// Opens ciphertext ‖ tag into <paramref name="destination"/> (in place is fine). Returns false if the tag
    /// does not verify or the input is shorter than a tag; the destination is then not plaintext.
    /// </summary>
    public bool Open(ulong counter, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> destination)
    {
        int plaintextLength = ciphertextAndTag.Length - ChaChaPoly.TagSize;
        if (plaintextLength >= _largeMinimumLength)
        {
            EvpChaChaPoly? direct = _direct;
            if (direct is not null)
            {
                ChaChaPoly.WriteCounterNonce(counter, _nonce);
                return direct.Open(_nonce, ciphertextAndTag, ReadOnlySpan<byte>.Empty, destination);
            }

            ChaCha20Poly1305? framework = _framework;
            if (framework is not null) return OpenWithFramework(framework, counter, ciphertextAndTag, plaintextLength, destination);
        }

        return ChaChaPoly.Open(_key, counter, ciphertextAndTag, ReadOnlySpan<byte>.Empty, destination);
    }

    private bool OpenWithFramework(ChaCha20Poly1305 framework, ulong counter, ReadOnlySpan<byte> ciphertextAndTag, int plaintextLength, Span<byte> destination)
    {
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

    /// <summary>Zeroes the key and releases the OpenSSL instance (its native context holds a copy of the key, cleansed on free).</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        ChaCha20Poly1305? framework = _framework;
        EvpChaChaPoly? direct = _direct;
        _framework = null;
        _direct = null;
        framework?.Dispose();
        direct?.Dispose();
    }
}
