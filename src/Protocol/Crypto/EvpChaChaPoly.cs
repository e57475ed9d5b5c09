using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static Overlay.Protocol.Crypto.Interop.LibCrypto;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439 §2.8: 32-byte key, 12-byte nonce, 16-byte tag) on OpenSSL 3's EVP API
/// called directly (issue 14): one EVP_CIPHER_CTX per key, the key installed once at construction, and
/// per message only what the AEAD needs — new nonce, update over the data, final, tag. The framework's
/// <c>ChaCha20Poly1305</c> runs the same OpenSSL code but pays ERR_clear_error before each of ~5 native
/// calls, a context re-init with key and length queries per message, and an exception per bad tag;
/// here a bad tag is a false return and the error queue is cleared once, on that failure only.
/// </summary>
/// <remarks>
/// Exact in-place operation (output at the input's address) is supported by EVP_CipherUpdate
/// (EVP_EncryptInit(3): only partial overlap is refused); a shifted overlap is refused by
/// <see cref="AeadArguments"/>. Not thread-safe: the context carries per-message state. Dispose frees the
/// context, which cleanses the key (EVP_CIPHER_CTX_free(3)); use after dispose throws
/// <see cref="ObjectDisposedException"/>. Linux only (the library name is Linux's).
/// </remarks>
internal sealed unsafe class EvpChaChaPoly : IDisposable
{
    internal const int KeySize = 32;
    internal const int NonceSize = 12;
    internal const int TagSize = 16;

    /// <summary>How the tag goes in and out; both are correct, the bench measures which is cheaper.</summary>
    internal enum TagAccess
    {
        /// <summary>EVP_CIPHER_CTX_ctrl(EVP_CTRL_AEAD_GET_TAG / SET_TAG), which OpenSSL 3 turns into an OSSL_PARAM per call.</summary>
        Ctrl,

        /// <summary>Prebuilt OSSL_PARAM arrays: get_params after encrypt; on decrypt the tag rides along with the nonce in EVP_CipherInit_ex2.</summary>
        Params,
    }

    private static readonly IntPtr s_cipher = FetchCipher();

    // "tag" (OSSL_CIPHER_PARAM_AEAD_TAG), NUL-terminated, at a fixed address for the prebuilt params.
    private static readonly byte[] s_tagName = MakeTagName();

    private readonly ContextHandle _handle;
    private readonly TagAccess _tagAccess;

    // Two OSSL_PARAMs: { "tag", octet string, data set per call, 16 } and the end marker; pinned so
    // native code can be handed their address without a fixed per call.
    private readonly OsslParam[] _tagParams = GC.AllocateArray<OsslParam>(2, pinned: true);
    private IntPtr _ctx;

    /// <summary>True once libcrypto.so.3 loaded and returned a ChaCha20-Poly1305 implementation (not yet the self-test; see <see cref="IsAvailable"/>).</summary>
    private static bool Loadable => s_cipher != IntPtr.Zero;

    /// <summary>
    /// True on Linux when libcrypto.so.3 loads, fetches ChaCha20-Poly1305, and this binding reproduces the
    /// RFC 8439 §2.8.2 vector (seal, open, and a rejected forged tag). Evaluated once, at first use.
    /// </summary>
    internal static bool IsAvailable => SelfTest.Passed;

    /// <param name="key">32 bytes, copied into OpenSSL's context.</param>
    internal EvpChaChaPoly(ReadOnlySpan<byte> key, TagAccess tagAccess = TagAccess.Params)
    {
        if (key.Length != KeySize) throw new ArgumentException($"Key must be {KeySize} bytes.", nameof(key));
        if (!Loadable) throw new PlatformNotSupportedException("OpenSSL 3 (libcrypto.so.3) with ChaCha20-Poly1305 is not available.");
        _tagAccess = tagAccess;
        _handle = new ContextHandle();
        IntPtr ctx = EVP_CIPHER_CTX_new();
        if (ctx == IntPtr.Zero) throw new OutOfMemoryException("EVP_CIPHER_CTX_new failed.");
        _handle.Adopt(ctx);
        fixed (byte* k = key)
        {
            if (EVP_CipherInit_ex2(ctx, s_cipher, k, null, 1, null) != 1)
            {
                ERR_clear_error();
                _handle.Dispose();
                throw new InvalidOperationException("EVP_CipherInit_ex2(ChaCha20-Poly1305) failed to install the key.");
            }
        }

        fixed (byte* name = s_tagName)
        {
            _tagParams[0] = new OsslParam { Key = name, DataType = OSSL_PARAM_OCTET_STRING, DataSize = TagSize, ReturnSize = unchecked((nuint)(-1)) };
        }

        _tagParams[1] = default;
        _ctx = ctx;
    }

    /// <summary>Seals into ciphertext ‖ tag; in place (same start address) is fine.</summary>
    internal void Seal(ReadOnlySpan<byte> nonce12, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ad, Span<byte> destination)
    {
        AeadArguments.CheckSeal(KeySize, nonce12.Length, NonceSize, plaintext, destination);
        IntPtr ctx = Context();
        int length = plaintext.Length;
        int written;
        fixed (byte* n = nonce12)
        fixed (byte* m = plaintext)
        fixed (byte* a = ad)
        fixed (byte* c = destination)
        {
            bool ok = _tagAccess == TagAccess.Params
                ? EVP_CipherInit_ex2(ctx, IntPtr.Zero, null, n, 1, null) == 1
                : EVP_CipherInit_ex(ctx, IntPtr.Zero, IntPtr.Zero, null, n, 1) == 1;
            if (ok && ad.Length > 0) ok = EVP_CipherUpdate(ctx, null, &written, a, ad.Length) == 1;
            if (ok && length > 0) ok = EVP_CipherUpdate(ctx, c, &written, m, length) == 1;
            if (ok) ok = EVP_CipherFinal_ex(ctx, c + length, &written) == 1;
            if (ok)
            {
                if (_tagAccess == TagAccess.Params)
                {
                    fixed (OsslParam* p = _tagParams)
                    {
                        p->Data = c + length;
                        ok = EVP_CIPHER_CTX_get_params(ctx, p) == 1;
                    }
                }
                else
                {
                    ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TagSize, c + length) == 1;
                }
            }

            if (!ok)
            {
                // Sealing has no data-dependent failure; this is a broken library, a caller bug to surface.
                ERR_clear_error();
                throw new InvalidOperationException("OpenSSL ChaCha20-Poly1305 encryption failed.");
            }
        }

        // The raw context pointer is only valid while this object (and so its SafeHandle) is reachable.
        GC.KeepAlive(this);
    }

    /// <summary>Opens ciphertext ‖ tag; false if the tag does not verify or the input is shorter than a tag (the destination is then not plaintext).</summary>
    internal bool Open(ReadOnlySpan<byte> nonce12, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> ad, Span<byte> destination)
    {
        AeadArguments.CheckOpen(KeySize, nonce12.Length, NonceSize, ciphertextAndTag, destination);
        IntPtr ctx = Context();
        int length = ciphertextAndTag.Length - TagSize;
        if (length < 0) return false;
        int written;
        fixed (byte* n = nonce12)
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* a = ad)
        fixed (byte* m = destination)
        {
            bool ok;
            if (_tagAccess == TagAccess.Params)
            {
                fixed (OsslParam* p = _tagParams)
                {
                    p->Data = c + length;
                    ok = EVP_CipherInit_ex2(ctx, IntPtr.Zero, null, n, 0, p) == 1;
                }
            }
            else
            {
                ok = EVP_CipherInit_ex(ctx, IntPtr.Zero, IntPtr.Zero, null, n, 0) == 1
                    && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TagSize, c + length) == 1;
            }

            if (ok && ad.Length > 0) ok = EVP_CipherUpdate(ctx, null, &written, a, ad.Length) == 1;
            if (ok && length > 0) ok = EVP_CipherUpdate(ctx, m, &written, c, length) == 1;
            if (ok) ok = EVP_CipherFinal_ex(ctx, m + length, &written) == 1;
            if (!ok)
            {
                // A forged or corrupted packet: drop anything OpenSSL queued so nothing accumulates.
                ERR_clear_error();
            }

            GC.KeepAlive(this);
            return ok;
        }
    }

    public void Dispose()
    {
        _ctx = IntPtr.Zero;
        _handle.Dispose();
    }

    private IntPtr Context()
    {
        IntPtr ctx = _ctx;
        ObjectDisposedException.ThrowIf(ctx == IntPtr.Zero, this);
        return ctx;
    }

    private static IntPtr FetchCipher()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(LibraryName, out _)) return IntPtr.Zero;
        try
        {
            byte* name = stackalloc byte[] { (byte)'C', (byte)'h', (byte)'a', (byte)'C', (byte)'h', (byte)'a', (byte)'2', (byte)'0', (byte)'-',
                (byte)'P', (byte)'o', (byte)'l', (byte)'y', (byte)'1', (byte)'3', (byte)'0', (byte)'5', 0 };
            IntPtr cipher = EVP_CIPHER_fetch(IntPtr.Zero, name, null);
            if (cipher == IntPtr.Zero) ERR_clear_error();
            return cipher;   // held for the process's lifetime
        }
        catch (EntryPointNotFoundException)
        {
            return IntPtr.Zero;   // an OpenSSL 1.1 renamed to .so.3 would lack EVP_CIPHER_fetch
        }
    }

    private static byte[] MakeTagName()
    {
        byte[] name = GC.AllocateArray<byte>(4, pinned: true);
        name[0] = (byte)'t';
        name[1] = (byte)'a';
        name[2] = (byte)'g';
        return name;
    }

    /// <summary>The RFC 8439 §2.8.2 vector through this binding, run once when <see cref="IsAvailable"/> is first read.</summary>
    private static class SelfTest
    {
        internal static readonly bool Passed = Run();

        private static bool Run()
        {
            if (!Loadable) return false;
            try
            {
                byte[] key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
                byte[] nonce = Convert.FromHexString("070000004041424344454647");
                byte[] ad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
                byte[] plaintext = System.Text.Encoding.ASCII.GetBytes(
                    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
                byte[] expected = Convert.FromHexString(
                    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b" +
                    "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
                    "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691");
                using var aead = new EvpChaChaPoly(key);
                var sealedBytes = new byte[plaintext.Length + TagSize];
                aead.Seal(nonce, plaintext, ad, sealedBytes);
                var opened = new byte[plaintext.Length];
                bool opens = aead.Open(nonce, sealedBytes, ad, opened) && opened.AsSpan().SequenceEqual(plaintext);
                sealedBytes[^1] ^= 1;
                bool forgedOpens = aead.Open(nonce, sealedBytes, ad, opened);
                sealedBytes[^1] ^= 1;
                return sealedBytes.AsSpan().SequenceEqual(expected) && opens && !forgedOpens;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>Owns the EVP_CIPHER_CTX so a key that is never disposed still frees it (and its key copy).</summary>
    private sealed class ContextHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public ContextHandle() : base(ownsHandle: true)
        {
        }

        internal void Adopt(IntPtr ctx) => SetHandle(ctx);

        protected override bool ReleaseHandle()
        {
            EVP_CIPHER_CTX_free(handle);
            return true;
        }
    }
}
