using System.Buffers;
using System.Text;
using System.Text.Json;
using Overlay.Protocol.Control;
using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Tests.Control;

public class ControlJsonTests
{
    private static bool Parse(string line, out ControlRequest? request, out string? error)
        => ControlJson.TryParseRequest(Encoding.UTF8.GetBytes(line), out request, out error);

    [Fact]
    public void TryParseRequest_Status_ReturnsCommand()
    {
        Assert.True(Parse("{\"command\":\"status\"}", out var request, out var error));
        Assert.Null(error);
        Assert.Equal(ControlCommands.Status, request!.Command);
    }

    [Fact]
    public void TryParseRequest_UnknownField_FailsNamingTheField()
    {
        Assert.False(Parse("{\"command\":\"status\",\"verbose\":true}", out var request, out var error));
        Assert.Null(request);
        Assert.Equal("invalid request: unknown field 'verbose'; known fields: command, prefix, action, peer_id", error);
    }

    [Fact]
    public void TryParseRequest_MissingCommand_FailsNamingTheField()
    {
        Assert.False(Parse("{}", out _, out var error));
        Assert.Equal("invalid request: missing field 'command'", error);
    }

    [Fact]
    public void TryParseRequest_UnknownCommand_FailsListingKnownCommands()
    {
        Assert.False(Parse("{\"command\":\"reboot\"}", out _, out var error));
        Assert.Equal("unknown command 'reboot'; known commands: status, policy_add, policy_del, policy_show, save, reload", error);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"command\":")]
    [InlineData("{\"command\":\"status\"} {\"command\":\"status\"}")]
    [InlineData("{\"command\":\"status\"}x")]
    [InlineData("[\"status\"]")]
    [InlineData("{\"command\":7}")]
    [InlineData("{\"command\":\"status\",\"command\":")]
    [InlineData("{\"command\":{\"nested\":[1,2]}}")]
    [InlineData("null")]
    [InlineData("")]
    public void TryParseRequest_Malformed_FailsWithoutThrowing(string line)
    {
        Assert.False(Parse(line, out var request, out var error));
        Assert.Null(request);
        Assert.StartsWith("invalid request: ", error);
    }

    [Fact]
    public void TryParseRequest_OverMaxLineBytes_Fails()
    {
        string line = "{\"command\":\"status\"" + new string(' ', ControlJson.MaxLineBytes) + "}";
        Assert.False(Parse(line, out _, out var error));
        Assert.Equal("request line longer than 65536 bytes", error);
    }

    [Fact]
    public void TryParseRequest_SequenceSplitAcrossSegments_Parses()
    {
        byte[] all = Encoding.UTF8.GetBytes("{\"command\":\"status\"}");
        var first = new Segment(all.AsMemory(0, 7));
        var last = first.Append(all.AsMemory(7));
        var seq = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        Assert.True(ControlJson.TryParseRequest(seq, out var request, out _));
        Assert.Equal("status", request!.Command);
    }

    [Fact]
    public void WriteLine_Response_IsOneSnakeCaseLineWithoutNullMembers()
    {
        var buffer = new ArrayBufferWriter<byte>();
        ControlJson.WriteLine(buffer, ControlResponse.Failure("it's \"broken\"\nbadly"), ControlJson.Response);
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Equal("{\"ok\":false,\"error\":\"it's \\\"broken\\\"\\nbadly\"}\n", text);
    }

    [Fact]
    public void StatusResponse_RoundTrip_PreservesEveryField()
    {
        StatusSnapshot snapshot = SampleSnapshot();
        string line = ControlJson.Serialize(ControlResponse.ForStatus(snapshot), ControlJson.Response);
        ControlResponse back = ControlJson.ParseResponse(Encoding.UTF8.GetBytes(line));

        Assert.True(back.Ok);
        Assert.Null(back.Error);
        Assert.Equal(line, ControlJson.Serialize(back, ControlJson.Response));
        StatusSnapshot s = back.Status!;
        Assert.Equal(1, s.SchemaVersion);
        Assert.Equal("hub", s.Role);
        Assert.Equal([51820, 51821], s.UdpPorts);
        Assert.Equal(2, s.Peers.Count);
        Assert.Null(s.Peers[1].Endpoint);
        Assert.Null(s.Peers[1].LastHandshakeUnix);
        Assert.Equal(12, s.Peers[0].LastHandshakeAgeSeconds);
        Assert.Equal(77, s.Traffic.SessionsEstablished);
        Assert.Equal(3, s.Drops["no_route"]);
    }

    [Fact]
    public void StatusSnapshot_Json_UsesDocumentedNamesAndKeepsNulls()
    {
        string json = ControlJson.Serialize(SampleSnapshot(), ControlJson.Status);
        using var doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        string[] top = [.. root.EnumerateObject().Select(p => p.Name)];
        Assert.Equal(
            ["schema_version", "version", "role", "local_id", "tun", "network_plan", "udp_ports", "socket", "uptime_seconds", "peers", "traffic", "drops"],
            top);
        JsonElement never = root.GetProperty("peers")[1];
        Assert.Equal(JsonValueKind.Null, never.GetProperty("endpoint").ValueKind);
        Assert.Equal(JsonValueKind.Null, never.GetProperty("last_handshake_unix").ValueKind);
        Assert.Equal(JsonValueKind.Null, never.GetProperty("last_handshake_age_seconds").ValueKind);
        string[] peerFields = [.. never.EnumerateObject().Select(p => p.Name)];
        Assert.Equal(
            ["id", "name", "endpoint", "endpoint_name", "endpoint_state", "last_handshake_unix", "last_handshake_age_seconds", "rx_bytes", "tx_bytes", "online", "allowed_src"],
            peerFields);
        Assert.True(root.GetProperty("traffic").TryGetProperty("handshake_initiations_received", out _));
        // No member outside the drop-reason names may carry key material.
        foreach (string name in MemberNames(root, skip: "drops"))
        {
            Assert.DoesNotContain("psk", name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("key", name, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void DropsFrom_Counters_HasEveryReasonInEnumOrderIncludingZeros()
    {
        var counters = new Counters();
        counters.Drop(DropReason.Replay);
        counters.Drop(DropReason.Replay);
        counters.Drop(DropReason.PolicyDrop);

        Dictionary<string, long> drops = StatusSnapshot.DropsFrom(counters);

        Assert.Equal(DropReasons.Count, drops.Count);
        Assert.Equal(
            Enum.GetValues<DropReason>().Select(DropReasons.Name),
            drops.Keys);
        Assert.Equal(2, drops["replay"]);
        Assert.Equal(1, drops["policy_drop"]);
        Assert.Equal(0, drops["invalid_message"]);
    }

    [Fact]
    public void TrafficFrom_Counters_CopiesEachFieldToItsOwnMember()
    {
        // Distinct values per field, so a swapped assignment cannot pass.
        var c = new Counters
        {
            TunRxPackets = 1, TunRxBytes = 2, TunTxPackets = 3, TunTxBytes = 4,
            UdpRxPackets = 5, UdpRxBytes = 6, UdpTxPackets = 7, UdpTxBytes = 8,
            RelayPackets = 9, RelayBytes = 10,
            HandshakeInitiationsSent = 11, HandshakeInitiationsReceived = 12,
            HandshakeResponsesSent = 13, HandshakeResponsesReceived = 14,
            CookieRepliesSent = 15, CookieRepliesReceived = 16,
            KeepalivesSent = 17, KeepalivesReceived = 18, SessionsEstablished = 19,
        };
        TrafficStats t = TrafficStats.From(c);
        long[] got =
        [
            t.TunRxPackets, t.TunRxBytes, t.TunTxPackets, t.TunTxBytes,
            t.UdpRxPackets, t.UdpRxBytes, t.UdpTxPackets, t.UdpTxBytes,
            t.RelayPackets, t.RelayBytes,
            t.HandshakeInitiationsSent, t.HandshakeInitiationsReceived,
            t.HandshakeResponsesSent, t.HandshakeResponsesReceived,
            t.CookieRepliesSent, t.CookieRepliesReceived,
            t.KeepalivesSent, t.KeepalivesReceived, t.SessionsEstablished,
        ];
        Assert.Equal(Enumerable.Range(1, 19).Select(i => (long)i), got);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(179, true)]
    [InlineData(180, false)]   // REJECT_AFTER_TIME: keys from 180 s ago may no longer be used
    [InlineData(1000, false)]
    public void PeerStatusCreate_HandshakeAge_OnlineWithinRejectAfterTime(int ageSeconds, bool online)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        PeerStatus p = PeerStatus.Create(2, "a", "198.18.0.2:51820", now.AddSeconds(-ageSeconds), 0, 0, [], now);
        Assert.Equal(online, p.Online);
        Assert.Equal(ageSeconds, p.LastHandshakeAgeSeconds);
        Assert.Equal(1_700_000_000 - ageSeconds, p.LastHandshakeUnix);
    }

    [Fact]
    public void PeerStatusCreate_NoHandshake_OfflineWithNullTimes()
    {
        PeerStatus p = PeerStatus.Create(2, "a", null, null, 0, 0, [], DateTimeOffset.UnixEpoch);
        Assert.False(p.Online);
        Assert.Null(p.LastHandshakeUnix);
        Assert.Null(p.LastHandshakeAgeSeconds);
    }

    private static IEnumerable<string> MemberNames(JsonElement e, string skip)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty p in e.EnumerateObject())
            {
                if (p.Name == skip) continue;
                yield return p.Name;
                foreach (string n in MemberNames(p.Value, skip)) yield return n;
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in e.EnumerateArray())
            {
                foreach (string n in MemberNames(item, skip)) yield return n;
            }
        }
    }

    internal static StatusSnapshot SampleSnapshot()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var counters = new Counters { SessionsEstablished = 77, UdpRxBytes = 123456 };
        for (int i = 0; i < 3; i++) counters.Drop(DropReason.NoRoute);
        return new StatusSnapshot
        {
            Version = "0.1.0",
            Role = "hub",
            LocalId = 1,
            Tun = "snr0",
            UdpPorts = [51820, 51821],
            Socket = "/run/subnetra/subnetra.sock",
            UptimeSeconds = 3723,
            Peers =
            [
                PeerStatus.Create(2, "o'brien-laptop", "198.18.0.2:41000", now.AddSeconds(-12), 1_300_000, 350_000, ["10.10.2.0/24"], now),
                PeerStatus.Create(3, "office", null, null, 0, 0, ["10.10.3.0/24", "10.10.4.0/24"], now),
            ],
            Traffic = TrafficStats.From(counters),
            Drops = StatusSnapshot.DropsFrom(counters),
        };
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
