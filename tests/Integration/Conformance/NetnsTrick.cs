using System.Globalization;
using System.Text.RegularExpressions;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Conformance;

/// <summary>
/// The first topology of wireguard-go's tests/netns.sh (wireguard.com/netns), mapped to our
/// address rules: both <c>subnetra-wg -f</c> daemons start in ns0 and keep their UDP sockets
/// there, their interfaces are moved into ns1 (wg1) and ns2 (wg2), and every wg(8) command runs in
/// ns0 (the UAPI socket is a file). The endpoints are on ns0's loopback: 198.18.0.1/24 (on lo the
/// whole /24 is local, as 127.0.0.0/8 is in netns.sh) and 2001:2::1/128 (netns.sh: 127.0.0.1 and
/// ::1). Inner addresses as <see cref="WgPair"/>: peer n is 198.19.241.n/24 and 2001:2:0:241::n/112;
/// listen ports 10000 and 20000 as in netns.sh.
/// </summary>
public sealed class NetnsTrick : IDisposable
{
    public const string Outer4 = "198.18.0.1";
    public const string Outer6 = "2001:2::1";
    /// <summary>netns.sh's big MTU: 34816 - 1500 + 1420.</summary>
    public const int BigMtu = 34816 - 1500 + 1420;
    public const int DefaultMtu = 1420;

    private readonly List<IDisposable> _resources = [];
    private readonly List<string> _namespaces = [];

    private NetnsTrick(string prefix) => Prefix = prefix;

    private string Prefix { get; }

    public string Ns0 => _namespaces[0];

    public List<WireGuardGo> Peers { get; } = [];

    public List<WgKeyPair> Keys { get; } = [];

    public string Psk { get; } = WgKeys.GeneratePresharedKey();

    /// <summary>The namespace holding peer n's interface (ns1, ns2).</summary>
    public string NsOf(int n) => _namespaces[n];

    public WireGuardGo Wg(int n) => Peers[n - 1];

    public static string Inner4(int n) => WgPair.Inner4(n);

    public static string Inner6(int n) => WgPair.Inner6(n);

    public static int ListenPort(int n) => n * 10000;

    /// <summary>Builds ns0..ns2, starts both daemons in ns0, moves the interfaces, configures them as netns.sh's configure_peers (no endpoints yet).</summary>
    public static async Task<NetnsTrick> StartAsync()
    {
        DaemonKit.Require("ping", "wg", "iperf3", "python3");
        var t = new NetnsTrick($"{HarnessRun.NamespacePrefix}{HarnessRun.RunId}-{HarnessRun.NextSequence()}-");
        try
        {
            for (int i = 0; i < 3; i++)
            {
                string ns = t.Prefix + "n" + i.ToString(CultureInfo.InvariantCulture);
                Netns.Create(ns);
                t._namespaces.Add(ns);
            }
            Netns.AddAddress(t.Ns0, "lo", Outer4 + "/24");
            Netns.AddAddress(t.Ns0, "lo", Outer6 + "/128");
            for (int n = 1; n <= 2; n++)
            {
                WireGuardGo wg = await WireGuardGo.StartSubnetraWgAsync(t.Ns0).ConfigureAwait(false);
                t._resources.Add(wg);
                t.Peers.Add(wg);
                t.Keys.Add(WgKeyPair.Generate());
                Netns.ExecOrThrow(t.Ns0, "ip", "link", "set", wg.InterfaceName, "netns", t.NsOf(n));
            }
            for (int n = 1; n <= 2; n++)
            {
                int other = 3 - n;
                Netns.AddAddress(t.NsOf(n), t.Wg(n).InterfaceName, Inner4(n) + "/24");
                Netns.AddAddress(t.NsOf(n), t.Wg(n).InterfaceName, Inner6(n) + "/112");
                t.Wg(n).SetPrivateKey(t.Keys[n - 1].PrivateKey, ListenPort(n));
                t.Wg(n).SetPeer(t.Keys[other - 1].PublicKey, presharedKey: t.Psk, allowedIps: [Inner4(other) + "/32", Inner6(other) + "/128"]);
                Netns.SetLinkUp(t.NsOf(n), t.Wg(n).InterfaceName);
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>netns.sh: <c>wg set wg1 peer pub2 endpoint OUTER:20000</c> and the reverse.</summary>
    public void SetEndpoints(string outer)
    {
        string host = outer.Contains(':', StringComparison.Ordinal) ? $"[{outer}]" : outer;
        Wg(1).SetPeer(Keys[1].PublicKey, endpoint: $"{host}:{ListenPort(2)}");
        Wg(2).SetPeer(Keys[0].PublicKey, endpoint: $"{host}:{ListenPort(1)}");
    }

    /// <summary><c>wg set wgN listen-port P</c> (run in ns0, where the daemon and its socket are).</summary>
    public void SetListenPort(int n, int port) =>
        Netns.Exec(Ns0, ["wg", "set", Wg(n).InterfaceName, "listen-port", port.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(15)).EnsureSuccess();

    /// <summary><c>ip link set wgN mtu M</c> in the namespace the interface now lives in.</summary>
    public void SetMtu(int mtu)
    {
        for (int n = 1; n <= 2; n++) Netns.SetMtu(NsOf(n), Wg(n).InterfaceName, mtu);
    }

    /// <summary>
    /// netns.sh's <c>ping -c 10 -f -W 1</c> (no -w: with a deadline, -c counts replies and a flood
    /// can end with more sent than received) from peer <paramref name="from"/>'s namespace; with
    /// <paramref name="size"/>, packets of exactly that many bytes with DF set (-M do), so a packet
    /// that does not fit the MTU fails instead of being fragmented. The first ping of a test waits
    /// longer (<paramref name="waitSec"/>): it carries the handshake of a daemon that has just started.
    /// </summary>
    public PingResult Ping(int from, string target, int count = 10, int? size = null, int waitSec = 1)
    {
        Netns.RequireAllowed(target);
        bool v6 = target.Contains(':', StringComparison.Ordinal);
        var argv = new List<string> { "ping", v6 ? "-6" : "-4", "-n", "-q", "-c", count.ToString(CultureInfo.InvariantCulture), "-f", "-W", waitSec.ToString(CultureInfo.InvariantCulture) };
        if (size is int bytes)
        {
            argv.AddRange(["-M", "do", "-s", (bytes - (v6 ? 48 : 28)).ToString(CultureInfo.InvariantCulture)]);
        }
        argv.Add(target);
        return Netns.ParsePing(Netns.Exec(NsOf(from), argv, TimeSpan.FromSeconds(20)).Stdout);
    }

    /// <summary>
    /// Sends one UDP datagram "X" from peer <paramref name="from"/> to peer <paramref name="to"/>'s inner
    /// IPv4 address, port 1111, and says whether it arrived within 2 s (netns.sh's ncat pair; python3 here).
    /// </summary>
    public async Task<bool> UdpArrivesAsync(int from, int to)
    {
        string listen = $"import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('{Inner4(to)}',1111))\ns.settimeout(2)\nprint('ready',flush=True)\n"
            + "try:\n  d,_=s.recvfrom(64)\n  print('got '+d.decode(),flush=True)\nexcept socket.timeout:\n  print('none',flush=True)\n";
        using ManagedProcess listener = ManagedProcess.Start(new ProcessSpec("python3", ["-c", listen]) { Netns = NsOf(to), DisplayName = "udp-listener" });
        await listener.WaitForLineAsync("ready", TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        string send = $"import socket\nsocket.socket(socket.AF_INET,socket.SOCK_DGRAM).sendto(b'X',('{Inner4(to)}',1111))\n";
        Netns.Exec(NsOf(from), ["python3", "-c", send], TimeSpan.FromSeconds(10)).EnsureSuccess();
        string line = await listener.WaitForLineAsync(new Regex("^(got|none)"), TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return line.Contains("got X", StringComparison.Ordinal);
    }

    /// <summary>The endpoint peer <paramref name="n"/> has for the other peer (<c>wg show wgN endpoints</c>, run in ns0).</summary>
    public string? EndpointSeenBy(int n) => Wg(n).Show().Peer(Keys[2 - n].PublicKey).Endpoint;

    /// <summary><c>ip -stats link show</c> of peer n's interface in its namespace: (rx bytes, tx bytes).</summary>
    public (long Rx, long Tx, string Text) InterfaceBytes(int n)
    {
        string text = Netns.Exec(NsOf(n), "ip", "-stats", "link", "show", "dev", Wg(n).InterfaceName).EnsureSuccess().Stdout;
        string[] lines = text.Split('\n');
        // Line 4 holds the RX values, line 6 the TX values; bytes come first (netns.sh reads them the same way).
        long First(string line) => long.Parse(line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        return (First(lines[3]), First(lines[5]), text);
    }

    public string Describe() => string.Join("\n", Peers.Select(p => $"{p}:\n{p.Process.Tail()}"));

    /// <summary>Stops the daemons (by PID), then deletes the namespaces. Never throws.</summary>
    public void Dispose()
    {
        for (int i = _resources.Count - 1; i >= 0; i--)
        {
            try
            {
                _resources[i].Dispose();
            }
            catch (Exception)
            {
                // Keep tearing down; the test's own assertion carries the real failure.
            }
        }
        _resources.Clear();
        for (int i = _namespaces.Count - 1; i >= 0; i--) Netns.Delete(_namespaces[i]);
        _namespaces.Clear();
    }
}
