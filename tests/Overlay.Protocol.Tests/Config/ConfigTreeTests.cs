using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Overlay.Protocol.Config;

namespace Overlay.Protocol.Tests.Config;

/// <summary>ConfigTree (built from the kind map) must give the tree IConfiguration.GetChildren gives, in its order.</summary>
public class ConfigTreeTests
{
    private static string Dump(ConfigNode n, int depth = 0)
    {
        var sb = new StringBuilder();
        sb.Append(' ', depth).Append(n.Key).Append('|').Append(n.JsonPath).Append('|').Append(n.Value ?? "<null>").Append('\n');
        foreach (ConfigNode c in n.Children) sb.Append(Dump(c, depth + 1));
        return sb.ToString();
    }

    [Fact]
    public void Build_IndicesPastTenMixedCaseEmptyContainers_SameTreeAsGetChildren()
    {
        var peers = string.Join(",", Enumerable.Range(0, 12).Select(i => $$"""{ "id": {{i + 2}}, "Name": "p{{i}}", "allowed_src": ["198.18.{{i}}.0/24", "198.19.{{i}}.0/24"] }"""));
        string json = $$"""
            { "role": "hub", "Local_Id": 1, "empty_obj": {}, "empty_arr": [], "nothing": null, "flag": true,
              "zeta": 5, "alpha": "x", "peers": [ {{peers}} ] }
            """;
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        IConfigurationRoot root = new ConfigurationBuilder().AddJsonStream(new MemoryStream(bytes)).Build();
        using var doc = JsonDocument.Parse(bytes);
        var kinds = ConfigLoader.JsonKinds(doc.RootElement);

        ConfigNode fromKinds = ConfigNode.FromConfiguration(root, kinds);
        ConfigNode fromSections = ConfigNode.FromConfiguration(root);

        Assert.Equal(Dump(fromSections), Dump(fromKinds));
        Assert.Equal(JsonValueKind.Array, fromKinds.Children.Single(c => c.Key == "peers").Kind);
        Assert.Equal("peers[10].allowed_src[1]", fromKinds.Children.Single(c => c.Key == "peers").Children[10].Children
            .Single(c => c.Key == "allowed_src").Children[1].JsonPath);
    }
}
