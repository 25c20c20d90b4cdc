using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rekey.Cli;

/// <summary>
/// <c>--output yaml</c>: the server's JSON answer written as block YAML. Every string is a double-quoted scalar with
/// JSON's escapes, which YAML reads the same way, so no value can turn into a number, a boolean, a comment or a
/// document marker, and no control character is printed raw.
/// </summary>
internal static class Yaml
{
    public static void Write(TextWriter output, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject { Count: > 0 } o:
                WriteObject(output, o, 0);
                break;
            case JsonArray { Count: > 0 } a:
                WriteArray(output, a, 0);
                break;
            default:
                output.WriteLine(Scalar(node));
                break;
        }
    }

    private static void WriteObject(TextWriter output, JsonObject o, int indent)
    {
        foreach (var (key, value) in o)
        {
            output.Write(new string(' ', indent));
            output.Write(Quote(key));
            output.Write(':');
            WriteValue(output, value, indent);
        }
    }

    private static void WriteArray(TextWriter output, JsonArray a, int indent)
    {
        foreach (var item in a)
        {
            output.Write(new string(' ', indent));
            output.Write('-');
            WriteValue(output, item, indent);
        }
    }

    private static void WriteValue(TextWriter output, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } child:
                output.WriteLine();
                WriteObject(output, child, indent + 2);
                break;
            case JsonArray { Count: > 0 } items:
                output.WriteLine();
                WriteArray(output, items, indent + 2);
                break;
            default:
                output.Write(' ');
                output.WriteLine(Scalar(value));
                break;
        }
    }

    private static string Scalar(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Quote(v.GetValue<string>()),
        _ => value.ToJsonString(),
    };

    /// <summary>A double-quoted scalar; the JSON encoder escapes controls, quotes, backslashes and every non-ASCII character.</summary>
    private static string Quote(string text) => JsonSerializer.Serialize(text, YamlJson.Default.String);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class YamlJson : System.Text.Json.Serialization.JsonSerializerContext;
