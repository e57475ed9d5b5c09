using System.Buffers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Overlay.Protocol.Control;

namespace Overlay.Os.Control;

/// <summary>
/// No daemon answers on the control socket: the file is missing or nothing listens on it.
/// The message is what the CLI prints: <c>daemon not running (socket PATH)</c>.
/// </summary>
public sealed class DaemonNotRunningException : IOException
{
    public DaemonNotRunningException(string socketPath, Exception? inner = null)
        : base($"daemon not running (socket {socketPath})", inner)
    {
        SocketPath = socketPath;
    }

    public string SocketPath { get; }
}

/// <summary>
/// One-shot client for the control socket: connect, send one request line, read one reply
/// line, close. Failures are typed so the CLI can say what went wrong:
/// <see cref="DaemonNotRunningException"/> (no socket or nobody listening),
/// <see cref="TimeoutException"/> (no reply in time), <see cref="IOException"/> (permission
/// denied on the socket file, connection dropped, reply not JSON).
/// </summary>
public static class ControlClient
{
    /// <summary>Longest reply accepted; a status with thousands of peers stays far below it.</summary>
    public const int MaxReplyBytes = 16 * 1024 * 1024;

    public static async Task<ControlResponse> SendAsync(
        string socketPath, ControlRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        string line = await SendRawAsync(socketPath, request, timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            return ControlJson.ParseResponse(Encoding.UTF8.GetBytes(line));
        }
        catch (JsonException ex)
        {
            throw new IOException($"invalid reply from daemon on {socketPath}: {ex.Message}", ex);
        }
    }

    /// <summary>Like <see cref="SendAsync"/> but returns the reply line as received (no newline), unparsed.</summary>
    public static async Task<string> SendRawAsync(
        string socketPath, ControlRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(request);
        // No File.Exists pre-check: inside the 0700 socket directory it is false for a non-root
        // user, which would turn "permission denied" into "daemon not running". connect(2) tells both apart.

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw MapConnectError(socketPath, ex);
            }

            var requestLine = new ArrayBufferWriter<byte>();
            ControlJson.WriteLine(requestLine, request, ControlJson.Request);
            await socket.SendAsync(requestLine.WrittenMemory, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            return await ReadLineAsync(socket, socketPath, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no reply from the daemon within {timeout.TotalSeconds:0.#} s (socket {socketPath})");
        }
        catch (SocketException ex)
        {
            throw new IOException($"control socket {socketPath}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The exception for a failed connect(2) on the control socket (connect(2), unix(7)):
    /// ENOENT (no socket file, or no directory) and ECONNREFUSED (a stale file, nobody listening)
    /// are <see cref="DaemonNotRunningException"/>; EACCES/EPERM (search permission on the 0700
    /// directory or write permission on the socket denied) is an <see cref="IOException"/> saying so;
    /// anything else is an <see cref="IOException"/> with the system's message.
    /// </summary>
    internal static IOException MapConnectError(string socketPath, SocketException ex)
    {
        // .NET maps ENOENT to AddressNotAvailable; the native errno (Linux and macOS agree on
        // ENOENT 2, EPERM 1, EACCES 13) is checked too so the mapping does not rest on that translation alone.
        const int EPERM = 1, ENOENT = 2, EACCES = 13;
        if (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable || ex.NativeErrorCode == ENOENT)
            return new DaemonNotRunningException(socketPath, ex);
        if (ex.SocketErrorCode == SocketError.AccessDenied || ex.NativeErrorCode is EACCES or EPERM)
            return new IOException($"permission denied on control socket {socketPath}: run as root or as the daemon's user", ex);
        return new IOException($"control socket {socketPath}: {ex.Message}", ex);
    }

    private static async Task<string> ReadLineAsync(Socket socket, string socketPath, CancellationToken cancellationToken)
    {
        var received = new ArrayBufferWriter<byte>(4096);
        int scanned = 0;
        while (true)
        {
            Memory<byte> chunk = received.GetMemory(4096);
            int n = await socket.ReceiveAsync(chunk, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException($"daemon closed the control connection without a reply (socket {socketPath})");
            }
            received.Advance(n);
            int newline = received.WrittenSpan[scanned..].IndexOf((byte)'\n');
            if (newline >= 0)
            {
                return Encoding.UTF8.GetString(received.WrittenSpan[..(scanned + newline)]).TrimEnd('\r');
            }
            scanned = received.WrittenCount;
            if (scanned > MaxReplyBytes)
            {
                throw new IOException($"reply from daemon longer than {MaxReplyBytes} bytes (socket {socketPath})");
            }
        }
    }
}
