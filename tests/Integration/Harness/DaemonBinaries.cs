namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// Locates the built <c>subnetrad</c> (daemon) and <c>subnetra</c> (CLI). The test project references both
/// projects, so their assemblies, runtimeconfig and deps files land in the test output directory; they are
/// run as <c>dotnet &lt;dir&gt;/subnetrad.dll ...</c> with the same dotnet host that runs the tests (the apphost
/// would need DOTNET_ROOT when dotnet is not installed system-wide).
/// </summary>
public static class DaemonBinaries
{
    public const string DaemonAssembly = "subnetrad.dll";
    public const string CliAssembly = "subnetra.dll";

    /// <summary>Environment variable naming the control socket (DESIGN.md §7); give each daemon its own.</summary>
    public const string SocketVariable = "SUBNETRA_SOCK";

    private static readonly Lazy<string?> Host = new(FindDotnetHost);

    /// <summary>The test output directory, where the referenced executables are copied.</summary>
    public static string Directory => AppContext.BaseDirectory;

    public static string DaemonDll => Path.Combine(Directory, DaemonAssembly);

    public static string CliDll => Path.Combine(Directory, CliAssembly);

    /// <summary>Absolute path of the dotnet host, or null if none is found.</summary>
    public static string? DotnetHost => Host.Value;

    /// <summary>Why the binaries cannot be run, or null when they can.</summary>
    public static string? MissingReason
    {
        get
        {
            foreach (string dll in new[] { DaemonDll, CliDll })
            {
                if (!File.Exists(dll))
                {
                    return $"{dll} not found; build tests/Integration (it references src/Daemon and src/Cli)";
                }

                string runtimeConfig = Path.ChangeExtension(dll, ".runtimeconfig.json");
                if (!File.Exists(runtimeConfig))
                {
                    return $"{runtimeConfig} not found; the referenced executable was not copied completely";
                }
            }

            return DotnetHost is null ? "no dotnet host found (DOTNET_HOST_PATH, this process, PATH, DOTNET_ROOT)" : null;
        }
    }

    /// <summary>A spec for <c>dotnet subnetrad.dll args...</c>, optionally in a namespace, with extra environment.</summary>
    public static ProcessSpec DaemonSpec(string? ns, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Spec(DaemonDll, "subnetrad", ns, environment, args);

    /// <summary>A spec for <c>dotnet subnetra.dll args...</c>.</summary>
    public static ProcessSpec CliSpec(string? ns, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Spec(CliDll, "subnetra", ns, environment, args);

    /// <summary>Starts the daemon (e.g. <c>StartDaemon(node.Ns, env, "--config", path)</c>); wait for its ready banner with WaitForLineAsync.</summary>
    public static ManagedProcess StartDaemon(string? ns, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        ManagedProcess.Start(DaemonSpec(ns, environment, args));

    /// <summary>Runs the CLI to completion (bounded by <paramref name="timeout"/>, default 30 s) and returns its result.</summary>
    public static ExecResult RunCli(string? ns, IReadOnlyDictionary<string, string>? environment, TimeSpan? timeout, params string[] args)
    {
        ProcessSpec spec = CliSpec(ns, environment, args);
        var argv = new List<string>();
        if (ns is not null)
        {
            argv.AddRange(["ip", "netns", "exec", ns]);
        }

        argv.Add(spec.FileName);
        argv.AddRange(spec.Arguments);
        return Cmd.Run(argv, timeout ?? Cmd.DefaultTimeout, environment: environment);
    }

    private static ProcessSpec Spec(string dll, string name, string? ns, IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        string host = DotnetHost ?? throw new HarnessException(MissingReason ?? "no dotnet host");
        return new ProcessSpec(host, [dll, .. args])
        {
            Netns = ns,
            Environment = environment,
            DisplayName = ns is null ? name : $"{name}[{ns}]",
        };
    }

    private static string? FindDotnetHost()
    {
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        string? onPath = Tools.Find("dotnet");
        if (onPath is not null)
        {
            return onPath;
        }

        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        string candidate = root is null ? string.Empty : Path.Combine(root, "dotnet");
        return File.Exists(candidate) ? candidate : null;
    }
}
