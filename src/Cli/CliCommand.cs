using System.CommandLine;
using System.CommandLine.Invocation;
using System.Security.Cryptography;
using Overlay.Os.Plan;
using Overlay.Protocol.Config;
using Overlay.Protocol.Crypto;

namespace Overlay.Cli;

/// <summary>
/// The subnetra command line: onboarding (init, add-peer, check), key tools (genpsk, genkey,
/// pubkey), <c>export</c> (wg-quick config or QR code for a stock WireGuard peer) and
/// <c>--print-network-plan</c>, the control-plane commands (status, metrics, policy
/// add|del|show, save, reload) that talk to a running daemon, and help, version, completion. Exit codes: 0 ok,
/// 1 runtime failure, 2 usage or config error.
/// </summary>
public static class CliCommand
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static string Version
    {
        get
        {
            var v = typeof(CliCommand).Assembly.GetName().Version ?? new Version(0, 0, 0);
            return $"{v.Major}.{v.Minor}.{v.Build}";
        }
    }

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var root = Build(stdin, stdout, stderr);
        var pr = root.Parse(args);
        if (pr.Errors.Count > 0 && pr.Action is ParseErrorAction)
        {
            foreach (string line in UsageErrors.Describe(pr)) stderr.WriteLine($"subnetra: {line}");
            stderr.WriteLine($"Run 'subnetra {UsageErrors.CommandPath(pr.CommandResult)}--help' for usage.");
            return ExitUsage;
        }
        try
        {
            return pr.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or SodiumUnavailableException)
        {
            stderr.WriteLine($"subnetra: {e.Message}");
            return ExitFailure;
        }
    }

    /// <summary>The root command with every subcommand wired to the given streams.</summary>
    public static RootCommand Build(TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("subnetra - tools and control client for the subnetrad overlay (WireGuard protocol, hub and spoke).");

        // --- --print-network-plan (root options, as in Subnetra) ---
        var planOpt = new Option<bool>("--print-network-plan")
        {
            Description = "Print the host commands that give the tunnel its address, MTU, routes and forwarding for this config: exactly what subnetrad applies at start (unless apply_network_plan is false). Printing applies nothing.",
        };
        var configOpt = ConfigOption();
        var pathMtuOpt = CliOptions.OptionalInt("--path-mtu", 576, 65535, "the underlay path MTU in bytes");
        pathMtuOpt.Description = "With --print-network-plan: underlay path MTU for MTU advice (576..65535): tunnel MTU = N-60 over IPv4, N-80 over IPv6.";
        var osOpt = new Option<string>("--os")
        {
            Description = $"Plan for this OS: linux (ip commands) or macos (ifconfig/route). Default: the build OS ({(NetworkPlan.BuildOs == PlanOs.Linux ? "linux" : "macos")}).",
            HelpName = "linux|macos",
        };
        osOpt.AcceptOnlyFromAmong("linux", "macos");
        var tunOpt = new Option<string>("--tun")
        {
            Description = "Interface name to print: on macOS the real utunN from the daemon's [ready] banner; on Linux overrides tun_name.",
            HelpName = "NAME",
        };
        tunOpt.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is string t && !IsInterfaceName(t)) r.AddError("--tun must be 1..15 characters of letters, digits, '_', '.' or '-'");
        });
        var versionOpt = new Option<bool>("--version", "-V") { Description = "Print 'subnetra <version>' and exit." };
        root.Options.Add(planOpt);
        root.Options.Add(configOpt);
        root.Options.Add(pathMtuOpt);
        root.Options.Add(osOpt);
        root.Options.Add(tunOpt);
        for (int i = root.Options.Count - 1; i >= 0; i--)
            if (root.Options[i] is VersionOption) root.Options.RemoveAt(i);
        root.Options.Add(versionOpt);

        root.SetAction(pr =>
        {
            if (pr.GetValue(versionOpt))
            {
                stdout.WriteLine($"subnetra {Version}");
                return ExitOk;
            }
            if (!pr.GetValue(planOpt))
            {
                // --path-mtu, --os, --tun and --config on their own only shape a plan: say which option they need.
                foreach (Option given in new Option[] { pathMtuOpt, osOpt, tunOpt, configOpt })
                    if (pr.GetResult(given) is { Implicit: false })
                    {
                        stderr.WriteLine($"subnetra: {given.Name} needs --print-network-plan (it only changes the printed plan); e.g. subnetra --print-network-plan {given.Name} ...");
                        return ExitUsage;
                    }
                stderr.WriteLine("subnetra: missing command. Run 'subnetra --help' for usage.");
                return ExitUsage;
            }
            if (LoadConfig(pr.GetValue(configOpt), stderr) is not OverlayConfig config) return ExitUsage;
            var os = pr.GetValue(osOpt) is string o && NetworkPlan.TryParseOs(o, out var parsed) ? parsed : NetworkPlan.BuildOs;
            stdout.Write(NetworkPlan.Generate(config, new NetworkPlanOptions(os, pr.GetValue(tunOpt), pr.GetValue(pathMtuOpt))));
            return ExitOk;
        });

        // --- genpsk ---
        var genpsk = new Command("genpsk", "Print a new random 32-byte link PSK as 64 hex characters (put the same value in both ends' peers[].psk).");
        genpsk.SetAction(_ =>
        {
            Span<byte> psk = stackalloc byte[32];
            RandomNumberGenerator.Fill(psk);
            stdout.WriteLine(KeyEncoding.ToHex(psk));
            CryptographicOperations.ZeroMemory(psk);
            return ExitOk;
        });
        root.Subcommands.Add(genpsk);

        // --- genkey ---
        var genkey = new Command("genkey", "Print a new X25519 private key in WireGuard base64 (for private_key / private_key_file; same format as 'wg genkey').");
        genkey.SetAction(_ =>
        {
            Span<byte> key = stackalloc byte[X25519.KeySize];
            X25519.GeneratePrivateKey(key);
            stdout.WriteLine(KeyEncoding.FormatBase64Key(key));
            CryptographicOperations.ZeroMemory(key);
            return ExitOk;
        });
        root.Subcommands.Add(genkey);

        // --- pubkey ---
        var pubkey = new Command("pubkey", "Read a base64 private key from standard input and print its public key (same as 'wg pubkey'), e.g. 'subnetra genkey | tee node.key | subnetra pubkey'.");
        pubkey.SetAction(_ =>
        {
            string text = (stdin.ReadToEnd() ?? "").Trim();
            if (!KeyEncoding.TryParseBase64Key(text, out var priv))
            {
                stderr.WriteLine("subnetra pubkey: standard input is not a private key (expected 44-character base64 of 32 bytes)");
                return ExitUsage;
            }
            X25519.Clamp(priv);
            Span<byte> pub = stackalloc byte[X25519.KeySize];
            X25519.DerivePublicKey(priv, pub);
            CryptographicOperations.ZeroMemory(priv);
            stdout.WriteLine(KeyEncoding.FormatBase64Key(pub));
            return ExitOk;
        });
        root.Subcommands.Add(pubkey);

        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(InitCommand.Create());
        root.Subcommands.Add(AddPeerCommand.Create());
        root.Subcommands.Add(SetCheck.Create());

        // --- status (control socket) ---
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(MetricsCommand.Create());
        root.Subcommands.Add(PolicyCommand.CreatePolicy());
        root.Subcommands.Add(PolicyCommand.CreateSave());
        root.Subcommands.Add(PolicyCommand.CreateReload());

        // --- help, version, completion ---
        var helpTopic = new Argument<string[]>("COMMAND") { Description = "The command to describe, e.g. 'policy add'", Arity = ArgumentArity.ZeroOrMore };
        var help = new Command("help", "Show help for subnetra or for one command (same as COMMAND --help)") { helpTopic };
        help.SetAction(pr =>
        {
            var topic = root.Parse([.. pr.GetValue(helpTopic) ?? [], "--help"]);
            // --help wins over unmatched words, so an unknown topic is found here, not as a parse error.
            if (topic.Errors.Count == 0 && topic.UnmatchedTokens.Count == 0) return topic.Invoke(pr.InvocationConfiguration);
            foreach (string token in topic.UnmatchedTokens) stderr.WriteLine($"subnetra help: {UsageErrors.Unknown(token, topic.CommandResult.Command)}");
            if (topic.UnmatchedTokens.Count == 0)
                foreach (string line in UsageErrors.Describe(topic)) stderr.WriteLine($"subnetra help: {line}");
            return ExitUsage;
        });
        root.Subcommands.Add(help);
        var version = new Command("version", "Print 'subnetra <version>' (same as --version)");
        version.SetAction(_ =>
        {
            stdout.WriteLine($"subnetra {Version}");
            return ExitOk;
        });
        root.Subcommands.Add(version);
        root.Subcommands.Add(ShellCompletion.Create());
        return root;
    }

    internal static Option<string> ConfigOption(string what = "Path to the JSON config") => new("--config", "-c")
    {
        Description = $"{what}. Default: $SUBNETRA_CONFIG, else ./config.json, else /etc/subnetra/config.json.",
        HelpName = "FILE",
    };

    /// <summary>Loads the config, printing warnings and errors; null on errors.</summary>
    internal static OverlayConfig? LoadConfig(string? cliPath, TextWriter stderr) => LoadConfig(cliPath, stderr, out _);

    /// <summary>Loads and checks a config, reporting to stderr; also gives the bytes read (for tools that rewrite the file).</summary>
    internal static OverlayConfig? LoadConfig(string? cliPath, TextWriter stderr, out byte[]? sourceBytes)
    {
        var resolved = ConfigLoader.ResolvePath(cliPath);
        var result = ConfigLoader.LoadFile(resolved.Path, Overlay.Os.Node.RegularFileReader.Instance, out sourceBytes);
        foreach (string w in result.Warnings) stderr.WriteLine($"warning: {w}");
        foreach (var e in result.Errors) stderr.WriteLine(e.ToString());
        if (result.Errors.Count == 1 && result.Errors[0].Message == "config file not found")
            stderr.WriteLine($"(config path from {resolved.Describe()})");
        return result.Config;
    }

    internal static bool IsInterfaceName(string t) =>
        t.Length is > 0 and <= 15 && t.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
