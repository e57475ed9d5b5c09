using System.Runtime.InteropServices;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// OpenSSL 3's EVP cipher API (libcrypto.so.3, evp.h, EVP_EncryptInit(3)), bound directly for
/// <see cref="EvpChaChaPoly"/>: the framework's ChaCha20Poly1305 goes through the same library but its
/// shim clears the error queue and re-derives state around every call (issue 14). Linux only at run
/// time: the library name is Linux's, and every caller checks <see cref="EvpChaChaPoly.IsAvailable"/>.
/// Signatures are blittable (pointers, int, nint) so the LibraryImport stubs do no marshalling.
/// </summary>
internal static unsafe partial class Interop
{
    internal static partial class LibCrypto
    {
        /// <summary>The soname OpenSSL 3 ships (Debian/Ubuntu, Fedora, Alpine); the same library .NET's own shim loads.</summary>
        internal const string LibraryName = "libcrypto.so.3";

        // evp.h / core.h constants.
        internal const int EVP_CTRL_AEAD_GET_TAG = 0x10;
        internal const int EVP_CTRL_AEAD_SET_TAG = 0x11;
        internal const uint OSSL_PARAM_OCTET_STRING = 5;

        /// <summary>core.h's OSSL_PARAM: key, data_type, data, data_size, return_size (40 bytes on 64-bit).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct OsslParam
        {
            public byte* Key;
            public uint DataType;
            public void* Data;
            public nuint DataSize;
            public nuint ReturnSize;
        }

        [LibraryImport(LibraryName)]
        internal static partial IntPtr EVP_CIPHER_fetch(IntPtr libctx, byte* algorithm, byte* properties);

        [LibraryImport(LibraryName)]
        internal static partial void EVP_CIPHER_free(IntPtr cipher);

        [LibraryImport(LibraryName)]
        internal static partial IntPtr EVP_CIPHER_CTX_new();

        // Cleanses the key schedule before freeing (EVP_CIPHER_CTX_free(3)).
        [LibraryImport(LibraryName)]
        internal static partial void EVP_CIPHER_CTX_free(IntPtr ctx);

        [LibraryImport(LibraryName)]
        internal static partial int EVP_CipherInit_ex(IntPtr ctx, IntPtr cipher, IntPtr engine, byte* key, byte* iv, int enc);

        [LibraryImport(LibraryName)]
        internal static partial int EVP_CipherInit_ex2(IntPtr ctx, IntPtr cipher, byte* key, byte* iv, int enc, OsslParam* parameters);

        [LibraryImport(LibraryName)]
        internal static partial int EVP_CipherUpdate(IntPtr ctx, byte* output, int* outputLength, byte* input, int inputLength);

        [LibraryImport(LibraryName)]
        internal static partial int EVP_CipherFinal_ex(IntPtr ctx, byte* output, int* outputLength);

        [LibraryImport(LibraryName)]
        internal static partial int EVP_CIPHER_CTX_ctrl(IntPtr ctx, int type, int arg, void* ptr);

        [LibraryImport(LibraryName)]
        internal static partial int EVP_CIPHER_CTX_set_params(IntPtr ctx, OsslParam* parameters);

        [LibraryImport(LibraryName)]
        internal static partial int EVP_CIPHER_CTX_get_params(IntPtr ctx, OsslParam* parameters);

        [LibraryImport(LibraryName)]
        internal static partial void ERR_clear_error();

        // The oldest queued error code, 0 when the thread's queue is empty (tests check nothing accumulates).
        [LibraryImport(LibraryName)]
        internal static partial nuint ERR_peek_error();
    }
}
