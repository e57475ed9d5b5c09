using Overlay.Os.Interop;

namespace Overlay.Os.Node;

/// <summary>
/// What a backgrounded subnetra-wg does to itself (.NET cannot fork, so the launcher re-executes
/// the program and this runs in the child): a new session, so the terminal's SIGHUP and job
/// control no longer reach it, and stdin/stdout (and stderr when logging is silent) moved to
/// /dev/null, so it holds no pipe of whoever started it (wg-quick, a test) open.
/// </summary>
public static class ProcessDetach
{
    /// <summary>setsid(2); false when it failed (already a group leader).</summary>
    public static bool NewSession() => ProcessLibc.SetSid() >= 0;

    /// <summary>Points the given standard descriptors (0, 1, 2) at /dev/null.</summary>
    public static void NullStandardStreams(bool includeStderr)
    {
        int fd = ProcessLibc.Open("/dev/null", ProcessLibc.O_RDWR);
        if (fd < 0) return;
        ProcessLibc.Dup2(fd, 0);
        ProcessLibc.Dup2(fd, 1);
        if (includeStderr) ProcessLibc.Dup2(fd, 2);
        if (fd > 2) ProcessLibc.Close(fd);
    }

    /// <summary>True while an interface of that name exists in this network namespace.</summary>
    public static bool InterfaceExists(string name) => ProcessLibc.IfNameToIndex(name) != 0;
}
