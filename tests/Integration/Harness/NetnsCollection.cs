namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// Put privileged tests in <c>[Collection(NetnsCollection.Name)]</c>: they run one at a time, so tunnel
/// and iperf3 tests do not compete for the CPU and their bounded waits stay meaningful on small machines.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetnsCollection
{
    public const string Name = "netns";
}
