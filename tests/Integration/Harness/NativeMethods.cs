using System.Runtime.InteropServices;

namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// The two libc calls the harness needs: kill(2) to signal a process by the exact PID the
/// harness started (SIGTERM/SIGHUP have no managed API), and the signal numbers for Linux.
/// </summary>
internal static partial class NativeMethods
{
    // signal(7), x86-64/arm64 Linux values.
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    /// <summary>kill(2); throws with errno on failure (ESRCH when the process is gone).</summary>
    public static void Kill(int pid, int signal)
    {
        if (pid <= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pid), pid, "refusing to signal pid <= 1");
        }

        if (KillNative(pid, signal) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException(
                $"kill({pid}, {signal}) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
    }
}
