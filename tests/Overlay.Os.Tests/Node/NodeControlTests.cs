using Overlay.Os.Node;
using Overlay.Protocol.Config;
using Overlay.Protocol.Control;
using Overlay.Protocol.Engine;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Node;

/// <summary>
/// How a control request reaches the loop (<see cref="NodeControl.RunOnLoopAsync"/>): a request
/// the caller gave up on never runs later, and the keys of an unapplied reload are zeroed.
/// The "loop" here is a queue the test drains by hand.
/// </summary>
public sealed class NodeControlTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task RunOnLoopAsync_LoopRunsInTime_ReturnsWorkReply()
    {
        ControlResponse reply = await NodeControl.RunOnLoopAsync(
            action => action(), () => new ControlResponse { Ok = true, Message = "done" }, null, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.True(reply.Ok);
        Assert.Equal("done", reply.Message);
    }

    [Fact]
    public async Task RunOnLoopAsync_LoopLateAfterTimeout_WorkNeverRunsAbandonedDoes()
    {
        var queue = new Queue<Action>();
        int workRuns = 0, abandonedRuns = 0;

        ControlResponse reply = await NodeControl.RunOnLoopAsync(
            queue.Enqueue, () => { workRuns++; return new ControlResponse { Ok = true }; }, () => abandonedRuns++, Short, CancellationToken.None);
        queue.Dequeue()();   // the loop gets to it only now

        Assert.False(reply.Ok);
        Assert.Contains("did not answer", reply.Error);
        Assert.Contains("nothing was applied", reply.Error);
        Assert.Equal((0, 1), (workRuns, abandonedRuns));
    }

    [Fact]
    public async Task RunOnLoopAsync_CallerCancelledBeforeLoop_WorkNeverRuns()
    {
        var queue = new Queue<Action>();
        int workRuns = 0, abandonedRuns = 0;
        using var cts = new CancellationTokenSource();

        Task<ControlResponse> pending = NodeControl.RunOnLoopAsync(
            queue.Enqueue, () => { workRuns++; return new ControlResponse { Ok = true }; }, () => abandonedRuns++, TimeSpan.FromSeconds(30), cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        queue.Dequeue()();

        Assert.Equal((0, 1), (workRuns, abandonedRuns));
    }

    [Fact]
    public async Task RunOnLoopAsync_WorkStartedBeforeTimeout_WaitsForItsRealReply()
    {
        using var release = new ManualResetEventSlim();
        int abandonedRuns = 0;
        Action? posted = null;
        Task<ControlResponse> pending = NodeControl.RunOnLoopAsync(
            a => posted = a, () => { release.Wait(); return new ControlResponse { Ok = true, Message = "applied" }; },
            () => abandonedRuns++, Short, CancellationToken.None);
        Task loop = Task.Run(() => posted!());   // the loop starts the work, which outlasts the timeout

        await Task.Delay(Short * 4);
        Assert.False(pending.IsCompleted);
        release.Set();
        ControlResponse reply = await pending;
        await loop;

        Assert.True(reply.Ok);
        Assert.Equal("applied", reply.Message);
        Assert.Equal(0, abandonedRuns);
    }

    [Fact]
    public async Task RunOnLoopAsync_WorkThrowsNodeConfigException_ReturnsFailure()
    {
        ControlResponse reply = await NodeControl.RunOnLoopAsync(
            action => action(), () => throw new NodeConfigException("restart required"), null, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.False(reply.Ok);
        Assert.Equal("restart required", reply.Error);
    }

    [Fact]
    public void ZeroKeys_UnappliedSetup_ZeroesEveryIdentity()
    {
        ConfigLoadResult r = ConfigLoader.LoadJson(FakeOverlay.HubJson(2), "reloaded");
        Assert.True(r.Success, string.Join("\n", r.Errors));
        NodeSetup setup = NodeSetupBuilder.Build(r.Config!);
        Assert.All(setup.Peers, p => Assert.False(IsZero(p.Local)));

        NodeControl.ZeroKeys(setup);

        Assert.All(setup.Peers, p => Assert.True(IsZero(p.Local)));
    }

    private static bool IsZero(LocalIdentity identity)
    {
        Span<byte> key = stackalloc byte[32];
        identity.CopyPrivateKey(key);
        return !key.ContainsAnyExcept((byte)0);
    }

    /// <summary>Issue 15: policy, save and reload do not apply to a subnetra-wg interface; the answer names wg(8) as the tool.</summary>
    [Theory]
    [InlineData(ControlCommands.PolicyShow)]
    [InlineData(ControlCommands.Save)]
    [InlineData(ControlCommands.Reload)]
    public void NotForWg_Command_NamesTheCommandTheInterfaceAndWgSet(string command)
    {
        string message = NodeControl.NotForWg(command, "wg0");
        Assert.Contains($"'{command}' does not apply to wg0", message);
        Assert.Contains("wg set wg0", message);
        Assert.Contains("wg showconf wg0", message);
    }
}
