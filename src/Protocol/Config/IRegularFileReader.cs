namespace Overlay.Protocol.Config;

/// <summary>
/// Reads a small file that must be a regular file: the config, <c>private_key_file</c>, the hub's endpoint
/// memory and the policy state file. The path is opened once, without blocking (a FIFO would otherwise hang
/// open(2) until a writer comes), the open descriptor is checked to be a regular file (so a symlink to a
/// FIFO or to <c>/dev/zero</c> is refused too, and nothing can be swapped in between a check and the open),
/// and at most limit + 1 bytes are read, so an endless or growing file cannot exhaust memory. The OS layer
/// implements it (src/Os/Node/RegularFileReader.cs); Protocol itself makes no system calls.
/// </summary>
public interface IRegularFileReader
{
    FileReadResult Read(string path, long limit);
}

public enum FileReadStatus
{
    Ok,
    NotFound,
    /// <summary>A directory, FIFO, device or socket; <see cref="FileReadResult.Problem"/> says which.</summary>
    NotRegular,
    TooLarge,
    /// <summary>Permission denied or another I/O error; the problem carries the errno text.</summary>
    Failed,
}

/// <summary>
/// The bytes on success; otherwise a problem phrase that follows the file name, e.g. "is a FIFO (named
/// pipe), not a regular file" or "is 17000000 bytes; the limit is 16777216".
/// </summary>
public readonly record struct FileReadResult(FileReadStatus Status, byte[]? Bytes, string Problem)
{
    public bool Ok => Status == FileReadStatus.Ok;

    public static FileReadResult Success(byte[] bytes) => new(FileReadStatus.Ok, bytes, "");
}
