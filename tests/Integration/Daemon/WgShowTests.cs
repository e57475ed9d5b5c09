using System.Security.Cryptography;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Daemon;

/// <summary>
/// Issue 4 items 6 and 1: Debian's <c>wg show</c> reads our daemons through the UAPI socket
/// (/var/run/wireguard/&lt;tun&gt;.sock), and the control socket refuses a non-root user by its
/// peer-credential check. Hub + one spoke in namespaces, unique tun names (the UAPI path is
/// global across namespaces), addresses only in 198.18.0.0/15.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class WgShowTests
{
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(20);

    private sealed record Pair(Topology Topology, string HubTun, string SpokeTun, string Psk, ManagedProcess Hub, ManagedProcess Spoke);

    private static async Task<Pair> StartPairAsync(Topology t)
    {
        string psk = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string psk3 = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string hubTun = HarnessRun.UniqueInterfaceName("hub");
        string spokeTun = HarnessRun.UniqueInterfaceName("spk");
        Node hub = t.Hub, spoke = t.Spoke(1);
        string hubConfig = HarnessRun.WriteSecretFile("hub.json", $$"""
            {
              "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1,
              "local_tun_ip": "{{hub.OverlayCidr}}", "listen_port": 51820, "tun_name": "{{hubTun}}",
              "peers": [
                { "id": 2, "name": "spoke-one", "allowed_src": "{{spoke.OverlayAddress}}/32", "psk": "{{psk}}" },
                { "id": 3, "name": "never-connects", "allowed_src": "198.19.0.3/32", "psk": "{{psk3}}" }
              ]
            }
            """);
        string spokeConfig = HarnessRun.WriteSecretFile("spoke.json", $$"""
            {
              "role": "spoke", "virtual_subnet": "198.19.0.0/24", "local_id": 2,
              "local_tun_ip": "{{spoke.OverlayCidr}}", "tun_name": "{{spokeTun}}",
              "peers": [ { "id": 1, "name": "hub", "endpoint": "{{spoke.HubAddress}}:51820", "psk": "{{psk}}" } ]
            }
            """);
        ManagedProcess hubd = hub.StartDaemon(null, "--config", hubConfig);
        await hubd.WaitForLineAsync(@"\[ready\]$", Ready);
        ManagedProcess spoked = spoke.StartDaemon(null, "--config", spokeConfig);
        await spoked.WaitForLineAsync(@"\[ready\]$", Ready);
        return new Pair(t, hubTun, spokeTun, psk, hubd, spoked);
    }

    [SkippableFact]
    public async Task WgShow_HubAndSpokeAfterPing_ListPeersWithHandshakeAndTransfer()
    {
        Requires.Netns("ping", "wg");
        Requires.DaemonBuilt();
        using Topology t = Topology.HubAndSpokes(1);
        Pair p = await StartPairAsync(t);
        Node spoke = t.Spoke(1);

        PingResult ping = spoke.Ping(t.Hub.OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(ping.AllReceived, ping.ToString());

        // Human view: wg connects to /var/run/wireguard/<tun>.sock (root namespace is fine: a path, not a netns object).
        ExecResult show = Cmd.Run("wg", "show", p.HubTun).EnsureSuccess();
        Assert.Contains($"interface: {p.HubTun}", show.Stdout);
        Assert.Contains("listening port: 51820", show.Stdout);
        Assert.Contains("latest handshake:", show.Stdout);
        Assert.Contains("transfer:", show.Stdout);
        Assert.Contains($"allowed ips: {spoke.OverlayAddress}/32", show.Stdout);

        WgDump hub = WgDump.Parse(Cmd.Run("wg", "show", p.HubTun, "dump").EnsureSuccess().Stdout);
        WgDump spk = WgDump.Parse(Cmd.Run("wg", "show", p.SpokeTun, "dump").EnsureSuccess().Stdout);

        // A hub with several PSK-derived links has one key per peer: no interface key is reported.
        Assert.Null(hub.PrivateKey);
        Assert.Equal(51820, hub.ListenPort);
        Assert.Equal(2, hub.Peers.Count);
        WgDumpPeer spokeSeenByHub = hub.Peer(spk.PublicKey!);
        WgDumpPeer idle = Assert.Single(hub.Peers, x => x != spokeSeenByHub);
        Assert.False(idle.HasHandshake);
        Assert.Null(idle.Endpoint);
        Assert.True(spokeSeenByHub.HasHandshake, "hub: no latest handshake");
        Assert.InRange(spokeSeenByHub.LatestHandshake!.Value, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(spokeSeenByHub.RxBytes > 0 && spokeSeenByHub.TxBytes > 0, $"hub transfer rx {spokeSeenByHub.RxBytes} tx {spokeSeenByHub.TxBytes}");
        Assert.Equal(Convert.ToBase64String(Convert.FromHexString(p.Psk)), spokeSeenByHub.PresharedKey);
        Assert.Equal([$"{spoke.OverlayAddress}/32"], spokeSeenByHub.AllowedIps);
        Assert.StartsWith(spoke.UnderlayAddress + ":", spokeSeenByHub.Endpoint);

        // A spoke has one link, so one identity: its key is reported, and it is the key the hub sees.
        Assert.NotNull(spk.PrivateKey);
        Assert.Equal(spokeSeenByHub.PublicKey, spk.PublicKey);
        WgDumpPeer hubSeenBySpoke = Assert.Single(spk.Peers);
        Assert.True(hubSeenBySpoke.HasHandshake, "spoke: no latest handshake");
        Assert.True(hubSeenBySpoke.RxBytes > 0 && hubSeenBySpoke.TxBytes > 0);
        Assert.Equal($"{spoke.HubAddress}:51820", hubSeenBySpoke.Endpoint);
        Assert.Equal(25, hubSeenBySpoke.PersistentKeepalive);
        Assert.Equal(["198.19.0.0/24"], hubSeenBySpoke.AllowedIps);

        // wg set is refused: configuration comes from the JSON config.
        ExecResult set = Cmd.Run("wg", "set", p.HubTun, "listen-port", "51821");
        Assert.NotEqual(0, set.ExitCode);
        Assert.Contains("Operation not permitted", set.Stderr);

        string socket = $"/var/run/wireguard/{p.HubTun}.sock";
        Assert.True(File.Exists(socket));
        Assert.Equal(0, await p.Hub.StopAsync());
        Assert.False(File.Exists(socket), "UAPI socket left behind after shutdown");
    }

    [SkippableFact]
    public async Task Daemon_UapiSocketHeldByAnotherProcess_WarnsAndStillRuns()
    {
        Requires.Netns();
        Requires.DaemonBuilt();
        using Topology t = Topology.HubAndSpokes(1);
        string tun = HarnessRun.UniqueInterfaceName("busy");
        Directory.CreateDirectory("/var/run/wireguard");
        string path = $"/var/run/wireguard/{tun}.sock";
        // A live listener on our UAPI path (as wireguard-go would be): the daemon must leave it alone.
        using var other = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        other.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        other.Listen(1);
        string psk = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string config = HarnessRun.WriteSecretFile("hub.json", $$"""
            {
              "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "listen_port": 51820, "tun_name": "{{tun}}",
              "peers": [ { "id": 2, "name": "s1", "allowed_src": "198.19.0.2/32", "psk": "{{psk}}" } ]
            }
            """);
        ManagedProcess hub = t.Hub.StartDaemon(null, "--config", config);
        await hub.WaitForLineAsync(@"\[ready\]$", Ready);
        await hub.WaitForLineAsync($"{path} is served by another process", TimeSpan.FromSeconds(5));
        Assert.True(t.Hub.RunCli("status").Succeeded);
        Assert.Equal(0, await hub.StopAsync());
        Assert.True(File.Exists(path), "the daemon removed a socket it does not own");
    }

    [SkippableFact]
    public async Task Status_NonRootUser_RefusedByCredentialCheck()
    {
        Requires.Netns("setpriv");
        Requires.DaemonBuilt();
        using Topology t = Topology.HubAndSpokes(1);
        // A world-traversable directory and (below) a world-writable socket, for this test only:
        // the file mode must let uid 65534 connect so the refusal comes from SO_PEERCRED.
        string dir = Path.Combine("/tmp", $"ovl-{HarnessRun.RunId}-nonroot-{HarnessRun.NextSequence()}");
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        try
        {
            string socket = Path.Combine(dir, "control.sock");
            string psk = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            string config = HarnessRun.WriteSecretFile("hub.json", $$"""
                {
                  "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "listen_port": 51820,
                  "tun_name": "{{HarnessRun.UniqueInterfaceName("nr")}}",
                  "peers": [ { "id": 2, "name": "s1", "allowed_src": "198.19.0.2/32", "psk": "{{psk}}" } ]
                }
                """);
            ManagedProcess hub = t.Hub.StartDaemon(new Dictionary<string, string> { ["SUBNETRA_SOCK"] = socket }, "--config", config);
            await hub.WaitForLineAsync(@"\[ready\]$", Ready);
            File.SetUnixFileMode(socket, (UnixFileMode)0b110_110_110);

            // Root is served.
            ExecResult asRoot = DaemonBinaries.RunCli(null, null, null, "status", "--socket", socket);
            Assert.True(asRoot.Succeeded, asRoot.Describe());

            // The checkout may sit under a directory nobody cannot enter (mktemp -d is 0700): run
            // a world-readable copy of the CLI so the only thing that can refuse is the daemon.
            string cliDir = Path.Combine(dir, "cli");
            Directory.CreateDirectory(cliDir, (UnixFileMode)0b111_101_101);
            foreach (string file in Directory.EnumerateFiles(Path.GetDirectoryName(DaemonBinaries.CliDll)!))
            {
                if (!file.EndsWith(".dll", StringComparison.Ordinal) && !file.EndsWith(".json", StringComparison.Ordinal)) continue;
                string copy = Path.Combine(cliDir, Path.GetFileName(file));
                File.Copy(file, copy);
                File.SetUnixFileMode(copy, (UnixFileMode)0b110_100_100);
            }
            var argv = new List<string> { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DaemonBinaries.DotnetHost!, Path.Combine(cliDir, Path.GetFileName(DaemonBinaries.CliDll)), "status", "--socket", socket };
            ExecResult asNobody = Cmd.Run(argv, TimeSpan.FromSeconds(30), environment: new Dictionary<string, string> { ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp" });
            Assert.Equal(1, asNobody.ExitCode);
            Assert.Equal("", asNobody.Stdout);
            Assert.Contains("daemon replied with an error: permission denied: uid 65534 is not root or the daemon's user", asNobody.Stderr);
            await hub.WaitForLineAsync("refused connection: permission denied: uid 65534", TimeSpan.FromSeconds(5));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
