using System.Text.Json;
using System.Text.Json.Nodes;
using Rekey.Contracts;

namespace Rekey.Server.Http;

/// <summary>
/// Turns a caller's client or service document into what Rekey stores: read-only properties dropped (older SDKs
/// send <c>clientId: 0</c>, <c>createdAt: 0</c>), <c>null</c>s dropped at every depth (Rekey never sends
/// <c>null</c>), an enum sent as <c>0</c> read as absent, and every enum value checked against the OpenAPI
/// document's list. Everything else is kept exactly as sent.
/// </summary>
internal static class DocumentNormalizer
{
    public static Outcome<JsonObject> Normalize(JsonObject body, IReadOnlyDictionary<string, IReadOnlySet<string>> enums, IReadOnlySet<string> readOnly)
    {
        var result = new JsonObject();
        foreach (var (name, value) in body)
        {
            if (readOnly.Contains(name) || value is null)
            {
                continue;
            }

            if (enums.TryGetValue(name, out var allowed))
            {
                var checkedValue = CheckEnum(name, value, allowed);
                if (!checkedValue.IsOk(out var kept, out var error))
                {
                    return error;
                }

                if (kept is not null)
                {
                    result[name] = kept;
                }

                continue;
            }

            result[name] = WithoutNulls(value);
        }

        return result;
    }

    /// <summary>The enum value to keep, or null for one sent as <c>0</c> (absent).</summary>
    private static Outcome<JsonNode?> CheckEnum(string name, JsonNode value, IReadOnlySet<string> allowed)
    {
        switch (value.GetValueKind())
        {
            // TryGetValue, not GetValue: a number outside decimal's range (1e400) is a wrong type, not an exception.
            case JsonValueKind.Number when value.AsValue().TryGetValue<decimal>(out var number) && number == 0:
                return (JsonNode?)null;
            case JsonValueKind.String:
                var text = value.GetValue<string>();
                return allowed.Contains(text) ? JsonValue.Create(text) : RuleViolation.Of(ResultCodes.InvalidEnumValue, name, text);
            case JsonValueKind.Array:
                var items = new JsonArray();
                foreach (var item in value.AsArray())
                {
                    if (item?.GetValueKind() is not JsonValueKind.String)
                    {
                        return RuleViolation.Of(ResultCodes.InvalidPropertyType, name);
                    }

                    var itemText = item.GetValue<string>();
                    if (!allowed.Contains(itemText))
                    {
                        return RuleViolation.Of(ResultCodes.InvalidEnumValue, name, itemText);
                    }

                    // Add(JsonNode), not Add<T>(T): the generic one wraps the value for reflection-based
                    // serialisation, which a Native AOT build does not have (client create answered 500 there).
                    items.Add((JsonNode)JsonValue.Create(itemText));
                }

                return items;
            default:
                return RuleViolation.Of(ResultCodes.InvalidPropertyType, name);
        }
    }

    private static JsonNode? WithoutNulls(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Key, WithoutNulls(p.Value)))),
        JsonArray array => new JsonArray(array.Where(i => i is not null).Select(WithoutNulls).ToArray()),
        _ => node?.DeepClone(),
    };
}
