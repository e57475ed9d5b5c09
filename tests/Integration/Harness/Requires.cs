namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// Skip guards for privileged tests (Xunit.SkippableFact). Call at the top of a [SkippableFact]:
/// <c>Requires.Netns("wireguard-go", "wg");</c>. A test skips with a reason that says what to do;
/// it never fails because the machine lacks root or a tool.
/// </summary>
public static class Requires
{
    private static readonly Lazy<string?> NetnsProbe = new(ProbeNetns);

    /// <summary>Skips unless the effective user is root.</summary>
    public static void Root() =>
        Skip.IfNot(
            Environment.IsPrivilegedProcess,
            "needs root: network namespaces, veth and tun need CAP_SYS_ADMIN/CAP_NET_ADMIN (run `sudo dotnet test tests/Integration`; CI runs as root)");

    /// <summary>Skips unless every named tool is installed.</summary>
    public static void Tools(params string[] names)
    {
        IReadOnlyList<string> missing = Harness.Tools.Missing(names);
        Skip.If(
            missing.Count > 0,
            "missing tools: " + string.Join(", ", missing.Select(m => $"{m} ({Harness.Tools.PackageHint(m)})"))
            + " — run scripts/install-deps.sh");
    }

    /// <summary>
    /// Skips unless root, <c>ip</c> and the named tools are present, and a namespace can actually be created
    /// (a container without CAP_SYS_ADMIN is root yet cannot; probed once per run).
    /// </summary>
    public static void Netns(params string[] tools)
    {
        Root();
        Tools(["ip", .. tools]);
        string? failure = NetnsProbe.Value;
        Skip.If(failure is not null, $"cannot create network namespaces here: {failure}");
    }

    /// <summary>Skips unless the daemon and CLI assemblies were built next to the tests and a dotnet host is found.</summary>
    public static void DaemonBuilt()
    {
        string? reason = DaemonBinaries.MissingReason;
        Skip.If(reason is not null, reason ?? string.Empty);
    }

    private static string? ProbeNetns()
    {
        string name = $"{HarnessRun.RunPrefix}probe";
        try
        {
            ExecResult add = Cmd.Run("ip", "netns", "add", name);
            return add.Succeeded ? null : add.Stderr.Trim();
        }
        finally
        {
            Harness.Netns.Delete(name);
        }
    }
}
