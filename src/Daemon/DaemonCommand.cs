using System.CommandLine;
using System.CommandLine.Invocation;
using Overlay.Os.Node;
using Overlay.Os.Plan;
using Overlay.Protocol.Config;

namespace Overlay.Daemon;

/// <summary>
/// The subnetrad command line (DESIGN.md §1, §6): <c>--check</c>, <c>--print-network-plan</c>,
/// <c>--version</c>, and the run mode (<c>subnetrad [--config F]</c>). Exit codes: 0 ok,
/// 1 runtime failure, 2 usage or config error. Everything writes to the given writers, so tests
/// run it in-process.
/// </summary>
public static class DaemonCommand
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    /// <summary>"0.1.0": the assembly version without the revision.</summary>
    public static string Version
    {
        get
        {
            var v = typeof(DaemonCommand).Assembly.GetName().Version ?? new Version(0, 0, 0);
            return $"{v.Major}.{v.Minor}.{v.Build}";
        }
    }

    /// <summary>
    /// Parses and runs. <paramref name="runDaemon"/> is the run mode, called with the validated
    /// config when neither --check, --print-network-plan nor --version is given; it returns the
    /// exit code. Without it the run mode reports that it is unavailable (exit 1).
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr,
        Func<OverlayConfig, LogLevel, TextWriter, TextWriter, int>? runDaemon = null)
    {
        var configOpt = new Option<string>("--config", "-c")
        {
            Description = "Path to the JSON config. Default: $SUBNETRA_CONFIG, else ./config.json, else /etc/subnetra/config.json.",
            HelpName = "FILE",
        };
        var checkOpt = new Option<bool>("--check")
        {
            Description = "Validate the config, print one summary line (or every error as 'FILE: key.path: message') and exit 0 or 2. Touches no device or socket.",
        };
        var planOpt = new Option<bool>("--print-network-plan")
        {
            Description = "Print the host commands for this config's tunnel address, MTU, routes and forwarding, for the build OS: exactly what the daemon applies at start (unless apply_network_plan is false). Printing applies nothing.",
        };
        var pathMtuOpt = new Option<int?>("--path-mtu")
        {
            Description = "With --print-network-plan: the underlay path MTU, for MTU advice (576..65535).",
            HelpName = "N",
        };
        // A custom parser, not a validator: reading the value of 'abc' in a validator throws
        // (InvalidOperationException naming System.Nullable`1[System.Int32]) instead of a usage error.
        pathMtuOpt.CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n is >= 576 and <= 65535)
                return n;
            r.AddError($"--path-mtu must be 576..65535 (the underlay path MTU in bytes), not '{text}'");
            return null;
        };
        var logLevelOpt = new Option<string>("--log-level")
        {
            Description = "Run mode: error, warn, info (default: start/stop and sessions coming and going) or debug (every handshake).",
            HelpName = "LEVEL",
            DefaultValueFactory = _ => "info",
        };
        logLevelOpt.Validators.Add(r =>
        {
            if (!NodeLog.TryParse(r.GetValueOrDefault<string>(), out _)) r.AddError("--log-level must be error, warn, info or debug");
        });
        var versionOpt = new Option<bool>("--version", "-V") { Description = "Print 'subnetrad <version>' and exit." };

        var root = new RootCommand("subnetrad - hub-and-spoke WireGuard overlay daemon. Without --check or --print-network-plan it runs the node described by the config. While it runs, SIGHUP (or 'subnetra reload') re-reads and applies the config; policy rules saved with 'subnetra save' are loaded at start from $SUBNETRA_STATE, else " + PolicyStateFile.DefaultDirectory + "/<tun_name>.state.json.")
        {
            configOpt, checkOpt, planOpt, pathMtuOpt, logLevelOpt,
        };
        ReplaceVersionOption(root, versionOpt);

        root.SetAction(pr =>
        {
            if (pr.GetValue(versionOpt))
            {
                stdout.WriteLine($"subnetrad {Version}");
                return ExitOk;
            }
            var resolved = ConfigLoader.ResolvePath(pr.GetValue(configOpt));
            var result = ConfigLoader.LoadFile(resolved.Path, Overlay.Os.Node.RegularFileReader.Instance);
            foreach (string w in result.Warnings) stderr.WriteLine($"warning: {w}");
            if (!result.Success)
            {
                foreach (var e in result.Errors) stderr.WriteLine(e.ToString());
                if (result.Errors.Count == 1 && result.Errors[0].Message == "config file not found")
                    stderr.WriteLine($"(config path from {resolved.Describe()})");
                return ExitUsage;
            }
            var config = result.Config!;
            if (pr.GetValue(checkOpt))
            {
                stdout.WriteLine(Summary(config));
                return ExitOk;
            }
            if (pr.GetValue(planOpt))
            {
                stdout.Write(NetworkPlan.Generate(config, new NetworkPlanOptions(NetworkPlan.BuildOs, null, pr.GetValue(pathMtuOpt))));
                return ExitOk;
            }
            if (pr.GetValue(pathMtuOpt) is not null)
            {
                stderr.WriteLine("subnetrad: --path-mtu only applies to --print-network-plan");
                return ExitUsage;
            }
            if (runDaemon is null)
            {
                // Only in-process callers (tests) omit the run mode; Program always passes it.
                stderr.WriteLine("subnetrad: this entry point was built without the run mode; use --check or --print-network-plan");
                return ExitFailure;
            }
            NodeLog.TryParse(pr.GetValue(logLevelOpt), out LogLevel level);
            return runDaemon(config, level, stdout, stderr);
        });

        return Invoke(root, args, stdout, stderr, "subnetrad");
    }

    /// <summary>The --check line: <c>config OK: PATH role=hub local_id=1 peers=2 tun=snr0 udp=51820</c>.</summary>
    public static string Summary(OverlayConfig c)
    {
        string udp = string.Join(",", c.EffectiveListenPorts.Select(p => p == 0 ? "ephemeral" : p.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return $"config OK: {c.SourcePath} role={OverlayConfig.RoleName(c.Role)} local_id={c.LocalId} peers={c.Peers.Count} tun={c.TunName} udp={udp}";
    }

    /// <summary>RootCommand's built-in --version prints the informational version; ours prints "subnetrad 0.1.0" and adds -V like Subnetra.</summary>
    internal static void ReplaceVersionOption(RootCommand root, Option<bool> versionOpt)
    {
        for (int i = root.Options.Count - 1; i >= 0; i--)
            if (root.Options[i] is VersionOption) root.Options.RemoveAt(i);
        root.Options.Add(versionOpt);
    }

    /// <summary>Parses, maps parse errors to exit 2 (System.CommandLine uses 1), and invokes with the given writers.</summary>
    internal static int Invoke(RootCommand root, string[] args, TextWriter stdout, TextWriter stderr, string program)
    {
        var pr = root.Parse(args);
        if (pr.Errors.Count > 0 && pr.Action is ParseErrorAction)
        {
            foreach (var e in pr.Errors) stderr.WriteLine($"{program}: {e.Message}");
            stderr.WriteLine($"Run '{program} --help' for usage.");
            return ExitUsage;
        }
        try
        {
            return pr.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.Security.Cryptography.CryptographicException or Overlay.Protocol.Crypto.SodiumUnavailableException)
        {
            stderr.WriteLine($"{program}: {e.Message}");
            return ExitFailure;
        }
    }
}
