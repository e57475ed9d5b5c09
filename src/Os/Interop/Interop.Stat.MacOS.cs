using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// The file type and size of an open descriptor via fstat(2) with the 64-bit-inode struct stat
/// (sys/stat.h, __DARWIN_64_BIT_INO_T): st_mode u16 at 4, st_size i64 at 96, 144 bytes. arm64 has only this
/// layout under the plain name; x86_64 exports it as <c>fstat$INODE64</c>.
/// </summary>
internal static unsafe partial class Libc
{
    internal const int O_NOCTTY = 0x20000;
    internal const int StatSize = 144;

    [LibraryImport(LibraryName, EntryPoint = "fstat", SetLastError = true)]
    private static partial int fstat_(int fd, byte* buffer);

    [LibraryImport(LibraryName, EntryPoint = "fstat$INODE64", SetLastError = true)]
    private static partial int fstat_inode64_(int fd, byte* buffer);

    /// <summary>fstat of <paramref name="fd"/>: 0 and the S_IFMT bits and size, or the negated errno.</summary>
    internal static int FileTypeAndSize(int fd, out int type, out long size)
    {
        byte* buffer = stackalloc byte[StatSize];
        type = 0;
        size = 0;
        bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        int r;
        while ((r = x64 ? fstat_inode64_(fd, buffer) : fstat_(fd, buffer)) < 0 && Errno() == EINTR) { }
        if (r < 0) return -Errno();
        type = *(ushort*)(buffer + 4) & S_IFMT;
        size = *(long*)(buffer + 96);
        return 0;
    }
}
