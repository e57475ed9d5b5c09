using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// Network namespaces for the netns trick (wireguard.com/netns): a tun's interface can be moved
/// into another namespace while its fd, and the daemon, stay in the first. setns(2) with
/// CLONE_NEWNET moves only the calling thread; the inode of a namespace fd (statx stx_ino at
/// offset 32 of the 256-byte struct statx, linux/stat.h) names the namespace.
/// </summary>
internal static unsafe partial class Libc
{
    internal const int EBADFD = 77;   // "file descriptor in bad state": a tun whose interface was deleted
    internal const int CLONE_NEWNET = 0x40000000;
    private const uint STATX_INO = 0x100;

    [LibraryImport(LibraryName, EntryPoint = "setns", SetLastError = true)]
    private static partial int setns_(int fd, int nstype);

    /// <summary>setns(2) of the calling thread; 0 or the negated errno.</summary>
    internal static int SetNs(int fd, int nstype) => setns_(fd, nstype) < 0 ? -Errno() : 0;

    /// <summary>The inode of <paramref name="fd"/> (a namespace fd names its namespace), or 0 when statx fails.</summary>
    internal static ulong Inode(int fd)
    {
        byte* buffer = stackalloc byte[StatxSize];
        int r;
        while ((r = statx_(fd, "", AT_EMPTY_PATH, STATX_INO, buffer)) < 0 && Errno() == EINTR) { }
        return r < 0 ? 0 : *(ulong*)(buffer + 32);
    }
}
