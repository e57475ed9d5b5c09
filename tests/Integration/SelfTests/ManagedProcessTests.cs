using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.SelfTests;

/// <summary>ManagedProcess against trivial shell commands; needs no root.</summary>
public sealed class ManagedProcessTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public async Task WaitForLine_ProcessPrintsReady_ReturnsTheLine()
    {
        Requires.Tools("sh");
        using ManagedProcess process = ManagedProcess.Start("sh", "-c", "echo starting; echo ready port=7; exec sleep 30");

        string line = await process.WaitForLineAsync(@"^ready port=(\d+)$", Short);

        Assert.Equal("ready port=7", line);
        Assert.False(process.HasExited);
    }

    [SkippableFact]
    public async Task StopAsync_RunningProcess_EndsItWithSigterm()
    {
        Requires.Tools("sh");
        using ManagedProcess process = ManagedProcess.Start("sh", "-c", "echo ready; exec sleep 30");
        await process.WaitForLineAsync("ready", Short);

        int code = await process.StopAsync(TimeSpan.FromSeconds(5));

        Assert.True(process.HasExited);
        Assert.Equal(128 + NativeMethods.SIGTERM, code);
    }

    [SkippableFact]
    public async Task StopAsync_ProcessIgnoresSigterm_KillsAfterGrace()
    {
        Requires.Tools("sh");
        using ManagedProcess process = ManagedProcess.Start("sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done");
        await process.WaitForLineAsync("ready", Short);

        int code = await process.StopAsync(TimeSpan.FromMilliseconds(500));

        Assert.True(process.HasExited);
        Assert.Equal(128 + NativeMethods.SIGKILL, code);
    }

    [SkippableFact]
    public async Task Hangup_ProcessTrapsSighup_PrintsFromTrap()
    {
        Requires.Tools("sh");
        using ManagedProcess process = ManagedProcess.Start("sh", "-c", "trap 'echo got-hup' HUP; echo ready; while :; do sleep 0.1; done");
        await process.WaitForLineAsync("ready", Short);
        int from = process.LineCount;

        process.Hangup();

        await process.WaitForLineAsync("^got-hup$", Short, from);
        Assert.False(process.HasExited);
    }

    [SkippableFact]
    public async Task WaitForLine_ProcessExitsWithoutLine_ThrowsWithExitCodeAndOutput()
    {
        Requires.Tools("sh");
        using ManagedProcess process = ManagedProcess.Start("sh", "-c", "echo boom >&2; exit 3");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        HarnessException e = await Assert.ThrowsAsync<HarnessException>(() => process.WaitForLineAsync("ready", TimeSpan.FromSeconds(20)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "must fail as soon as the process is gone, not at the timeout");
        Assert.Contains("exited with code 3", e.Message);
        Assert.Contains("err| boom", e.Message);
        Assert.Equal(3, process.ExitCode);
    }

    [SkippableFact]
    public async Task WaitForLine_NoMatchingLine_ThrowsAfterTimeout()
    {
        Requires.Tools("sh");
        using ManagedProcess process = ManagedProcess.Start("sh", "-c", "echo other; exec sleep 30");

        HarnessException e = await Assert.ThrowsAsync<HarnessException>(() => process.WaitForLineAsync("ready", TimeSpan.FromMilliseconds(300)));

        Assert.Contains("no line matching /ready/", e.Message);
        Assert.Contains("out| other", e.Message);
    }

    [SkippableFact]
    public async Task WaitForLine_FromLineAfterMatch_IgnoresOlderLines()
    {
        Requires.Tools("sh");
        using ManagedProcess process = ManagedProcess.Start("sh", "-c", "echo ready; exec sleep 30");
        await process.WaitForLineAsync("ready", Short);

        await Assert.ThrowsAsync<HarnessException>(() => process.WaitForLineAsync("ready", TimeSpan.FromMilliseconds(200), process.LineCount));
    }

    [SkippableFact]
    public async Task Start_WithEnvironment_ChildSeesVariable()
    {
        Requires.Tools("sh");
        var spec = new ProcessSpec("sh", ["-c", "echo value=$OVL_TEST_VAR"]) { Environment = new Dictionary<string, string> { ["OVL_TEST_VAR"] = "42" } };
        using ManagedProcess process = ManagedProcess.Start(spec);

        Assert.Equal(0, await process.WaitForExitAsync(Short));
        Assert.Equal("value=42", await process.WaitForLineAsync("^value=", Short));
    }

    [SkippableFact]
    public void Dispose_RunningProcess_LeavesNoProcessWithThatPid()
    {
        Requires.Tools("sh");
        ManagedProcess process = ManagedProcess.Start("sh", "-c", "echo ready; exec sleep 30");
        process.WaitForLine("ready", Short);
        int pid = process.Pid;

        process.Dispose();

        Assert.False(Directory.Exists($"/proc/{pid}") && File.ReadAllText($"/proc/{pid}/cmdline").Contains("sleep"));
    }
}
