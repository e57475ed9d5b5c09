using System.Diagnostics;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Daemon.Kit;

/// <summary>Skip guards and bounded waits shared by the Daemon and Interop tests.</summary>
public static class DaemonKit
{
    /// <summary>Skips (or, under OVERLAY_REQUIRE_PRIVILEGED=1, fails) unless namespaces, the named tools and the built daemon are available.</summary>
    public static void Require(params string[] tools)
    {
        Requires.Netns(tools);
        Requires.DaemonBuilt();
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
}
