using System.CommandLine;
using System.Text.Json;
using Overlay.Os.Control;
using Overlay.Protocol.Control;

namespace Overlay.Cli;

/// <summary>A successful daemon reply: the parsed response and the line as received (for verbatim --json members).</summary>
public sealed record DaemonReply(ControlResponse Response, string Line)
{
    /// <summary>The raw JSON of one member of the reply line, or null when absent (verbatim, so fields a newer daemon adds pass through).</summary>
    public string? Member(string name)
    {
        using JsonDocument doc = JsonDocument.Parse(Line);
        return doc.RootElement.TryGetProperty(name, out JsonElement e) && e.ValueKind != JsonValueKind.Null ? e.GetRawText() : null;
    }
}

/// <summary>A failed call: what to print on stderr and the exit code (1 runtime, 2 usage).</summary>
public sealed record DaemonFailure(string Message, int Exit);

/// <summary>
/// The one place where the CLI talks to the daemon (issue 10 item 6): the <c>--socket</c>
/// option, the path checks, sending one request, and turning every way a reply can fail into
/// one message and exit code. status, metrics, policy, save, reload and add-peer --reload use it.
/// </summary>
public static class DaemonCall
{
    public static Option<string?> SocketOption() => new("--socket")
    {
        Description = $"Control socket path (default: ${ControlPaths.EnvironmentVariable}, else {ControlPaths.Default})",
        HelpName = "PATH",
    };

    /// <summary>
    /// <c>--interface NAME</c> (status, metrics): a subnetra-wg interface's own control socket,
    /// <see cref="ControlPaths.ForInterface"/> (issue 15), instead of subnetrad's.
    /// </summary>
    public static Option<string?> InterfaceOption()
    {
        var option = new Option<string?>("--interface")
        {
            Description = $"Ask the subnetra-wg interface NAME (its socket is {ControlPaths.WgDirectory}/NAME.sock) instead of subnetrad",
            HelpName = "NAME",
        };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } name && (name.Length is 0 or > 15 || name.Contains('/') || name is "." or ".."))
                r.AddError($"--interface: '{name}' is not an interface name (1..15 characters, no '/')");
        });
        return option;
    }

    /// <summary>Adds the check that --socket and --interface are not both given (they name the socket two ways).</summary>
    public static void ExclusiveSocketOptions(Command command, Option<string?> socket, Option<string?> iface) =>
        command.Validators.Add(r =>
        {
            if (r.GetResult(socket) is not null && r.GetResult(iface) is not null) r.AddError("--socket and --interface both name the control socket; give one");
        });

    /// <summary>--interface's socket when given, else <see cref="SocketPath(ParseResult, Option{string?})"/>.</summary>
    public static string SocketPath(ParseResult parse, Option<string?> socket, Option<string?> iface) =>
        parse.GetValue(iface) is { Length: > 0 } name ? ControlPaths.ForInterface(name) : SocketPath(parse, socket);

    /// <summary>--socket when given, else $SUBNETRA_SOCK, else the OS default.</summary>
    public static string SocketPath(ParseResult parse, Option<string?> socket) =>
        parse.GetValue(socket) is { Length: > 0 } given ? given : ControlPaths.Resolve();

    /// <summary>
    /// Sends <paramref name="request"/> and returns the reply, or why there is none:
    /// not a socket (2), not running / no reply / not JSON / an error reply (1).
    /// </summary>
    public static async Task<(DaemonReply? Reply, DaemonFailure? Failure)> SendAsync(
        string socketPath, ControlRequest request, TimeSpan timeout, CancellationToken ct = default)
    {
        string line;
        try
        {
            line = await ControlClient.SendRawAsync(socketPath, request, timeout, ct).ConfigureAwait(false);
        }
        catch (DaemonNotRunningException ex)
        {
            return (null, NotASocket(socketPath) is string why ? new DaemonFailure(why, CliCommand.ExitUsage) : new DaemonFailure(ex.Message, CliCommand.ExitFailure));
        }
        catch (Exception ex) when (ex is IOException or TimeoutException)
        {
            return (null, new DaemonFailure(ex.Message, CliCommand.ExitFailure));
        }
        ControlResponse response;
        try
        {
            response = ControlJson.ParseResponse(System.Text.Encoding.UTF8.GetBytes(line));
        }
        catch (JsonException ex)
        {
            return (null, new DaemonFailure($"invalid reply from daemon on {socketPath}: {ex.Message}", CliCommand.ExitFailure));
        }
        if (!response.Ok)
            return (null, new DaemonFailure($"daemon replied with an error: {response.Error ?? "(no message)"}", CliCommand.ExitFailure));
        return (new DaemonReply(response, line), null);
    }

    /// <summary>
    /// Sends, prints the reply with <paramref name="print"/> or the failure on <paramref name="error"/>; returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(string socketPath, ControlRequest request, TextWriter output, TextWriter error,
        Action<DaemonReply, TextWriter> print, TimeSpan timeout, CancellationToken ct = default)
    {
        var (reply, failure) = await SendAsync(socketPath, request, timeout, ct).ConfigureAwait(false);
        if (failure is not null)
        {
            await error.WriteLineAsync(failure.Message).ConfigureAwait(false);
            return failure.Exit;
        }
        print(reply!, output);
        return CliCommand.ExitOk;
    }

    /// <summary>
    /// Why <paramref name="path"/> cannot be a control socket, or null when it may be one. Only
    /// the cases the CLI can see without stat(2): a directory, or a file with content (a socket
    /// file has size 0) — the usual slips are --socket pointing at /run/subnetra or at a config.
    /// </summary>
    internal static string? NotASocket(string path)
    {
        try
        {
            if (Directory.Exists(path))
                return $"{path} is a directory, not a control socket: pass the socket file, e.g. --socket {Path.Combine(path, "subnetra.sock")}";
            var info = new FileInfo(path);
            if (info.Exists && info.LinkTarget is null && info.Length > 0)
                return $"{path} is a regular file ({info.Length} bytes), not a control socket: --socket takes the daemon's socket (its [ready] line shows sock=PATH)";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return null;
    }
}
