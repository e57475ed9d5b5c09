using System.Runtime.InteropServices;

namespace Overlay.Cli.Tests.Onboarding;

/// <summary>A private directory per test for the files init, add-peer and export write.</summary>
public abstract class TempDirectoryTest : IDisposable
{
    protected TempDirectoryTest()
    {
        Dir = Path.Combine(Path.GetTempPath(), "onb-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Dir);
    }

    protected string Dir { get; }

    protected string P(string name) => Path.Combine(Dir, name);

    public void Dispose()
    {
        if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true);
    }
}

/// <summary>Sets the process umask for a block (umask(2)) and restores it.</summary>
internal static partial class Umask
{
    /// <summary>Serializes tests that change the process-wide umask.</summary>
    private static readonly object Gate = new();

    /// <summary>Sets the umask given in octal, e.g. "022".</summary>
    public static IDisposable Set(string octal)
    {
        Monitor.Enter(Gate);
        int previous = umask(Convert.ToInt32(octal, 8));
        return new Restore(previous);
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial int umask(int mask);

    private sealed class Restore(int previous) : IDisposable
    {
        public void Dispose()
        {
            umask(previous);
            Monitor.Exit(Gate);
        }
    }
}
