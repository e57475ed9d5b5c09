using Overlay.Protocol.Config;

namespace Overlay.Protocol.Tests.Config;

public class ApplyNetworkPlanConfigTests
{
    private static ConfigLoadResult Load(string json) => ConfigLoader.LoadJson(json, "test.json", Path.GetTempPath());

    [Fact]
    public void Load_KeyAbsent_DefaultsToTrue()
    {
        var r = Load(ConfigJson.Spoke());
        Assert.True(r.Success, string.Join("\n", r.Errors));
        Assert.True(r.Config!.ApplyNetworkPlan);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void Load_Boolean_IsTaken(string value, bool expected)
    {
        var r = Load(ConfigJson.Hub($"\"apply_network_plan\": {value},"));
        Assert.True(r.Success, string.Join("\n", r.Errors));
        Assert.Equal(expected, r.Config!.ApplyNetworkPlan);
    }

    [Fact]
    public void Load_NotABoolean_ErrorNamesKey()
    {
        var r = Load(ConfigJson.Spoke("\"apply_network_plan\": \"yes\","));
        Assert.False(r.Success);
        Assert.Contains(r.Errors, e => e.ToString().Contains("apply_network_plan"));
    }
}
