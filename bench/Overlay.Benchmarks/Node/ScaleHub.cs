using System.Text;
using Overlay.Hub;
using Overlay.Os.Node;
using Overlay.Protocol.Config;
using Overlay.Spoke;
using Overlay.Tests.Fakes;

namespace Overlay.Benchmarks.Node;

/// <summary>
/// A hub with <c>links</c> PSK links over the in-memory fakes, built from a real config as the daemon builds it:
/// links 2 and 3 are real spokes with sessions; every other link has a configured endpoint nobody answers and
/// the hub's keepalive_secs = 25, so each idle link has armed timers (a handshake retransmit about 5 s out and
/// its keepalive), none due. The clock is a frozen <see cref="ManualTimeProvider"/>, so nothing comes due while
/// a benchmark runs.
/// </summary>
internal sealed class ScaleHub
{
    public sealed class Node(NodeDataPath dataPath, FakeTun tun, ManualTimeProvider time)
    {
        public readonly NodeDataPath DataPath = dataPath;
        public readonly FakeTun Tun = tun;

        public void Turn()
        {
            long now = time.GetTimestamp();
            DataPath.BeginTurn(now);
            DataPath.OnUdpReadable(0);
            DataPath.OnTunReadable();
            if (DataPath.NextDeadlineTimestamp <= now) DataPath.OnTimer();
            DataPath.EndTurn();
        }
    }

    public readonly ManualTimeProvider Time = new();
    public readonly Node Hub, Spoke1, Spoke2;

    public static string Address(int id) => $"198.18.{id >> 8}.{id & 255}";
    private static string Psk(int id) => id.ToString("x64");

    /// <summary>The hub's config: peers 2..links+1; the real spokes are 2 and 3 (when links is 1, only 2).</summary>
    public static string HubJson(int links, bool idleEndpoints = true, int keepalive = 25)
    {
        var peers = new StringBuilder();
        for (int id = 2; id < links + 2; id++)
        {
            if (id > 2) peers.Append(",\n");
            string endpoint = idleEndpoints && id > 3 ? $"\"endpoint\": \"198.19.{id >> 8}.{id & 255}:51820\", " : "";
            peers.Append($$"""{ "id": {{id}}, "name": "s{{id}}", {{endpoint}}"allowed_src": "{{Address(id)}}/32", "psk": "{{Psk(id)}}" }""");
        }
        string ka = keepalive > 0 ? $"\"keepalive_secs\": {keepalive}, " : "";
        return $$"""
            { "role": "hub", "virtual_subnet": "198.18.0.0/15", "local_id": 1, "local_tun_ip": "198.18.0.1/15", "listen_port": 51820, {{ka}}
              "peers": [ {{peers}} ] }
            """;
    }

    public static string SpokeJson(int id, string hubEndpoint) => $$"""
        { "role": "spoke", "virtual_subnet": "198.18.0.0/15", "local_id": {{id}}, "local_tun_ip": "{{Address(id)}}/15",
          "peers": [ { "id": 1, "name": "hub", "endpoint": "{{hubEndpoint}}", "psk": "{{Psk(id)}}" } ] }
        """;

    public static OverlayConfig Load(string json)
    {
        ConfigLoadResult r = ConfigLoader.LoadJson(json, "bench.json");
        if (r.Config is null) throw new InvalidOperationException(string.Join("; ", r.Errors.Take(5)));
        return r.Config;
    }

    public ScaleHub(int links)
    {
        var network = new FakeNetwork();
        Hub = Build(Load(HubJson(links)), network, "198.18.255.1:51820", new HubPolicy(Time));
        Spoke1 = Build(Load(SpokeJson(2, "198.18.255.1:51820")), network, "198.18.254.2:40002", new SpokePolicy());
        Spoke2 = links >= 2 ? Build(Load(SpokeJson(3, "198.18.255.1:51820")), network, "198.18.254.3:40003", new SpokePolicy()) : Spoke1;
        Hub.DataPath.Start();
        Spoke1.DataPath.Start();
        if (links >= 2) Spoke2.DataPath.Start();
        for (int i = 0; i < 10; i++)
        {
            Hub.Turn();
            Spoke1.Turn();
            if (links >= 2) Spoke2.Turn();
        }
        if (Hub.DataPath.Counters.SessionsEstablished < Math.Min(links, 2)) throw new InvalidOperationException("handshakes did not complete");
        // Time moves once, to a moment where nothing is due (the idle links' retransmits are ~5 s out).
        Time.Advance(TimeSpan.FromSeconds(1));
        Hub.Turn();
        if (Hub.DataPath.NextDeadlineTimestamp <= Time.GetTimestamp()) throw new InvalidOperationException("a timer is due");
    }

    private Node Build(OverlayConfig config, FakeNetwork network, string at, IRolePolicy policy)
    {
        var tun = new FakeTun();
        return new Node(new NodeDataPath(NodeSetupBuilder.Build(config), tun, [network.Attach(at)], Time, policy), tun, Time);
    }

    /// <summary>An IPv4/UDP test packet from 198.18.x.y of link <paramref name="from"/> to that of <paramref name="to"/>.</summary>
    public static byte[] Ipv4(int total, int from, int to) =>
        BenchPackets.Ipv4(total, [198, 18, (byte)(from >> 8), (byte)from], [198, 18, (byte)(to >> 8), (byte)to]);
}
