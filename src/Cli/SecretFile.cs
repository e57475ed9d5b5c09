namespace Overlay.Cli;

/// <summary>
/// Writes files that hold keys (configs with PSKs, wg-quick files with private keys) so that
/// nobody but the owner can read them, whatever the umask, and so that a planted symlink
/// cannot redirect the write:
/// <list type="bullet">
/// <item>a new file is created with <c>O_CREAT|O_EXCL</c> (FileMode.CreateNew) and mode 0600:
/// O_EXCL fails on any existing name, a symlink included, so no link is followed (open(2));
/// the mode is then set on the open descriptor (fchmod), so an unusual umask cannot widen or narrow it;</item>
/// <item>replacing (with --force, or add-peer updating the hub file) writes a new temp file
/// beside the target the same way, fsyncs it and renames it over the target: rename(2)
/// replaces the directory entry, never the file a symlink points to, and readers see the old
/// file or the new one, never half of it.</item>
/// </list>
/// </summary>
public static class SecretFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Why <paramref name="path"/> cannot be written, or null. Refuses symlinks, directories and (without <paramref name="overwrite"/>) existing files.</summary>
    public static string? CheckTarget(string path, bool overwrite)
    {
        string full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
            return $"{full} is a symbolic link (to {info.LinkTarget}); refusing to follow it: remove the link or choose another path";
        if (Directory.Exists(full)) return $"{full} is a directory; give a file name";
        if (info.Exists && !overwrite) return $"{full} already exists; pass --force to replace it";
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir)) return $"directory {dir} does not exist";
        return null;
    }

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/> with <paramref name="mode"/> (0600 by default):
    /// created exclusively when new, else (only with <paramref name="overwrite"/>) replaced atomically.
    /// Returns null, or the reason it did not write.
    /// </summary>
    public static string? Write(string path, string text, bool overwrite, UnixFileMode mode = OwnerOnly)
    {
        string full = Path.GetFullPath(path);
        if (CheckTarget(full, overwrite) is string why) return why;
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        try
        {
            if (File.Exists(full)) ReplaceAtomically(full, bytes, mode);
            else CreateExclusive(full, bytes, mode);
            return null;
        }
        catch (IOException e) when (File.Exists(full) || new FileInfo(full).LinkTarget is not null)
        {
            // Something appeared at the name between the check and O_EXCL: never write through it.
            return $"{full} appeared while writing ({e.Message}); nothing was written";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot write {full}: {e.Message}";
        }
    }

    /// <summary>Replaces an existing file by rename, keeping <paramref name="mode"/>; the caller has checked the target.</summary>
    public static void ReplaceAtomically(string full, byte[] bytes, UnixFileMode mode)
    {
        string temp = TempBeside(full);
        try
        {
            CreateExclusive(temp, bytes, mode);
            File.Move(temp, full, overwrite: true); // rename(2)
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> to a new temp file beside <paramref name="path"/> (O_EXCL, <paramref name="mode"/>)
    /// and returns its path, or null when it could not; <see cref="CommitTemp"/> renames it into place.
    /// </summary>
    public static string? WriteTemp(string path, string text, UnixFileMode mode = OwnerOnly)
    {
        string full = Path.GetFullPath(path);
        string temp = TempBeside(full);
        try
        {
            CreateExclusive(temp, System.Text.Encoding.UTF8.GetBytes(text), mode);
            return temp;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DeleteQuietly(temp);
            return null;
        }
    }

    /// <summary>
    /// Renames <paramref name="temp"/> (from <see cref="WriteTemp"/>) to <paramref name="path"/> after checking the
    /// target again; returns null, or the reason (the temp is then kept).
    /// </summary>
    public static string? CommitTemp(string temp, string path, bool overwrite)
    {
        string full = Path.GetFullPath(path);
        if (CheckTarget(full, overwrite) is string why) return why;
        try
        {
            File.Move(temp, full, overwrite); // rename(2); without overwrite it refuses a name that appeared meanwhile
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot rename it to {full}: {e.Message}";
        }
    }

    /// <summary>Removes a temp file this class created; a failure to remove it is not an error.</summary>
    public static void DeleteQuietly(string temp)
    {
        try { File.Delete(temp); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static string TempBeside(string full) =>
        Path.Combine(Path.GetDirectoryName(full) ?? "/", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");

    private static void CreateExclusive(string full, byte[] bytes, UnixFileMode mode)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, // O_CREAT | O_EXCL
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = mode,
        };
        using var stream = new FileStream(full, options);
        File.SetUnixFileMode(stream.SafeFileHandle, mode); // fchmod: exact mode whatever the umask
        stream.Write(bytes);
        stream.Flush(flushToDisk: true); // fsync before a rename makes it visible
    }
}
