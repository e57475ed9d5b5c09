using System.Net;
using Overlay.Os.Control;
using Overlay.Protocol.Config;
using Overlay.Protocol.Control;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Node;

/// <summary>
/// Answers control requests for a running node. The control server runs on its own
/// threads; every request is posted to the loop thread (through the wake pipe) and built
/// there, so the packet path never takes a lock and never waits on the control plane.
/// Slow work stays off the loop: <c>save</c> writes its file here after taking the rules from
/// the loop, and <c>reload</c> reads, validates and prepares the new config (DNS, key
/// derivation) here before posting only the apply step.
/// </summary>
public sealed class NodeControl
{
    private static readonly TimeSpan LoopTimeout = TimeSpan.FromSeconds(3);
    private readonly NodeHost _host;
    private readonly string _version;
    private readonly string _socketPath;
    private readonly string _statePath;
    private readonly NetworkPlanStatus? _plan;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly SemaphoreSlim _saveGate = new(1, 1);

    public NodeControl(NodeHost host, string version, string socketPath, string? statePath = null, NetworkPlanStatus? plan = null)
    {
        _plan = plan;
        _host = host;
        _version = version;
        _socketPath = socketPath;
        _statePath = statePath ?? PolicyStateFile.ResolvePath(host.Config.TunName);
    }

    /// <summary>The state file <c>save</c> writes.</summary>
    public string StatePath => _statePath;

    public async ValueTask<ControlResponse> HandleAsync(ControlRequest request, CancellationToken ct)
    {
        if (_host.WgDevice is not null && request.Command != ControlCommands.Status)
            return ControlResponse.Failure(NotForWg(request.Command, _host.TunName));
        switch (request.Command)
        {
            case ControlCommands.Reload:
                return await ReloadAsync(ct).ConfigureAwait(false);
            case ControlCommands.Save:
                return await SaveAsync(ct).ConfigureAwait(false);
            default:
                return await OnLoopAsync(() => HandleOnLoop(request), ct).ConfigureAwait(false);
        }
    }

    private Task<ControlResponse> OnLoopAsync(Func<ControlResponse> work, CancellationToken ct, Action? abandoned = null) =>
        RunOnLoopAsync(_host.Post, work, abandoned, LoopTimeout, ct);

    /// <summary>
    /// Posts <paramref name="work"/> to the loop and waits (bounded) for its reply. A request the
    /// caller gave up on (timeout or cancellation) before the loop reached it is abandoned: when
    /// the loop gets to it, <paramref name="work"/> does not run and <paramref name="abandoned"/>
    /// runs instead (on the loop), so a reply of "failed" never turns into a change applied later.
    /// Work the loop has already started is waited for, since it will take effect.
    /// </summary>
    internal static async Task<ControlResponse> RunOnLoopAsync(
        Action<Action> post, Func<ControlResponse> work, Action? abandoned, TimeSpan timeout, CancellationToken ct)
    {
        const int Pending = 0, Started = 1, Abandoned = 2;
        int state = Pending;
        var done = new TaskCompletionSource<ControlResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        post(() =>
        {
            if (Interlocked.CompareExchange(ref state, Started, Pending) != Pending)
            {
                abandoned?.Invoke();
                return;
            }
            try { done.TrySetResult(work()); }
            catch (NodeConfigException e) { done.TrySetResult(ControlResponse.Failure(e.Message)); }
            catch (Exception e) { done.TrySetException(e); }
        });
        try
        {
            return await done.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            if (Interlocked.CompareExchange(ref state, Abandoned, Pending) != Pending)
            {
                // The loop is running it now: the change happens, so report its real outcome.
                return await done.Task.ConfigureAwait(false);
            }
            if (e is OperationCanceledException) throw;
            return ControlResponse.Failure($"the packet loop did not answer within {timeout.TotalSeconds:0.#} s; nothing was applied");
        }
    }

    private ControlResponse HandleOnLoop(ControlRequest request)
    {
        NodeConfigurator cfg = _host.Configurator;
        switch (request.Command)
        {
            case ControlCommands.Status:
                return ControlResponse.ForStatus(Snapshot(DateTimeOffset.UtcNow));
            case ControlCommands.PolicyAdd:
                if (!PolicyRule.TryParse(request.Prefix, request.Action, request.PeerId, out PolicyRule rule, out string error))
                    return ControlResponse.Failure(error);
                string added = cfg.AddRule(rule);
                return new ControlResponse { Ok = true, Message = added, Policy = cfg.View() };
            case ControlCommands.PolicyDel:
                if (!PolicyRule.TryParsePrefix(request.Prefix, out IPNetwork prefix, out string bad))
                    return ControlResponse.Failure(bad);
                string deleted = cfg.DeleteRule(prefix);
                return new ControlResponse { Ok = true, Message = deleted, Policy = cfg.View() };
            case ControlCommands.PolicyShow:
                return new ControlResponse { Ok = true, Policy = cfg.View() };
            default:
                return ControlResponse.Failure($"unknown command '{request.Command}'");
        }
    }

    /// <summary>
    /// Takes the rules from the loop, then writes the state file on this thread. One save at a
    /// time (take and write together): concurrent saves would otherwise race, and an older
    /// snapshot could be written after a newer one.
    /// </summary>
    public async Task<ControlResponse> SaveAsync(CancellationToken ct)
    {
        await _saveGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await SaveLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _saveGate.Release();
        }
    }

    private async Task<ControlResponse> SaveLockedAsync(CancellationToken ct)
    {
        PolicyRule[] rules = [];
        ControlResponse taken = await OnLoopAsync(() =>
        {
            rules = _host.Configurator.Rules.Rules.ToArray();
            return new ControlResponse { Ok = true };
        }, ct).ConfigureAwait(false);
        if (!taken.Ok) return taken;
        try
        {
            PolicyStateFile.Save(_statePath, rules);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ControlResponse.Failure($"cannot write state file {_statePath}: {e.Message}");
        }
        return new ControlResponse
        {
            Ok = true,
            Message = $"saved {rules.Length} rule(s) to {_statePath}",
            StateFile = _statePath,
        };
    }

    /// <summary>
    /// Re-reads the config file the daemon started with, validates it exactly as
    /// <c>subnetrad --check</c> does, and applies it on the loop. An invalid file changes
    /// nothing: the reply carries every error line as <c>--check</c> prints it.
    /// </summary>
    public async Task<ControlResponse> ReloadAsync(CancellationToken ct)
    {
        await _reloadGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            string path = _host.Config.SourcePath;
            ConfigLoadResult result = ConfigLoader.LoadFile(path, RegularFileReader.Instance);
            if (!result.Success)
            {
                return ControlResponse.Failure(
                    $"reload refused, the running config stays; {path} is invalid:\n" + string.Join("\n", result.Errors.Select(e => e.ToString())));
            }
            OverlayConfig next = result.Config!;
            NodeSetup setup;
            try
            {
                setup = NodeSetupBuilder.Build(next);
            }
            catch (InvalidOperationException e)
            {
                return ControlResponse.Failure($"reload refused, the running config stays: {e.Message}");
            }
            var warnings = result.Warnings.Select(w => $"warning: {w}").ToArray();
            return await OnLoopAsync(() =>
            {
                ReloadSummary summary;
                try
                {
                    summary = _host.Configurator.Reload(next, setup, warnings);
                }
                catch (NodeConfigException)
                {
                    ZeroKeys(setup);   // refused before anything changed: no peer uses the new identities
                    throw;
                }
                return new ControlResponse { Ok = true, Message = NodeConfigurator.Describe(summary), Reload = summary };
            }, ct, abandoned: () => ZeroKeys(setup)).ConfigureAwait(false);
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    /// <summary>
    /// Zeroes the private keys of a setup that will not be applied. Every identity in it was
    /// derived freshly by <see cref="NodeSetupBuilder.Build"/>, so none is shared with the running node.
    /// </summary>
    internal static void ZeroKeys(NodeSetup setup)
    {
        setup.ExplicitIdentity?.ZeroKeys();
        foreach (NodePeerSetup p in setup.Peers) p.Local.ZeroKeys();
    }

    /// <summary>
    /// Why a command other than status (which metrics reads too) does not apply to a subnetra-wg
    /// interface: it has no JSON config, no policy and no state file; wg(8) is its configuration tool.
    /// </summary>
    public static string NotForWg(string command, string interfaceName) =>
        $"'{command}' does not apply to {interfaceName}: it is a subnetra-wg interface, configured with wg(8) only " +
        $"(no JSON config, policy rules or state file); use 'wg set {interfaceName} ...' or 'wg syncconf {interfaceName} FILE' to change it " +
        $"and 'wg showconf {interfaceName}' to save it";

    /// <summary>Builds the status snapshot; call on the loop thread.</summary>
    public StatusSnapshot Snapshot(DateTimeOffset now)
    {
        NodeDataPath node = _host.Node;
        var peers = new List<PeerStatus>();
        if (_host.WgDevice is { } wg)
        {
            // subnetra-wg: the peers wg(8) configured, in the order they were added, named by public key.
            foreach (WireGuardPeer p in wg.EnginePeers)
            {
                var allowed = node.StateOf(p).AllowedSources.Prefixes.Select(n => n.ToString()).ToArray();
                peers.Add(PeerStatus.Create(p.Id, p.Name, p.Endpoint.IsNone ? null : p.Endpoint.ToString(),
                    p.LastHandshake, p.RxBytes, p.TxBytes, allowed, now, null, null));
            }
        }
        // In config order, also after a reload added or replaced peers.
        foreach (WireGuardPeer? p in _host.Configurator.Config.Peers.Select(c => node.PeerById(c.Id)))
        {
            if (p is null) continue;
            var allowed = node.StateOf(p).AllowedSources.Prefixes.Select(n => n.ToString()).ToArray();
            PeerEndpoint? configured = _host.Configurator.Config.FindPeer(p.Id)?.Endpoint;
            string? name = configured is { IsLiteral: false } ? configured.ToString() : null;
            peers.Add(PeerStatus.Create(p.Id, p.Name, p.Endpoint.IsNone ? null : p.Endpoint.ToString(),
                p.LastHandshake, p.RxBytes, p.TxBytes, allowed, now, name, name is null ? null : node.Policy.EndpointState(p.Id)));
        }
        return new StatusSnapshot
        {
            Version = _version,
            Role = node.Policy.Role,
            LocalId = _host.WgDevice is null ? _host.Config.LocalId : 0,   // subnetra-wg has no overlay id
            Tun = _host.TunName,
            NetworkPlan = _plan,
            UdpPorts = _host.UdpPorts,
            Socket = _socketPath,
            UptimeSeconds = (long)(now - _host.StartedAt).TotalSeconds,
            Peers = peers,
            Traffic = TrafficStats.From(node.Counters),
            Drops = StatusSnapshot.DropsFrom(node.Counters),
        };
    }
}
