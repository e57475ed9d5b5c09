using Overlay.Os.Control;

namespace Overlay.Os.Tests.Control;

public class ControlPathsTests
{
    [Fact]
    public void Resolve_EnvironmentSet_UsesIt()
    {
        Assert.Equal("/tmp/ns1/subnetra.sock", ControlPaths.Resolve("/tmp/ns1/subnetra.sock"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Resolve_EnvironmentUnsetOrBlank_UsesOsDefault(string? fromEnvironment)
    {
        Assert.Equal(ControlPaths.Default, ControlPaths.Resolve(fromEnvironment));
    }

    [Fact]
    public void Default_OnThisOs_IsTheDesignPath()
    {
        string actual = ControlPaths.Default;
        Assert.Equal(OperatingSystem.IsMacOS() ? "/var/run/subnetra.sock" : "/run/subnetra/subnetra.sock", actual);
    }
}
