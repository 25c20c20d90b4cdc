using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using Rekey.Contracts;
using Rekey.Server.Clients;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;
using Rekey.Server.Telemetry;

namespace Rekey.Server.OAuth;

/// <summary>An issued token with everything both envelopes report.</summary>
internal sealed record IssuedToken(string AccessToken, AccessTokenClaims Claims, ClientCredentials Client, bool AliasUsed, PresentedClient Presented, long Duration)
{
    public OAuthTokenResponse Body => new()
    {
        AccessToken = AccessToken,
        ExpiresIn = Duration,
        Scope = Claims.Scopes.Count > 0 ? string.Join(' ', Claims.Scopes) : null,
    };

    public override string ToString() => $"IssuedToken {{ ClientId = {Client.ClientId}, Jti = {Claims.TokenId} }}";
}

/// <summary>A refused token request: the RFC 6749 §5.2 error, its HTTP status, and the result code and message that name the reason.</summary>
internal sealed record TokenFailure(ResultCode Code, string ResultMessage, string Error, string Description, int HttpStatus)
{
    public bool IsClientAuthenticationFailure => Error == "invalid_client";

    public OAuthError Body => new() { Error = Error, ErrorDescription = Description };

    public static TokenFailure Of(ResultCode code, string error, string description, int status, params object?[] args) =>
        new(code, code.Format(args), error, description, status);
}

/// <summary>A client that proved its secret, with its document parsed once for every check that follows.</summary>
internal sealed record AuthenticatedClient(ClientCredentials Credentials, ClientDocument Document);

/// <summary>The outcome of a client authentication, and the numeric ID of the client the identifier named, if any (also when it failed).</summary>
internal sealed record AuthenticationResult(Outcome<AuthenticatedClient> Outcome, long? ClientId);

/// <summary>
/// Either a token or the reason there is none. <see cref="ClientId"/> is the numeric ID of the client the presented
/// identifier named (also for a wrong secret), once client authentication was reached: the failure limiter counts
/// per client, whether it was named by its ID or its alias.
/// </summary>
internal sealed record TokenResult(IssuedToken? Token, TokenFailure? Failure)
{
    public long? ClientId { get; init; }

    public static implicit operator TokenResult(IssuedToken token) => new(token, null);

    public static implicit operator TokenResult(TokenFailure failure) => new(null, failure);
}

/// <summary>
/// The client-credentials grant (RFC 6749 §4.4), shared by <c>POST /oauth2/{serviceId}/token</c> and Authlete's
/// <c>/auth/token</c>. Order of checks: the request's shape (duplicates, grant type), then client authentication
/// (nothing about a client is revealed before it authenticates), then what the authenticated client may do
/// (grant type, scopes, resources). Every client-authentication failure is the same <c>invalid_client</c>.
/// </summary>
internal sealed class TokenIssuer(SecretVerifier verifier, SigningKeys keys, IRekeyStore store, TimeProvider time, ILogger<TokenIssuer> logger)
{
    public const long DefaultAccessTokenDuration = 3600;
    public const string ClientCredentials = "client_credentials";

    public async Task<TokenResult> IssueAsync(ServiceDocument service, long serviceId, string issuer,
        IReadOnlyDictionary<string, StringValues> form, PresentedClient presented, CancellationToken ct)
    {
        var result = await DecideAsync(service, serviceId, issuer, form, presented, ct);
        RekeyMetrics.TokenRequest(result.Failure?.Error ?? "issued", presented.MetricName);
        return result;
    }

    private async Task<TokenResult> DecideAsync(ServiceDocument service, long serviceId, string issuer,
        IReadOnlyDictionary<string, StringValues> form, PresentedClient presented, CancellationToken ct)
    {
        // RFC 6749 §3.2: parameters must not be repeated (resource may be, RFC 8707).
        var duplicate = form.FirstOrDefault(p => p.Value.Count > 1 && p.Key != "resource").Key;
        if (duplicate is not null)
        {
            return InvalidRequest($"the parameter '{Ascii(duplicate)}' is repeated");
        }

        var grantType = form.TryGetValue("grant_type", out var g) ? g.ToString() : "";
        if (grantType.Length == 0)
        {
            return InvalidRequest("grant_type is missing");
        }

        if (grantType != ClientCredentials)
        {
            return TokenFailure.Of(ResultCodes.TokenUnsupportedGrantType, "unsupported_grant_type", $"The grant type '{Ascii(grantType)}' is not supported.", 400, Ascii(grantType));
        }

        if (presented.Problem is not null)
        {
            return InvalidRequest(presented.Problem);
        }

        var authentication = await AuthenticateAsync(serviceId, issuer, presented, ct);
        var result = await IssueAuthenticatedAsync(service, serviceId, issuer, form, presented, authentication.Outcome, ct);
        return result with { ClientId = authentication.ClientId };
    }

    private async Task<TokenResult> IssueAuthenticatedAsync(ServiceDocument service, long serviceId, string issuer,
        IReadOnlyDictionary<string, StringValues> form, PresentedClient presented, Outcome<AuthenticatedClient> authenticated, CancellationToken ct)
    {
        if (!authenticated.IsOk(out var authenticatedClient, out _))
        {
            return TokenFailure.Of(ResultCodes.TokenInvalidClient, "invalid_client", "Client authentication failed.", 401);
        }

        var (client, document) = authenticatedClient;
        if (document.GrantTypes?.Contains("CLIENT_CREDENTIALS") != true)
        {
            return TokenFailure.Of(ResultCodes.TokenUnauthorizedClient, "unauthorized_client", "The client is not allowed to use the client_credentials grant.", 400, ClientCredentials);
        }

        var requested = form.TryGetValue("scope", out var s) ? s.ToString() : null;
        if (!TryResolveScopes(service, RequestableScopes.Of(document), requested, out var scopes, out var unknownScope))
        {
            return TokenFailure.Of(ResultCodes.TokenInvalidScope, "invalid_scope", $"The scope '{unknownScope}' is not supported.", 400, unknownScope);
        }

        var resources = form.TryGetValue("resource", out var r) ? r.OfType<string>().ToList() : [];
        if (!resources.All(IsAbsoluteUriWithoutFragment))
        {
            // RFC 8707 §2: a resource is an absolute URI without a fragment; the error is invalid_target.
            return TokenFailure.Of(ResultCodes.TokenInvalidRequest, "invalid_target", "A resource is not an absolute URI without a fragment.", 400,
                "a resource is not an absolute URI without a fragment");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var duration = service.AccessTokenDuration is > 0 and { } d ? d : DefaultAccessTokenDuration;
        var clientId = client.ClientId.ToString(CultureInfo.InvariantCulture);
        var claims = new AccessTokenClaims(issuer, clientId, resources.Count > 0 ? resources : [issuer], clientId, scopes, now, now + duration, AccessTokens.NewTokenId());
        var token = AccessTokens.Create(claims, await keys.CurrentAsync(serviceId, ct));
        return new IssuedToken(token, claims, client, presented.ClientId != clientId, presented, duration);
    }

    /// <summary>
    /// Verifies the presented secret (or client assertion) and that the client may authenticate this way: confidential,
    /// not locked, and using the method it registered (<c>tokenAuthMethod</c>). Shared with the introspection endpoint.
    /// An assertion's jti is remembered last, once everything else passed: only a client that proved its secret writes.
    /// </summary>
    public async Task<AuthenticationResult> AuthenticateAsync(long serviceId, string issuer, PresentedClient presented, CancellationToken ct)
    {
        if (presented is { Method: ClientAuthMethod.ClientSecretJwt, Assertion: null })
        {
            Refused(serviceId, presented, "(assertion)", "the client assertion is not a JWS signed HS256, HS384 or HS512");
            return new AuthenticationResult(StoreRules.ClientNotFound("", serviceId), null);
        }

        // An identifier that cannot name a client is refused like an unknown one, without a lookup, and its value
        // never reaches the log: it may be 64 KiB long or carry a line break.
        if (!ClientRules.CouldNameAClient(presented.ClientId))
        {
            var (shown, why) = string.IsNullOrEmpty(presented.ClientId)
                ? ("(none)", "no client identifier")
                : ("(invalid)", string.Create(CultureInfo.InvariantCulture, $"the identifier cannot name a client ({presented.ClientId.Length} characters)"));
            Refused(serviceId, presented, shown, why);
            return new AuthenticationResult(StoreRules.ClientNotFound("", serviceId), null);
        }

        var identifier = presented.ClientId;
        var refused = StoreRules.ClientNotFound(identifier, serviceId);
        var verification = presented switch
        {
            { Method: ClientAuthMethod.ClientSecretJwt, Assertion: { } assertion } => await verifier.VerifyAssertionAsync(serviceId, identifier, assertion, ct),
            { Method: not ClientAuthMethod.None, Secret: { } secret } => await verifier.VerifyAsync(serviceId, identifier, secret, ct),
            _ => null,
        };
        if (verification is null)
        {
            Refused(serviceId, presented, UntrustedText.Printable(identifier), "no client authentication");
            return new AuthenticationResult(refused, null);
        }

        if (!verification.Succeeded || verification.Client is not { } client)
        {
            Refused(serviceId, presented, UntrustedText.Printable(identifier), verification.Failure.ToString());
            return new AuthenticationResult(refused, verification.Client?.ClientId);
        }

        var document = JsonSerializer.Deserialize(client.Document, WireJson.Context.ClientDocument) ?? new ClientDocument();
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var reason = client.Locked ? "client locked"
            : document.ClientType == "PUBLIC" ? "public client"
            : document.TokenAuthMethod != presented.AuthleteMethodName ? $"registered for {document.TokenAuthMethod}, used {presented.AuthleteMethodName}"
            : presented.Assertion?.Refusal(identifier, [issuer, issuer + "/token"], now) is { } claims ? "client assertion: " + claims
            : null;
        if (reason is null && presented.Assertion is { Jti: { } jti } used
            && !await store.RememberAssertionAsync(client.ClientId, jti, used.RememberUntil, now, ct))
        {
            reason = "client assertion: jti used before";
        }

        if (reason is not null)
        {
            Refused(serviceId, presented, UntrustedText.Printable(identifier), reason);
            return new AuthenticationResult(refused, client.ClientId);
        }

        return new AuthenticationResult(new AuthenticatedClient(client, document), client.ClientId);
    }

    /// <summary>Logs a refused client authentication and counts it (by method: the identifier is never a tag).</summary>
    private void Refused(long serviceId, PresentedClient presented, string shownIdentifier, string reason)
    {
        Log.ClientAuthenticationRefused(logger, serviceId, shownIdentifier, reason);
        RekeyMetrics.AuthenticationFailed(presented.MetricName);
    }

    /// <summary>
    /// RFC 6749 §3.3: requested scopes must all be supported and, when the client has requestable scopes
    /// (<paramref name="requestable"/> not null), among them; none requested = the service's default entries the
    /// client may request.
    /// </summary>
    private static bool TryResolveScopes(ServiceDocument service, IReadOnlyList<string>? requestable, string? requested, out IReadOnlyList<string> scopes, out string unknown)
    {
        var supported = (service.SupportedScopes ?? []).Where(x => requestable is null || (x.Name is { } name && requestable.Contains(name, StringComparer.Ordinal))).ToList();
        unknown = "";
        if (string.IsNullOrWhiteSpace(requested))
        {
            scopes = supported.Where(x => x.DefaultEntry == true).Select(x => x.Name).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            return true;
        }

        var names = supported.Select(x => x.Name).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var list = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        scopes = list;
        unknown = Ascii(list.FirstOrDefault(x => !names.Contains(x)) ?? "");
        return unknown.Length == 0;
    }

    /// <summary>
    /// RFC 8707 §2: an absolute URI (RFC 3986 §4.3) without a fragment. <see cref="Uri.TryCreate(string, UriKind, out Uri)"/>
    /// alone is not enough: on Unix it takes "/path" for an absolute file URI, and it escapes spaces instead of refusing
    /// them. So the value must be printable ASCII without spaces and must itself begin with its scheme and a colon.
    /// </summary>
    private static bool IsAbsoluteUriWithoutFragment(string value) =>
        value.All(c => c is > ' ' and < (char)0x7F and not '#')
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && value.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase);

    private static TokenFailure InvalidRequest(string reason) =>
        TokenFailure.Of(ResultCodes.TokenInvalidRequest, "invalid_request", $"The token request is invalid: {reason}.", 400, reason);

    /// <summary>Error descriptions must be printable ASCII without quotes or backslashes (RFC 6749 §5.2); never echo more than a short name.</summary>
    private static string Ascii(string value) =>
        new(value.Take(64).Select(c => c is >= (char)0x20 and <= (char)0x7E and not '"' and not '\\' ? c : '?').ToArray());
}
