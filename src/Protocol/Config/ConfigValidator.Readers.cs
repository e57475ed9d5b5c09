using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Overlay.Protocol.Config;

/// <summary>
/// Typed readers shared by every section: each reads one node, reports a wrong type or range with its JSON
/// path, and returns null (or an empty list) so the walk goes on and collects every error.
/// </summary>
internal sealed partial class ConfigValidator
{
    /// <summary>
    /// Indexes an object's children by key, reporting every key not in <paramref name="known"/>
    /// with a suggestion: the nearest known key by edit distance, or the level it belongs to.
    /// </summary>
    private Dictionary<string, ConfigNode> Fields(ConfigNode obj, string[] known, string[] otherLevel, string kind, string otherLevelName)
    {
        var map = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        foreach (var child in obj.Children)
        {
            if (System.Array.IndexOf(known, child.Key) >= 0)
            {
                map[child.Key] = child;
                continue;
            }
            string message = $"unknown key";
            string? exactIgnoringCase = known.FirstOrDefault(k => string.Equals(k, child.Key, StringComparison.OrdinalIgnoreCase));
            if (exactIgnoringCase is not null)
                message += $" (keys are case-sensitive); did you mean '{exactIgnoringCase}'?";
            else if (obj.Key == "" && child.Key == "psk")
                message = "a mesh-wide psk is not supported (Subnetra removed it too); put a psk on each peers[] entry";
            else if (System.Array.IndexOf(otherLevel, child.Key) >= 0)
                message = $"is not {kind}; '{child.Key}' belongs in {otherLevelName}";
            else if (Suggest(child.Key, known) is string s)
                message += $"; did you mean '{s}'?";
            Error(child.JsonPath, message);
        }
        return map;
    }

    internal static string? Suggest(string key, string[] known)
    {
        string lower = key.ToLowerInvariant();
        if (lower.Length >= 4)
            foreach (string k in known)
                if (k.StartsWith(lower, StringComparison.Ordinal)) return k; // "keepalive" -> "keepalive_secs"
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string k in known)
        {
            int d = EditDistance.Between(lower, k);
            if (d < bestDistance) { bestDistance = d; best = k; }
        }
        int allowed = Math.Max(2, key.Length / 3);
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>A required key: absent or JSON null is reported with <paramref name="message"/>.</summary>
    private ConfigNode? Required(Dictionary<string, ConfigNode> fields, string key, string message, string parentPath = "")
    {
        if (fields.TryGetValue(key, out var n) && !n.IsNull) return n;
        Error(parentPath.Length == 0 ? key : $"{parentPath}.{key}", message);
        return null;
    }

    /// <summary>A string-valued key. JSON null counts as absent; an object or array is an error.</summary>
    private string? String(ConfigNode n)
    {
        if (n.IsNull) return null;
        if (n.IsContainer)
        {
            Error(n.JsonPath, $"expected a string, got {n.Describe()}");
            return null;
        }
        // The provider turns 5 and true into text; the kind map tells them apart (issue 2).
        switch (n.Kind)
        {
            case JsonValueKind.Number:
                Error(n.JsonPath, $"expected a string, got a number {n.Value}");
                return null;
            case JsonValueKind.True or JsonValueKind.False:
                Error(n.JsonPath, $"expected a string, got {(n.Kind == JsonValueKind.True ? "true" : "false")}");
                return null;
        }
        return n.Value;
    }

    /// <summary>
    /// An integer in [min, max]. Numbers arrive as text; "1.0", "1e3" and "true" are refused, and
    /// so is a JSON string holding digits ("5"), which the kind map reveals.
    /// </summary>
    private int? Integer(ConfigNode n, int min, int max)
    {
        if (n.IsNull) return null;
        if (n.IsContainer)
        {
            Error(n.JsonPath, $"expected an integer, got {n.Describe()}");
            return null;
        }
        string t = n.Value!;
        bool digits = t.Length > 0 && t.Length <= 11 && (t[0] == '-' ? t.Length > 1 && t[1..].All(char.IsAsciiDigit) : t.All(char.IsAsciiDigit));
        if (!digits || !long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
        {
            Error(n.JsonPath, $"expected an integer, got '{t}'");
            return null;
        }
        if (n.Kind == JsonValueKind.String)
        {
            Error(n.JsonPath, $"expected an integer, got a string '{t}'; remove the quotes");
            return null;
        }
        if (v < min || v > max)
        {
            Error(n.JsonPath, $"must be in {min}..{max}; got {v}");
            return null;
        }
        return (int)v;
    }

    /// <summary>JSON true or false; the strings "true"/"false" are refused (issue 2).</summary>
    private bool? Bool(ConfigNode n)
    {
        if (n.IsNull) return null;
        if (n.Kind == JsonValueKind.String && n.Value is "true" or "false" or "True" or "False")
        {
            Error(n.JsonPath, $"expected true or false, got a string '{n.Value}'; remove the quotes");
            return null;
        }
        if (!n.IsContainer && (n.Value == "True" || n.Value == "true")) return true;
        if (!n.IsContainer && (n.Value == "False" || n.Value == "false")) return false;
        Error(n.JsonPath, $"expected true or false, got {n.Describe()}");
        return null;
    }

    /// <summary>An array's elements. [] flattens to "" and is an empty list; other scalars and objects are errors.</summary>
    private IReadOnlyList<ConfigNode>? Array(ConfigNode n)
    {
        if (n.IsNull) return null;
        if (!n.IsContainer)
        {
            if (n.Value == "") return [];
            Error(n.JsonPath, $"expected an array, got {n.Describe()}");
            return null;
        }
        if (!n.IsArrayLike)
        {
            Error(n.JsonPath, $"expected an array, got {n.Describe()}");
            return null;
        }
        return n.Children;
    }

    private IPNetwork? Network(ConfigNode n)
    {
        if (String(n) is not string text) return null;
        if (!AddressText.TryParseCidr(text, out var a, out int len, out string err))
        {
            Error(n.JsonPath, err);
            return null;
        }
        var net = AddressText.ToNetwork(a, len);
        if (!net.BaseAddress.Equals(a))
            Warn(n.JsonPath, $"{text} has host bits set; using {net}");
        return net;
    }

    /// <summary>A list of CIDRs; with <paramref name="allowSingle"/> a single string is a one-element list.</summary>
    private List<IPNetwork> NetworkList(ConfigNode n, bool allowSingle, List<string>? paths = null)
    {
        var result = new List<IPNetwork>();
        if (allowSingle && !n.IsContainer && !string.IsNullOrEmpty(n.Value))
        {
            if (Network(n) is IPNetwork one) { result.Add(one); paths?.Add(n.JsonPath); }
            return result;
        }
        var items = Array(n);
        if (items is null) return result;
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].IsNull) { Error(items[i].JsonPath, "expected a CIDR string, got null"); continue; }
            if (Network(items[i]) is not IPNetwork net) continue;
            int dup = result.FindIndex(x => x.Equals(net));
            if (dup >= 0) { Error(items[i].JsonPath, $"duplicate of {paths?[dup] ?? $"{n.JsonPath}[{dup}]"} ({net})"); continue; }
            result.Add(net);
            paths?.Add(items[i].JsonPath);
        }
        return result;
    }

    private List<ushort>? ListenPorts(ConfigNode n)
    {
        var items = Array(n);
        if (items is null) return null;
        if (items.Count == 0) { Error(n.JsonPath, "must list at least one port"); return null; }
        if (items.Count > MaxListenPorts) { Error(n.JsonPath, $"at most {MaxListenPorts} ports; got {items.Count}"); return null; }
        var ports = new List<ushort>();
        foreach (var item in items)
        {
            if (Integer(item, 1, 65535) is not int p) continue;
            if (ports.Contains((ushort)p)) { Error(item.JsonPath, $"duplicate port {p}"); continue; }
            ports.Add((ushort)p);
        }
        return ports;
    }
}
