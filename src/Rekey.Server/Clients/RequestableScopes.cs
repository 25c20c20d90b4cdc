using System.Text.Json;
using System.Text.Json.Nodes;
using Rekey.Contracts;

namespace Rekey.Server.Clients;

/// <summary>
/// Authlete's "requestable scopes per client": <c>extension.requestableScopes</c> and
/// <c>extension.requestableScopesEnabled</c> in the client's document, where Authlete keeps them (so client/get and
/// client/update show and set them too). The one place that reads and writes them; the token endpoint enforces them.
/// </summary>
internal static class RequestableScopes
{
    private const string Extension = "extension";
    private const string Scopes = "requestableScopes";
    private const string Enabled = "requestableScopesEnabled";

    /// <summary>The scopes the client may request, or null when it may request every scope the service supports (not enabled).</summary>
    public static IReadOnlyList<string>? Of(ClientDocument document)
    {
        if (document.Extra?.GetValueOrDefault(Extension) is not { ValueKind: JsonValueKind.Object } extension
            || !extension.TryGetProperty(Enabled, out var enabled) || enabled.ValueKind != JsonValueKind.True)
        {
            return null;
        }

        return extension.TryGetProperty(Scopes, out var scopes) && scopes.ValueKind == JsonValueKind.Array
            ? [.. scopes.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString() ?? "").Distinct(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>
    /// The stored document with requestable scopes set (enabled, exactly <paramref name="scopes"/>) or, for null,
    /// removed (disabled: every supported scope). Other members of <c>extension</c> stay.
    /// </summary>
    public static string With(string document, IReadOnlyList<string>? scopes)
    {
        var root = JsonNode.Parse(document)?.AsObject() ?? [];
        var extension = root[Extension] as JsonObject ?? [];
        root[Extension] = extension;
        extension[Enabled] = scopes is not null;
        if (scopes is null)
        {
            extension.Remove(Scopes);
        }
        else
        {
            extension[Scopes] = new JsonArray([.. scopes.Select(s => JsonValue.Create(s))]);
        }

        return root.ToJsonString();
    }

    /// <summary>
    /// The <c>requestableScopes</c> of an update request: an array of RFC 6749 §3.3 scope tokens (printable ASCII, no
    /// space, quote or backslash), duplicates dropped; null when the body does not hold one.
    /// </summary>
    public static IReadOnlyList<string>? Parse(JsonObject body) =>
        body[Scopes] is JsonArray array && array.All(s => s?.GetValueKind() == JsonValueKind.String && IsScopeToken(s.GetValue<string>()))
            ? [.. array.Select(s => s!.GetValue<string>()).Distinct(StringComparer.Ordinal)]
            : null;

    /// <summary>
    /// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) — printable ASCII without space, quote or backslash.
    /// The one check of a scope's spelling: the service's scopes, a client's requestable scopes, a registration's scope.
    /// </summary>
    public static bool IsScopeToken(string scope) =>
        scope.Length > 0 && scope.All(c => c is >= (char)0x21 and <= (char)0x7E and not '"' and not '\\');
}
