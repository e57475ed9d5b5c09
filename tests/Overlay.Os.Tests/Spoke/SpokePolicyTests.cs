using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Overlay.Spoke;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Spoke;

/// <summary>
/// Hub by name (issue 11 item 3) over the in-process overlay: a fake resolver answers from a table, lookups run on
/// worker threads as in the daemon, and their answers are posted to a queue the test drains between turns, as the
/// loop drains its wake pipe.
/// </summary>
public sealed class SpokePolicyTests
{
    private const string HubName = "hub.overlay.test";

    private sealed class FakeResolver : IHostResolver
    {
        private volatile IPAddress[]? _answer;
        private int _lookups;

        public int Lookups => Volatile.Read(ref _lookups);

        public void Answer(string? address) => _answer = address is null ? null : [IPAddress.Parse(address)];

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
        {
            Interlocked.Increment(ref _lookups);
            Assert.Equal(HubName, host);
            return _answer is { } a ? Task.FromResult(a) : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
        }
    }

    private readonly FakeOverlay _overlay = new();
    private readonly FakeResolver _resolver = new();
    private readonly BlockingCollection<Action> _posted = new();
    private readonly List<string> _log = [];
    private SpokePolicy _policy = null!;
    private FakeNode _spoke = null!;

    private void Build()
    {
        _overlay.Add("hub", FakeOverlay.HubJson(1), "198.18.0.1:51820", isHub: true);
        string json = FakeOverlay.SpokeJson(1).Replace("198.18.0.1:51820", HubName + ":51820", StringComparison.Ordinal);
        _policy = new SpokePolicy(_resolver, _posted.Add, () => _spoke.Configurator.Config.HubPeer?.Endpoint,
            m => _log.Add("info: " + m), m => _log.Add("warn: " + m));
        _spoke = _overlay.Add("spoke1", json, "198.18.1.2:40000", isHub: false, _policy,
            resolve: _ => throw new SocketException((int)SocketError.HostNotFound));
    }

    /// <summary>Waits (bounded) for one posted lookup answer and runs it inside a turn, as PollLoop runs posted work, then pumps.</summary>
    private void RunPosted()
    {
        Assert.True(_posted.TryTake(out Action? action, TimeSpan.FromSeconds(5)), "no lookup answer was posted");
        _spoke.DataPath.BeginTurn(_spoke.DataPath.Time.GetTimestamp());
        action!();
        _spoke.DataPath.EndTurn();
        _overlay.Pump();
    }

    private void Turn()
    {
        _overlay.Turn(_spoke);
        _overlay.Pump();
    }

    private Overlay.Protocol.Engine.WireGuardPeer Hub => _spoke.DataPath.WireGuard.Peers[0];

    [Fact]
    public void Start_NameDoesNotResolve_RunsResolvingThenConnectsOnceItResolves()
    {
        Build();
        _overlay.Start();
        Assert.Equal("resolving", _policy.EndpointState(1));
        Assert.True(Hub.Endpoint.IsNone);
        RunPosted();   // the first lookup failed: retry in 1 s
        Assert.Contains(_log, l => l.StartsWith("warn: hub endpoint " + HubName + ":51820 does not resolve", StringComparison.Ordinal));

        _overlay.Advance(TimeSpan.FromSeconds(1));
        Turn();
        RunPosted();   // still failing: retry in 2 s
        Assert.Equal(2, _resolver.Lookups);
        _resolver.Answer("198.18.0.1");
        _overlay.Advance(TimeSpan.FromSeconds(1));
        Turn();
        Assert.Equal(2, _resolver.Lookups);   // backoff: not yet
        _overlay.Advance(TimeSpan.FromSeconds(1));
        Turn();
        RunPosted();

        Assert.Equal("resolved", _policy.EndpointState(1));
        Assert.Equal("198.18.0.1:51820", Hub.Endpoint.ToString());
        Assert.True(_spoke.DataPath.WireGuard.HasSession(Hub), string.Join("\n", _log));
    }

    [Fact]
    public void Backoff_NameNeverResolves_DoublesUpTo25Seconds()
    {
        Build();
        _overlay.Start();
        RunPosted();
        var at = new List<int>();
        for (int s = 1; s <= 120; s++)
        {
            _overlay.Time.Advance(TimeSpan.FromSeconds(1));
            _overlay.Turn(_spoke);
            if (_policy.LookupPending)
            {
                at.Add(s);
                RunPosted();
            }
        }
        // Lookups 1, 2, 4, 8, 16, 25, 25 ... seconds apart.
        Assert.Equal([1, 3, 7, 15, 31, 56, 81, 106], at);
    }

    [Fact]
    public void HandshakeUnanswered_NameMoved_ReResolvesAfterFiveSecondsAndConnects()
    {
        Build();
        _resolver.Answer("198.18.0.99");   // stale: nothing listens there
        _overlay.Start();
        RunPosted();
        Assert.Equal("198.18.0.99:51820", Hub.Endpoint.ToString());
        Assert.False(_spoke.DataPath.WireGuard.HasSession(Hub));

        _resolver.Answer("198.18.0.1");
        for (int s = 0; s < 4; s++)
        {
            _overlay.Advance(TimeSpan.FromSeconds(1));
            Turn();
            Assert.False(_policy.LookupPending, $"re-resolved after {s + 1} s, before a full attempt (5 s)");
        }
        for (int s = 0; s < 3 && !_policy.LookupPending; s++)
        {
            _overlay.Advance(TimeSpan.FromSeconds(1));
            Turn();
        }
        Assert.True(_policy.LookupPending, "no re-resolution within 7 s of unanswered initiations");
        RunPosted();
        _overlay.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal("198.18.0.1:51820", Hub.Endpoint.ToString());
        Assert.True(_spoke.DataPath.WireGuard.HasSession(Hub), string.Join("\n", _log));
        Assert.Contains(_log, l => l.Contains("now resolves to 198.18.0.1:51820 (was 198.18.0.99:51820)", StringComparison.Ordinal));
    }

    [Fact]
    public void HandshakeUnanswered_SameAddress_ReResolvesAtMostEveryFiveSeconds()
    {
        Build();
        _resolver.Answer("198.18.0.99");
        _overlay.Start();
        RunPosted();
        for (int s = 0; s < 30; s++)
        {
            _overlay.Advance(TimeSpan.FromSeconds(1));
            Turn();
            if (_policy.LookupPending) RunPosted();
        }
        // One lookup at start, then at most one per 5 s over the 30 s of unanswered initiations.
        Assert.InRange(_resolver.Lookups, 3, 1 + 6);
    }
}
