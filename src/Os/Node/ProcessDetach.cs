using System.Text;
using Overlay.Os.Interop;

namespace Overlay.Os.Node;

/// <summary>
/// What a backgrounded subnetra-wg does to itself (.NET cannot fork, so the launcher re-executes
/// the program and this runs in the child): a new session, so the terminal's SIGHUP and job
/// control no longer reach it, and stdin/stdout (and stderr unless logs were asked for) moved to
/// /dev/null, so it holds no pipe of whoever started it (wg-quick, a test) open. This must run
/// before anything touches <see cref="Console"/>: .NET's console streams hold their own dup of
/// fds 0-2, which a later dup2 would not reach.
/// </summary>
public static class ProcessDetach
{
    /// <summary>
    /// setsid(2), then keeps a private copy of stdout (the launcher's pipe) for
    /// <see cref="SignalReady"/> and points fds 0, 1 (and 2 unless <paramref name="keepStderr"/>)
    /// at /dev/null. Returns the ready descriptor, or -1 when stdout could not be copied.
    /// </summary>
    public static int BeginDetachedChild(bool keepStderr)
    {
        ProcessLibc.SetSid();
        int ready = ProcessLibc.Dup(1);
        int fd = ProcessLibc.Open("/dev/null", ProcessLibc.O_RDWR);
        if (fd >= 0)
        {
            ProcessLibc.Dup2(fd, 0);
            ProcessLibc.Dup2(fd, 1);
            if (!keepStderr) ProcessLibc.Dup2(fd, 2);
            if (fd > 2) ProcessLibc.Close(fd);
        }
        return ready;
    }

    /// <summary>Writes the ready line to the launcher and closes the descriptor, so the launcher can exit.</summary>
    public static unsafe void SignalReady(int readyFd, string line)
    {
        if (readyFd < 0) return;
        byte[] bytes = Encoding.ASCII.GetBytes(line + "\n");
        fixed (byte* p = bytes) Libc.Write(readyFd, p, (nuint)bytes.Length);
        ProcessLibc.Close(readyFd);
    }
}
