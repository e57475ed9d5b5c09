using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.SelfTests;

/// <summary>The referenced daemon and CLI are found next to the tests and start through the dotnet host.</summary>
[Collection(NetnsCollection.Name)]
public sealed class DaemonBinariesTests
{
    [Fact]
    public void MissingReason_AfterBuild_NullAndPathsExist()
    {
        Assert.Null(DaemonBinaries.MissingReason);
        Assert.True(File.Exists(DaemonBinaries.DaemonDll));
        Assert.True(File.Exists(DaemonBinaries.CliDll));
    }

    [SkippableFact]
    public void RunCli_InsideNamespace_HostStartsTheAssembly()
    {
        Requires.Netns();
        Requires.DaemonBuilt();
        using Topology topology = Topology.HubAndSpokes(1);

        // --help: answered by System.CommandLine once the CLI has commands, and by the stub before; exit 0 either way.
        ExecResult result = topology.Spoke(1).RunCli("--help");

        Assert.True(result.Succeeded, result.Describe());
    }

    [SkippableFact]
    public async Task StartDaemon_InsideNamespace_RunsWithPrivateSocketEnvironment()
    {
        Requires.Netns();
        Requires.DaemonBuilt();
        using Topology topology = Topology.HubAndSpokes(1);
        Node hub = topology.Hub;

        ManagedProcess daemon = hub.StartDaemon(null, "--help");

        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(hub.Ns, daemon.Netns);
        Assert.Equal(hub.ControlSocketPath, daemon.Spec.Environment![DaemonBinaries.SocketVariable]);
        Assert.NotEqual(hub.ControlSocketPath, topology.Spoke(1).ControlSocketPath);
    }
}
