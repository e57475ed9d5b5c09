using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// The file type and size of an open descriptor via statx(2) (Linux 4.11, glibc 2.28): struct statx has one
/// layout on every architecture (linux/stat.h), unlike struct stat, whose st_mode offset differs between
/// x86_64 and arm64. Offsets: stx_mode u16 at 28, stx_size u64 at 40; the struct is 256 bytes.
/// </summary>
internal static unsafe partial class Libc
{
    internal const int O_NOCTTY = 0x100;
    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_TYPE = 0x1, STATX_SIZE = 0x200;
    internal const int StatxSize = 256;

    [LibraryImport(LibraryName, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx_(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>fstat of <paramref name="fd"/>: 0 and the S_IFMT bits and size, or the negated errno.</summary>
    internal static int FileTypeAndSize(int fd, out int type, out long size)
    {
        byte* buffer = stackalloc byte[StatxSize];
        type = 0;
        size = 0;
        int r;
        while ((r = statx_(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, buffer)) < 0 && Errno() == EINTR) { }
        if (r < 0) return -Errno();
        type = *(ushort*)(buffer + 28) & S_IFMT;
        size = *(long*)(buffer + 40);
        return 0;
    }
}
