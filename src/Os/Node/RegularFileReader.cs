using Overlay.Os.Interop;
using Overlay.Protocol.Config;

namespace Overlay.Os.Node;

/// <summary>
/// <see cref="IRegularFileReader"/> over libc: open(2) once with O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC (so a
/// FIFO does not block the open, and a terminal never becomes the controlling one), fstat the descriptor and
/// refuse anything but a regular file (symlinks are followed, so the check applies to the target), then read
/// at most limit + 1 bytes. Used for the config (at start, on SIGHUP and on <c>reload</c>), private_key_file,
/// the endpoint memory and the policy state file: before this, <c>/dev/zero</c> as the config ran out of memory
/// and a FIFO hung the daemon, also on reload (issue 12 item 5).
/// </summary>
public sealed unsafe class RegularFileReader : IRegularFileReader
{
    public static RegularFileReader Instance { get; } = new();

    private RegularFileReader() { }

    public FileReadResult Read(string path, long limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        int fd = Libc.Open(path, Libc.O_NONBLOCK | Libc.O_NOCTTY | Libc.O_CLOEXEC);   // O_RDONLY = 0
        if (fd < 0)
        {
            var errno = new Errno(-fd);
            if (errno == Errno.ENOENT) return new(FileReadStatus.NotFound, null, "does not exist");
            // open(2) on a UNIX-domain socket fails with ENXIO: it is not a file one can read.
            if (errno.Value == Libc.ENXIO) return new(FileReadStatus.NotRegular, null, "is a socket or a device without a driver, not a regular file");
            return new(FileReadStatus.Failed, null, $"cannot be opened: {errno}");
        }

        try
        {
            int r = Libc.FileTypeAndSize(fd, out int type, out long size);
            if (r < 0) return new(FileReadStatus.Failed, null, $"cannot be examined (fstat): {new Errno(-r)}");
            if (type != Libc.S_IFREG)
            {
                string what = LinkTarget(path) is string t ? $"is a symlink to {t}, which is {Describe(type)}" : $"is {Describe(type)}";
                return new(FileReadStatus.NotRegular, null, what + ", not a regular file");
            }
            if (size > limit) return TooLarge(size, limit);

            // Read up to limit + 1 even though fstat gave the size: the file may grow while we read.
            var buffer = new byte[(int)Math.Min(limit + 1, Math.Max(size + 1, 4096))];
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (total > limit) return TooLarge(total, limit);
                    Array.Resize(ref buffer, (int)Math.Min(limit + 1, (long)buffer.Length * 2));
                }
                nint n;
                fixed (byte* p = &buffer[total]) n = Libc.Read(fd, p, (nuint)(buffer.Length - total));
                if (n < 0) return new(FileReadStatus.Failed, null, $"cannot be read: {new Errno((int)-n)}");
                if (n == 0) break;
                total += (int)n;
            }
            if (total > limit) return TooLarge(total, limit);
            if (total != buffer.Length) Array.Resize(ref buffer, total);
            return FileReadResult.Success(buffer);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static FileReadResult TooLarge(long size, long limit) =>
        new(FileReadStatus.TooLarge, null, $"is {size} bytes or more; the limit is {limit} bytes");

    private static string? LinkTarget(string path)
    {
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string Describe(int type) => type switch
    {
        Libc.S_IFIFO => "a FIFO (named pipe)",
        Libc.S_IFCHR => "a character device",
        Libc.S_IFBLK => "a block device",
        Libc.S_IFDIR => "a directory",
        Libc.S_IFSOCK => "a socket",
        _ => "a special file (st_mode type 0" + Convert.ToString(type, 8) + ")",
    };
}
