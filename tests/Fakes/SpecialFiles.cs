using System.Runtime.InteropServices;

namespace Overlay.Tests.Fakes;

/// <summary>
/// Special files for loader tests: a FIFO (mkfifo(3), which .NET does not wrap) and symlinks to special
/// files, each in a private temporary directory that Dispose removes.
/// </summary>
public sealed partial class SpecialFiles : IDisposable
{
    public SpecialFiles() => Directory = System.IO.Directory.CreateTempSubdirectory("ovl-special-").FullName;

    public string Directory { get; }

    /// <summary>A FIFO nobody writes to: opening it for reading without O_NONBLOCK blocks forever.</summary>
    public string Fifo(string name = "fifo")
    {
        string path = Path.Combine(Directory, name);
        if (mkfifo(path, 0x180 /* 0600 */) != 0)
            throw new IOException($"mkfifo({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        return path;
    }

    public string SymlinkTo(string target, string name)
    {
        string path = Path.Combine(Directory, name);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    public string Regular(string name, string text)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>Runs <paramref name="action"/> and fails if it takes over 10 s (a loader that hangs on a FIFO).</summary>
    public static T WithinTenSeconds<T>(Func<T> action)
    {
        var task = Task.Run(action);
        if (!task.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("the loader hung (did it open a FIFO without O_NONBLOCK?)");
        return task.Result;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkfifo(string path, uint mode);
}
