using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rekey.Contracts;

/// <summary>
/// Reads an enum-valued property as its upper-case name. Older Authlete SDKs send <c>null</c> or <c>0</c> for an
/// unset enum; both read as "absent". Any other number or type is a type error. Whether the name is in the
/// document's list is checked by the server, so that the error can say which value was refused.
/// </summary>
public sealed class LenientEnumConverter : JsonConverter<string?>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number when reader.TryGetInt64(out var n) && n == 0 => null,
            _ => throw new JsonException("An enum value must be a string."),
        };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}
