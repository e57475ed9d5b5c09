namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// Skip guards for privileged tests (Xunit.SkippableFact). Call at the top of a [SkippableFact]:
/// <c>Requires.Netns("wireguard-go", "wg");</c>. A test skips with a reason that says what to do;
/// it never fails because the machine lacks root or a tool — unless <c>OVERLAY_REQUIRE_PRIVILEGED=1</c>
/// is set (scripts/test.sh sets it when run as root, as CI does): then a missing prerequisite is a
/// failure, so a CI run can never pass with its privileged tests silently skipped.
/// </summary>
public static class Requires
{
    public const string RequirePrivilegedVariable = "OVERLAY_REQUIRE_PRIVILEGED";

    private static bool Demanded => Environment.GetEnvironmentVariable(RequirePrivilegedVariable) == "1";

    /// <summary>Skips with <paramref name="reason"/> when <paramref name="missing"/>; fails instead when privileged tests are demanded.</summary>
    private static void SkipIf(bool missing, string reason)
    {
        if (missing && Demanded)
            throw new InvalidOperationException($"{RequirePrivilegedVariable}=1 but a privileged test cannot run: {reason}");
        Skip.If(missing, reason);
    }

    private static readonly Lazy<string?> NetnsProbe = new(ProbeNetns);

    /// <summary>Skips unless the effective user is root.</summary>
    public static void Root() =>
        SkipIf(
            !Environment.IsPrivilegedProcess,
            "needs root: network namespaces, veth and tun need CAP_SYS_ADMIN/CAP_NET_ADMIN (run `sudo dotnet test tests/Integration`; CI runs as root)");

    /// <summary>Skips unless every named tool is installed.</summary>
    public static void Tools(params string[] names)
    {
        IReadOnlyList<string> missing = Harness.Tools.Missing(names);
        SkipIf(
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
        SkipIf(failure is not null, $"cannot create network namespaces here: {failure}");
    }

    /// <summary>Skips unless the daemon and CLI assemblies were built next to the tests and a dotnet host is found.</summary>
    public static void DaemonBuilt()
    {
        string? reason = DaemonBinaries.MissingReason;
        SkipIf(reason is not null, reason ?? string.Empty);
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
