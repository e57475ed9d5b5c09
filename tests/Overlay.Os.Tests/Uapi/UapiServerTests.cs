using System.Net;
using System.Net.Sockets;
using System.Text;
using Overlay.Os.Uapi;

namespace Overlay.Os.Tests.Uapi;

public sealed class UapiServerTests : IDisposable
{
    private readonly string _dir = Path.Combine("/tmp", "uapi-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<string> _log = new();
    private string SocketPath => Path.Combine(_dir, "wireguard", "wgtest0.sock");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Task<UapiDevice> Fake(CancellationToken _) => Task.FromResult(new UapiDevice
    {
        ListenPort = 51820,
        Peers = [new UapiPeer { PublicKey = new byte[32], PresharedKey = new byte[32], AllowedIps = [IPNetwork.Parse("198.19.0.2/32")] }],
    });

    private UapiServer Start(Func<CancellationToken, Task<UapiDevice>>? snapshot = null) =>
        UapiServer.Start(SocketPath, snapshot ?? Fake, m => { lock (_log) _log.Add(m); });

    private async Task<string> ExchangeAsync(string request)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
        await s.SendAsync(Encoding.ASCII.GetBytes(request));
        s.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n;
        while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0) received.Write(buffer, 0, n);
        return Encoding.ASCII.GetString(received.ToArray());
    }

    [Fact]
    public async Task Serve_SlowLorisClient_ClosedAtRequestDeadline()
    {
        await using UapiServer server = UapiServer.Start(SocketPath, Fake, null, TimeSpan.FromMilliseconds(300));
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));

        TimeSpan held = await Overlay.Os.Tests.Control.ControlServerTests.TrickleUntilClosedAsync(s, "get=");

        Assert.InRange(held, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task Serve_SetLinesTrickled_DeadlineCoversTheWholeRequest()
    {
        await using UapiServer server = UapiServer.Start(SocketPath, Fake, null, TimeSpan.FromMilliseconds(300));
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
        await s.SendAsync(Encoding.ASCII.GetBytes("set=1\n"));

        // Complete lines every 50 ms: under the old per-line idle timer this never ended.
        TimeSpan held = await Overlay.Os.Tests.Control.ControlServerTests.TrickleUntilClosedAsync(s, "x\n");

        Assert.InRange(held, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task Get_Request_AnswersSnapshotText()
    {
        await using UapiServer server = Start();
        string reply = await ExchangeAsync("get=1\n\n");
        Assert.Equal(UapiTextTests.Format(await Fake(default)), reply);
    }

    [Fact]
    public async Task Get_TwoRequestsOnOneConnection_BothAnswered()
    {
        await using UapiServer server = Start();
        string one = UapiTextTests.Format(await Fake(default));
        Assert.Equal(one + one, await ExchangeAsync("get=1\n\nget=1\n\n"));
    }

    [Fact]
    public async Task Set_Request_RefusedWithEpermAndLogged()
    {
        await using UapiServer server = Start();
        string reply = await ExchangeAsync("set=1\nlisten_port=1\npublic_key=" + new string('a', 64) + "\n\n");
        Assert.Equal("errno=-1\n\n", reply);
        lock (_log) Assert.Contains(_log, m => m.Contains("JSON config", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownOperation_ConnectionClosedWithoutReply()
    {
        await using UapiServer server = Start();
        Assert.Equal("", await ExchangeAsync("frobnicate=1\n\n"));
    }

    [Fact]
    public async Task Get_SnapshotFails_AnswersPositiveEio()
    {
        await using UapiServer server = Start(_ => Task.FromException<UapiDevice>(new TimeoutException("loop stuck")));
        Assert.Equal("errno=5\n\n", await ExchangeAsync("get=1\n\n"));
    }

    [Fact]
    public async Task Start_MissingDirectory_Created0755Socket0600()
    {
        await using UapiServer server = Start();
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(SocketPath)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
    }

    [Fact]
    public async Task Dispose_Running_RemovesSocketFile()
    {
        UapiServer server = Start();
        Assert.True(File.Exists(SocketPath));
        await server.DisposeAsync();
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public async Task Start_StaleSocketFile_Replaced()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SocketPath)!);
        // A process that bound the path and died: the file stays, nobody listens. In a child,
        // because .NET unlinks a socket file it bound when the socket is disposed.
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)", SocketPath },
        };
        using (var p = System.Diagnostics.Process.Start(psi)!)
        {
            Assert.True(p.WaitForExit(10_000));
            Assert.Equal(0, p.ExitCode);
        }
        Assert.True(File.Exists(SocketPath));
        await using UapiServer server = Start();
        Assert.StartsWith("listen_port=51820\n", await ExchangeAsync("get=1\n\n"));
    }

    [Fact]
    public async Task Start_LiveSocket_ThrowsIOException()
    {
        await using UapiServer first = Start();
        var ex = Assert.Throws<IOException>(() => UapiServer.Start(SocketPath, Fake));
        Assert.Contains("served by another process", ex.Message);
        Assert.True(File.Exists(SocketPath));
    }

    [Fact]
    public async Task ReadLine_OverlongLine_ConnectionClosed()
    {
        await using UapiServer server = Start();
        Assert.Equal("", await ExchangeAsync(new string('x', UapiServer.MaxLineBytes + 10) + "\n"));
    }

    [Fact]
    public async Task Set_WithSetFunction_LinesPassedAndErrnoSentNegative()
    {
        var seen = new List<string>();
        await using UapiServer server = UapiServer.Start(SocketPath, Fake, (body, _) =>
        {
            seen.AddRange(System.Text.Encoding.ASCII.GetString(body.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            return Task.FromResult(UapiErrno.EINVAL);
        });
        string reply = await ExchangeAsync("set=1\nlisten_port=1\nbogus=2\n\nget=1\n\n");
        Assert.Equal("errno=-22\n\n" + UapiTextTests.Format(await Fake(default)), reply);
        Assert.Equal(["listen_port=1", "bogus=2"], seen);
    }

    [Fact]
    public async Task Set_WithSetFunctionSucceeding_AnswersErrnoZero()
    {
        await using UapiServer server = UapiServer.Start(SocketPath, Fake, (_, _) => Task.FromResult(0));
        Assert.Equal("errno=0\n\n", await ExchangeAsync("set=1\nreplace_peers=true\n\n"));
    }

    [Fact]
    public async Task Set_OverByteBudget_RefusedWithEprotoNothingAppliedAndConnectionClosed()
    {
        int calls = 0;
        await using UapiServer server = UapiServer.Start(SocketPath, Fake, (_, _) =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(0);
        }, m => { lock (_log) _log.Add(m); }, UapiServer.DefaultRequestTimeout, maxSetBytes: 4096);
        var request = new StringBuilder("set=1\n");
        for (int i = 0; i < 200; i++) request.Append($"allowed_ip=198.19.{i}.0/24\n"); // ~5 KB > 4096
        // The get after it is never answered: the connection is closed after the refusal.
        request.Append("\nget=1\n\n");
        Assert.Equal($"errno=-{UapiErrno.EPROTO}\n\n", await ExchangeAsync(request.ToString()));
        Assert.Equal(0, calls);
        lock (_log) Assert.Contains(_log, m => m.Contains("larger than 4096 bytes"));

        // Under the budget the same server applies a set as before.
        Assert.Equal("errno=0\n\n", await ExchangeAsync("set=1\nallowed_ip=198.19.0.0/24\n\n"));
        Assert.Equal(1, calls);
        Assert.Equal(64 * 1024 * 1024, UapiServer.MaxSetBytes);
    }

    [Fact]
    public async Task Set_SetFunctionThrows_AnswersNegativeEio()
    {
        await using UapiServer server = UapiServer.Start(SocketPath, Fake, (_, _) => Task.FromException<int>(new TimeoutException("loop stuck")));
        Assert.Equal("errno=-5\n\n", await ExchangeAsync("set=1\nreplace_peers=true\n\n"));
    }

    /// <summary>Issue 15: the set body (private_key and preshared_key hex) is zeroed once the set function is done with it.</summary>
    [Fact]
    public async Task Set_BodyWithKeys_ZeroedAfterTheSetFunction()
    {
        byte[]? array = null;
        int length = 0;
        await using UapiServer server = UapiServer.Start(SocketPath, Fake, (body, _) =>
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out ArraySegment<byte> seg));
            array = seg.Array;
            length = body.Length;
            Assert.Contains("private_key=" + new string('a', 64), Encoding.ASCII.GetString(body.Span));
            return Task.FromResult(0);
        });
        Assert.Equal("errno=0\n\n", await ExchangeAsync($"set=1\nprivate_key={new string('a', 64)}\n\n"));
        Assert.NotNull(array);
        Assert.True(length > 64);
        Assert.All(array.AsSpan(0, length).ToArray(), b => Assert.Equal(0, b));
    }
}
