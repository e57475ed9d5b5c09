using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Overlay.Protocol.Control;

// Overlay.Os builds only for Linux and macOS (Directory.Build.targets); the Unix file-mode APIs are always there.
#pragma warning disable CA1416

namespace Overlay.Os.Control;

/// <summary>Tuning for <see cref="ControlServer"/>; the defaults suit a daemon.</summary>
public sealed class ControlServerOptions
{
    /// <summary>
    /// Absolute deadline for each request: from the moment the server waits for a request (a new connection,
    /// or the previous reply sent) the complete line must arrive, and the reply be taken, within this time,
    /// or the connection is closed. Bytes arriving do not extend it, so a client trickling one byte at a time
    /// cannot hold one of the <see cref="MaxConnections"/> slots (issue 12 item 7). The handler's own run time
    /// is not counted. Default 10 s.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections served at once; one more gets an error reply and is closed. Default 16.</summary>
    public int MaxConnections { get; init; } = 16;

    /// <summary>Receives one line per notable event (refused peer, handler failure). Default: none.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// The daemon's control socket (DESIGN.md §7): a Unix stream socket speaking JSON lines,
/// one request object per line in, one reply object per line out (see docs/status.md).
/// Runs on thread-pool tasks, never on the packet loop: the handler is responsible for
/// getting onto the loop thread and back. Each connection may send several requests;
/// replies come in request order. Bad input (malformed JSON, unknown field or command)
/// gets an <c>{"ok":false,"error":...}</c> reply and the connection stays usable; a line
/// over <see cref="ControlJson.MaxLineBytes"/> gets an error reply and the connection is
/// closed, so a client cannot make the daemon buffer without bound.
/// The socket file is mode 0600 in a parent directory created 0700 when missing, and every
/// connection passes a peer-credential check (root or the daemon's own uid).
/// </summary>
public sealed class ControlServer : IAsyncDisposable
{
    private readonly Func<ControlRequest, CancellationToken, ValueTask<ControlResponse>> _handler;
    private readonly ControlServerOptions _options;
    private UnixSocketListener _listener = null!;

    /// <summary>Absolute path of the bound socket file.</summary>
    public string SocketPath => _listener.SocketPath;

    private ControlServer(
        Func<ControlRequest, CancellationToken, ValueTask<ControlResponse>> handler,
        ControlServerOptions options)
    {
        _handler = handler;
        _options = options;
    }

    /// <summary>
    /// Binds <paramref name="socketPath"/> and starts accepting. A leftover socket file with
    /// no listener is replaced; a live one makes this throw <see cref="IOException"/>
    /// ("another subnetrad is already listening on PATH; ..."), as do a path that is a
    /// directory, too long for sun_path, or not creatable.
    /// </summary>
    public static ControlServer Start(
        string socketPath,
        Func<ControlRequest, CancellationToken, ValueTask<ControlResponse>> handler,
        ControlServerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new ControlServerOptions();
        if (options.MaxConnections < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxConnections must be at least 1");

        var server = new ControlServer(handler, options);
        server._listener = UnixSocketListener.Start(socketPath, new UnixSocketListenerOptions
        {
            Name = "control socket",
            DirectoryName = "control socket directory",
            TooLongHint = $"; set {ControlPaths.EnvironmentVariable} to a shorter path",
            AlreadyServed = path => $"another subnetrad is already listening on {path}; set {ControlPaths.EnvironmentVariable} for a second instance",
            BindInUseIsAlreadyServed = true,
            // 0700: only root and the daemon's uid may talk to it anyway.
            DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            ChmodCreatedDirectory = true,
            MaxConnections = options.MaxConnections,
            LogPrefix = "control: ",
            Log = options.Log,
        }, server.ServeAsync, server.RefuseAsync);
        return server;
    }

    /// <summary>Stops accepting, ends every connection, waits for them and removes the socket file.</summary>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private async Task RefuseAsync(Socket socket, UnixSocketRefusal refusal, CancellationToken stop)
    {
        string denial;
        if (refusal.TooMany)
        {
            denial = $"too many control connections (at most {_options.MaxConnections})";
        }
        else
        {
            denial = refusal.CredentialError is { } error ? "permission denied: " + error : PeerCredentials.DenialMessage(refusal.Uid);
            _options.Log?.Invoke($"control: refused connection: {denial}");
        }
        await UsePipesAsync(socket, async (reader, writer) =>
        {
            await ReplyAsync(writer, ControlResponse.Failure(denial), stop).ConfigureAwait(false);
            await CloseGracefullyAsync(socket, reader, stop).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        await UsePipesAsync(socket, async (reader, writer) =>
        {
            if (!await ServeRequestsAsync(reader, writer, deadline, stop).ConfigureAwait(false))
            {
                await CloseGracefullyAsync(socket, reader, stop).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="body"/> over pipes on the socket, then flushes and releases them (the listener closes the socket).</summary>
    private static async Task UsePipesAsync(Socket socket, Func<PipeReader, PipeWriter, Task> body)
    {
        var stream = new NetworkStream(socket, ownsSocket: false);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        PipeWriter writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            await body(reader, writer).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            try
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
            }
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Serves requests until the client closes (true) or a line is too long (false: the
    /// error reply is sent and every byte read so far consumed; the caller closes).
    /// </summary>
    private async Task<bool> ServeRequestsAsync(PipeReader reader, PipeWriter writer, CancellationTokenSource deadline, CancellationToken stop)
    {
        // Armed once per request, never per read: see ControlServerOptions.RequestTimeout.
        deadline.CancelAfter(_options.RequestTimeout);
        while (true)
        {
            ReadResult read = await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;

            while (TryTakeLine(ref buffer, out ReadOnlySequence<byte> line))
            {
                if (!await AnswerLineAsync(line, writer, deadline, stop).ConfigureAwait(false))
                {
                    reader.AdvanceTo(read.Buffer.End);
                    return false;
                }
            }

            if (buffer.Length > ControlJson.MaxLineBytes)
            {
                await ReplyAsync(writer, LineTooLong(), deadline.Token).ConfigureAwait(false);
                reader.AdvanceTo(read.Buffer.End);
                return false;
            }

            if (read.IsCompleted)
            {
                // The client shut down its side; a last request without '\n' still counts
                // (`printf '{"command":"status"}' | nc -U` is a fair way to ask).
                if (!buffer.IsEmpty) await AnswerLineAsync(buffer, writer, deadline, stop).ConfigureAwait(false);
                return true;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Answers one line; false when the connection must be closed afterwards.</summary>
    private async ValueTask<bool> AnswerLineAsync(ReadOnlySequence<byte> line, PipeWriter writer, CancellationTokenSource deadline, CancellationToken stop)
    {
        // The limit is on what the client sent, blanks included, so it cannot be dodged by padding.
        if (line.Length > ControlJson.MaxLineBytes)
        {
            await ReplyAsync(writer, LineTooLong(), deadline.Token).ConfigureAwait(false);
            return false;
        }
        line = TrimLine(line);
        // A blank line is no request: it does not restart the deadline.
        if (line.IsEmpty) return true;

        ControlResponse response;
        if (!ControlJson.TryParseRequest(line, out ControlRequest? request, out string? error))
        {
            response = ControlResponse.Failure(error);
        }
        else
        {
            // The deadline measures the client, not the handler.
            deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            response = await InvokeHandlerAsync(request, stop).ConfigureAwait(false);
            // The reply must be taken in time too: a client that never reads cannot park a slot on a full socket.
            deadline.CancelAfter(_options.RequestTimeout);
        }
        await ReplyAsync(writer, response, deadline.Token).ConfigureAwait(false);
        // The next request gets a deadline of its own.
        deadline.CancelAfter(_options.RequestTimeout);
        return true;
    }

    private async ValueTask<ControlResponse> InvokeHandlerAsync(ControlRequest request, CancellationToken stop)
    {
        try
        {
            // WaitAsync: a handler stuck behind a stopped packet loop must not hold up shutdown.
            return await _handler(request, stop).AsTask().WaitAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            _options.Log?.Invoke($"control: '{request.Command}' failed: {ex}");
            return ControlResponse.Failure($"internal error in '{request.Command}': {ex.Message}");
        }
    }

    /// <summary>
    /// Ends a connection we refuse after its error reply. Closing a Unix socket with unread
    /// input makes the peer's next read fail with ECONNRESET (Linux unix_release_sock), which
    /// simple clients report instead of our reply's aftermath; so stop sending, then read and
    /// discard what the client still sends, for a bounded time and size, until it closes.
    /// </summary>
    private static async Task CloseGracefullyAsync(Socket socket, PipeReader reader, CancellationToken stop)
    {
        const int maxDrainBytes = 1024 * 1024;
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var drain = CancellationTokenSource.CreateLinkedTokenSource(stop);
            drain.CancelAfter(TimeSpan.FromMilliseconds(500));
            long drained = 0;
            while (drained < maxDrainBytes)
            {
                ReadResult read = await reader.ReadAsync(drain.Token).ConfigureAwait(false);
                drained += read.Buffer.Length;
                reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted) return;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static ControlResponse LineTooLong()
        => ControlResponse.Failure($"request line longer than {ControlJson.MaxLineBytes} bytes; closing connection");

    private static async ValueTask ReplyAsync(PipeWriter writer, ControlResponse response, CancellationToken cancellationToken)
    {
        ControlJson.WriteLine(writer, response, ControlJson.Response);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        SequencePosition? newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, newline.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

    /// <summary>Drops one trailing '\r' (CRLF clients such as socat's crnl mode) and surrounding blanks.</summary>
    private static ReadOnlySequence<byte> TrimLine(ReadOnlySequence<byte> line)
    {
        Span<byte> one = stackalloc byte[1];
        while (!line.IsEmpty)
        {
            line.Slice(line.Length - 1, 1).CopyTo(one);
            if (!IsBlank(one[0])) break;
            line = line.Slice(0, line.Length - 1);
        }
        while (!line.IsEmpty)
        {
            line.Slice(0, 1).CopyTo(one);
            if (!IsBlank(one[0])) break;
            line = line.Slice(1);
        }
        return line;
    }

    private static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r';
}
