using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Sdk;

namespace Rekey.Testing;

/// <summary>
/// One HTTP response as it came over the wire. Reading it already enforces the rules every Rekey response obeys:
/// a non-empty body is <c>application/json</c> (UTF-8), a JSON object without duplicate property names and without
/// a single <c>null</c> at any depth.
/// </summary>
public sealed record Reply(HttpStatusCode Status, string Text, JsonObject? Body, string? MediaType, IReadOnlyDictionary<string, string> Headers)
{
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    public static async Task<Reply> ReadAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var text = Encoding.UTF8.GetString(bytes);
        var contentType = response.Content.Headers.ContentType;
        var headers = response.Headers.Concat(response.Content.Headers)
            .ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
        JsonObject? body = null;
        if (bytes.Length > 0)
        {
            var where = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} → {(int)response.StatusCode}";
            if (contentType?.MediaType != "application/json" || contentType.CharSet is not (null or "utf-8"))
            {
                throw new XunitException($"{where}: content type '{contentType}' is not application/json; body: {text}");
            }

            body = JsonNode.Parse(bytes, documentOptions: Strict) as JsonObject
                ?? throw new XunitException($"{where}: the body is not a JSON object: {text}");
            JsonWire.AssertNoNulls(body, where);
        }

        return new Reply(response.StatusCode, text, body, contentType?.MediaType, headers);
    }

    /// <summary>The JSON body; fails when there is none.</summary>
    public JsonObject Json => Body ?? throw new XunitException($"Expected a JSON body: {this}");

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>A string property; fails when it is absent or not a JSON string.</summary>
    public string Str(string name) =>
        Json[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw new XunitException($"'{name}' is not a JSON string: {this}");

    /// <summary>A boolean property; fails when it is absent or not a JSON boolean.</summary>
    public bool Bool(string name) =>
        Json[name] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValue<bool>()
            : throw new XunitException($"'{name}' is not a JSON boolean: {this}");

    /// <summary>An integer property; fails when it is absent, not a JSON number, or written with a fraction or exponent.</summary>
    public long Int(string name) => JsonWire.Integer(Json[name], name);

    public bool Has(string name) => Json.ContainsKey(name);

    /// <summary>An array property whose items are all objects; fails otherwise.</summary>
    public IReadOnlyList<JsonObject> Objects(string name) =>
        Json[name] is JsonArray array
            ? array.Select(item => item as JsonObject ?? throw new XunitException($"'{name}' holds a non-object: {this}")).ToList()
            : throw new XunitException($"'{name}' is not a JSON array: {this}");

    public override string ToString() => $"HTTP {(int)Status} {Text}";
}
