using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Rekey.Contracts;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.OAuth;

/// <summary>
/// The standard OAuth 2.0 endpoints of each service, for any OAuth library: token (RFC 6749 client credentials),
/// introspection (RFC 7662), JWKS, and authorization server metadata (RFC 8414). No bearer token: clients
/// authenticate themselves. Errors are RFC 6749 §5.2 bodies.
/// </summary>
internal static class OAuthApi
{
    public static WebApplication MapOAuth(this WebApplication app)
    {
        var group = app.MapGroup("/oauth2/{serviceId}").WithTags("OAuth 2.0");
        group.MapPost("/token", TokenAsync).WithName("oauth2_token").WithSummary("RFC 6749 §4.4 client credentials grant (client_secret_basic, client_secret_post or client_secret_jwt).")
            .Produces<OAuthTokenResponse>(200).Produces<OAuthError>(400).Produces<OAuthError>(401).Produces<OAuthError>(429);
        group.MapPost("/introspect", IntrospectAsync).WithName("oauth2_introspect").WithSummary("RFC 7662 token introspection, authenticated by a client of the same service.")
            .Produces<IntrospectionResult>(200).Produces<OAuthError>(400).Produces<OAuthError>(401);
        group.MapGet("/jwks", JwksAsync).WithName("oauth2_jwks").WithSummary("The service's public signing keys (ES256).").Produces<JsonWebKeySet>(200);
        app.MapGet("/.well-known/oauth-authorization-server/oauth2/{serviceId}", MetadataAsync).WithTags("OAuth 2.0")
            .WithName("oauth2_metadata").WithSummary("RFC 8414 authorization server metadata of the service.").Produces<AuthorizationServerMetadata>(200);
        // Where OpenID Connect Discovery, and the libraries that take only an issuer, look for it (RFC 8414 §5).
        group.MapGet("/.well-known/openid-configuration", MetadataAsync).WithName("oauth2_openid_configuration")
            .WithSummary("The same metadata at {issuer}/.well-known/openid-configuration, where libraries given only the issuer look.").Produces<AuthorizationServerMetadata>(200);
        return app;
    }

    /// <summary>The issuer of a service: <c>{Rekey:PublicBaseUrl or this request's origin}/oauth2/{serviceId}</c>.</summary>
    public static string Issuer(HttpRequest request, RekeyOptions options, long serviceId)
    {
        var configured = options.PublicBaseUrl;
        var origin = string.IsNullOrEmpty(configured) ? $"{request.Scheme}://{request.Host}{request.PathBase}" : configured;
        return $"{origin.TrimEnd('/')}/oauth2/{serviceId.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The service a path names, as shown, or null (an unknown or malformed ID): for every token-free endpoint of a service.</summary>
    public static Task<ServiceDocument?> FindServiceAsync(string serviceId, IRekeyStore store, CancellationToken ct) =>
        FindServiceAsync(serviceId, id => store.GetServiceAsync(id, ct));

    /// <summary>The same, read through the node's cache: for the endpoints every token request meets (token, introspection, metadata, JWKS).</summary>
    public static Task<ServiceDocument?> FindServiceAsync(string serviceId, VerificationCache cache, CancellationToken ct) =>
        FindServiceAsync(serviceId, id => cache.ServiceAsync(id, ct));

    private static async Task<ServiceDocument?> FindServiceAsync(string serviceId, Func<long, Task<StoredService?>> find) =>
        RouteIds.TryParse(serviceId, out var id) && await find(id) is { } stored
            ? Services.ServiceRules.Present(stored)
            : null;

    /// <summary>
    /// An OAuth error body (RFC 6749 §5.2, RFC 7591 §3.2.2), never cached. A 401 carries <paramref name="challenge"/>: the
    /// scheme the client may use (HTTP Basic at the token endpoint; a Bearer challenge, RFC 6750 §3, at registration).
    /// </summary>
    public static IResult Error(HttpContext http, int status, string error, string description, string challenge = "Basic realm=\"rekey\"")
    {
        NoStore(http);
        if (status == 401)
        {
            http.Response.Headers.WWWAuthenticate = challenge;
        }

        return Results.Json(new OAuthError { Error = error, ErrorDescription = description }, WireJson.Context.OAuthError, statusCode: status);
    }

    /// <summary>RFC 6749 §5.1, RFC 7591 §3.2.1: answers that carry or refuse credentials are never cached.</summary>
    public static void NoStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
    }

    /// <summary>Reads an <c>application/x-www-form-urlencoded</c> body (RFC 6749 §3.2), keeping repeated parameters visible.</summary>
    private static async Task<Dictionary<string, StringValues>?> ReadFormAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) || request.ContentLength > limit)
        {
            return null;
        }

        var body = await RequestBody.ReadBytesAsync(request, limit, ct);
        return body is null ? null : new FormReader(Encoding.UTF8.GetString(body)).ReadForm();
    }

    private static async Task<(Dictionary<string, StringValues>? Form, PresentedClient? Client, IResult? Error)> ReadClientRequestAsync(HttpContext http, int limit,
        CancellationToken ct)
    {
        var form = await ReadFormAsync(http.Request, limit, ct);
        if (form is null)
        {
            return (null, null, Error(http, 400, "invalid_request", "The request body must be application/x-www-form-urlencoded and within the size limit."));
        }

        if (!ClientAuthentication.TryParseBasic(http.Request.Headers[HeaderNames.Authorization], out var basicId, out var basicSecret))
        {
            return (form, null, Error(http, 401, "invalid_client", "The Authorization header is not valid HTTP Basic authentication."));
        }

        return (form, ClientAuthentication.FromParts(basicId, basicSecret, form), null);
    }

    /// <summary>A request of a client to the token or introspection endpoint, read and past the limiter.</summary>
    private sealed record ClientRequest(long ServiceId, ServiceDocument Service, Dictionary<string, StringValues> Form, PresentedClient Presented, FailedAuthLimiter.Attempt Budget);

    /// <summary>
    /// What both client-authenticated endpoints do first: find the service, read the form and the credentials, apply
    /// the limiter to the (client, source address) pair. A request by alias is checked again after the lookup, under the
    /// numeric ID of the client it named.
    /// </summary>
    private static async Task<(ClientRequest? Request, IResult? Error)> BeginAsync(string serviceId, HttpContext http, VerificationCache cache, FailedAuthLimiter limiter,
        RekeyOptions options, CancellationToken ct)
    {
        if (await FindServiceAsync(serviceId, cache, ct) is not { ApiKey: { } sid } service)
        {
            return (null, Error(http, 404, "invalid_request", "Unknown service."));
        }

        var (form, presented, error) = await ReadClientRequestAsync(http, options.MaxRequestBodyBytes, ct);
        if (error is not null || form is null || presented is null)
        {
            return (null, error ?? Error(http, 400, "invalid_request", "The request could not be read."));
        }

        var budget = limiter.Begin(sid, presented.ClientId, http.Connection.RemoteIpAddress?.ToString() ?? "");
        return (new ClientRequest(sid, service, form, presented, budget), Blocked(http, budget.RetryAfter()));
    }

    /// <summary>The 429 for a (client, address) pair past its failures, or null.</summary>
    private static IResult? Blocked(HttpContext http, int? retryAfter)
    {
        if (retryAfter is not { } wait)
        {
            return null;
        }

        http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
        return Error(http, 429, "temporarily_unavailable", ResultCodes.TokenTooManyFailures.Format(wait));
    }

    private static async Task<IResult> TokenAsync(string serviceId, HttpContext http, VerificationCache cache, TokenIssuer issuer, FailedAuthLimiter limiter,
        IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var (request, refused) = await BeginAsync(serviceId, http, cache, limiter, options.Value, ct);
        if (request is null || refused is not null)
        {
            return refused ?? Error(http, 400, "invalid_request", "The request could not be read.");
        }

        var result = await issuer.IssueAsync(request.Service, request.ServiceId, Issuer(http.Request, options.Value, request.ServiceId), request.Form, request.Presented, ct);
        if (Blocked(http, request.Budget.RetryAfter(result.ClientId)) is { } blocked)
        {
            return blocked;
        }

        if (result.Failure is { } failure)
        {
            if (failure.IsClientAuthenticationFailure)
            {
                request.Budget.RecordFailure(result.ClientId);
            }

            return Error(http, failure.HttpStatus, failure.Error, failure.Description);
        }

        NoStore(http);
        return Results.Json(result.Token?.Body, WireJson.Context.OAuthTokenResponse);
    }

    private static async Task<IResult> IntrospectAsync(string serviceId, HttpContext http, VerificationCache cache, TokenIssuer issuer, Introspector introspector,
        FailedAuthLimiter limiter, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var (request, refused) = await BeginAsync(serviceId, http, cache, limiter, options.Value, ct);
        if (request is null || refused is not null)
        {
            return refused ?? Error(http, 400, "invalid_request", "The request could not be read.");
        }

        var (sid, form, presented) = (request.ServiceId, request.Form, request.Presented);
        if (presented.Problem is not null)
        {
            return Error(http, 400, "invalid_request", $"The request is invalid: {presented.Problem}.");
        }

        var authentication = await issuer.AuthenticateAsync(sid, Issuer(http.Request, options.Value, sid), presented, ct);
        if (Blocked(http, request.Budget.RetryAfter(authentication.ClientId)) is { } blocked)
        {
            return blocked;
        }

        if (!authentication.Outcome.IsOk(out _, out _))
        {
            request.Budget.RecordFailure(authentication.ClientId);
            return Error(http, 401, "invalid_client", "Client authentication failed.");
        }

        if (!form.TryGetValue("token", out var token) || token.Count != 1 || string.IsNullOrEmpty(token[0]))
        {
            return Error(http, 400, "invalid_request", "The request must carry exactly one 'token'.");
        }

        var result = await introspector.InspectAsync(sid, Issuer(http.Request, options.Value, sid), token[0] ?? "", ct);
        NoStore(http);
        return Results.Json(Describe(result), WireJson.Context.IntrospectionResult);
    }

    public static IntrospectionResult Describe(Introspection result) => result.Claims is { } claims && result.Active
        ? new IntrospectionResult
        {
            Active = true,
            Scope = claims.Scopes.Count > 0 ? string.Join(' ', claims.Scopes) : null,
            ClientId = claims.ClientId,
            TokenType = "Bearer",
            Exp = claims.ExpiresAt,
            Iat = claims.IssuedAt,
            Sub = claims.Subject,
            Aud = claims.Audience,
            Iss = claims.Issuer,
            Jti = claims.TokenId,
        }
        : new IntrospectionResult { Active = false };

    private static async Task<IResult> JwksAsync(string serviceId, HttpContext http, VerificationCache cache, SigningKeys keys, CancellationToken ct)
    {
        if (await FindServiceAsync(serviceId, cache, ct) is not { ApiKey: { } sid })
        {
            return Error(http, 404, "invalid_request", "Unknown service.");
        }

        var set = await Discovery.KeySetAsync(keys, sid, ct);
        http.Response.Headers.CacheControl = $"public, max-age={(int)JwksMaxAge.TotalSeconds}";
        return Results.Json(set, WireJson.Context.JsonWebKeySet);
    }

    /// <summary>
    /// How long verifiers may cache the JWKS. <c>Rekey:SigningKeyActivationDelay</c> must exceed it (with a margin), so
    /// that a key is in every cache before it signs.
    /// </summary>
    public static readonly TimeSpan JwksMaxAge = TimeSpan.FromSeconds(60);

    private static async Task<IResult> MetadataAsync(string serviceId, HttpContext http, VerificationCache cache, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        if (await FindServiceAsync(serviceId, cache, ct) is not { ApiKey: { } sid } service)
        {
            return Error(http, 404, "invalid_request", "Unknown service.");
        }

        return Results.Json(Discovery.Metadata(Issuer(http.Request, options.Value, sid), service), WireJson.Context.AuthorizationServerMetadata);
    }

    public static string Serialize(OAuthTokenResponse body) => JsonSerializer.Serialize(body, WireJson.Context.OAuthTokenResponse);

    public static string Serialize(OAuthError body) => JsonSerializer.Serialize(body, WireJson.Context.OAuthError);
}
