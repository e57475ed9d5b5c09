using System.CommandLine;
using Overlay.Protocol.Control;

namespace Overlay.Cli;

/// <summary>
/// <c>subnetra metrics [--socket PATH | --interface NAME]</c>: asks the daemon for <c>status</c> over the control
/// socket and prints it as Prometheus text (<see cref="PrometheusText"/>, docs/metrics.md).
/// Built on the status reply rather than a daemon-side command so any daemon that answers
/// <c>status</c> can be scraped and the control protocol stays small.
/// When the daemon does not answer, stdout still gets a valid exposition with
/// <c>subnetra_up 0</c> (so a textfile collector publishes "down" instead of going stale or
/// missing) and the exit status is 1 with the reason on stderr.
/// </summary>
public static class MetricsCommand
{
    public static Command Create()
    {
        var socket = DaemonCall.SocketOption();
        var iface = DaemonCall.InterfaceOption();
        var command = new Command("metrics", "Print the running daemon's counters and per-peer state as Prometheus text (subnetra_up 0 and exit 1 when it does not answer); with --interface, a subnetra-wg interface's") { socket, iface };
        DaemonCall.ExclusiveSocketOptions(command, socket, iface);
        command.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            InvocationConfiguration io = parse.InvocationConfiguration;
            return RunAsync(DaemonCall.SocketPath(parse, socket, iface), io.Output, io.Error, ct);
        });
        return command;
    }

    /// <summary>Queries <paramref name="socketPath"/> and prints the exposition; returns the exit code.</summary>
    public static async Task<int> RunAsync(string socketPath, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var (reply, failure) = await DaemonCall.SendAsync(
            socketPath, new ControlRequest { Command = ControlCommands.Status }, StatusCommand.RequestTimeout, cancellationToken).ConfigureAwait(false);
        if (reply?.Response.Status is { } status)
        {
            await output.WriteAsync(PrometheusText.Render(status)).ConfigureAwait(false);
            return CliCommand.ExitOk;
        }
        await output.WriteAsync(PrometheusText.RenderDown()).ConfigureAwait(false);
        await error.WriteLineAsync(failure?.Message ?? $"invalid reply from daemon on {socketPath}: no status object").ConfigureAwait(false);
        return CliCommand.ExitFailure;
    }
}
