using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Overlay.Protocol.Control;

/// <summary>
/// Source-generated System.Text.Json metadata for the control contracts: snake_case member
/// names, no reflection (trim/AOT safe).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = false)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
[JsonSerializable(typeof(StatusSnapshot))]
[JsonSerializable(typeof(PolicyStateDocument))]
public partial class ControlJsonContext : JsonSerializerContext;

/// <summary>
/// The control protocol's framing (DESIGN.md §7): one JSON object per line, UTF-8, each way.
/// Lines end with '\n' (a trailing '\r' is tolerated); a line is at most
/// <see cref="MaxLineBytes"/> bytes. Output uses relaxed escaping because people read it
/// (<c>'</c> stays <c>'</c>, not <c>\u0027</c>); control characters are still escaped, so a
/// serialized object never contains a raw newline.
/// </summary>
public static class ControlJson
{
    /// <summary>Longest accepted request line, newline excluded (64 KiB).</summary>
    public const int MaxLineBytes = 64 * 1024;

    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    private static readonly ControlJsonContext Context = new(new JsonSerializerOptions(ControlJsonContext.Default.Options)
    {
        Encoder = Encoder,
    });

    private static readonly JsonWriterOptions LineWriterOptions = new() { Encoder = Encoder, Indented = false };

    public static JsonTypeInfo<ControlRequest> Request => Context.ControlRequest;
    public static JsonTypeInfo<ControlResponse> Response => Context.ControlResponse;
    public static JsonTypeInfo<StatusSnapshot> Status => Context.StatusSnapshot;
    public static JsonTypeInfo<PolicyStateDocument> PolicyState => Context.PolicyStateDocument;

    /// <summary>
    /// Parses one request line (without its '\n'). Fails with a one-sentence reason on
    /// malformed JSON, a missing or unknown field, or an unknown command; never throws for bad input.
    /// </summary>
    public static bool TryParseRequest(
        ReadOnlySequence<byte> line,
        [NotNullWhen(true)] out ControlRequest? request,
        [NotNullWhen(false)] out string? error)
    {
        request = null;
        if (line.Length > MaxLineBytes)
        {
            error = $"request line longer than {MaxLineBytes} bytes";
            return false;
        }
        error = CheckMemberNames(line);
        if (error is not null) return false;
        try
        {
            var reader = new Utf8JsonReader(line);
            request = JsonSerializer.Deserialize(ref reader, Request);
            // Deserialize stops after the first value; anything but whitespace after it is a second value.
            if (request is not null && reader.Read())
            {
                request = null;
                error = "invalid request: one JSON object per line expected, found trailing data";
                return false;
            }
        }
        catch (JsonException ex)
        {
            request = null;
            error = "invalid request: " + ex.Message;
            return false;
        }
        if (request is null)
        {
            error = "invalid request: expected a JSON object such as {\"command\":\"status\"}";
            return false;
        }
        if (!ControlCommands.IsKnown(request.Command))
        {
            error = $"unknown command '{request.Command}'; known commands: {string.Join(", ", ControlCommands.All)}";
            request = null;
            return false;
        }
        IReadOnlyList<string> allowed = ControlCommands.FieldsOf(request.Command);
        foreach (string field in request.FieldsSet())
        {
            if (allowed.Contains(field)) continue;
            error = $"invalid request: field '{field}' does not apply to command '{request.Command}'";
            request = null;
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>
    /// Names unknown and missing members in plain words ("unknown field 'x'; known fields:
    /// command") before the serializer, whose messages speak of .NET types. Anything that is
    /// not a well-formed object is left for the serializer to report with its position.
    /// </summary>
    private static string? CheckMemberNames(ReadOnlySequence<byte> line)
    {
        IList<JsonPropertyInfo> members = Request.Properties;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                bool known = false;
                foreach (JsonPropertyInfo member in members) known |= member.Name == name;
                if (!known) return $"invalid request: unknown field '{name}'; known fields: {KnownFields(members)}";
                seen.Add(name);
                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            return null;
        }
        foreach (JsonPropertyInfo member in members)
        {
            if (member.IsRequired && !seen.Contains(member.Name)) return $"invalid request: missing field '{member.Name}'";
        }
        return null;
    }

    private static string KnownFields(IList<JsonPropertyInfo> members)
    {
        var names = new List<string>(members.Count);
        foreach (JsonPropertyInfo member in members) names.Add(member.Name);
        return string.Join(", ", names);
    }

    public static bool TryParseRequest(
        ReadOnlySpan<byte> line,
        [NotNullWhen(true)] out ControlRequest? request,
        [NotNullWhen(false)] out string? error)
        => TryParseRequest(new ReadOnlySequence<byte>(line.ToArray()), out request, out error);

    /// <summary>Parses one reply line; throws <see cref="JsonException"/> if it is not a reply object.</summary>
    public static ControlResponse ParseResponse(ReadOnlySpan<byte> line)
        => JsonSerializer.Deserialize(line, Response)
           ?? throw new JsonException("control reply was JSON null, expected an object");

    /// <summary>Writes <paramref name="value"/> as one line: compact JSON then '\n'.</summary>
    public static void WriteLine<T>(IBufferWriter<byte> output, T value, JsonTypeInfo<T> typeInfo)
    {
        using (var writer = new Utf8JsonWriter(output, LineWriterOptions))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }
        output.Write("\n"u8);
    }

    /// <summary>The compact JSON of <paramref name="value"/> as a string, no newline.</summary>
    public static string Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, LineWriterOptions))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
