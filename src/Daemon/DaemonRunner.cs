using System.Runtime.InteropServices;
using Overlay.Hub;
using Overlay.Os.Control;
using Overlay.Os.Node;
using Overlay.Os.Plan;
using Overlay.Os.Uapi;
using Overlay.Protocol.Config;
using Overlay.Protocol.Crypto;
using Overlay.Spoke;

namespace Overlay.Daemon;

/// <summary>
/// The run mode of subnetrad (DESIGN.md §6): open the tun and sockets for a validated config,
/// apply the network plan to the real interface (unless apply_network_plan is false), load the
/// saved policy rules, print the ready banner, run the poll loop until SIGTERM/SIGINT
/// (SIGHUP reloads the config like <c>subnetra reload</c>), then close everything and exit 0.
/// Setup failures print the failing call and the fix and exit 1.
/// </summary>
public static class DaemonRunner
{
    public static int Run(OverlayConfig config, TextWriter stdout, TextWriter stderr, LogLevel level, IPlanRunner? planRunner = null)
    {
        var log = new NodeLog(stderr, level);
        string statePath = PolicyStateFile.ResolvePath(config.TunName);
        // The spoke's hub resolver posts its answers to the loop of the host opened below.
        NodeHost? opened = null;
        IRolePolicy policy = config.Role == NodeRole.Spoke
            ? new SpokePolicy(new SystemHostResolver(), a => opened!.Post(a), () => opened!.Configurator.Config.HubPeer?.Endpoint, log.Info, log.Warn)
            : new HubPolicy(TimeProvider.System, new EndpointMemory(EndpointMemoryPath(statePath)), log.Warn);
        NodeHost host;
        try
        {
            host = opened = NodeHost.Open(config, policy, log);
        }
        catch (Exception e) when (e is IOException or SodiumUnavailableException or InvalidOperationException or UnauthorizedAccessException)
        {
            log.Error(e.Message);
            return DaemonCommand.ExitFailure;
        }

        PlanApplyResult plan = ApplyNetworkPlan(config, host.TunName, planRunner ?? new SystemPlanRunner(), log);
        if (!plan.Succeeded)
        {
            log.Error(plan.Error!);
            host.Dispose();
            return DaemonCommand.ExitFailure;
        }

        LoadSavedRules(host, statePath, log);

        string socketPath = ControlPaths.Resolve();
        ControlServer control;
        NodeControl handler;
        try
        {
            handler = new NodeControl(host, DaemonCommand.Version, socketPath, statePath, StatusOf(plan));
            control = ControlServer.Start(socketPath, handler.HandleAsync,
                new ControlServerOptions { Log = m => log.Warn($"control: {m}") });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Error($"{e.Message} (control socket; set {ControlPaths.EnvironmentVariable} to choose another path)");
            host.Dispose();
            return DaemonCommand.ExitFailure;
        }

        // wg show support (DESIGN.md §7); optional: without it the node still runs.
        UapiServer? uapi = StartUapi(host, log);

        using (host)
        {
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; host.Stop(); });
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; host.Stop(); });
            // SIGHUP: reload the config (as `subnetra reload`), off the signal thread.
            using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
            {
                ctx.Cancel = true;
                _ = Task.Run(() => ReloadOnSignalAsync(handler, log));
            });
            try
            {
                string udp = string.Join(",", host.UdpPorts);
                stdout.WriteLine($"subnetrad {DaemonCommand.Version} role={OverlayConfig.RoleName(config.Role)} local_id={config.LocalId} tun={host.TunName} udp={udp} sock={control.SocketPath} [ready]");
                stdout.Flush();
                log.Info(plan.State == PlanState.Applied
                    ? $"{config.Peers.Count} peer(s), mtu {config.TunMtu}; network plan applied to {host.TunName} ({plan.Applied.Count} step(s))"
                    : $"{config.Peers.Count} peer(s), mtu {config.TunMtu}; apply_network_plan is false, so configure {host.TunName} yourself: " +
                      $"sudo subnetra --print-network-plan --config {config.SourcePath} --tun {host.TunName} | sudo sh");
                host.Run();
            }
            finally
            {
                uapi?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                control.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            // The loop has stopped: this thread is the only one touching the node now.
            if (policy is HubPolicy hub) hub.SaveEndpoints(host.Node);
            log.Info($"stopping: {Summary(host.Node)}");
        }
        return DaemonCommand.ExitOk;
    }

    /// <summary>
    /// Applies the plan <c>subnetra --print-network-plan</c> prints for this config and the real
    /// interface name, or reports it disabled. Each step is logged at info; a failure names the
    /// step, the error and the fix, and what was applied before it is undone.
    /// </summary>
    public static PlanApplyResult ApplyNetworkPlan(OverlayConfig config, string tunName, IPlanRunner runner, NodeLog log)
    {
        if (!config.ApplyNetworkPlan)
        {
            log.Info("network plan: apply_network_plan is false; the host's addresses and routes are left to the operator");
            return new PlanApplyResult(PlanState.Disabled, [], null);
        }
        PlanDocument plan = NetworkPlan.Build(config, new NetworkPlanOptions(NetworkPlan.BuildOs, tunName));
        return PlanApplier.Apply(plan, runner, log.Info, log.Warn);
    }

    private static Overlay.Protocol.Control.NetworkPlanStatus StatusOf(PlanApplyResult plan) => new()
    {
        State = PlanApplyResult.StateName(plan.State),
        Error = plan.Error,
        Steps = plan.Applied.Select(s => s.CommandLine).ToArray(),
    };

    /// <summary>
    /// The hub's endpoint memory sits beside the policy state file:
    /// /var/lib/subnetra/snr0.state.json -> /var/lib/subnetra/snr0.endpoints.json.
    /// </summary>
    public static string EndpointMemoryPath(string statePath)
    {
        string name = Path.GetFileName(statePath);
        string stem = name.EndsWith(".state.json", StringComparison.Ordinal) ? name[..^".state.json".Length]
            : name.EndsWith(".json", StringComparison.Ordinal) ? name[..^".json".Length] : name;
        return Path.Combine(Path.GetDirectoryName(statePath) ?? ".", stem + ".endpoints.json");
    }

    /// <summary>Starts the WireGuard UAPI socket; a failure is a warning, never fatal.</summary>
    private static UapiServer? StartUapi(NodeHost host, NodeLog log)
    {
        try
        {
            UapiServer uapi = new NodeUapi(host).Start(m => log.Warn($"uapi: {m}"));
            log.Info($"wg show {host.TunName} reads this daemon (UAPI socket {uapi.SocketPath})");
            return uapi;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warn($"{e.Message}; 'wg show {host.TunName}' will not work, everything else does");
            return null;
        }
    }

    /// <summary>Installs the rules saved by <c>subnetra save</c>; problems are logged, never fatal.</summary>
    private static void LoadSavedRules(NodeHost host, string statePath, NodeLog log)
    {
        var rules = PolicyStateFile.Load(statePath, out IReadOnlyList<string> errors);
        foreach (string e in errors) log.Error($"{e} (entry ignored; fix or remove the file, then 'subnetra save' rewrites it)");
        if (rules.Count == 0 && errors.Count == 0) return;
        // The loop has not started yet: this thread is the only one touching the node.
        int n = host.Configurator.LoadRules(rules, log.Warn);
        log.Info($"loaded {n} policy rule(s) from {statePath}");
    }

    private static async Task ReloadOnSignalAsync(NodeControl handler, NodeLog log)
    {
        try
        {
            var reply = await handler.ReloadAsync(CancellationToken.None).ConfigureAwait(false);
            if (reply.Ok)
            {
                foreach (string w in reply.Reload?.Warnings ?? []) log.Warn($"SIGHUP: {w}");
                log.Info($"SIGHUP: {reply.Message}");
            }
            else
            {
                foreach (string line in (reply.Error ?? "").Split('\n')) log.Error($"SIGHUP: {line}");
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            log.Error($"SIGHUP: reload failed: {e.Message}");
        }
    }

    /// <summary>One line of the counters that moved, for the log at shutdown.</summary>
    public static string Summary(NodeDataPath node)
    {
        var c = node.Counters;
        var parts = new List<string>
        {
            $"tun rx {c.TunRxPackets} pkts/{c.TunRxBytes} B, tun tx {c.TunTxPackets} pkts/{c.TunTxBytes} B",
            $"udp rx {c.UdpRxPackets} pkts/{c.UdpRxBytes} B, udp tx {c.UdpTxPackets} pkts/{c.UdpTxBytes} B",
            $"relayed {c.RelayPackets} pkts/{c.RelayBytes} B",
        };
        for (int i = 0; i < Overlay.Protocol.Stats.DropReasons.Count; i++)
        {
            var r = (Overlay.Protocol.Stats.DropReason)i;
            long n = c.Dropped(r);
            if (n > 0) parts.Add($"drop {Overlay.Protocol.Stats.DropReasons.Name(r)} {n}");
        }
        return string.Join("; ", parts);
    }
}
