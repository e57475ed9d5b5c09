using System.Collections.Concurrent;
using System.Net.Sockets;

// Overlay.Os builds only for Linux and macOS (Directory.Build.targets); the Unix file-mode APIs are always there.
#pragma warning disable CA1416

namespace Overlay.Os.Control;

/// <summary>Wording and modes that differ between the daemon's Unix sockets (control, UAPI).</summary>
internal sealed class UnixSocketListenerOptions
{
    /// <summary>Names the socket in errors: "{Name} path {path} is a directory", "cannot bind {Name} {path}: ...".</summary>
    public required string Name { get; init; }

    /// <summary>Names the parent directory in "cannot create {DirectoryName} {dir}: ...".</summary>
    public required string DirectoryName { get; init; }

    /// <summary>Appended to the "path is too long" error (e.g. which variable to set). Default none.</summary>
    public string TooLongHint { get; init; } = "";

    /// <summary>The error when a live process already listens on the path; gets the path.</summary>
    public required Func<string, string> AlreadyServed { get; init; }

    /// <summary>Whether EADDRINUSE at bind also reports <see cref="AlreadyServed"/> (a race with another starter).</summary>
    public bool BindInUseIsAlreadyServed { get; init; }

    /// <summary>Mode of a parent directory this listener creates; an existing one is left alone.</summary>
    public required UnixFileMode DirectoryMode { get; init; }

    /// <summary>Whether to chmod a created directory so the umask cannot narrow or widen <see cref="DirectoryMode"/>.</summary>
    public bool ChmodCreatedDirectory { get; init; }

    /// <summary>Connections served at once; one more goes to the refusal callback.</summary>
    public required int MaxConnections { get; init; }

    /// <summary>Prefix of the "accept failed: ..." log line.</summary>
    public string LogPrefix { get; init; } = "";

    /// <summary>Receives one line per accept failure. Default: none.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>Why a connection was refused before the protocol saw it.</summary>
/// <param name="TooMany">More than <see cref="UnixSocketListenerOptions.MaxConnections"/> at once.</param>
/// <param name="CredentialError">The peer's uid could not be read (SO_PEERCRED / getpeereid failed).</param>
/// <param name="Uid">The peer's uid when it was read but is neither root nor the daemon's.</param>
internal readonly record struct UnixSocketRefusal(bool TooMany, string? CredentialError, uint Uid);

/// <summary>
/// The socket machinery shared by <see cref="ControlServer"/> and <c>UapiServer</c>: a Unix
/// stream socket file 0600 (chmod after bind: macOS ignores the umask for sockets), its
/// parent directory created when missing, a stale file (connect refused, a daemon that died
/// without cleanup) replaced and a live one refused, an accept loop running each connection on
/// its own task, a cap on connections at once and the peer-credential check (root or the
/// daemon's own uid). The protocol lives in the callbacks; the listener closes the socket after
/// them (counted down first, so a client that sees the close may reconnect at once).
/// </summary>
internal sealed class UnixSocketListener : IAsyncDisposable
{
    private const int ListenBacklog = 16;

    private readonly Socket _listener;
    private readonly UnixSocketListenerOptions _options;
    private readonly Func<Socket, CancellationToken, Task> _serve;
    private readonly Func<Socket, UnixSocketRefusal, CancellationToken, Task> _refuse;
    private readonly uint _daemonUid;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly Task _acceptLoop;
    private long _nextConnectionId;
    private int _activeConnections;
    private int _refusingConnections;
    private int _disposed;

    /// <summary>Absolute path of the bound socket file.</summary>
    public string SocketPath { get; }

    /// <summary>Cancelled when the listener stops.</summary>
    public CancellationToken Stopping { get; }

    private UnixSocketListener(
        string socketPath, Socket listener, UnixSocketListenerOptions options,
        Func<Socket, CancellationToken, Task> serve, Func<Socket, UnixSocketRefusal, CancellationToken, Task> refuse)
    {
        SocketPath = socketPath;
        _listener = listener;
        _options = options;
        _serve = serve;
        _refuse = refuse;
        _daemonUid = PeerCredentials.DaemonUid();
        Stopping = _stop.Token;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Binds <paramref name="socketPath"/> and starts accepting. Each admitted connection goes to
    /// <paramref name="serve"/>, each refused one to <paramref name="refuse"/>; both get the
    /// stop token. Throws <see cref="IOException"/> when the path is too long, a directory, not
    /// creatable, or served by a live process.
    /// </summary>
    public static UnixSocketListener Start(
        string socketPath, UnixSocketListenerOptions options,
        Func<Socket, CancellationToken, Task> serve, Func<Socket, UnixSocketRefusal, CancellationToken, Task> refuse)
    {
        string path = Path.GetFullPath(socketPath);
        UnixDomainSocketEndPoint endPoint = CreateEndPoint(path, options);
        PrepareDirectory(path, options);
        RemoveStaleSocket(path, endPoint, options);

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
            return new UnixSocketListener(path, listener, options, serve, refuse);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            if (bound) TryDelete(path);
            if (options.BindInUseIsAlreadyServed && ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new IOException(options.AlreadyServed(path), ex);
            }
            throw new IOException($"cannot bind {options.Name} {path}: {ex.Message}", ex);
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

    private static UnixDomainSocketEndPoint CreateEndPoint(string path, UnixSocketListenerOptions options)
    {
        try
        {
            return new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            // sun_path is 108 bytes on Linux and 104 on macOS, NUL included (unix(7), unix(4)).
            throw new IOException($"{options.Name} path is too long for a Unix socket: {path}{options.TooLongHint}", ex);
        }
    }

    private static void PrepareDirectory(string path, UnixSocketListenerOptions options)
    {
        string? dir = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(dir) || Directory.Exists(dir)) return;
        // Only a directory we create gets the mode; an existing one (/tmp, /run) is the operator's.
        try
        {
            Directory.CreateDirectory(dir, options.DirectoryMode);
            if (options.ChmodCreatedDirectory) File.SetUnixFileMode(dir, options.DirectoryMode);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create {options.DirectoryName} {dir}: {ex.Message}", ex);
        }
    }

    private static void RemoveStaleSocket(string path, UnixDomainSocketEndPoint endPoint, UnixSocketListenerOptions options)
    {
        if (Directory.Exists(path)) throw new IOException($"{options.Name} path {path} is a directory");
        if (!File.Exists(path)) return;

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(endPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // ECONNREFUSED: the file is there but nobody listens — a process that died without cleanup.
            TryDelete(path);
            return;
        }
        catch (SocketException ex)
        {
            throw new IOException($"{options.Name} {path} exists and cannot be probed: {ex.Message}", ex);
        }
        throw new IOException(options.AlreadyServed(path));
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
                _options.Log?.Invoke($"{_options.LogPrefix}accept failed: {ex.Message}");
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
            Task connection = Task.Run(() => RunConnectionAsync(socket));
            // Add before attaching the removal: a continuation on an already finished task runs at
            // once, so the removal always comes after the add and no finished entry is left behind.
            _connections[id] = connection;
            _ = connection.ContinueWith(
                static (_, state) =>
                {
                    var (listener, key) = ((UnixSocketListener, long))state!;
                    listener._connections.TryRemove(key, out Task? _);
                },
                (this, id),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Credentials first, then the cap: a connection from a user who may not use the socket is refused
    /// without taking one of the <see cref="UnixSocketListenerOptions.MaxConnections"/> slots, so other
    /// users' connections cannot lock out root and the daemon's user (issue 12 item 7). Refusals have their
    /// own cap of the same size; past it a refused connection is closed without a reply.
    /// </summary>
    private async Task RunConnectionAsync(Socket socket)
    {
        CancellationToken stop = _stop.Token;
        bool countedActive = false, countedRefusing = false;
        try
        {
            UnixSocketRefusal? refusal = null;
            if (!PeerCredentials.TryGetPeerUid(socket, out uint uid, out string? error))
                refusal = new UnixSocketRefusal(TooMany: false, error, 0);
            else if (!PeerCredentials.IsAuthorized(uid, _daemonUid))
                refusal = new UnixSocketRefusal(TooMany: false, null, uid);

            if (refusal is { } denied)
            {
                countedRefusing = true;
                if (Interlocked.Increment(ref _refusingConnections) <= _options.MaxConnections)
                    await _refuse(socket, denied, stop).ConfigureAwait(false);
                return;
            }

            countedActive = true;
            if (Interlocked.Increment(ref _activeConnections) > _options.MaxConnections)
                await _refuse(socket, new UnixSocketRefusal(TooMany: true, null, 0), stop).ConfigureAwait(false);
            else
                await _serve(socket, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Request deadline, server stop, or the client went away: nothing to tell it, just close.
        }
        finally
        {
            if (countedActive) Interlocked.Decrement(ref _activeConnections);
            if (countedRefusing) Interlocked.Decrement(ref _refusingConnections);
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
            socket.Dispose();
        }
    }
}
