using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Overlay.Os.Control;
using Overlay.Protocol.Control;

// These tests run only on Linux and macOS; the Unix file-mode APIs are always there.
#pragma warning disable CA1416

namespace Overlay.Os.Tests.Control;

public sealed class ControlServerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly ControlRequest StatusRequest = new() { Command = ControlCommands.Status };

    private readonly string _dir;
    private readonly string _socketPath;
    private int _handled;

    public ControlServerTests()
    {
        // Short path under /tmp: sun_path holds at most 107 bytes on Linux.
        _dir = Path.Combine("/tmp", "ctl-" + Guid.NewGuid().ToString("N")[..12]);
        _socketPath = Path.Combine(_dir, "run", "subnetra.sock");
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private ValueTask<ControlResponse> FakeHandler(ControlRequest request, CancellationToken ct)
    {
        int n = Interlocked.Increment(ref _handled);
        return ValueTask.FromResult(ControlResponse.ForStatus(new StatusSnapshot
        {
            Version = "0.1.0",
            Role = "spoke",
            LocalId = 7,
            Tun = "snr0",
            UdpPorts = [40000],
            Socket = _socketPath,
            UptimeSeconds = n,
        }));
    }

    private ControlServer StartServer(ControlServerOptions? options = null)
        => ControlServer.Start(_socketPath, FakeHandler, options);

    [Fact]
    public async Task SendAsync_Status_RoundTripsThroughHandler()
    {
        await using ControlServer server = StartServer();

        ControlResponse reply = await ControlClient.SendAsync(_socketPath, StatusRequest, Timeout);

        Assert.True(reply.Ok);
        Assert.Null(reply.Error);
        Assert.Equal("spoke", reply.Status!.Role);
        Assert.Equal(7, reply.Status.LocalId);
        Assert.Equal([40000], reply.Status.UdpPorts);
        Assert.Equal(_socketPath, server.SocketPath);
        Assert.Equal(1, _handled);
    }

    [Fact]
    public async Task Serve_TwoRequestsInOneWrite_AnswersBothInOrder()
    {
        await using ControlServer server = StartServer();
        using var client = await RawClient.ConnectAsync(_socketPath);

        await client.SendAsync("{\"command\":\"status\"}\n{\"command\":\"status\"}\n");

        Assert.Equal(1, Uptime(await client.ReadLineAsync()));
        Assert.Equal(2, Uptime(await client.ReadLineAsync()));
    }

    [Fact]
    public async Task Serve_SeveralRequestsOnOneConnection_AnswersEach()
    {
        await using ControlServer server = StartServer();
        using var client = await RawClient.ConnectAsync(_socketPath);

        for (int i = 1; i <= 3; i++)
        {
            await client.SendAsync("{\"command\":\"status\"}\n");
            Assert.Equal(i, Uptime(await client.ReadLineAsync()));
        }
    }

    [Fact]
    public async Task Serve_RequestSplitAcrossWrites_AnswersOnceComplete()
    {
        await using ControlServer server = StartServer();
        using var client = await RawClient.ConnectAsync(_socketPath);

        await client.SendAsync("{\"comm");
        await Task.Delay(50);
        await client.SendAsync("and\":\"sta");
        await Task.Delay(50);
        Assert.Equal(0, _handled);
        await client.SendAsync("tus\"}\r\n");

        Assert.Equal(1, Uptime(await client.ReadLineAsync()));
    }

    [Fact]
    public async Task Serve_LastRequestWithoutNewlineBeforeShutdown_IsAnswered()
    {
        await using ControlServer server = StartServer();
        using var client = await RawClient.ConnectAsync(_socketPath);

        await client.SendAsync("{\"command\":\"status\"}");
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(1, Uptime(await client.ReadLineAsync()));
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task Serve_OversizedLine_RepliesErrorThenCloses()
    {
        await using ControlServer server = StartServer();
        using var client = await RawClient.ConnectAsync(_socketPath);

        // No newline at all: the server must give up at 64 KiB instead of buffering on.
        string big = "{\"command\":\"status\",\"pad\":\"" + new string('x', ControlJson.MaxLineBytes + 100);
        await client.SendAsync(big);

        Assert.Equal("{\"ok\":false,\"error\":\"request line longer than 65536 bytes; closing connection\"}", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
        Assert.Equal(0, _handled);
    }

    [Fact]
    public async Task Serve_OversizedLineWithNewlineInOneWrite_RepliesErrorThenCloses()
    {
        await using ControlServer server = StartServer();
        using var client = await RawClient.ConnectAsync(_socketPath);

        await client.SendAsync(new string(' ', ControlJson.MaxLineBytes + 1) + "{\"command\":\"status\"}\n");

        string? reply = await client.ReadLineAsync();
        Assert.Contains("longer than 65536 bytes", reply);
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task Serve_MalformedJson_RepliesErrorAndKeepsServing()
    {
        await using ControlServer server = StartServer();
        using var bad = await RawClient.ConnectAsync(_socketPath);

        await bad.SendAsync("this is not json\n");
        ControlResponse error = Parse(await bad.ReadLineAsync());
        Assert.False(error.Ok);
        Assert.StartsWith("invalid request: ", error.Error);

        // The same connection still works ...
        await bad.SendAsync("{\"command\":\"status\"}\n");
        Assert.True(Parse(await bad.ReadLineAsync()).Ok);
        // ... and so does everyone else.
        ControlResponse other = await ControlClient.SendAsync(_socketPath, StatusRequest, Timeout);
        Assert.True(other.Ok);
    }

    [Theory]
    [InlineData("{\"command\":\"status\",\"all\":true}", "unknown field 'all'; known fields: command, prefix, action, peer_id")]
    [InlineData("{\"command\":\"shutdown\"}", "unknown command 'shutdown'; known commands: status, policy_add, policy_del, policy_show, save, reload")]
    [InlineData("{}", "missing field 'command'")]
    public async Task Serve_InvalidRequest_RepliesOneLineError(string line, string expected)
    {
        await using ControlServer server = StartServer();
        using var client = await RawClient.ConnectAsync(_socketPath);

        await client.SendAsync(line + "\n");
        string? reply = await client.ReadLineAsync();

        ControlResponse r = Parse(reply);
        Assert.False(r.Ok);
        Assert.Contains(expected, r.Error);
        Assert.Null(r.Status);
        Assert.DoesNotContain("\"status\"", reply);
        Assert.Equal(0, _handled);
    }

    [Fact]
    public async Task Serve_HandlerThrows_RepliesInternalErrorAndKeepsServing()
    {
        int calls = 0;
        await using ControlServer server = ControlServer.Start(_socketPath, (req, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 1) throw new InvalidOperationException("loop is gone");
            return ValueTask.FromResult(new ControlResponse { Ok = true });
        });
        using var client = await RawClient.ConnectAsync(_socketPath);

        await client.SendAsync("{\"command\":\"status\"}\n{\"command\":\"status\"}\n");

        Assert.Equal("{\"ok\":false,\"error\":\"internal error in 'status': loop is gone\"}", await client.ReadLineAsync());
        Assert.Equal("{\"ok\":true}", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Serve_SilentConnection_IsClosedAtRequestDeadline()
    {
        await using ControlServer server = StartServer(new ControlServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(200) });
        using var client = await RawClient.ConnectAsync(_socketPath);

        var sw = Stopwatch.StartNew();
        Assert.Null(await client.ReadLineAsync());
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
    }

    /// <summary>Sends <paramref name="pattern"/> over and over, one byte every 50 ms, until the server closes or 10 s pass (far past any deadline under test, so "never closed" fails the 6 s bounds).</summary>
    internal static async Task<TimeSpan> TrickleUntilClosedAsync(Socket socket, string pattern)
    {
        var sw = Stopwatch.StartNew();
        byte[] bytes = Encoding.ASCII.GetBytes(pattern);
        int next = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                await socket.SendAsync(bytes.AsMemory(next, 1), SocketFlags.None);
                next = (next + 1) % bytes.Length;
                await Task.Delay(50);
                if (socket.Poll(0, SelectMode.SelectRead))
                {
                    // Readable: the server closed (0 bytes) or reset; a slow-loris client gets no reply.
                    byte[] buffer = new byte[256];
                    if (socket.Receive(buffer) == 0) return sw.Elapsed;
                }
            }
            catch (SocketException)
            {
                return sw.Elapsed;
            }
        }
        return sw.Elapsed;
    }

    [Fact]
    public async Task Serve_SlowLorisClient_ClosedAtDeadlineDespiteTrickledBytes()
    {
        // Before: an idle timer that every read restarted, so one byte per 50 ms kept the slot forever.
        await using ControlServer server = StartServer(new ControlServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await RawClient.ConnectAsync(_socketPath);

        TimeSpan held = await TrickleUntilClosedAsync(client.Socket, "{x");

        Assert.InRange(held, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task Serve_AllSlotsHeldBySlowClients_NewClientServedAfterDeadline()
    {
        await using ControlServer server = StartServer(new ControlServerOptions { MaxConnections = 3, RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var slow = new List<RawClient>();
        for (int i = 0; i < 3; i++)
        {
            // One answered request first: the connection is admitted (holds a slot) before it turns slow.
            RawClient c = await RawClient.ConnectAsync(_socketPath);
            await c.SendAsync("{\"command\":\"status\"}\n");
            Assert.True(Parse(await c.ReadLineAsync()).Ok);
            slow.Add(c);
        }
        Task<TimeSpan>[] trickles = slow.Select(c => Task.Run(() => TrickleUntilClosedAsync(c.Socket, "{x"))).ToArray();

        using (var early = await RawClient.ConnectAsync(_socketPath))
            Assert.Equal("{\"ok\":false,\"error\":\"too many control connections (at most 3)\"}", await early.ReadLineAsync());

        foreach (TimeSpan held in await Task.WhenAll(trickles)) Assert.True(held < TimeSpan.FromSeconds(6), $"held {held}");
        await Task.Delay(50);   // the listener counts the closed slots down after closing
        using var late = await RawClient.ConnectAsync(_socketPath);
        await late.SendAsync("{\"command\":\"status\"}\n");
        Assert.True(Parse(await late.ReadLineAsync()).Ok);
        foreach (RawClient c in slow) c.Dispose();
    }

    [Fact]
    public async Task Serve_RequestsInTime_EachGetsAFreshDeadline()
    {
        await using ControlServer server = StartServer(new ControlServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(1500) });
        using var client = await RawClient.ConnectAsync(_socketPath);
        for (int i = 0; i < 4; i++)
        {
            await Task.Delay(500);   // 4 x 500 ms: longer than one deadline in total, each request well within its own
            await client.SendAsync("{\"command\":\"status\"}\n");
            Assert.True(Parse(await client.ReadLineAsync()).Ok);
        }
    }

    [Fact]
    public async Task Serve_BlankLines_DoNotExtendTheDeadline()
    {
        await using ControlServer server = StartServer(new ControlServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await RawClient.ConnectAsync(_socketPath);
        TimeSpan held = await TrickleUntilClosedAsync(client.Socket, "\n");
        Assert.InRange(held, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task Serve_MoreThanMaxConnections_ExtraOneGetsErrorAndIsClosed()
    {
        await using ControlServer server = StartServer(new ControlServerOptions { MaxConnections = 1 });
        using var first = await RawClient.ConnectAsync(_socketPath);
        await first.SendAsync("{\"command\":\"status\"}\n");
        Assert.True(Parse(await first.ReadLineAsync()).Ok);

        using var second = await RawClient.ConnectAsync(_socketPath);
        Assert.Equal("{\"ok\":false,\"error\":\"too many control connections (at most 1)\"}", await second.ReadLineAsync());
        Assert.Null(await second.ReadLineAsync());
    }

    [Fact]
    public async Task Start_MissingParent_CreatesDir0700AndSocket0600()
    {
        await using ControlServer server = StartServer();

        string dir = Path.GetDirectoryName(_socketPath)!;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_socketPath));
    }

    [Fact]
    public async Task Start_ExistingParent_LeavesItsModeAlone()
    {
        string dir = Path.GetDirectoryName(_socketPath)!;
        const UnixFileMode mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, mode0755);

        await using ControlServer server = StartServer();

        Assert.Equal(mode0755, File.GetUnixFileMode(dir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_socketPath));
    }

    [Fact]
    public async Task DisposeAsync_RemovesSocketFileAndEndsConnections()
    {
        ControlServer server = StartServer();
        using var client = await RawClient.ConnectAsync(_socketPath);

        await server.DisposeAsync();

        Assert.False(File.Exists(_socketPath));
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task DisposeAsync_HandlerIgnoringCancellation_StillCompletes()
    {
        var never = new TaskCompletionSource<ControlResponse>();
        var entered = new TaskCompletionSource();
        ControlServer server = ControlServer.Start(_socketPath, (_, _) =>
        {
            entered.TrySetResult();
            return new ValueTask<ControlResponse>(never.Task);
        });
        using var client = await RawClient.ConnectAsync(_socketPath);
        await client.SendAsync("{\"command\":\"status\"}\n");
        await entered.Task.WaitAsync(Timeout);

        await server.DisposeAsync().AsTask().WaitAsync(Timeout);

        Assert.False(File.Exists(_socketPath));
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task Serve_ManyConcurrentClients_EachGetsItsReply()
    {
        await using ControlServer server = StartServer();

        ControlResponse[] replies = await Task.WhenAll(
            Enumerable.Range(0, 12).Select(_ => ControlClient.SendAsync(_socketPath, StatusRequest, Timeout)));

        Assert.All(replies, r => Assert.True(r.Ok));
        Assert.Equal(12, _handled);
    }

    [Fact]
    public async Task Start_StaleSocketFileWithoutListener_IsReplaced()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_socketPath)!);
        CreateStaleSocket(_socketPath);
        Assert.True(File.Exists(_socketPath));
        await Assert.ThrowsAsync<DaemonNotRunningException>(() => ControlClient.SendAsync(_socketPath, StatusRequest, Timeout));

        await using ControlServer server = StartServer();

        Assert.True((await ControlClient.SendAsync(_socketPath, StatusRequest, Timeout)).Ok);
    }

    [Fact]
    public async Task Start_LiveSocket_RefusesWithClearError()
    {
        await using ControlServer first = StartServer();

        IOException ex = Assert.Throws<IOException>(() => ControlServer.Start(_socketPath, FakeHandler));

        Assert.Equal($"another subnetrad is already listening on {_socketPath}; set SUBNETRA_SOCK for a second instance", ex.Message);
        // The refused start must not have taken the first daemon's socket away.
        Assert.True((await ControlClient.SendAsync(_socketPath, StatusRequest, Timeout)).Ok);
    }

    [Fact]
    public void Start_PathIsDirectory_Refuses()
    {
        Directory.CreateDirectory(_socketPath);
        IOException ex = Assert.Throws<IOException>(() => ControlServer.Start(_socketPath, FakeHandler));
        Assert.Contains("is a directory", ex.Message);
    }

    [Fact]
    public void Start_PathTooLongForSunPath_ExplainsIt()
    {
        string path = Path.Combine(_dir, new string('s', 120));
        IOException ex = Assert.Throws<IOException>(() => ControlServer.Start(path, FakeHandler));
        Assert.Contains("too long", ex.Message);
        Assert.Contains("SUBNETRA_SOCK", ex.Message);
    }

    [Fact]
    public async Task SendAsync_MissingSocket_ThrowsDaemonNotRunning()
    {
        var ex = await Assert.ThrowsAsync<DaemonNotRunningException>(
            () => ControlClient.SendAsync(_socketPath, StatusRequest, Timeout));
        Assert.Equal($"daemon not running (socket {_socketPath})", ex.Message);
        Assert.Equal(_socketPath, ex.SocketPath);
    }

    [Fact]
    public async Task SendAsync_MissingSocketDirectory_ThrowsDaemonNotRunning()
    {
        string path = Path.Combine(_dir, "no-such-dir", "control.sock");
        var ex = await Assert.ThrowsAsync<DaemonNotRunningException>(
            () => ControlClient.SendAsync(path, StatusRequest, Timeout));
        Assert.Equal($"daemon not running (socket {path})", ex.Message);
    }

    // connect(2) errors as .NET reports them (SocketError; ENOENT arrives as AddressNotAvailable).
    [Theory]
    [InlineData(SocketError.AddressNotAvailable)]   // ENOENT: no socket file
    [InlineData(SocketError.ConnectionRefused)]     // ECONNREFUSED: stale file, nobody listening
    public void MapConnectError_NoListener_IsDaemonNotRunning(SocketError error)
    {
        IOException ex = ControlClient.MapConnectError("/run/subnetra/x.sock", new SocketException((int)error));
        DaemonNotRunningException dnr = Assert.IsType<DaemonNotRunningException>(ex);
        Assert.Equal("daemon not running (socket /run/subnetra/x.sock)", dnr.Message);
    }

    [Fact]
    public void MapConnectError_AccessDenied_SaysPermissionDeniedNotDaemonDown()
    {
        IOException ex = ControlClient.MapConnectError("/run/subnetra/x.sock", new SocketException((int)SocketError.AccessDenied));
        Assert.IsNotType<DaemonNotRunningException>(ex);
        Assert.Equal("permission denied on control socket /run/subnetra/x.sock: run as root or as the daemon's user", ex.Message);
    }

    [Fact]
    public void MapConnectError_OtherError_IsPlainIOExceptionWithSystemMessage()
    {
        var inner = new SocketException((int)SocketError.NetworkDown);
        IOException ex = ControlClient.MapConnectError("/s.sock", inner);
        Assert.IsNotType<DaemonNotRunningException>(ex);
        Assert.Equal($"control socket /s.sock: {inner.Message}", ex.Message);
    }

    [Fact]
    public async Task SendAsync_HandlerNeverAnswers_ThrowsTimeout()
    {
        var never = new TaskCompletionSource<ControlResponse>();
        await using ControlServer server = ControlServer.Start(_socketPath, (_, ct) =>
        {
            ct.Register(() => never.TrySetCanceled());
            return new ValueTask<ControlResponse>(never.Task);
        });

        var ex = await Assert.ThrowsAsync<TimeoutException>(
            () => ControlClient.SendAsync(_socketPath, StatusRequest, TimeSpan.FromMilliseconds(200)));
        Assert.Contains(_socketPath, ex.Message);
    }

    private static void CreateStaleSocket(string path)
    {
        // A process that bound the path and died: the file stays, nobody listens.
        // Done in a child so no cleanup of ours can remove the file.
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)", path },
        };
        using Process p = Process.Start(psi)!;
        Assert.True(p.WaitForExit(10_000));
        Assert.Equal(0, p.ExitCode);
    }

    private static long Uptime(string? line) => Parse(line).Status!.UptimeSeconds;

    private static ControlResponse Parse(string? line)
    {
        Assert.NotNull(line);
        return ControlJson.ParseResponse(Encoding.UTF8.GetBytes(line));
    }
}

/// <summary>A bare control-socket connection that writes raw bytes and reads raw lines.</summary>
internal sealed class RawClient : IDisposable
{
    private readonly List<byte> _pending = [];

    private RawClient(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    public static async Task<RawClient> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new RawClient(socket);
    }

    public async Task SendAsync(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int sent = 0;
        while (sent < bytes.Length) sent += await Socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
    }

    /// <summary>The next line without its newline, or null when the server closed the connection.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[4096];
        while (true)
        {
            int newline = _pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                string line = Encoding.UTF8.GetString(_pending.GetRange(0, newline).ToArray());
                _pending.RemoveRange(0, newline + 1);
                return line;
            }
            int n;
            try
            {
                n = await Socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                return null;
            }
            if (n == 0) return null;
            _pending.AddRange(buffer.AsSpan(0, n));
        }
    }

    public void Dispose() => Socket.Dispose();
}
