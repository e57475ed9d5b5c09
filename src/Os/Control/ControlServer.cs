using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using Overlay.Protocol.Control;

// Overlay.Os builds only for Linux and macOS (Directory.Build.targets); the Unix file-mode APIs are always there.
#pragma warning disable CA1416

namespace Overlay.Os.Control;

/// <summary>Tuning for <see cref="ControlServer"/>; the defaults suit a daemon.</summary>
public sealed class ControlServerOptions
{
    /// <summary>A connection with no complete request for this long is closed. Default 60 s.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

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
    private const int ListenBacklog = 16;

    private readonly Socket _listener;
    private readonly Func<ControlRequest, CancellationToken, ValueTask<ControlResponse>> _handler;
    private readonly ControlServerOptions _options;
    private readonly uint _daemonUid;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly Task _acceptLoop;
    private long _nextConnectionId;
    private int _activeConnections;
    private int _disposed;

    /// <summary>Absolute path of the bound socket file.</summary>
    public string SocketPath { get; }

    private ControlServer(
        string socketPath, Socket listener,
        Func<ControlRequest, CancellationToken, ValueTask<ControlResponse>> handler,
        ControlServerOptions options)
    {
        SocketPath = socketPath;
        _listener = listener;
        _handler = handler;
        _options = options;
        _daemonUid = PeerCredentials.DaemonUid();
        _acceptLoop = Task.Run(AcceptLoopAsync);
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

        string path = Path.GetFullPath(socketPath);
        UnixDomainSocketEndPoint endPoint = CreateEndPoint(path);
        PrepareDirectory(path);
        RemoveStaleSocket(path, endPoint);

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bool bound = false;
        try
        {
            listener.Bind(endPoint);
            bound = true;
            // After bind, not before: the socket file only exists now, and macOS ignores the
            // umask for sockets, so an explicit chmod is the only way to be sure of 0600.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(ListenBacklog);
            return new ControlServer(path, listener, handler, options);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            if (bound) TryDelete(path);
            if (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new IOException($"another subnetrad is already listening on {path}; set {ControlPaths.EnvironmentVariable} for a second instance", ex);
            }
            throw new IOException($"cannot bind control socket {path}: {ex.Message}", ex);
        }
        catch
        {
            listener.Dispose();
            if (bound) TryDelete(path);
            throw;
        }
    }

    /// <summary>Stops accepting, ends every connection, waits for them and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        TryDelete(SocketPath);
        _stop.Dispose();
    }

    private static UnixDomainSocketEndPoint CreateEndPoint(string path)
    {
        try
        {
            return new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            // sun_path is 108 bytes on Linux and 104 on macOS, NUL included (unix(7), unix(4)).
            throw new IOException($"control socket path is too long for a Unix socket: {path}; set {ControlPaths.EnvironmentVariable} to a shorter path", ex);
        }
    }

    private static void PrepareDirectory(string path)
    {
        string? dir = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(dir) || Directory.Exists(dir)) return;
        // Only a directory we create gets 0700; an existing one (/tmp, /run) is the operator's.
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        try
        {
            Directory.CreateDirectory(dir, owner);
            File.SetUnixFileMode(dir, owner);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create control socket directory {dir}: {ex.Message}", ex);
        }
    }

    private static void RemoveStaleSocket(string path, UnixDomainSocketEndPoint endPoint)
    {
        if (Directory.Exists(path)) throw new IOException($"control socket path {path} is a directory");
        if (!File.Exists(path)) return;

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(endPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // ECONNREFUSED: the file is there but nobody listens — a daemon that died without cleanup.
            TryDelete(path);
            return;
        }
        catch (SocketException ex)
        {
            throw new IOException($"control socket {path} exists and cannot be probed: {ex.Message}", ex);
        }
        throw new IOException($"another subnetrad is already listening on {path}; set {ControlPaths.EnvironmentVariable} for a second instance");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (stop.IsCancellationRequested) return;
                // EMFILE and friends: back off instead of spinning; the listener stays usable.
                _options.Log?.Invoke($"control: accept failed: {ex.Message}");
                try
                {
                    await Task.Delay(100, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }

            long id = Interlocked.Increment(ref _nextConnectionId);
            Task connection = Task.Run(() => ServeAsync(socket));
            // Add before attaching the removal: a continuation on an already finished task runs at
            // once, so the removal always comes after the add and no finished entry is left behind.
            _connections[id] = connection;
            _ = connection.ContinueWith(
                static (_, state) =>
                {
                    var (server, key) = ((ControlServer, long))state!;
                    server._connections.TryRemove(key, out Task? _);
                },
                (this, id),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        int active = Interlocked.Increment(ref _activeConnections);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var stream = new NetworkStream(socket, ownsSocket: true);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        PipeWriter writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            if (active > _options.MaxConnections)
            {
                await ReplyAsync(writer, ControlResponse.Failure($"too many control connections (at most {_options.MaxConnections})"), _stop.Token).ConfigureAwait(false);
                await CloseGracefullyAsync(socket, reader).ConfigureAwait(false);
                return;
            }
            if (!Authorize(socket, out string? denial))
            {
                _options.Log?.Invoke($"control: refused connection: {denial}");
                await ReplyAsync(writer, ControlResponse.Failure(denial), _stop.Token).ConfigureAwait(false);
                await CloseGracefullyAsync(socket, reader).ConfigureAwait(false);
                return;
            }
            if (!await ServeRequestsAsync(reader, writer, idle).ConfigureAwait(false))
            {
                await CloseGracefullyAsync(socket, reader).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Idle timeout or server stop: just close.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The client went away mid-reply; nothing to tell it.
        }
        finally
        {
            Interlocked.Decrement(ref _activeConnections);
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

    private bool Authorize(Socket socket, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? denial)
    {
        if (!PeerCredentials.TryGetPeerUid(socket, out uint uid, out string? error))
        {
            denial = "permission denied: " + error;
            return false;
        }
        if (!PeerCredentials.IsAuthorized(uid, _daemonUid))
        {
            denial = PeerCredentials.DenialMessage(uid);
            return false;
        }
        denial = null;
        return true;
    }

    /// <summary>
    /// Serves requests until the client closes (true) or a line is too long (false: the
    /// error reply is sent and every byte read so far consumed; the caller closes).
    /// </summary>
    private async Task<bool> ServeRequestsAsync(PipeReader reader, PipeWriter writer, CancellationTokenSource idle)
    {
        while (true)
        {
            idle.CancelAfter(_options.IdleTimeout);
            ReadResult read = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;

            while (TryTakeLine(ref buffer, out ReadOnlySequence<byte> line))
            {
                if (!await AnswerLineAsync(line, writer, idle).ConfigureAwait(false))
                {
                    reader.AdvanceTo(read.Buffer.End);
                    return false;
                }
            }

            if (buffer.Length > ControlJson.MaxLineBytes)
            {
                await ReplyAsync(writer, LineTooLong(), _stop.Token).ConfigureAwait(false);
                reader.AdvanceTo(read.Buffer.End);
                return false;
            }

            if (read.IsCompleted)
            {
                // The client shut down its side; a last request without '\n' still counts
                // (`printf '{"command":"status"}' | nc -U` is a fair way to ask).
                if (!buffer.IsEmpty) await AnswerLineAsync(buffer, writer, idle).ConfigureAwait(false);
                return true;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Answers one line; false when the connection must be closed afterwards.</summary>
    private async ValueTask<bool> AnswerLineAsync(ReadOnlySequence<byte> line, PipeWriter writer, CancellationTokenSource idle)
    {
        // The limit is on what the client sent, blanks included, so it cannot be dodged by padding.
        if (line.Length > ControlJson.MaxLineBytes)
        {
            await ReplyAsync(writer, LineTooLong(), _stop.Token).ConfigureAwait(false);
            return false;
        }
        line = TrimLine(line);
        if (line.IsEmpty) return true;

        ControlResponse response;
        if (!ControlJson.TryParseRequest(line, out ControlRequest? request, out string? error))
        {
            response = ControlResponse.Failure(error);
        }
        else
        {
            // The idle clock measures the client, not the handler.
            idle.CancelAfter(Timeout.InfiniteTimeSpan);
            response = await InvokeHandlerAsync(request).ConfigureAwait(false);
        }
        await ReplyAsync(writer, response, _stop.Token).ConfigureAwait(false);
        return true;
    }

    private async ValueTask<ControlResponse> InvokeHandlerAsync(ControlRequest request)
    {
        try
        {
            // WaitAsync: a handler stuck behind a stopped packet loop must not hold up shutdown.
            return await _handler(request, _stop.Token).AsTask().WaitAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
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
    private async Task CloseGracefullyAsync(Socket socket, PipeReader reader)
    {
        const int maxDrainBytes = 1024 * 1024;
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var drain = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
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
