using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// unistd.h and net/if.h calls subnetra-wg needs to behave like wireguard-go: detach from the
/// launching terminal (setsid, dup2 onto /dev/null) and notice that its interface is gone
/// (if_nametoindex). Same names and numbers on Linux and macOS.
/// </summary>
internal static partial class ProcessLibc
{
    [LibraryImport(Libc.LibraryName, EntryPoint = "setsid", SetLastError = true)]
    internal static partial int SetSid();

    [LibraryImport(Libc.LibraryName, EntryPoint = "dup2", SetLastError = true)]
    internal static partial int Dup2(int oldFd, int newFd);

    [LibraryImport(Libc.LibraryName, EntryPoint = "dup", SetLastError = true)]
    internal static partial int Dup(int fd);

    [LibraryImport(Libc.LibraryName, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(Libc.LibraryName, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Libc.LibraryName, EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial uint IfNameToIndex(string name);

    /// <summary>O_RDWR, 2 on Linux and macOS.</summary>
    internal const int O_RDWR = 2;
}
