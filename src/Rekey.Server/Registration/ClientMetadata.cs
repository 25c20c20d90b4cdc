using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.Clients;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Registration;

/// <summary>
/// RFC 7591 client metadata and Authlete's client document, both ways. A registered client is an ordinary client: its
/// metadata is stored as the Authlete properties that mean the same (<c>client_name</c> is <c>clientName</c>,
/// <c>scope</c> the client's requestable scopes, …), so <c>client/get</c> shows it and <c>client/update</c> changes it,
/// and the registration endpoints read it back from there. The one place that knows the mapping.
/// </summary>
internal static class ClientMetadata
{
    public const int MaxTextLength = 200;
    public const int MaxUrlLength = 2000;
    public const int MaxListLength = 50;

    /// <summary>RFC 7591 §4.1 grant type values and Authlete's names for them.</summary>
    private static readonly (string Rfc, string Authlete)[] GrantTypes =
    [
        ("authorization_code", "AUTHORIZATION_CODE"), ("implicit", "IMPLICIT"), ("password", "PASSWORD"), ("client_credentials", "CLIENT_CREDENTIALS"),
        ("refresh_token", "REFRESH_TOKEN"), ("urn:ietf:params:oauth:grant-type:jwt-bearer", "JWT_BEARER"),
        ("urn:ietf:params:oauth:grant-type:device_code", "DEVICE_CODE"), ("urn:ietf:params:oauth:grant-type:token-exchange", "TOKEN_EXCHANGE"),
        ("urn:openid:params:grant-type:ciba", "CIBA"), ("urn:ietf:params:oauth:grant-type:pre-authorized_code", "PRE_AUTHORIZED_CODE"),
    ];

    /// <summary>
    /// The token endpoint authentication methods a client may register: those the service's token endpoint checks
    /// (<c>none</c> registers a public client, which gets no secret). <c>private_key_jwt</c> and the mTLS methods are
    /// refused rather than stored for a client that could then never authenticate here.
    /// </summary>
    private static readonly (string Rfc, string Authlete)[] AuthMethods =
    [
        ("client_secret_basic", "CLIENT_SECRET_BASIC"), ("client_secret_post", "CLIENT_SECRET_POST"), ("client_secret_jwt", "CLIENT_SECRET_JWT"), ("none", "NONE"),
    ];

    /// <summary>Members copied as text or lists of text: RFC name, Authlete name, whether the value is a URL.</summary>
    private static readonly (string Rfc, string Authlete, bool Url)[] TextMembers =
    [
        ("client_name", "clientName", false), ("client_uri", "clientUri", true), ("logo_uri", "logoUri", true), ("policy_uri", "policyUri", true),
        ("tos_uri", "tosUri", true), ("jwks_uri", "jwksUri", true), ("software_id", "softwareId", false), ("software_version", "softwareVersion", false),
    ];

    /// <summary>Every Authlete property the metadata owns: an RFC 7592 update replaces all of them (an omitted member is removed).</summary>
    private static readonly string[] OwnedProperties =
    [
        .. TextMembers.Select(m => m.Authlete), "redirectUris", "grantTypes", "responseTypes", "tokenAuthMethod", "clientType", "applicationType", "contacts", "jwks",
    ];

    /// <summary>
    /// The client document for <paramref name="metadata"/>: a new client's (<paramref name="existing"/> null) or, for an RFC
    /// 7592 update, the stored document with every member the metadata owns replaced (absent = removed, RFC 7592 §2.2) and
    /// everything else kept (alias, developer, properties set through /api). Defaults of RFC 7591 §2: grant type
    /// <c>authorization_code</c>, response type <c>code</c>, method <c>client_secret_basic</c>. Members the server
    /// assigns and members it does not know are ignored (RFC 7591 §2); a software statement is refused.
    /// </summary>
    public static Outcome<JsonObject> ToDocument(JsonObject metadata, ServiceDocument service, JsonObject? existing)
    {
        if (metadata["software_statement"] is not null)
        {
            return RuleViolation.Of(ResultCodes.RegistrationSoftwareStatementRefused);
        }

        var document = existing?.DeepClone().AsObject() ?? [];
        foreach (var name in OwnedProperties)
        {
            document.Remove(name);
        }

        foreach (var (rfc, authlete, url) in TextMembers)
        {
            if (!Text(metadata, rfc, url).IsOk(out var value, out var error))
            {
                return error;
            }

            if (value is not null)
            {
                document[authlete] = value;
            }
        }

        if (document["jwksUri"] is not null && metadata["jwks"] is not null)
        {
            return Invalid("'jwks' and 'jwks_uri' must not both be present (RFC 7591 §2).");
        }

        if (metadata["jwks"] is { } jwks)
        {
            if (PublicKeySet(jwks) is { } problem)
            {
                return Invalid(problem);
            }

            document["jwks"] = jwks.ToJsonString();
        }

        var (redirects, contacts) = (TextList(metadata, "redirect_uris", MaxUrlLength), TextList(metadata, "contacts", MaxTextLength));
        if (!redirects.IsOk(out var redirectUris, out var listError) || !contacts.IsOk(out var contactList, out listError))
        {
            return listError;
        }

        if (redirectUris is not null)
        {
            document["redirectUris"] = Array(redirectUris);
        }

        if (contactList is not null)
        {
            document["contacts"] = Array(contactList);
        }

        if (!Mapped(metadata, "grant_types", GrantTypes, ["authorization_code"]).IsOk(out var grantTypes, out listError)
            || !ResponseTypes(metadata).IsOk(out var responseTypes, out listError))
        {
            return listError;
        }

        document["grantTypes"] = Array(grantTypes!);
        document["responseTypes"] = Array(responseTypes!);

        if (!Text(metadata, "token_endpoint_auth_method", url: false).IsOk(out var method, out var methodError))
        {
            return methodError;
        }

        method ??= "client_secret_basic";
        if (AuthMethods.FirstOrDefault(m => m.Rfc == method).Authlete is not { } authMethod)
        {
            return Invalid(
                $"'token_endpoint_auth_method' must be one of: {string.Join(", ", AuthMethods.Select(m => m.Rfc))} (the methods this server's token endpoint checks).");
        }

        document["tokenAuthMethod"] = authMethod;
        document["clientType"] = authMethod == "NONE" ? "PUBLIC" : "CONFIDENTIAL";

        if (!Text(metadata, "application_type", url: false).IsOk(out var applicationType, out var typeError))
        {
            return typeError;
        }

        if (applicationType is not null)
        {
            if (applicationType is not ("web" or "native"))
            {
                return Invalid("'application_type' must be 'web' or 'native'.");
            }

            document["applicationType"] = applicationType.ToUpperInvariant();
        }

        if (!Scopes(metadata, service).IsOk(out var scopes, out var scopeError))
        {
            return scopeError;
        }

        var withScopes = RequestableScopes.With(document.ToJsonString(), scopes);
        return JsonNode.Parse(withScopes)!.AsObject();
    }

    /// <summary>
    /// The metadata: a JSON object by the rules of every request body (<see cref="RequestBody.ParseJson"/>: no duplicate
    /// member, every string decodable, at most 32 levels), or <c>invalid_client_metadata</c> saying what is wrong.
    /// </summary>
    public static Outcome<JsonObject> Parse(byte[] json)
    {
        if (RequestBody.ParseJson(json).IsOk(out var metadata, out var error))
        {
            return metadata;
        }

        var reason = Describe(error);
        return Invalid(reason.Length > 0 ? char.ToLowerInvariant(reason[0]) + reason[1..] : reason);
    }

    /// <summary>invalid_client_metadata: <paramref name="description"/> names the member and the rule.</summary>
    private static RuleViolation Invalid(string description) => RuleViolation.Of(ResultCodes.RegistrationMetadataInvalid, description.TrimEnd('.'));

    /// <summary>
    /// A rule of the client document (<see cref="ClientRules.Prepare"/>) broken by metadata that passed the checks here,
    /// in RFC 7591's terms: a bad redirect URI is <c>invalid_redirect_uri</c>, anything else <c>invalid_client_metadata</c>.
    /// </summary>
    public static RuleViolation FromRule(RuleViolation violation) => violation.Code == ResultCodes.InvalidRedirectUri
        ? RuleViolation.Of(ResultCodes.RegistrationRedirectUriInvalid, "every redirect URI must be an absolute URI without a fragment (RFC 6749 §3.1.2)")
        : Invalid(Describe(violation));

    /// <summary>The message of a violation without its <c>[Axxxxxx] </c> prefix: the <c>error_description</c> of an RFC error body.</summary>
    public static string Describe(RuleViolation violation) =>
        violation.Message.StartsWith($"[{violation.Code.Code}] ", StringComparison.Ordinal) ? violation.Message[(violation.Code.Code.Length + 3)..] : violation.Message;

    /// <summary>The RFC 7591 §3.2.2 (or RFC 6750) <c>error</c> code of a refused registration.</summary>
    public static string ErrorOf(ResultCode code) =>
        code == ResultCodes.RegistrationRedirectUriInvalid ? "invalid_redirect_uri"
        : code == ResultCodes.RegistrationSoftwareStatementRefused ? "unapproved_software_statement"
        : code == ResultCodes.InitialAccessTokenInvalid || code == ResultCodes.RegistrationReadUnauthorized || code == ResultCodes.RegistrationUpdateUnauthorized
            || code == ResultCodes.RegistrationDeleteUnauthorized ? "invalid_token"
        : code == ResultCodes.RegistrationClosed ? "access_denied"
        : "invalid_client_metadata";

    /// <summary>
    /// The RFC 7591 §3.2.1 client information of a stored client: its metadata read back from the document, its current
    /// secret (none for a public client) with its expiry (0 = never), and the registration access token when the answer
    /// carries one.
    /// </summary>
    public static ClientInformation Present(StoredClient client, string? registrationAccessToken, string registrationClientUri)
    {
        var document = JsonNode.Parse(client.Document)?.AsObject() ?? [];
        var bound = JsonSerializer.Deserialize(client.Document, WireJson.Context.ClientDocument) ?? new ClientDocument();
        var method = bound.TokenAuthMethod ?? "CLIENT_SECRET_BASIC";
        var confidential = method != "NONE";
        var scopes = RequestableScopes.Of(bound);
        return new ClientInformation
        {
            ClientId = client.ClientId.ToString(CultureInfo.InvariantCulture),
            ClientSecret = confidential ? client.CurrentSecret : null,
            ClientIdIssuedAt = client.CreatedAt / 1000,
            ClientSecretExpiresAt = confidential ? (client.CurrentSecretExpiresAt ?? 0) / 1000 : null,
            RegistrationAccessToken = registrationAccessToken,
            RegistrationClientUri = registrationClientUri,
            ClientName = bound.ClientName,
            RedirectUris = bound.RedirectUris,
            GrantTypes = bound.GrantTypes?.Select(g => GrantTypes.FirstOrDefault(m => m.Authlete == g).Rfc ?? g.ToLowerInvariant()).ToList(),
            ResponseTypes = bound.ResponseTypes?.Select(ResponseTypeOf).ToList(),
            TokenEndpointAuthMethod = method.ToLowerInvariant(),
            ApplicationType = bound.ApplicationType?.ToLowerInvariant(),
            Scope = scopes is { Count: > 0 } ? string.Join(' ', scopes) : null,
            Contacts = Strings(document, "contacts"),
            ClientUri = String(document, "clientUri"),
            LogoUri = String(document, "logoUri"),
            PolicyUri = String(document, "policyUri"),
            TosUri = String(document, "tosUri"),
            JwksUri = String(document, "jwksUri"),
            Jwks = KeySet(String(document, "jwks")),
            SoftwareId = String(document, "softwareId"),
            SoftwareVersion = String(document, "softwareVersion"),
        };
    }

    /// <summary>The current secret a client has to echo in an update, when it sends one (RFC 7592 §2.2); null when absent or null.</summary>
    public static Outcome<string?> PresentedSecret(JsonObject metadata) => metadata["client_secret"] switch
    {
        null => (string?)null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => Invalid("'client_secret' must be a string."),
    };

    /// <summary>The <c>client_id</c> member of an update, as sent (null when absent).</summary>
    public static string? PresentedClientId(JsonObject metadata) => metadata["client_id"] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        null => null,
        var other => other.ToJsonString(),
    };

    /// <summary>The stored <c>jwks</c> (a string in Authlete's document) as JSON; null when absent or not JSON (set so through /api).</summary>
    private static JsonElement? KeySet(string? jwks)
    {
        try
        {
            return jwks is null ? null : JsonSerializer.Deserialize(jwks, WireJson.Context.JsonElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? String(JsonObject document, string name) =>
        document[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static List<string>? Strings(JsonObject document, string name) =>
        document[name] is JsonArray array ? [.. array.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>())] : null;

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    /// <summary>A string member (null when absent or null): one line of at most <see cref="MaxTextLength"/> characters, or an absolute http(s) URL.</summary>
    private static Outcome<string?> Text(JsonObject metadata, string name, bool url)
    {
        if (metadata[name] is not { } node)
        {
            return (string?)null;
        }

        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            return Invalid($"'{name}' must be a string.");
        }

        var text = value.GetValue<string>();
        if (url)
        {
            return IsWebUrl(text) && (name != "jwks_uri" || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                ? text
                : Invalid($"'{name}' must be an absolute {(name == "jwks_uri" ? "https" : "http or https")} URL of at most {MaxUrlLength} characters without a fragment.");
        }

        return text.Length is > 0 and <= MaxTextLength && !UntrustedText.HasControlCharacter(text)
            ? text
            : Invalid($"'{name}' must be 1 to {MaxTextLength} characters without control characters.");
    }

    private static bool IsWebUrl(string text) =>
        text.Length <= MaxUrlLength && Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.Fragment.Length == 0 && !text.Contains('#', StringComparison.Ordinal) && !UntrustedText.HasControlCharacter(text);

    /// <summary>An array of strings (null when absent or null), at most <see cref="MaxListLength"/>, each 1 to <paramref name="max"/> characters.</summary>
    private static Outcome<List<string>?> TextList(JsonObject metadata, string name, int max)
    {
        if (metadata[name] is not { } node)
        {
            return (List<string>?)null;
        }

        if (node is not JsonArray array || array.Count > MaxListLength
            || array.Any(item => item is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>() is not { Length: > 0 } s || s.Length > max || UntrustedText.HasControlCharacter(s)))
        {
            return name == "redirect_uris"
                ? RuleViolation.Of(ResultCodes.RegistrationRedirectUriInvalid, $"'redirect_uris' must be an array of at most {MaxListLength} URIs of at most {max} characters")
                : Invalid($"'{name}' must be an array of at most {MaxListLength} strings of 1 to {max} characters without control characters.");
        }

        return array.Select(item => item!.GetValue<string>()).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>An array of registered values mapped to Authlete's names; <paramref name="defaults"/> when absent.</summary>
    private static Outcome<List<string>?> Mapped(JsonObject metadata, string name, (string Rfc, string Authlete)[] table, string[] defaults)
    {
        if (!TextList(metadata, name, MaxTextLength).IsOk(out var values, out var error))
        {
            return error;
        }

        var mapped = new List<string>();
        foreach (var value in values ?? [.. defaults])
        {
            if (table.FirstOrDefault(t => t.Rfc == value).Authlete is not { } authlete)
            {
                return Invalid($"'{name}' holds '{UntrustedText.Printable(value, 80)}'; the values known here are: {string.Join(", ", table.Select(t => t.Rfc))}.");
            }

            mapped.Add(authlete);
        }

        return mapped;
    }

    /// <summary>
    /// <c>response_types</c>: each a space-separated set of <c>code</c>, <c>token</c>, <c>id_token</c> (order free), or
    /// <c>none</c>, as Authlete's names (<c>CODE_ID_TOKEN</c>, …). Absent: <c>code</c>.
    /// </summary>
    private static Outcome<List<string>?> ResponseTypes(JsonObject metadata)
    {
        if (!TextList(metadata, "response_types", MaxTextLength).IsOk(out var values, out var error))
        {
            return error;
        }

        var mapped = new List<string>();
        foreach (var value in values ?? ["code"])
        {
            var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var known = parts.Length > 0 && parts.Distinct(StringComparer.Ordinal).Count() == parts.Length
                && (parts is ["none"] || parts.All(p => p is "code" or "token" or "id_token"));
            if (!known)
            {
                return Invalid($"'response_types' holds '{UntrustedText.Printable(value, 80)}'; each must be 'none' or a set of 'code', 'token' and 'id_token'.");
            }

            mapped.Add(string.Join('_', ResponseTypeOrder.Where(parts.Contains)).ToUpperInvariant());
        }

        return mapped.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The order of the parts in Authlete's names (<c>CODE_ID_TOKEN_TOKEN</c>).</summary>
    private static readonly string[] ResponseTypeOrder = ["code", "id_token", "token", "none"];

    /// <summary>JWK members that hold private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1).</summary>
    private static readonly string[] PrivateKeyMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    private static string ResponseTypeOf(string authlete) => authlete switch
    {
        "CODE_ID_TOKEN" => "code id_token",
        "CODE_TOKEN" => "code token",
        "ID_TOKEN_TOKEN" => "id_token token",
        "CODE_ID_TOKEN_TOKEN" => "code id_token token",
        _ => authlete.ToLowerInvariant(),
    };

    /// <summary>
    /// <c>scope</c>: space-separated RFC 6749 §3.3 scope tokens, stored as the client's requestable scopes (Authlete with
    /// <c>dcrScopeUsedAsRequestable</c>): the only scopes the client may ask the token endpoint for. When the service lists
    /// its scopes, each must be one of them. Absent: no restriction (every supported scope).
    /// </summary>
    private static Outcome<List<string>?> Scopes(JsonObject metadata, ServiceDocument service)
    {
        if (metadata["scope"] is { } node && (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String || value.GetValue<string>().Length > MaxUrlLength))
        {
            return Invalid($"'scope' must be a string of space-separated scope tokens, at most {MaxUrlLength} characters.");
        }

        // An empty scope asks for nothing in particular: the same as none.
        var scope = metadata["scope"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(scope))
        {
            return (List<string>?)null;
        }

        var scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (!scopes.All(RequestableScopes.IsScopeToken))
        {
            return Invalid("'scope' must be space-separated scope tokens (RFC 6749 §3.3).");
        }

        var supported = service.SupportedScopes?.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        if (supported is { Count: > 0 } && scopes.FirstOrDefault(s => !supported.Contains(s)) is { } unknown)
        {
            return Invalid($"'scope' holds '{UntrustedText.Printable(unknown, 80)}', which the service does not support.");
        }

        return scopes;
    }

    /// <summary>A JWK Set (RFC 7517 §5) of public keys: an object with a <c>keys</c> array of objects with <c>kty</c>, and no private member.</summary>
    private static string? PublicKeySet(JsonNode jwks)
    {
        if (jwks is not JsonObject set || set["keys"] is not JsonArray keys || keys.Count is 0 or > MaxListLength)
        {
            return $"'jwks' must be a JWK Set: an object whose 'keys' holds 1 to {MaxListLength} keys (RFC 7517 §5).";
        }

        foreach (var key in keys)
        {
            if (key is not JsonObject jwk || jwk["kty"] is not JsonValue kty || kty.GetValueKind() != JsonValueKind.String)
            {
                return "Every key of 'jwks' must be an object with a 'kty' (RFC 7517 §4).";
            }

            if (PrivateKeyMembers.Any(jwk.ContainsKey))
            {
                return "'jwks' must hold public keys only: a key has a private or symmetric member.";
            }
        }

        return null;
    }
}
