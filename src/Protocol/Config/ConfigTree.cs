using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Overlay.Protocol.Config;

/// <summary>
/// Builds the <see cref="ConfigNode"/> tree from the kind map's paths (every node of the JSON document, keyed
/// as IConfiguration keys them) and the provider's values, in O(n log n) for n paths. Children come in the
/// order IConfiguration.GetChildren gives (<see cref="ConfigurationKeyComparer"/>: array indices numerically),
/// so errors are reported in the same order as before.
/// </summary>
internal static class ConfigTree
{
    public static ConfigNode Build(IConfiguration root, IReadOnlyDictionary<string, JsonValueKind> kinds)
    {
        var children = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (string path in kinds.Keys)
        {
            int cut = path.LastIndexOf(ConfigurationPath.KeyDelimiter[0]);
            string parent = cut < 0 ? "" : path[..cut];
            if (!children.TryGetValue(parent, out var list)) children[parent] = list = new List<string>();
            list.Add(path);
        }
        foreach (List<string> list in children.Values)
            list.Sort(static (a, b) => ConfigurationKeyComparer.Instance.Compare(LastSegment(a), LastSegment(b)));
        return new ConfigNode
        {
            Key = "",
            JsonPath = "",
            Kind = JsonValueKind.Object,
            Children = ChildrenOf("", root, kinds, children),
        };
    }

    private static List<ConfigNode> ChildrenOf(string parent, IConfiguration root,
        IReadOnlyDictionary<string, JsonValueKind> kinds, Dictionary<string, List<string>> children)
    {
        if (!children.TryGetValue(parent, out var paths)) return [];
        var nodes = new List<ConfigNode>(paths.Count);
        foreach (string path in paths)
            nodes.Add(new ConfigNode
            {
                Key = LastSegment(path),
                JsonPath = ConfigLoader.FormatKeyPath(path),
                Value = root[path],
                Kind = kinds[path],
                Children = ChildrenOf(path, root, kinds, children),
            });
        return nodes;
    }

    private static string LastSegment(string path)
    {
        int cut = path.LastIndexOf(ConfigurationPath.KeyDelimiter[0]);
        return cut < 0 ? path : path[(cut + 1)..];
    }
}
