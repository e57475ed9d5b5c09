using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// Debian's userspace <c>wireguard-go -f &lt;if&gt;</c> running inside a namespace, configured with wg(8)
/// and ip(8) in that namespace — the stock peer for interop tests.
///
/// Trap avoided (DESIGN.md §8): namespaces do not separate the filesystem, so the UAPI socket
/// <c>/var/run/wireguard/&lt;if&gt;.sock</c> is global. Each instance therefore gets a run-unique
/// interface name <c>wg&lt;RunId&gt;&lt;n&gt;</c> (at most 15 characters, IFNAMSIZ-1).
/// </summary>
public sealed partial class WireGuardGo : IDisposable
{
    public const string UapiDirectory = "/var/run/wireguard";

    private WireGuardGo(string ns, string interfaceName, ManagedProcess process)
    {
        Netns = ns;
        InterfaceName = interfaceName;
        Process = process;
    }

    public string Netns { get; }

    public string InterfaceName { get; }

    public string UapiSocketPath => Path.Combine(UapiDirectory, InterfaceName + ".sock");

    /// <summary>The wireguard-go process (LOG_LEVEL=verbose, so its log is in <see cref="ManagedProcess.Lines"/>).</summary>
    public ManagedProcess Process { get; }

    /// <summary>A fresh run-unique interface name, <c>wg&lt;RunId&gt;&lt;n&gt;</c>.</summary>
    public static string UniqueInterfaceName() => HarnessRun.UniqueInterfaceName("wg");

    /// <summary>
    /// Starts wireguard-go in <paramref name="ns"/> and returns once its UAPI socket and tun interface exist
    /// (bounded by <paramref name="readyTimeout"/>, default 10 s). The interface is down and unconfigured.
    /// </summary>
    public static Task<WireGuardGo> StartAsync(string ns, string? interfaceName = null, TimeSpan? readyTimeout = null) =>
        StartAsync(ns, interfaceName, readyTimeout, name => new ProcessSpec("wireguard-go", ["-f", name])
        {
            Netns = ns,
            Environment = new Dictionary<string, string> { ["LOG_LEVEL"] = "verbose" },
            DisplayName = $"wireguard-go[{name}]",
        });

    /// <summary>
    /// Starts our <c>subnetra-wg -f &lt;if&gt;</c> (issue 15: <c>dotnet subnetrad.dll --subnetra-wg -f &lt;if&gt;</c>)
    /// the same way: configured with wg(8) afterwards, exactly like wireguard-go.
    /// </summary>
    public static Task<WireGuardGo> StartSubnetraWgAsync(string ns, string? interfaceName = null, TimeSpan? readyTimeout = null) =>
        StartAsync(ns, interfaceName, readyTimeout ?? TimeSpan.FromSeconds(20), name =>
            DaemonBinaries.DaemonSpec(ns, new Dictionary<string, string> { ["LOG_LEVEL"] = "verbose" }, "--subnetra-wg", "-f", name)
                with { DisplayName = $"subnetra-wg[{name}]" });

    private static async Task<WireGuardGo> StartAsync(string ns, string? interfaceName, TimeSpan? readyTimeout, Func<string, ProcessSpec> spec)
    {
        string name = interfaceName ?? UniqueInterfaceName();
        if (!InterfaceNamePattern().IsMatch(name))
        {
            throw new ArgumentException($"interface name '{name}' must be 1..15 of [a-z0-9]", nameof(interfaceName));
        }

        if (File.Exists(Path.Combine(UapiDirectory, name + ".sock")))
        {
            throw new HarnessException($"{UapiDirectory}/{name}.sock already exists: another daemon uses this interface name");
        }

        ManagedProcess process = ManagedProcess.Start(spec(name));
        var instance = new WireGuardGo(ns, name, process);
        try
        {
            await instance.WaitReadyAsync(readyTimeout ?? TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch
        {
            instance.Dispose();
            throw;
        }

        return instance;
    }

    /// <summary><c>wg set &lt;if&gt; private-key &lt;file&gt; [listen-port N]</c>.</summary>
    public void SetPrivateKey(string privateKey, int? listenPort = null)
    {
        string keyFile = HarnessRun.WriteSecretFile("wg-private", privateKey + "\n");
        try
        {
            var argv = new List<string> { "wg", "set", InterfaceName, "private-key", keyFile };
            if (listenPort is int port)
            {
                argv.Add("listen-port");
                argv.Add(port.ToString(CultureInfo.InvariantCulture));
            }

            Run(argv);
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    /// <summary>
    /// <c>wg set &lt;if&gt; peer &lt;pub&gt; [preshared-key &lt;file&gt;] [endpoint ip:port] [allowed-ips a,b] [persistent-keepalive N]</c>.
    /// </summary>
    public void SetPeer(
        string publicKey,
        string? presharedKey = null,
        string? endpoint = null,
        IEnumerable<string>? allowedIps = null,
        int? persistentKeepalive = null)
    {
        string? pskFile = presharedKey is null ? null : HarnessRun.WriteSecretFile("wg-psk", presharedKey + "\n");
        try
        {
            var argv = new List<string> { "wg", "set", InterfaceName, "peer", publicKey };
            if (pskFile is not null)
            {
                argv.Add("preshared-key");
                argv.Add(pskFile);
            }

            if (endpoint is not null)
            {
                argv.Add("endpoint");
                argv.Add(endpoint);
            }

            if (allowedIps is not null)
            {
                argv.Add("allowed-ips");
                argv.Add(string.Join(',', allowedIps));
            }

            if (persistentKeepalive is int keepalive)
            {
                argv.Add("persistent-keepalive");
                argv.Add(keepalive.ToString(CultureInfo.InvariantCulture));
            }

            Run(argv);
        }
        finally
        {
            if (pskFile is not null)
            {
                File.Delete(pskFile);
            }
        }
    }

    /// <summary><c>ip addr add &lt;cidr&gt; dev &lt;if&gt;</c> (198.18.0.0/15 only).</summary>
    public void AddAddress(string cidr) => Harness.Netns.AddAddress(Netns, InterfaceName, cidr);

    /// <summary>Sets the MTU when given (wireguard-go's default is 1420), then <c>ip link set &lt;if&gt; up</c>.</summary>
    public void Up(int? mtu = null)
    {
        if (mtu is int value)
        {
            Harness.Netns.SetMtu(Netns, InterfaceName, value);
        }

        Harness.Netns.SetLinkUp(Netns, InterfaceName);
    }

    /// <summary>Parses and applies a wg-quick style config; see <see cref="ApplyConfig(WgQuickConfig)"/>.</summary>
    public WgQuickConfig ApplyConfig(string wgQuickText)
    {
        WgQuickConfig config = WgQuickConfig.Parse(wgQuickText);
        ApplyConfig(config);
        return config;
    }

    /// <summary>
    /// What wg-quick up does, minus DNS and hooks: <c>wg setconf</c> with the stripped text, <c>ip addr add</c> each
    /// Address, MTU, link up, then unless Table=off a route per peer AllowedIP that no interface address already covers
    /// (<c>ip route replace &lt;prefix&gt; dev &lt;if&gt;</c>; inside a throwaway namespace a plain default route is fine).
    /// </summary>
    public void ApplyConfig(WgQuickConfig config)
    {
        string file = HarnessRun.WriteSecretFile("wg-setconf", config.WgSetconfText);
        try
        {
            Run(["wg", "setconf", InterfaceName, file]);
        }
        finally
        {
            File.Delete(file);
        }

        foreach (string address in config.Addresses)
        {
            AddAddress(address);
        }

        Up(config.Mtu);
        if (string.Equals(config.Table, "off", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var connected = config.Addresses.Select(NetworkOf).ToHashSet(StringComparer.Ordinal);
        foreach (string prefix in config.Peers.SelectMany(p => p.AllowedIps).Distinct(StringComparer.Ordinal))
        {
            if (prefix.Contains(':') || connected.Contains(NetworkOf(prefix)))
            {
                continue;
            }

            Harness.Netns.ReplaceRoute(Netns, prefix, gateway: null, dev: InterfaceName);
        }
    }

    /// <summary>Parsed <c>wg show &lt;if&gt; dump</c>.</summary>
    public WgDump Show() => WgDump.Parse(Run(["wg", "show", InterfaceName, "dump"]).Stdout);

    /// <summary>Polls <see cref="Show"/> until the peer has a handshake; returns that peer line or throws after <paramref name="timeout"/>.</summary>
    public async Task<WgDumpPeer> WaitForHandshakeAsync(string peerPublicKey, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            WgDumpPeer peer = Show().Peer(peerPublicKey);
            if (peer.HasHandshake)
            {
                return peer;
            }

            if (clock.Elapsed > timeout)
            {
                throw new HarnessException($"{InterfaceName}: no handshake with {peerPublicKey} within {timeout.TotalSeconds:0.#} s\n{Process.Tail()}");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    public Task<int> StopAsync() => Process.StopAsync();

    /// <summary>Stops wireguard-go by its PID; removes its UAPI socket if a hard kill left it behind (the name is ours alone).</summary>
    public void Dispose()
    {
        Process.Dispose();
        try
        {
            if (Process.HasExited && File.Exists(UapiSocketPath))
            {
                File.Delete(UapiSocketPath);
            }
        }
        catch (IOException)
        {
            // Best effort; wg unlinks stale sockets itself on ECONNREFUSED.
        }
    }

    public override string ToString() => $"{Process.Name} {InterfaceName} in {Netns}";

    private ExecResult Run(IReadOnlyList<string> argv) =>
        Harness.Netns.Exec(Netns, argv, TimeSpan.FromSeconds(15)).EnsureSuccess();

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (Process.HasExited)
            {
                await Process.StopAsync().ConfigureAwait(false);
                throw new HarnessException($"{Process} exited with {Process.ExitCode} during start-up\n{Process.Tail()}");
            }

            if (File.Exists(UapiSocketPath) && Harness.Netns.Exec(Netns, "ip", "link", "show", "dev", InterfaceName).Succeeded)
            {
                return;
            }

            if (clock.Elapsed > timeout)
            {
                throw new HarnessException($"{Process}: no {UapiSocketPath} within {timeout.TotalSeconds:0.#} s\n{Process.Tail()}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>"198.19.0.2/24" -> "198.19.0.0/24", for deciding whether a prefix is already connected.</summary>
    private static string NetworkOf(string cidr)
    {
        string[] parts = cidr.Split('/');
        if (parts.Length != 2 || !System.Net.IPAddress.TryParse(parts[0], out System.Net.IPAddress? address)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length > 32
            || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return cidr;
        }

        uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
        uint mask = length == 0 ? 0 : uint.MaxValue << (32 - length);
        byte[] bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value & mask);
        var network = new System.Net.IPAddress(bytes);
        return $"{network}/{length}";
    }

    [GeneratedRegex("^[a-z0-9]{1,15}$")]
    private static partial Regex InterfaceNamePattern();
}
