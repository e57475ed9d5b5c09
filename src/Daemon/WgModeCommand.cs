using System.Diagnostics;
using Overlay.Os.Node;

namespace Overlay.Daemon;

/// <summary>
/// <c>subnetra-wg [-f|--foreground] INTERFACE</c> (issue 15): wireguard-go's command line, so
/// wg-quick (<c>WG_QUICK_USERSPACE_IMPLEMENTATION=subnetra-wg</c>) and scripts written for
/// wireguard-go run us unchanged. The same subnetrad binary serves it: the installed
/// <c>subnetra-wg</c> is a launcher that runs <c>subnetrad --subnetra-wg ARGS</c>, and a copy or
/// hard link of subnetrad named subnetra-wg dispatches on its name.
/// Without <c>-f</c> and without <c>WG_PROCESS_FOREGROUND=1</c> it backgrounds itself the way .NET
/// can (no fork): it re-executes itself in the foreground as a detached child (new session,
/// standard streams on /dev/null unless LOG_LEVEL asks for logs) and exits 0 once the child
/// reports the interface and the UAPI socket exist, or with the child's failure.
/// <c>LOG_LEVEL=verbose|debug|error|silent</c> (default error, as wireguard-go).
/// Exit codes: 0 ok, 1 runtime failure, 2 usage.
/// </summary>
public static class WgModeCommand
{
    /// <summary>The first argument that selects this mode in subnetrad (what the launcher passes).</summary>
    public const string ModeArgument = "--subnetra-wg";

    public const string ProgramName = "subnetra-wg";

    /// <summary>Set in the re-executed child: it starts a new session and reports readiness on stdout.</summary>
    internal const string DetachedVariable = "SUBNETRA_WG_DETACHED";

    private static readonly TimeSpan ChildReadyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>True when the process was started under the name subnetra-wg (argv[0] or the executable).</summary>
    public static bool IsInvokedAs(string? argv0, string? processPath)
    {
        foreach (string? p in new[] { argv0, processPath })
        {
            if (p is null) continue;
            string name = Path.GetFileName(p);
            if (name == ProgramName || name == ProgramName + ".dll") return true;
        }
        return false;
    }

    /// <summary>
    /// In the re-executed child (<see cref="DetachedVariable"/>=1): new session, standard streams on
    /// /dev/null (stderr kept when LOG_LEVEL asks for logs, as wireguard-go); returns the descriptor
    /// the ready line goes to, else -1. Call before anything touches <see cref="Console"/>.
    /// </summary>
    public static int DetachIfChild(Func<string, string?> env)
    {
        if (env(DetachedVariable) != "1") return -1;
        string? level = env("LOG_LEVEL");
        return ProcessDetach.BeginDetachedChild(keepStderr: !string.IsNullOrEmpty(level) && level != "silent");
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> env, int readyFd = -1)
    {
        bool foreground = false;
        string? name = null;
        foreach (string a in args)
        {
            switch (a)
            {
                case "-f" or "--foreground":
                    foreground = true;
                    break;
                case "-h" or "--help":
                    stdout.WriteLine(Usage);
                    return DaemonCommand.ExitOk;
                case "-v" or "--version":
                    stdout.WriteLine($"{ProgramName} v{DaemonCommand.Version} (subnetrad's data path; wireguard-go command line)");
                    return DaemonCommand.ExitOk;
                default:
                    if (a.StartsWith('-') || name is not null) return UsageError(stderr, $"unexpected argument '{a}'");
                    name = a;
                    break;
            }
        }
        if (name is null) return UsageError(stderr, "missing INTERFACE");
        if (WgModeRunner.ValidateInterfaceName(name) is { } bad) return UsageError(stderr, bad);
        if (!WgModeRunner.TryParseLogLevel(env("LOG_LEVEL"), out LogLevel? level))
            return UsageError(stderr, $"LOG_LEVEL must be verbose, debug, error or silent (got '{env("LOG_LEVEL")}')");

        if (foreground || env("WG_PROCESS_FOREGROUND") == "1")
            return WgModeRunner.Run(name, level, readyFd, stdout, stderr, env);
        string? logLevel = env("LOG_LEVEL");
        return Background(name, stderr, keepStderr: !string.IsNullOrEmpty(logLevel) && logLevel != "silent");
    }

    private const string Usage =
        "Usage: subnetra-wg [-f/--foreground] INTERFACE-NAME\n" +
        "  Userspace WireGuard on subnetrad's data path, configured with wg(8) over\n" +
        "  /var/run/wireguard/INTERFACE-NAME.sock. Backgrounds itself unless -f or\n" +
        "  WG_PROCESS_FOREGROUND=1. LOG_LEVEL=verbose|error|silent. On macOS\n" +
        "  INTERFACE-NAME is utun (the kernel picks utunN; WG_TUN_NAME_FILE receives it).";

    private static int UsageError(TextWriter stderr, string message)
    {
        stderr.WriteLine($"{ProgramName}: {message}");
        stderr.WriteLine(Usage);
        return DaemonCommand.ExitUsage;
    }

    /// <summary>
    /// Re-executes this program in the foreground, detached, and waits for its ready line. The
    /// child's stdin and stdout are pipes from this process, and so is its stderr unless LOG_LEVEL
    /// asks for logs (then it shares ours, as wireguard-go hands its child os.Stderr): the child
    /// then holds none of our caller's pipes once we exit, so <c>wg-quick up 2>&amp;1 | cat</c> ends.
    /// What the child prints to stderr before it is ready is passed on.
    /// </summary>
    private static int Background(string name, TextWriter stderr, bool keepStderr)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("no process path to re-execute"))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = !keepStderr,
        };
        if (Path.GetFileNameWithoutExtension(psi.FileName) == "dotnet")
            psi.ArgumentList.Add(typeof(WgModeCommand).Assembly.Location);
        psi.ArgumentList.Add(ModeArgument);
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add(name);
        psi.Environment["WG_PROCESS_FOREGROUND"] = "1";
        psi.Environment[DetachedVariable] = "1";
        using Process child = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        child.StandardInput.Close();
        Task forward = keepStderr ? Task.CompletedTask : ForwardAsync(child.StandardError, stderr);
        Task<int> ready = WaitReadyAsync(child);
        if (!ready.Wait(ChildReadyTimeout))
        {
            stderr.WriteLine($"{ProgramName}: {name} was not up after {ChildReadyTimeout.TotalSeconds:0} s; stopping it");
            try { child.Kill(); } catch (InvalidOperationException) { }
            return DaemonCommand.ExitFailure;
        }
        if (ready.Result != DaemonCommand.ExitOk) forward.Wait(TimeSpan.FromSeconds(2));
        return ready.Result;
    }

    private static async Task ForwardAsync(StreamReader from, TextWriter to)
    {
        string? line;
        while ((line = await from.ReadLineAsync().ConfigureAwait(false)) is not null) to.WriteLine(line);
    }

    private static async Task<int> WaitReadyAsync(Process child)
    {
        string? line;
        while ((line = await child.StandardOutput.ReadLineAsync().ConfigureAwait(false)) is not null)
            if (line.EndsWith("[ready]", StringComparison.Ordinal)) return DaemonCommand.ExitOk;
        // The child failed before it was up; it printed why on the stderr we share.
        await child.WaitForExitAsync().ConfigureAwait(false);
        return child.ExitCode == 0 ? DaemonCommand.ExitFailure : child.ExitCode;
    }
}
