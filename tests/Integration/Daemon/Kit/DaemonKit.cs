using System.Diagnostics;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Daemon.Kit;

/// <summary>Skip guards and bounded waits shared by the Daemon and Interop tests.</summary>
public static class DaemonKit
{
    private static readonly Lazy<string?> StubProbe = new(ProbeStub);

    /// <summary>
    /// Skips unless namespaces, the named tools, and a real daemon are available. <see cref="Requires.DaemonBuilt"/>
    /// only checks that subnetrad.dll exists; the composition-root stub that precedes the daemon also exists, exits 0
    /// and prints nothing whatever it is given, so it is detected by running <c>subnetrad --help</c> once per run.
    /// </summary>
    public static void Require(params string[] tools)
    {
        Requires.Netns(tools);
        Requires.DaemonBuilt();
        string? stub = StubProbe.Value;
        Skip.If(stub is not null, stub ?? string.Empty);
    }

    /// <summary>
    /// Pings until one echo comes back or <paramref name="deadlineSec"/> passes ("wait until reachable": the first
    /// packet may have to wait for a handshake). Returns the result and the time it took.
    /// </summary>
    public static (PingResult Ping, TimeSpan Elapsed) WaitReachable(Node from, string target, int deadlineSec = 10)
    {
        var clock = Stopwatch.StartNew();
        PingResult ping = from.Ping(target, count: 1, deadlineSec: deadlineSec);
        return (ping, clock.Elapsed);
    }

    /// <summary>Polls <paramref name="condition"/> every 200 ms until it holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (condition())
            {
                return true;
            }

            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>Diagnostics of several daemons, for assertion messages.</summary>
    public static string Describe(params OverlayDaemon[] daemons) => string.Join('\n', daemons.Select(d => d.Describe()));

    private static string? ProbeStub()
    {
        ExecResult help = Cmd.Run([DaemonBinaries.DotnetHost!, DaemonBinaries.DaemonDll, "--help"], TimeSpan.FromSeconds(20));
        bool silent = help.Succeeded && help.Stdout.Trim().Length == 0 && help.Stderr.Trim().Length == 0;
        return silent
            ? "subnetrad is still the composition-root stub (`subnetrad --help` exits 0 and prints nothing); merge the daemon's run mode first"
            : null;
    }
}
