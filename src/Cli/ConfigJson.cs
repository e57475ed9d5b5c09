using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Overlay.Cli;

/// <summary>
/// Reading and writing config files as JSON trees for <c>init</c> and <c>add-peer</c>: key order
/// is kept, output is indented by two spaces and ends with a newline. The loader accepts
/// <c>//</c> and <c>/* */</c> comments; a rewritten file cannot keep them (System.Text.Json has
/// no comment-preserving tree), so <see cref="HasComments"/> lets add-peer save the original
/// beside it and say so.
/// </summary>
public static class ConfigJson
{
    private static readonly JsonDocumentOptions ReadOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private static readonly JsonWriterOptions WriteOptions = new()
    {
        Indented = true,
        // Names like o'brien stay readable; the file is JSON, not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Parses a config file's text into an object, or null with the reason.</summary>
    public static JsonObject? Parse(string text, out string error)
    {
        try
        {
            if (JsonNode.Parse(text, documentOptions: ReadOptions) is JsonObject o)
            {
                error = "";
                return o;
            }
            error = "the top-level JSON value is not an object";
        }
        catch (JsonException e)
        {
            error = $"invalid JSON: {e.Message}";
        }
        return null;
    }

    /// <summary>True when the text has at least one comment token.</summary>
    public static bool HasComments(string text)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(text),
            new JsonReaderOptions { CommentHandling = JsonCommentHandling.Allow, AllowTrailingCommas = true });
        try
        {
            while (reader.Read())
                if (reader.TokenType == JsonTokenType.Comment) return true;
        }
        catch (JsonException)
        {
            return false;
        }
        return false;
    }

    /// <summary>The tree as indented JSON text with a trailing newline.</summary>
    public static string Serialize(JsonNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriteOptions))
            node.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>A JSON array of strings.</summary>
    public static JsonArray Strings(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (string v in values) array.Add((JsonNode)v);
        return array;
    }
}
