using System.Diagnostics;
using System.Net.Sockets;
using Overlay.Os.Control;
using Overlay.Protocol.Control;

// These tests run only on Linux and macOS; the Unix file-mode APIs are always there.
#pragma warning disable CA1416

namespace Overlay.Os.Tests.Control;

public sealed class PeerCredentialsTests : IDisposable
{
    private const string SetPriv = "/usr/bin/setpriv";
    private const string Python = "/usr/bin/python3";
    private const uint NobodyUid = 65534;

    private readonly string _dir = Path.Combine("/tmp", "ctl-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData(0u, 1000u, true)]      // root may always ask
    [InlineData(1000u, 1000u, true)]   // the daemon's own user
    [InlineData(0u, 0u, true)]         // daemon runs as root, root asks
    [InlineData(1001u, 1000u, false)]  // another user
    [InlineData(65534u, 0u, false)]    // nobody against a root daemon
    public void IsAuthorized_PeerUid_RootOrDaemonUserOnly(uint peerUid, uint daemonUid, bool expected)
    {
        Assert.Equal(expected, PeerCredentials.IsAuthorized(peerUid, daemonUid));
    }

    [Fact]
    public void DenialMessage_NamesTheUid()
    {
        Assert.Equal("permission denied: uid 65534 is not root or the daemon's user", PeerCredentials.DenialMessage(65534));
    }

    [Fact]
    public async Task TryGetPeerUid_ConnectedPair_ReturnsOurEffectiveUid()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "pair.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        using Socket accepted = await listener.AcceptAsync();

        Assert.True(PeerCredentials.TryGetPeerUid(accepted, out uint uid, out string? error), error);
        Assert.Equal(PeerCredentials.DaemonUid(), uid);
    }

    /// <summary>
    /// Skips unless root with setpriv and python3 (a client as nobody), then loosens the file system
    /// for this test only, so nobody can reach the socket and a refusal must come from the credential
    /// check, not from the 0600 mode. Returns the socket path; call <see cref="OpenToEveryone"/> once
    /// the server made it.
    /// </summary>
    private string OpenSocketPathForNobody()
    {
        Skip.IfNot(PeerCredentials.DaemonUid() == 0, "needs root to run a client as another user");
        Skip.IfNot(File.Exists(SetPriv), $"{SetPriv} not installed");
        Skip.IfNot(File.Exists(Python), $"{Python} not installed");
        Directory.CreateDirectory(_dir);
        File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return Path.Combine(_dir, "subnetra.sock");
    }

    /// <summary>Runs a Python client <paramref name="script"/> as nobody (setpriv) against <paramref name="socketPath"/>.</summary>
    private static Process StartAsNobody(string script, string socketPath) =>
        Process.Start(new ProcessStartInfo(SetPriv)
        {
            ArgumentList = { $"--reuid={NobodyUid}", $"--regid={NobodyUid}", "--clear-groups", Python, "-c", script, socketPath },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        })!;

    private static void OpenToEveryone(string socketPath) =>
        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
            | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);

    [SkippableFact]
    public async Task Serve_ClientRunningAsNobody_GetsPermissionDeniedFromCredentialCheck()
    {
        string path = OpenSocketPathForNobody();
        int handled = 0;
        await using ControlServer server = ControlServer.Start(path, (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.FromResult(new ControlResponse { Ok = true });
        });
        OpenToEveryone(path);

        const string script =
            "import socket,sys\n" +
            "s=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM)\n" +
            "s.settimeout(10)\n" +
            "s.connect(sys.argv[1])\n" +
            "s.sendall(b'{\"command\":\"status\"}\\n')\n" +
            "data=b''\n" +
            "while True:\n" +
            "    chunk=s.recv(4096)\n" +
            "    if not chunk: break\n" +
            "    data+=chunk\n" +
            "sys.stdout.write(data.decode())\n";
        using Process process = StartAsNobody(script, path);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }
        }

        Assert.True(process.ExitCode == 0, $"client failed: {await stderr}");
        // One reply, then the server closed the connection (the client's read loop ended).
        Assert.Equal("{\"ok\":false,\"error\":\"permission denied: uid 65534 is not root or the daemon's user\"}\n", await stdout);
        Assert.Equal(0, handled);
    }

    [SkippableFact]
    public async Task Serve_RefusedUserHoldingConnection_DoesNotTakeTheOnlySlot()
    {
        string path = OpenSocketPathForNobody();
        await using ControlServer server = ControlServer.Start(path, (_, _) => ValueTask.FromResult(new ControlResponse { Ok = true }),
            new ControlServerOptions { MaxConnections = 1 });
        OpenToEveryone(path);

        // The refused client reads its denial, reports it, and then keeps the connection open while the
        // server drains it (up to 0.5 s): before the fix that refusal sat in the only slot meanwhile.
        const string script =
            "import socket,sys,time\n" +
            "s=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM)\n" +
            "s.settimeout(10)\n" +
            "s.connect(sys.argv[1])\n" +
            "sys.stdout.write(s.recv(4096).decode())\n" +
            "sys.stdout.flush()\n" +
            "time.sleep(2)\n";
        using Process process = StartAsNobody(script, path);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            string? denial = await process.StandardOutput.ReadLineAsync(cts.Token);
            Assert.Equal("{\"ok\":false,\"error\":\"permission denied: uid 65534 is not root or the daemon's user\"}", denial);

            using var client = await RawClient.ConnectAsync(path);
            await client.SendAsync("{\"command\":\"status\"}\n");
            Assert.Equal("{\"ok\":true}", await client.ReadLineAsync());
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
