using System.Buffers;
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
/// empty line and handed to the caller's set function when there is one (subnetra-wg: it parses
/// and applies it on the loop and returns the errno); without one (subnetrad, whose source of
/// truth is the JSON config and <c>subnetra reload</c>) it is refused with <c>errno=-1</c> (EPERM).
/// Any other request closes the connection,
/// as in wireguard-go. A stale socket file (connect refused) is replaced; a live one is an error.
/// </summary>
public sealed class UapiServer : IAsyncDisposable
{
    /// <summary>Longest accepted line; UAPI lines are short (a key is 64 hex digits).</summary>
    public const int MaxLineBytes = 4096;

    /// <summary>Most lines one set may carry (130,560 allowed IPs and their peers fit many times over).</summary>
    public const int MaxSetLines = 2_000_000;

    /// <summary>
    /// Most bytes (lines and their newlines) one set may carry: 64 MiB. A set is buffered whole before
    /// it is applied (so no half of it is ever applied), and <see cref="MaxSetLines"/> lines of up to
    /// <see cref="MaxLineBytes"/> would let one connection make the server hold ~8 GB (twice that as
    /// UTF-16 strings). 130,560 allowed IPs take ~4 MB, so the budget is far above any real config.
    /// An over-budget set, like one of too many lines, is answered <c>errno=-EPROTO</c> and the
    /// connection closed, with nothing applied. wireguard-go has no such limit (it applies each line
    /// as it reads it), so there is no errno of its to copy; EPROTO is its <c>IpcErrorProtocol</c>,
    /// the answer it gives a request it will not take as sent, and it stays within the errno set
    /// wg(8) can already get from wireguard-go (ENOMEM would be new to it).
    /// </summary>
    public const int MaxSetBytes = 64 * 1024 * 1024;

    private const int MaxConnections = 16;

    /// <summary>
    /// Absolute deadline per request (the op line, its lines up to the empty one, and taking the reply),
    /// armed once per request and never extended by arriving bytes, so slow clients cannot hold the
    /// 16 slots (issue 12 item 7). <c>wg show</c> sends its request at once.
    /// </summary>
    internal static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);

    private readonly TimeSpan _requestTimeout;
    private readonly int _maxSetBytes;

    private readonly Func<CancellationToken, Task<UapiDevice>> _snapshot;
    private readonly Action<string> _log;
    private Func<ReadOnlyMemory<byte>, CancellationToken, Task<int>>? _set;
    private UnixSocketListener _listener = null!;

    public string SocketPath => _listener.SocketPath;

    private UapiServer(Func<CancellationToken, Task<UapiDevice>> snapshot, Action<string> log, TimeSpan requestTimeout, int maxSetBytes)
    {
        _snapshot = snapshot;
        _log = log;
        _requestTimeout = requestTimeout;
        _maxSetBytes = maxSetBytes;
    }

    /// <summary>
    /// Binds <paramref name="socketPath"/> and starts serving. Throws <see cref="IOException"/>
    /// when the directory cannot be created, the path is too long, or another process serves it.
    /// </summary>
    public static UapiServer Start(string socketPath, Func<CancellationToken, Task<UapiDevice>> snapshot, Action<string>? log = null) =>
        Start(socketPath, snapshot, log, DefaultRequestTimeout);

    internal static UapiServer Start(string socketPath, Func<CancellationToken, Task<UapiDevice>> snapshot, Action<string>? log, TimeSpan requestTimeout) =>
        Start(socketPath, snapshot, null, log, requestTimeout);

    /// <summary>
    /// As <see cref="Start(string, Func{CancellationToken, Task{UapiDevice}}, Action{string}?)"/>, with a
    /// set function: it gets the request's body (its lines as received, each ended by '\n', without
    /// <c>set=1</c> and the empty line; valid only until the function's task ends, then zeroed) and
    /// returns 0 or a positive errno, which is sent negative as wireguard-go does.
    /// </summary>
    public static UapiServer Start(string socketPath, Func<CancellationToken, Task<UapiDevice>> snapshot,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task<int>>? set, Action<string>? log = null) =>
        Start(socketPath, snapshot, set, log, DefaultRequestTimeout);

    internal static UapiServer Start(string socketPath, Func<CancellationToken, Task<UapiDevice>> snapshot,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task<int>>? set, Action<string>? log, TimeSpan requestTimeout,
        int maxSetBytes = MaxSetBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSetBytes);
        var server = new UapiServer(snapshot, log ?? (_ => { }), requestTimeout, maxSetBytes) { _set = set };
        // wg runs as root; wireguard-go binds under umask 077 and the listener makes the socket 0600.
        server._listener = UnixSocketListener.Start(socketPath, new UnixSocketListenerOptions
        {
            Name = "UAPI socket",
            DirectoryName = "UAPI directory",
            AlreadyServed = path => $"{path} is served by another process (wireguard-go or a second subnetrad with the same tun_name)",
            // 0755 like wireguard-go: wg lists *.sock here; the sockets themselves are 0600.
            DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            MaxConnections = MaxConnections,
            Log = server._log,
        }, server.ServeAsync, server.RefuseAsync);
        return server;
    }

    /// <summary>Stops accepting, ends open connections and removes the socket file.</summary>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private Task RefuseAsync(Socket socket, UnixSocketRefusal refusal, CancellationToken stop)
    {
        _log(refusal.TooMany
            ? $"refused connection: more than {MaxConnections} at once"
            : $"refused connection: {refusal.CredentialError ?? PeerCredentials.DenialMessage(refusal.Uid)}");
        return Task.CompletedTask;
    }

    private async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var stream = new NetworkStream(socket, ownsSocket: false);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            await ServeRequestsAsync(reader, stream, deadline, stop).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ServeRequestsAsync(PipeReader reader, NetworkStream stream, CancellationTokenSource deadline, CancellationToken stop)
    {
        while (true)
        {
            // One deadline for the whole request and its reply (see DefaultRequestTimeout).
            deadline.CancelAfter(_requestTimeout);
            string? op = await ReadLineAsync(reader, deadline.Token).ConfigureAwait(false);
            if (op is null) return;
            switch (op)
            {
                case "get=1":
                    // wireguard-go requires the empty line right after get=1.
                    if (await ReadLineAsync(reader, deadline.Token).ConfigureAwait(false) is not "") return;
                    await WriteGetReplyAsync(stream, deadline, stop).ConfigureAwait(false);
                    break;
                case "set=1" when _set is not null:
                    if (!await ServeSetAsync(reader, stream, deadline, stop).ConfigureAwait(false)) return;
                    break;
                case "set=1":
                    if (!await DiscardSetAsync(reader, deadline.Token).ConfigureAwait(false)) return;
                    _log("refused a UAPI set (wg set / wg setconf): configuration comes from the JSON config; edit it and run 'subnetra reload'");
                    await WriteAsync(stream, UapiText.SetError(UapiText.EPERM), deadline.Token).ConfigureAwait(false);
                    break;
                default:
                    _log($"unknown UAPI operation '{(op.Length > 32 ? op[..32] + "..." : op)}'; closing the connection");
                    return;
            }
        }
    }

    /// <summary>
    /// Reads a set's lines up to the empty one as bytes into a pooled buffer (private_key and
    /// preshared_key hex never become strings; the buffer is zeroed when done), hands the body to the
    /// set function and answers its errno. False when the connection is to be closed.
    /// </summary>
    private async Task<bool> ServeSetAsync(PipeReader reader, NetworkStream stream, CancellationTokenSource deadline, CancellationToken stop)
    {
        using var body = new SecretReplyBuffer(16 * 1024);
        int lines = 0;
        while (true)
        {
            int length = await ReadLineIntoAsync(reader, body, deadline.Token).ConfigureAwait(false);
            if (length < 0) return false;
            if (length == 0) break;
            lines++;
            if (lines > MaxSetLines || body.Length > _maxSetBytes)
            {
                // Refused whole (see MaxSetBytes): nothing of it reaches the set function.
                _log(body.Length > _maxSetBytes
                    ? $"UAPI set larger than {_maxSetBytes} bytes; refused (EPROTO), closing the connection"
                    : $"UAPI set longer than {MaxSetLines} lines; refused (EPROTO), closing the connection");
                await WriteAsync(stream, UapiText.SetError(UapiErrno.EPROTO), deadline.Token).ConfigureAwait(false);
                return false;
            }
        }
        // Applying runs on the packet loop: its time is the node's, not the client's.
        deadline.CancelAfter(Timeout.InfiniteTimeSpan);
        int errno;
        try
        {
            errno = await _set!(body.Written, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            _log($"UAPI set failed: {ex.Message}");
            errno = UapiText.EIO;
        }
        body.Clear();
        deadline.CancelAfter(_requestTimeout);
        await WriteAsync(stream, UapiText.SetError(errno), deadline.Token).ConfigureAwait(false);
        return true;
    }

    /// <summary>Reads a refused set to its empty line, line by line into a buffer zeroed after each (its keys never become strings).</summary>
    private static async Task<bool> DiscardSetAsync(PipeReader reader, CancellationToken deadline)
    {
        using var line = new SecretReplyBuffer(256);
        while (true)
        {
            int length = await ReadLineIntoAsync(reader, line, deadline).ConfigureAwait(false);
            line.Clear();
            if (length <= 0) return length == 0;
        }
    }

    /// <summary>
    /// The get reply holds the private key and every PSK: it is formatted as bytes into a pooled buffer
    /// and never becomes a string. It is streamed: the buffer is written out and zeroed each time it holds
    /// <see cref="UapiText.ChunkBytes"/>, so 130,560 allowed IPs cost one chunk of memory, not a 3 MB reply.
    /// The snapshot itself is taken whole on the loop thread (consistent) and compact (prefixes as
    /// <see cref="System.Net.IPNetwork"/> values, formatted here chunk by chunk).
    /// </summary>
    private async Task WriteGetReplyAsync(NetworkStream stream, CancellationTokenSource deadline, CancellationToken stop)
    {
        using var reply = new SecretReplyBuffer(UapiText.ChunkBytes + 1024);
        UapiDevice device;
        // The snapshot runs on the packet loop: its time is the node's, not the client's.
        deadline.CancelAfter(Timeout.InfiniteTimeSpan);
        try
        {
            device = await _snapshot(stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            _log($"UAPI get failed: {ex.Message}");
            deadline.CancelAfter(_requestTimeout);
            await WriteAsync(stream, UapiText.GetError(UapiText.EIO), deadline.Token).ConfigureAwait(false);
            return;
        }
        using (device)
        {
            deadline.CancelAfter(_requestTimeout);
            await UapiText.WriteGetAsync(device, reply, stream, deadline.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Replies without key material (errors).</summary>
    private static async Task WriteAsync(NetworkStream stream, string text, CancellationToken deadline) =>
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), deadline).ConfigureAwait(false);

    /// <summary>
    /// Appends the next line (without its '\n' and a trailing '\r') and a '\n' to <paramref name="into"/>
    /// and returns its length; 0 for the empty line (nothing appended); -1 at end of stream or when the
    /// line is too long. The bytes go from the pipe to the buffer without a string in between.
    /// </summary>
    private static async Task<int> ReadLineIntoAsync(PipeReader reader, SecretReplyBuffer into, CancellationToken deadline)
    {
        while (true)
        {
            ReadResult read = await reader.ReadAsync(deadline).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            SequencePosition? newline = buffer.PositionOf((byte)'\n');
            if (newline is { } nl)
            {
                ReadOnlySequence<byte> line = buffer.Slice(0, nl);
                if (line.Length > MaxLineBytes) return -1;
                int length = (int)line.Length;
                Span<byte> dest = into.Reserve(length);
                line.CopyTo(dest);
                if (length > 0 && dest[length - 1] == (byte)'\r')
                {
                    dest[length - 1] = 0;
                    into.Unreserve(1);
                    length--;
                }
                reader.AdvanceTo(buffer.GetPosition(1, nl));
                if (length > 0) into.Append("\n"u8);
                return length;
            }
            if (buffer.Length > MaxLineBytes || read.IsCompleted) return -1;
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Next line without '\n' (and a trailing '\r'); null at end of stream or when a line is too long.</summary>
    private static async Task<string?> ReadLineAsync(PipeReader reader, CancellationToken deadline)
    {
        while (true)
        {
            ReadResult read = await reader.ReadAsync(deadline).ConfigureAwait(false);
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
