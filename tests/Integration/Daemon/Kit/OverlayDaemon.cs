using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Daemon.Kit;

/// <summary>
/// One <c>subnetrad</c> in a topology node: its config file, its tun name, the running process. Start waits for the
/// ready banner (DESIGN.md §6); the daemon has applied its own network plan by then (<c>apply_network_plan</c>
/// defaults to true), so configs here carry no manual address or route step. <see cref="ApplyPlan"/> remains for
/// configs that set <c>apply_network_plan</c> false. Restartable: Stop then Start runs a new process
/// with the same config and control socket. Every process is tracked by the topology, so teardown ends it by PID.
/// </summary>
public sealed class OverlayDaemon
{
    /// <summary>How long a daemon may take from exec to its ready banner (dotnet start-up included).</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    private OverlayDaemon(Node node, string configPath, string tunName, bool privateUapiDirectory)
    {
        Node = node;
        ConfigPath = configPath;
        TunName = tunName;
        PrivateUapiDirectory = privateUapiDirectory;
    }

    public Node Node { get; }

    public string ConfigPath { get; }

    /// <summary>The tun the daemon creates: the config's tun_name, or snr0 (the default) when the config has none.</summary>
    public string TunName { get; }

    /// <summary>True when the daemon runs in a private mount namespace with its own tmpfs on /run/wireguard (see <see cref="Create"/>).</summary>
    public bool PrivateUapiDirectory { get; }

    /// <summary>The current (or last) daemon process; null before the first start.</summary>
    public ManagedProcess? Process { get; private set; }

    /// <summary>The ready banner of the current process.</summary>
    public string? ReadyLine { get; private set; }

    public bool IsRunning => Process is { HasExited: false };

    /// <summary>
    /// Writes <paramref name="config"/> and returns a daemon for <paramref name="node"/> (not started).
    /// <paramref name="privateUapiDirectory"/>: run it as <c>unshare --mount</c> with a tmpfs on /run/wireguard, the
    /// workaround DESIGN.md §8 names for configs that keep the default tun name snr0 — namespaces do not separate the
    /// filesystem, so two daemons named snr0 would otherwise fight over /run/wireguard/snr0.sock.
    /// </summary>
    public static OverlayDaemon Create(Node node, JsonObject config, bool privateUapiDirectory = false)
    {
        string tun = config["tun_name"]?.GetValue<string>() ?? "snr0";
        string path = OverlayConfigs.Write(config, $"{node.Name}-{config["role"]?.GetValue<string>() ?? "node"}");
        return new OverlayDaemon(node, path, tun, privateUapiDirectory);
    }

    /// <summary>
    /// A daemon for a config file written elsewhere (e.g. by <c>subnetra init</c> / <c>add-peer</c>), not started.
    /// The tun name is the file's tun_name, else snr0; see <see cref="Create"/> for <paramref name="privateUapiDirectory"/>.
    /// </summary>
    public static OverlayDaemon FromFile(Node node, string configPath, bool privateUapiDirectory = false)
    {
        var config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
            ?? throw new HarnessException($"{configPath} is not a JSON object");
        string tun = config["tun_name"]?.GetValue<string>() ?? "snr0";
        return new OverlayDaemon(node, configPath, tun, privateUapiDirectory);
    }

    /// <summary>
    /// Starts the daemon and waits for <c>[ready]</c> (the daemon applies its own plan before it prints it).
    /// <paramref name="applyPlan"/>: also run the printed plan by hand, for a config with apply_network_plan false.
    /// </summary>
    public async Task StartAsync(bool applyPlan = false)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{this} is already running");
        }

        ReadyLine = null;
        Process = PrivateUapiDirectory ? StartWithPrivateUapi() : Node.StartDaemon(null, "--config", ConfigPath);
        ReadyLine = await Process.WaitForLineAsync(@"\[ready\]\s*$", ReadyTimeout).ConfigureAwait(false);
        if (applyPlan)
        {
            ApplyPlan();
        }
    }

    /// <summary>Sends <paramref name="signal"/> (SIGTERM by default) and returns the exit code (SIGKILL after 10 s, then -1 or 137).</summary>
    public Task<int> StopAsync(int signal = NativeMethods.SIGTERM) =>
        Process is null ? Task.FromResult(-1) : Process.StopAsync(TimeSpan.FromSeconds(10), signal);

    /// <summary>
    /// Runs <c>subnetra --print-network-plan --config F --os linux</c> and executes every line that starts with
    /// <c>ip </c> in the node's namespace; comment lines (#) and anything else are ignored. Every address in a
    /// command must lie in 198.18.0.0/15 (DESIGN.md §8). Returns the commands run.
    /// </summary>
    public IReadOnlyList<string> ApplyPlan()
    {
        ExecResult plan = Node.RunCli("--print-network-plan", "--config", ConfigPath, "--os", "linux").EnsureSuccess();
        var commands = new List<string>();
        foreach (string raw in plan.Stdout.Split('\n'))
        {
            string line = raw.Trim();
            if (!line.StartsWith("ip ", StringComparison.Ordinal))
            {
                continue;
            }

            string[] argv = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (string token in argv)
            {
                if (LooksLikeIPv4(token) && !Harness.Netns.IsAllowed(token))
                {
                    throw new HarnessException($"network plan uses {token}, outside {Harness.Netns.AllowedRange}: {line}");
                }
            }

            Node.ExecOrThrow(argv);
            commands.Add(line);
        }

        if (commands.Count == 0)
        {
            throw new HarnessException($"network plan for {ConfigPath} has no ip commands:\n{plan.Stdout}");
        }

        return commands;
    }

    /// <summary><c>subnetra status --json</c> against this daemon's control socket, parsed.</summary>
    public DaemonStatus Status()
    {
        ExecResult result = Node.RunCli("status", "--json");
        if (!result.Succeeded)
        {
            throw new HarnessException($"status of {this} failed: {result.Describe()}\n{Process?.Tail()}");
        }

        return DaemonStatus.Parse(result.Stdout);
    }

    /// <summary>Status JSON and output tail, never throwing: for assertion messages.</summary>
    public string Describe()
    {
        string status;
        try
        {
            status = Status().Json;
        }
        catch (HarnessException e)
        {
            status = "(status unavailable: " + e.Message.Split('\n')[0] + ")";
        }

        return $"--- {this}: exit={Process?.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "running"}\nstatus: {status}\n{Process?.Tail(25) ?? "(never started)"}";
    }

    public override string ToString() => $"subnetrad[{Node.Name} tun={TunName}]";

    private static bool LooksLikeIPv4(string token)
    {
        string address = token.Split('/')[0];
        return address.Count(c => c == '.') == 3 && IPAddress.TryParse(address, out IPAddress? ip)
            && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
    }

    private ManagedProcess StartWithPrivateUapi()
    {
        string host = DaemonBinaries.DotnetHost ?? throw new HarnessException(DaemonBinaries.MissingReason ?? "no dotnet host");

        // The mount point must exist in the shared tree; the tmpfs on it is visible only inside this daemon's mount
        // namespace. unshare and sh exec, so the PID the harness holds is the daemon's own.
        Directory.CreateDirectory("/run/wireguard");
        const string script = "mount -t tmpfs -o mode=0755 ovl-uapi /run/wireguard && exec \"$0\" \"$@\"";
        return Node.Start(
            Node.DaemonEnvironment,
            "unshare",
            "--mount", "--propagation", "private", "sh", "-c", script, host, DaemonBinaries.DaemonDll, "--config", ConfigPath);
    }
}
