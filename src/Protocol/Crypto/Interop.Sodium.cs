using System.Reflection;
using System.Runtime.InteropServices;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// The only native binding in Overlay.Protocol: system libsodium (https://doc.libsodium.org),
/// used for X25519 and the two ChaCha20-Poly1305 AEADs. Signatures are blittable
/// (byte*, ulong, nuint) so the LibraryImport stubs do no marshalling.
/// </summary>
/// <remarks>
/// The library is found by our own resolver rather than the default probing because the
/// usable names differ per system: Debian/Ubuntu ship only <c>libsodium.so.23</c> (no
/// unversioned symlink without -dev), newer distributions <c>.so.26</c>, and Homebrew's
/// <c>/opt/homebrew/lib</c> is not on dlopen's default path (dotnet-feasibility.md §1).
/// Every public wrapper calls <see cref="EnsureInitialized"/> first, which loads the library
/// and runs <c>sodium_init</c> once, or throws <see cref="SodiumUnavailableException"/>
/// with the names tried and the install command.
/// </remarks>
internal static unsafe partial class Interop
{
    internal static partial class Sodium
    {
        private const string LibraryName = "sodium";

        private static readonly object s_gate = new();
        private static IntPtr s_handle;
        private static volatile bool s_ready;

        static Sodium()
        {
            // Must be in place before the first P/Invoke of this assembly binds "sodium".
            // This class is the assembly's only P/Invoke user, and every stub below is a
            // member of it, so its static constructor always runs first.
            NativeLibrary.SetDllImportResolver(typeof(Sodium).Assembly, Resolve);
        }

        /// <summary>The names tried, in order, on the running OS.</summary>
        internal static string[] CandidateNames => CandidateNamesFor(OperatingSystem.IsMacOS());

        internal static string[] CandidateNamesFor(bool macOS) => macOS
            ? ["libsodium.dylib", "/opt/homebrew/lib/libsodium.dylib", "/usr/local/lib/libsodium.dylib"]
            : ["libsodium.so.23", "libsodium.so.26", "libsodium.so"];

        /// <summary>Loads libsodium and runs sodium_init once; cheap after the first call.</summary>
        internal static void EnsureInitialized()
        {
            if (!s_ready)
            {
                InitializeSlow();
            }
        }

        private static void InitializeSlow()
        {
            lock (s_gate)
            {
                if (s_ready)
                {
                    return;
                }

                string[] names = CandidateNames;
                if (s_handle == IntPtr.Zero && !TryLoad(names, out s_handle))
                {
                    throw new SodiumUnavailableException(names);
                }

                // sodium_init: 0 = initialised now, 1 = already initialised, -1 = failure.
                if (sodium_init() < 0)
                {
                    throw new SodiumUnavailableException("libsodium was found but sodium_init() failed.");
                }

                s_ready = true;
            }
        }

        private static bool TryLoad(string[] names, out IntPtr handle)
        {
            foreach (string name in names)
            {
                if (NativeLibrary.TryLoad(name, out handle))
                {
                    return true;
                }
            }

            handle = IntPtr.Zero;
            return false;
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName != LibraryName)
            {
                return IntPtr.Zero;
            }

            lock (s_gate)
            {
                if (s_handle == IntPtr.Zero)
                {
                    TryLoad(CandidateNames, out s_handle);
                }

                return s_handle;
            }
        }

        [LibraryImport(LibraryName)]
        private static partial int sodium_init();

        // crypto_scalarmult.h: returns -1 when the result is the all-zero point.
        [LibraryImport(LibraryName)]
        internal static partial int crypto_scalarmult_curve25519_base(byte* q, byte* n);

        [LibraryImport(LibraryName)]
        internal static partial int crypto_scalarmult_curve25519(byte* q, byte* n, byte* p);

        // crypto_aead_chacha20poly1305.h (IETF variant, 96-bit nonce). nsec is unused and must be null.
        [LibraryImport(LibraryName)]
        internal static partial int crypto_aead_chacha20poly1305_ietf_encrypt(
            byte* c, ulong* clen_p, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

        [LibraryImport(LibraryName)]
        internal static partial int crypto_aead_chacha20poly1305_ietf_decrypt(
            byte* m, ulong* mlen_p, byte* nsec, byte* c, ulong clen, byte* ad, ulong adlen, byte* npub, byte* k);

        // crypto_aead_xchacha20poly1305.h (192-bit nonce).
        [LibraryImport(LibraryName)]
        internal static partial int crypto_aead_xchacha20poly1305_ietf_encrypt(
            byte* c, ulong* clen_p, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

        [LibraryImport(LibraryName)]
        internal static partial int crypto_aead_xchacha20poly1305_ietf_decrypt(
            byte* m, ulong* mlen_p, byte* nsec, byte* c, ulong clen, byte* ad, ulong adlen, byte* npub, byte* k);
    }
}
