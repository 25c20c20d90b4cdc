using System.Text.Json;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Clients;

/// <summary>A validated client document, split into the columns the store indexes and the JSON it keeps.</summary>
internal sealed record PreparedClient(string? Alias, string? Developer, bool Locked, string Document);

/// <summary>What a client document may contain, the defaults Rekey fills in, and how a stored one is shown.</summary>
internal static class ClientRules
{
    public const int MaxNameLength = 200;
    public const int MaxAliasLength = 128;
    public const int MaxDeveloperLength = 100;

    // Read-only in Authlete's schema, plus the two properties whose truth lives in columns (alias, lock flag).
    private static readonly HashSet<string> NotStored = new(StringComparer.Ordinal)
    {
        "number", "serviceNumber", "clientId", "clientSecret", "dynamicallyRegistered", "createdAt", "modifiedAt",
        "derivedSectorIdentifier", "clientSecretExpiresAt", "clientIdAlias", "locked", "registrationAccessTokenHash",
    };

    private static readonly HashSet<string> SecretlessReadOnly = new(StringComparer.Ordinal)
    {
        "number", "serviceNumber", "clientId", "clientSecret", "dynamicallyRegistered", "createdAt", "modifiedAt", "derivedSectorIdentifier",
        "clientSecretExpiresAt", "registrationAccessTokenHash",
    };

    /// <summary>
    /// Validates a caller's client document. <c>clientType</c> defaults to <c>CONFIDENTIAL</c> and
    /// <c>tokenAuthMethod</c> to <c>CLIENT_SECRET_BASIC</c> (<c>NONE</c> for public clients). The lock flag is taken
    /// from the document on create only; afterwards the lock-flag endpoint owns it, so that an older SDK's full
    /// body with <c>locked: false</c> cannot unlock a client by accident.
    /// </summary>
    public static Outcome<PreparedClient> Prepare(JsonObject body)
    {
        var normalized = DocumentNormalizer.Normalize(body, AuthleteEnums.ClientProperties, SecretlessReadOnly);
        if (!normalized.IsOk(out var document, out var error))
        {
            return error;
        }

        var bound = RequestBody.Bind(document, WireJson.Context.ClientDocument);
        if (!bound.IsOk(out var client, out error))
        {
            return error;
        }

        if (Check(client, document) is { } violation)
        {
            return violation;
        }

        var clientType = client.ClientType ?? "CONFIDENTIAL";
        document["clientType"] = clientType;
        document["tokenAuthMethod"] = client.TokenAuthMethod ?? (clientType == "PUBLIC" ? "NONE" : "CLIENT_SECRET_BASIC");
        foreach (var name in NotStored)
        {
            document.Remove(name);
        }

        return new PreparedClient(client.ClientIdAlias, client.Developer, client.Locked ?? false, document.ToJsonString());
    }

    private static RuleViolation? Check(ClientDocument client, JsonObject document)
    {
        if (client.ClientName is { Length: > MaxNameLength })
        {
            return RuleViolation.Of(ResultCodes.InvalidClientName, MaxNameLength);
        }

        if (client.ClientIdAlias is { } alias && !IsValidAlias(alias))
        {
            return RuleViolation.Of(ResultCodes.InvalidClientIdAlias, MaxAliasLength);
        }

        if (client.Developer is { Length: > MaxDeveloperLength })
        {
            return RuleViolation.Of(ResultCodes.InvalidDeveloper, MaxDeveloperLength);
        }

        if (UntrustedText.FirstWithControlCharacter(document, TextProperties) is { } controlled)
        {
            return RuleViolation.Of(ResultCodes.ClientTextControlCharacter, controlled);
        }

        var redirectUris = client.RedirectUris ?? [];
        for (var i = 0; i < redirectUris.Count; i++)
        {
            // RFC 6749 §3.1.2: absolute, no fragment. The explicit scheme check matters: on Unix, Uri.TryCreate reads
            // "/cb" as the absolute file:///cb.
            var uri = redirectUris[i];
            if (!HasScheme(uri) || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Fragment.Length > 0 || uri.Contains('#', StringComparison.Ordinal))
            {
                return RuleViolation.Of(ResultCodes.InvalidRedirectUri, i);
            }
        }

        return null;
    }

    /// <summary>
    /// The text a person reads in lists, consoles and logs (Authlete's localized names and descriptions are arrays of
    /// tagged values). None may hold a control character, TAB included: each is one line of display text, and a
    /// TAB, CR, LF or ESC in it would break the columns of a listing or drive the terminal that shows it.
    /// </summary>
    private static readonly string[] TextProperties = ["clientName", "clientNames", "developer", "description", "descriptions"];

    /// <summary>
    /// Whether <paramref name="identifier"/> could name a client at all: a numeric client ID (digits) or an alias
    /// (1 to <see cref="MaxAliasLength"/> of the alias characters; digits are among them). Anything else — empty, longer,
    /// or with any other character — names no client in any service, so the token and introspection endpoints refuse
    /// it like an unknown client before it reaches the failure limiter, a lookup or a log line.
    /// </summary>
    public static bool CouldNameAClient([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? identifier) =>
        identifier is not null && IsValidAlias(identifier);

    /// <summary>
    /// Aliases appear in URL paths: unreserved characters plus ':' and '@', at most 128. "." and ".." are dot-segments
    /// that clients and servers remove from a path (RFC 3986 §5.2.4), and "list" is shadowed by <c>client/get/list</c>,
    /// so such an alias could never be addressed.
    /// </summary>
    private static bool IsValidAlias(string alias) =>
        alias.Length is > 0 and <= MaxAliasLength && alias is not ("." or ".." or "list") &&
        alias.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or ':' or '@');

    /// <summary>RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ':'.</summary>
    private static bool HasScheme(string uri)
    {
        var colon = uri.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && char.IsAsciiLetter(uri[0]) && !uri.AsSpan(0, colon).ContainsAnyExcept(SchemeCharacters);
    }

    private static readonly System.Buffers.SearchValues<char> SchemeCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-.");

    public static ClientDocument Present(StoredClient stored, bool withSecret)
    {
        var document = JsonSerializer.Deserialize(stored.Document, WireJson.Context.ClientDocument) ?? new ClientDocument();
        return document with
        {
            Number = stored.Number,
            ServiceNumber = stored.ServiceNumber,
            ClientId = stored.ClientId,
            ClientSecret = withSecret ? stored.CurrentSecret : null,
            ClientIdAlias = stored.Alias,
            Locked = stored.Locked,
            ClientSecretExpiresAt = stored.CurrentSecretExpiresAt,
            DynamicallyRegistered = stored.DynamicallyRegistered ? true : null,
            CreatedAt = stored.CreatedAt,
            ModifiedAt = stored.ModifiedAt,
        };
    }
}
