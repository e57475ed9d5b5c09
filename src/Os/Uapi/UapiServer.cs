using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Overlay.Os.Control;

// Overlay.Os builds only for Linux and macOS (Directory.Build.targets); the Unix file-mode APIs are always there.
#pragma warning disable CA1416

namespace Overlay.Os.Uapi;

/// <summary>
/// A WireGuard UAPI socket (reference/wireguard.md §4) so stock <c>wg show</c> can read the
/// daemon: a Unix stream socket at <c>/var/run/wireguard/&lt;tun&gt;.sock</c>, in a directory
/// created 0755 when missing (as wireguard-go does), the socket itself 0600, and the same
/// peer-credential check as the control socket (root or the daemon's uid). A connection may
/// carry several requests. <c>get=1</c> + empty line is answered from a snapshot taken by
/// the caller's function (the node builds it on its loop thread). <c>set=1</c> is read to its
/// empty line and refused with <c>errno=-1</c> (EPERM): configuration comes from the JSON
/// config and <c>subnetra reload</c>, never from wg. Any other request closes the connection,
/// as in wireguard-go. A stale socket file (connect refused) is replaced; a live one is an error.
/// </summary>
public sealed class UapiServer : IAsyncDisposable
{
    /// <summary>Longest accepted line; UAPI lines are short (a key is 64 hex digits).</summary>
    public const int MaxLineBytes = 4096;

    private const int MaxConnections = 16;
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _listener;
    private readonly Func<CancellationToken, Task<UapiDevice>> _snapshot;
    private readonly Action<string> _log;
    private readonly uint _daemonUid;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly Task _acceptLoop;
    private long _nextId;
    private int _active;
    private int _disposed;

    public string SocketPath { get; }

    private UapiServer(string path, Socket listener, Func<CancellationToken, Task<UapiDevice>> snapshot, Action<string> log)
    {
        SocketPath = path;
        _listener = listener;
        _snapshot = snapshot;
        _log = log;
        _daemonUid = PeerCredentials.DaemonUid();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Binds <paramref name="socketPath"/> and starts serving. Throws <see cref="IOException"/>
    /// when the directory cannot be created, the path is too long, or another process serves it.
    /// </summary>
    public static UapiServer Start(string socketPath, Func<CancellationToken, Task<UapiDevice>> snapshot, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(snapshot);
        string path = Path.GetFullPath(socketPath);
        UnixDomainSocketEndPoint endPoint;
        try
        {
            endPoint = new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new IOException($"UAPI socket path is too long for a Unix socket: {path}", ex);
        }
        PrepareDirectory(path);
        RemoveStale(path, endPoint);

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bool bound = false;
        try
        {
            listener.Bind(endPoint);
            bound = true;
            // wg runs as root; wireguard-go binds under umask 077. chmod after bind (macOS ignores the umask for sockets).
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
            return new UapiServer(path, listener, snapshot, log ?? (_ => { }));
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            if (bound) TryDelete(path);
            throw new IOException($"cannot bind UAPI socket {path}: {ex.Message}", ex);
        }
        catch
        {
            listener.Dispose();
            if (bound) TryDelete(path);
            throw;
        }
    }

    /// <summary>Stops accepting, ends open connections and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        TryDelete(SocketPath);
        _stop.Dispose();
    }

    private static void PrepareDirectory(string path)
    {
        string? dir = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(dir) || Directory.Exists(dir)) return;
        try
        {
            // 0755 like wireguard-go: wg lists *.sock here; the sockets themselves are 0600.
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create UAPI directory {dir}: {ex.Message}", ex);
        }
    }

    private static void RemoveStale(string path, UnixDomainSocketEndPoint endPoint)
    {
        if (Directory.Exists(path)) throw new IOException($"UAPI socket path {path} is a directory");
        if (!File.Exists(path)) return;
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(endPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // Nobody listens: left behind by a process that died (wg itself unlinks such files too).
            TryDelete(path);
            return;
        }
        catch (SocketException ex)
        {
            throw new IOException($"UAPI socket {path} exists and cannot be probed: {ex.Message}", ex);
        }
        throw new IOException($"{path} is served by another process (wireguard-go or a second subnetrad with the same tun_name)");
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
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (_stop.IsCancellationRequested) return;
                _log($"accept failed: {ex.Message}");
                try
                {
                    await Task.Delay(100, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            long id = Interlocked.Increment(ref _nextId);
            Task connection = Task.Run(() => ServeAsync(socket));
            // Add before attaching the removal: a continuation on an already finished task runs at
            // once, so the removal always comes after the add and no finished entry is left behind.
            _connections[id] = connection;
            _ = connection.ContinueWith(_ => _connections.TryRemove(id, out Task? _), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        int active = Interlocked.Increment(ref _active);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var stream = new NetworkStream(socket, ownsSocket: true);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            if (active > MaxConnections)
            {
                _log($"refused connection: more than {MaxConnections} at once");
                return;
            }
            if (!PeerCredentials.TryGetPeerUid(socket, out uint uid, out string? error) || !PeerCredentials.IsAuthorized(uid, _daemonUid))
            {
                _log($"refused connection: {error ?? PeerCredentials.DenialMessage(uid)}");
                return;
            }
            await ServeRequestsAsync(reader, stream, idle).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Idle, stopping, or the client went away: nothing to tell it.
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            await reader.CompleteAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ServeRequestsAsync(PipeReader reader, NetworkStream stream, CancellationTokenSource idle)
    {
        while (true)
        {
            string? op = await ReadLineAsync(reader, idle).ConfigureAwait(false);
            if (op is null) return;
            switch (op)
            {
                case "get=1":
                    // wireguard-go requires the empty line right after get=1.
                    if (await ReadLineAsync(reader, idle).ConfigureAwait(false) is not "") return;
                    await WriteAsync(stream, await GetReplyAsync().ConfigureAwait(false)).ConfigureAwait(false);
                    break;
                case "set=1":
                    string? line;
                    while ((line = await ReadLineAsync(reader, idle).ConfigureAwait(false)) is { Length: > 0 })
                    {
                    }
                    if (line is null) return;
                    _log("refused a UAPI set (wg set / wg setconf): configuration comes from the JSON config; edit it and run 'subnetra reload'");
                    await WriteAsync(stream, UapiText.SetError(UapiText.EPERM)).ConfigureAwait(false);
                    break;
                default:
                    _log($"unknown UAPI operation '{(op.Length > 32 ? op[..32] + "..." : op)}'; closing the connection");
                    return;
            }
        }
    }

    private async Task<string> GetReplyAsync()
    {
        try
        {
            using UapiDevice device = await _snapshot(_stop.Token).ConfigureAwait(false);
            return UapiText.FormatGet(device);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            _log($"UAPI get failed: {ex.Message}");
            return UapiText.GetError(UapiText.EIO);
        }
    }

    private static async Task WriteAsync(NetworkStream stream, string text)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        try
        {
            await stream.WriteAsync(bytes).ConfigureAwait(false);
        }
        finally
        {
            // The get reply may hold private and preshared keys.
            Array.Clear(bytes);
        }
    }

    /// <summary>Next line without '\n' (and a trailing '\r'); null at end of stream or when a line is too long.</summary>
    private static async Task<string?> ReadLineAsync(PipeReader reader, CancellationTokenSource idle)
    {
        idle.CancelAfter(IdleTimeout);
        while (true)
        {
            ReadResult read = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            SequencePosition? newline = buffer.PositionOf((byte)'\n');
            if (newline is { } nl)
            {
                ReadOnlySequence<byte> line = buffer.Slice(0, nl);
                if (line.Length > MaxLineBytes) return null;
                string text = Encoding.ASCII.GetString(line).TrimEnd('\r');
                reader.AdvanceTo(buffer.GetPosition(1, nl));
                return text;
            }
            if (buffer.Length > MaxLineBytes || read.IsCompleted) return null;
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
