using System.Text;
using System.Text.Json;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Conformance;

/// <summary>
/// The UAPI/IPC scenarios at the end of wireguard-go's tests/netns.sh ("Test that Netlink/IPC is
/// working properly by doing things that usually cause split responses"), run against
/// <c>subnetra-wg</c> through wg(8), with netns.sh's addresses mapped into 198.18.0.0/15 and
/// 2001:2::/48 (they are only configured, never sent to); plus <c>subnetra status</c> and
/// <c>metrics</c> reaching a subnetra-wg interface through its own control socket (issue 15 item 5).
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class UapiIpcTests
{
    private static readonly TimeSpan WgTimeout = TimeSpan.FromSeconds(60);

    private static string SetconfFile(string name, string text) => HarnessRun.WriteSecretFile(name, text);

    private static void Setconf(string ns, string interfaceName, string conf)
    {
        string file = SetconfFile("wg-ipc", conf);
        try
        {
            Netns.Exec(ns, ["wg", "setconf", interfaceName, file], WgTimeout).EnsureSuccess();
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// netns.sh: 40 peers with 52 allowed IPs each; <c>wg show wg0 allowed-ips</c> prints one line per peer
    /// of 53 words (the key and its 52 prefixes). netns.sh's a.b.0.0/16 become /30s inside 198.18.0.0/15.
    /// </summary>
    [SkippableFact]
    public async Task FortyPeersOf52AllowedIps_WgShowAllowedIps_FortyLinesOf53Words()
    {
        DaemonKit.Require("wg");
        using var topology = Topology.HubAndSpokes(1);
        WireGuardGo wg = topology.Track(await WireGuardGo.StartSubnetraWgAsync(topology.Hub.Ns));
        var conf = new StringBuilder("[Interface]\nPrivateKey = ").Append(WgKeys.GeneratePrivateKey()).Append('\n');
        for (int a = 0; a < 40; a++)
        {
            conf.Append("[Peer]\nPublicKey = ").Append(WgKeyPair.Generate().PublicKey).Append('\n');
            for (int b = 0; b < 52; b++)
            {
                int n = (a * 52 + b) * 4;   // one /30 each: 8,320 addresses of 198.18.0.0/15
                conf.Append($"AllowedIPs = 198.{18 + (n >> 16)}.{n >> 8 & 0xff}.{n & 0xff}/30\n");
            }
        }
        Setconf(topology.Hub.Ns, wg.InterfaceName, conf.ToString());

        ExecResult shown = Netns.Exec(topology.Hub.Ns, ["wg", "show", wg.InterfaceName, "allowed-ips"], WgTimeout).EnsureSuccess();
        string[] lines = shown.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(40, lines.Length);
        Assert.All(lines, l => Assert.Equal(53, l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Length));
    }

    /// <summary>
    /// netns.sh: 29 peers with no allowed IPs, then one with an IPv4 /32 and an IPv6 /128
    /// (netns.sh's 255.2.3.4/32 and abcd::255/128), and <c>wg showconf</c> succeeds and shows them all.
    /// </summary>
    [SkippableFact]
    public async Task TwentyNinePeersWithoutAllowedIpsThenOneWithTwo_WgShowconfSucceeds()
    {
        DaemonKit.Require("wg");
        using var topology = Topology.HubAndSpokes(1);
        WireGuardGo wg = topology.Track(await WireGuardGo.StartSubnetraWgAsync(topology.Hub.Ns));
        var conf = new StringBuilder();
        for (int i = 0; i < 29; i++) conf.Append("[Peer]\nPublicKey = ").Append(WgKeyPair.Generate().PublicKey).Append('\n');
        string last = WgKeyPair.Generate().PublicKey;
        conf.Append("[Peer]\nPublicKey = ").Append(last).Append("\nAllowedIPs = 198.18.2.3/32,2001:2::255/128\n");
        Setconf(topology.Hub.Ns, wg.InterfaceName, conf.ToString());

        ExecResult shown = Netns.Exec(topology.Hub.Ns, ["wg", "showconf", wg.InterfaceName], WgTimeout).EnsureSuccess();
        Assert.Equal(30, shown.Stdout.Split('\n').Count(l => l.StartsWith("PublicKey = ", StringComparison.Ordinal)));
        Assert.Contains($"PublicKey = {last}\nAllowedIPs = 198.18.2.3/32, 2001:2::255/128\n", shown.Stdout);
    }

    /// <summary>netns.sh: <c>wg show doesnotexist</c> fails, here while a subnetra-wg interface is up beside it (which still answers).</summary>
    [SkippableFact]
    public async Task WgShowDoesNotExist_FailsWhileARealInterfaceAnswers()
    {
        DaemonKit.Require("wg");
        using var topology = Topology.HubAndSpokes(1);
        WireGuardGo wg = topology.Track(await WireGuardGo.StartSubnetraWgAsync(topology.Hub.Ns));

        ExecResult missing = Netns.Exec(topology.Hub.Ns, ["wg", "show", "doesnotexist"], WgTimeout);

        Assert.False(missing.Succeeded, missing.Describe());
        Assert.Contains("Unable to access interface", missing.Stderr);
        Netns.Exec(topology.Hub.Ns, ["wg", "show", wg.InterfaceName], WgTimeout).EnsureSuccess();
    }

    /// <summary>
    /// Issue 15 item 5: a subnetra-wg interface has its own control socket, so <c>subnetra status
    /// --interface NAME --json</c> and <c>subnetra metrics --interface NAME</c> show its peer (endpoint,
    /// handshake, bytes, allowed IPs) and counters after a ping; <c>policy show</c> on it answers that wg(8)
    /// configures it.
    /// </summary>
    [SkippableFact]
    public async Task StatusAndMetrics_SubnetraWgInterfaceAfterPing_PeerAndCountersThroughCli()
    {
        Skip.If(DaemonBinaries.MissingReason is not null, DaemonBinaries.MissingReason);
        using WgPair pair = await WgPair.StartAsync();
        Assert.True(pair.Ping4(2, 1).AllReceived);
        string name = pair.Wg(1).InterfaceName;
        string peerKey = pair.Keys[1].PublicKey;

        ExecResult status = DaemonBinaries.RunCli(null, null, null, "status", "--interface", name, "--json").EnsureSuccess();
        using JsonDocument doc = JsonDocument.Parse(status.Stdout);
        JsonElement root = doc.RootElement;
        Assert.Equal("wg", root.GetProperty("role").GetString());
        Assert.Equal(name, root.GetProperty("tun").GetString());
        Assert.Equal(WgPair.ListenPort(1), root.GetProperty("udp_ports")[0].GetInt32());
        JsonElement peer = Assert.Single(root.GetProperty("peers").EnumerateArray());
        Assert.Equal(peerKey, peer.GetProperty("name").GetString());
        Assert.StartsWith(pair.NodeOf(2).UnderlayAddress + ":", peer.GetProperty("endpoint").GetString());
        Assert.True(peer.GetProperty("rx_bytes").GetInt64() > 0);
        Assert.True(peer.GetProperty("tx_bytes").GetInt64() > 0);
        Assert.True(peer.GetProperty("online").GetBoolean());
        Assert.Contains($"{WgPair.Inner4(2)}/32", peer.GetProperty("allowed_src").EnumerateArray().Select(e => e.GetString()));
        Assert.True(root.GetProperty("traffic").GetProperty("tun_rx_packets").GetInt64() >= 3);

        ExecResult metrics = DaemonBinaries.RunCli(null, null, null, "metrics", "--interface", name).EnsureSuccess();
        Assert.Contains("subnetra_up 1\n", metrics.Stdout);
        Assert.Contains("role=\"wg\"", metrics.Stdout);
        Assert.Contains("subnetra_peers 1\n", metrics.Stdout);

        ExecResult policy = DaemonBinaries.RunCli(null, null, null, "policy", "show", "--socket", Overlay.Os.Control.ControlPaths.ForInterface(name));
        Assert.Equal(1, policy.ExitCode);
        Assert.Contains($"wg set {name}", policy.Stderr);
    }
}
