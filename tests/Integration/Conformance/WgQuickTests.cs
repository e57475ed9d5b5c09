using System.Diagnostics;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Conformance;

/// <summary>
/// wg-quick with <c>WG_QUICK_USERSPACE_IMPLEMENTATION=subnetra-wg</c> (issue 15 item 4): this kernel
/// has no WireGuard module, so wg-quick falls back to the userspace program, which backgrounds
/// itself once the interface and the UAPI socket exist. The interface name is run-unique
/// (DESIGN.md §8: /var/run/wireguard is shared by every namespace).
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class WgQuickTests
{
    /// <summary>What the installed deploy/bin/subnetra-wg does, pointed at the test build.</summary>
    private static string WriteLauncher()
    {
        string path = Path.Combine(HarnessRun.TempDirectory, $"subnetra-wg-{HarnessRun.RunId}");
        File.WriteAllText(path, $"#!/bin/sh\nexec '{DaemonBinaries.DotnetHost}' '{DaemonBinaries.DaemonDll}' --subnetra-wg \"$@\"\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [SkippableFact]
    public async Task WgQuickUpDown_SubnetraWg_PingsThenCleanExit()
    {
        DaemonKit.Require("ping", "wg", "wg-quick", "bash");
        using var topology = Topology.HubAndSpokes(1);
        Node hub = topology.Hub, s1 = topology.Spoke(1);
        string launcher = WriteLauncher();
        WgKeyPair k1 = WgKeyPair.Generate(), k2 = WgKeyPair.Generate();

        // Peer in the hub namespace: a plain subnetra-wg configured with wg.
        WireGuardGo peer = topology.Track(await WireGuardGo.StartSubnetraWgAsync(hub.Ns));
        peer.SetPrivateKey(k1.PrivateKey, 51821);
        peer.SetPeer(k2.PublicKey, allowedIps: ["198.19.242.2/32"]);
        peer.AddAddress("198.19.242.1/24");
        peer.Up();

        string name = HarnessRun.UniqueInterfaceName("wq");
        string conf = Path.Combine(HarnessRun.TempDirectory, name + ".conf");
        File.WriteAllText(conf,
            $"[Interface]\nPrivateKey = {k2.PrivateKey}\nAddress = 198.19.242.2/24\nMTU = 1380\n\n" +
            $"[Peer]\nPublicKey = {k1.PublicKey}\nEndpoint = {s1.HubAddress}:51821\nAllowedIPs = 198.19.242.0/24\nPersistentKeepalive = 25\n");
        File.SetUnixFileMode(conf, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var env = new Dictionary<string, string> { ["WG_QUICK_USERSPACE_IMPLEMENTATION"] = launcher };
        try
        {
            ExecResult up = Cmd.Run(["ip", "netns", "exec", s1.Ns, "wg-quick", "up", conf], TimeSpan.FromSeconds(60), environment: env);
            Assert.True(up.Succeeded, up.ToString());
            Assert.Contains("Falling back to slow userspace implementation", up.Stderr);   // stderr closes: the daemon holds none of wg-quick's pipes
            Assert.True(File.Exists($"/var/run/wireguard/{name}.sock"));

            Assert.True(Netns.Ping(s1.Ns, "198.19.242.1", count: 3, deadlineSec: 10).AllReceived, peer.Process.Tail());
            ExecResult show = Netns.Exec(s1.Ns, ["wg", "show", name], TimeSpan.FromSeconds(10)).EnsureSuccess();
            Assert.Contains("latest handshake", show.Stdout);

            // wg showconf reads back what wg-quick set; syncconf of the same file changes nothing.
            ExecResult showconf = Netns.Exec(s1.Ns, ["wg", "showconf", name], TimeSpan.FromSeconds(10)).EnsureSuccess();
            Assert.Contains($"PublicKey = {k1.PublicKey}", showconf.Stdout);
            string stripped = Netns.Exec(s1.Ns, ["wg-quick", "strip", conf], TimeSpan.FromSeconds(10)).EnsureSuccess().Stdout;
            string strippedFile = HarnessRun.WriteSecretFile("wg-sync", stripped);
            Netns.Exec(s1.Ns, ["wg", "syncconf", name, strippedFile], TimeSpan.FromSeconds(10)).EnsureSuccess();
            File.Delete(strippedFile);
            Assert.True(Netns.Ping(s1.Ns, "198.19.242.1", count: 2, deadlineSec: 5).AllReceived);

            ExecResult down = Cmd.Run(["ip", "netns", "exec", s1.Ns, "wg-quick", "down", conf], TimeSpan.FromSeconds(30), environment: env);
            Assert.True(down.Succeeded, down.ToString());
            // The daemon notices its interface is gone and exits, removing its socket.
            var clock = Stopwatch.StartNew();
            while (File.Exists($"/var/run/wireguard/{name}.sock") && clock.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(100);
            Assert.False(File.Exists($"/var/run/wireguard/{name}.sock"), "subnetra-wg did not exit after wg-quick down");
            Assert.Empty(Netns.Pids(s1.Ns));
        }
        finally
        {
            // Whatever wg-quick left running in the namespace (by PID, ours only).
            foreach (int pid in Netns.Pids(s1.Ns))
            {
                try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
            }
            File.Delete(conf);
            File.Delete(launcher);
        }
    }
}
