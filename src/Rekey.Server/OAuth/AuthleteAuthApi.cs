using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.OAuth;

/// <summary>
/// Authlete's backend calls for authorization servers built on Authlete's libraries: <c>/auth/token</c> (client
/// credentials) and <c>/auth/introspection</c>. Bearer-protected like the rest of /api. The same
/// <see cref="TokenIssuer"/> and <see cref="Introspector"/> as the standard endpoints; only the envelope differs:
/// HTTP 200 with an <c>action</c> and the <c>responseContent</c> the authorization server relays.
/// </summary>
internal static class AuthleteAuthApi
{
    public static RouteGroupBuilder MapAuthleteAuth(this RouteGroupBuilder api)
    {
        api.MapPost("/{serviceId}/auth/token", GuardedTokenAsync).RequirePermission(Permissions.ClientRead)
            .Documented<TokenResponse>("auth_token_api", "Process a token request (client credentials grant) for an authorization server.", 200,
                ResultCodes.TokenIssued, ResultCodes.TokenInvalidClient, ResultCodes.TokenTooManyFailuresEnvelope, ResultCodes.TokenUnsupportedGrantType, ResultCodes.TokenInvalidRequest,
                ResultCodes.TokenUnauthorizedClient, ResultCodes.TokenInvalidScope, ResultCodes.TokenParametersMissing, ResultCodes.ServiceNotFound,
                ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge);
        api.MapPost("/{serviceId}/auth/introspection", GuardedIntrospectAsync).RequirePermission(Permissions.ClientRead)
            .Documented<IntrospectionResponse>("auth_introspection_api", "Check an access token for a resource server.", 200,
                ResultCodes.IntrospectionActive, ResultCodes.IntrospectionInactive, ResultCodes.IntrospectionInsufficient, ResultCodes.IntrospectionTokenMissing,
                ResultCodes.ServiceNotFound, ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge);
        api.MapPost("/{serviceId}/auth/introspection/standard", GuardedStandardIntrospectAsync).RequirePermission(Permissions.ClientRead)
            .Documented<StandardIntrospectionResponse>("auth_introspection_standard_api",
                "RFC 7662 introspection for an authorization server's own introspection endpoint: the same answer as /oauth2/{serviceId}/introspect, in responseContent.", 200,
                ResultCodes.StandardIntrospectionDone, ResultCodes.StandardIntrospectionTokenMissing, ResultCodes.StandardIntrospectionParametersMissing,
                ResultCodes.ServiceNotFound, ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge);
        return api;
    }

    private static async Task<IResult> GuardedStandardIntrospectAsync(string serviceId, HttpContext http, VerificationCache cache, Introspector introspector,
        IOptions<RekeyOptions> options, ILogger<Introspector> logger, CancellationToken ct)
    {
        try
        {
            return await StandardIntrospectAsync(serviceId, http, cache, introspector, options, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Hosting.Log.UnhandledError(logger, ex, http.TraceIdentifier);
            return Json(ResultCodes.StandardIntrospectionServerError, "INTERNAL_SERVER_ERROR",
                OAuthApi.Serialize(new OAuthError { Error = "server_error", ErrorDescription = "Introspection could not be performed." }), http.TraceIdentifier);
        }
    }

    /// <summary>
    /// Authlete's standard introspection: the authorization server has authenticated the resource server itself and
    /// relays the RFC 7662 request body; the answer is the body of <c>/oauth2/{serviceId}/introspect</c>
    /// (<see cref="OAuthApi.Describe"/>, from the same <see cref="Introspector"/>).
    /// </summary>
    private static async Task<IResult> StandardIntrospectAsync(string serviceId, HttpContext http, VerificationCache cache, Introspector introspector, IOptions<RekeyOptions> options,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (await cache.ServiceAsync(sid, ct) is null)
        {
            return AuthleteResults.Error(ResultCodes.ServiceNotFound, serviceId);
        }

        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.StandardIntrospectionRequest, required: true, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !RequestBody.Bind(json, WireJson.Context.StandardIntrospectionRequest).IsOk(out var request, out error))
        {
            return AuthleteResults.Error(error);
        }

        if (request.Parameters is null)
        {
            return AuthleteResults.Error(ResultCodes.StandardIntrospectionParametersMissing);
        }

        var form = new FormReader(request.Parameters).ReadForm();
        if (!form.TryGetValue("token", out var token) || token.Count != 1 || string.IsNullOrEmpty(token[0]))
        {
            return Json(ResultCodes.StandardIntrospectionTokenMissing, "BAD_REQUEST",
                OAuthApi.Serialize(new OAuthError { Error = "invalid_request", ErrorDescription = "The request must carry exactly one 'token'." }));
        }

        var result = await introspector.InspectAsync(sid, OAuthApi.Issuer(http.Request, options.Value, sid), token[0] ?? "", ct);
        return Json(ResultCodes.StandardIntrospectionDone, "OK", System.Text.Json.JsonSerializer.Serialize(OAuthApi.Describe(result), WireJson.Context.IntrospectionResult));
    }

    private static IResult Json(ResultCode code, string action, string content, params object?[] args) => Results.Json(new StandardIntrospectionResponse
    {
        ResultCode = code.Code,
        ResultMessage = code.Format(args),
        Action = action,
        ResponseContent = content,
    }, WireJson.Context.StandardIntrospectionResponse);

    // Authlete answers its own failures inside the envelope (action INTERNAL_SERVER_ERROR), so that the
    // authorization server relays a 500 to its client instead of failing itself.
    private static async Task<IResult> GuardedTokenAsync(string serviceId, HttpContext http, VerificationCache cache, TokenIssuer issuer, FailedAuthLimiter limiter,
        IOptions<RekeyOptions> options, ILogger<TokenIssuer> logger, CancellationToken ct)
    {
        try
        {
            return await TokenAsync(serviceId, http, cache, issuer, limiter, options, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Hosting.Log.UnhandledError(logger, ex, http.TraceIdentifier);
            return Results.Json(new TokenResponse
            {
                ResultCode = ResultCodes.TokenServerError.Code,
                ResultMessage = ResultCodes.TokenServerError.Format(http.TraceIdentifier),
                Action = "INTERNAL_SERVER_ERROR",
                ResponseContent = OAuthApi.Serialize(new OAuthError { Error = "server_error", ErrorDescription = "The token request could not be processed." }),
            }, WireJson.Context.TokenResponse);
        }
    }

    private static async Task<IResult> GuardedIntrospectAsync(string serviceId, HttpContext http, VerificationCache cache, Introspector introspector, IOptions<RekeyOptions> options,
        ILogger<Introspector> logger, CancellationToken ct)
    {
        try
        {
            return await IntrospectAsync(serviceId, http, cache, introspector, options, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Hosting.Log.UnhandledError(logger, ex, http.TraceIdentifier);
            return Json(new IntrospectionResponse
            {
                ResultCode = ResultCodes.IntrospectionServerError.Code,
                ResultMessage = ResultCodes.IntrospectionServerError.Format(http.TraceIdentifier),
                Action = "INTERNAL_SERVER_ERROR",
                ResponseContent = "Bearer error=\"server_error\", error_description=\"Introspection could not be performed.\"",
            });
        }
    }

    private static async Task<IResult> TokenAsync(string serviceId, HttpContext http, VerificationCache cache, TokenIssuer issuer, FailedAuthLimiter limiter,
        IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (await cache.ServiceAsync(sid, ct) is not { } stored)
        {
            return AuthleteResults.Error(ResultCodes.ServiceNotFound, serviceId);
        }

        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.TokenRequest, required: true, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !RequestBody.Bind(json, WireJson.Context.TokenRequest).IsOk(out var request, out error))
        {
            return AuthleteResults.Error(error);
        }

        if (request.Parameters is null)
        {
            return AuthleteResults.Error(ResultCodes.TokenParametersMissing);
        }

        var form = new FormReader(request.Parameters).ReadForm();
        var presented = ClientAuthentication.FromParts(request.ClientId, request.ClientSecret, form);
        var budget = limiter.Begin(sid, presented.ClientId, CallerOf(http));
        if (budget.RetryAfter() is { } wait)
        {
            return TooManyFailures(wait);
        }

        var result = await issuer.IssueAsync(Services.ServiceRules.Present(stored), sid, OAuthApi.Issuer(http.Request, options.Value, sid), form, presented, ct);
        if (budget.RetryAfter(result.ClientId) is { } waitAfterLookup)
        {
            return TooManyFailures(waitAfterLookup);
        }

        if (result.Failure is { IsClientAuthenticationFailure: true })
        {
            budget.RecordFailure(result.ClientId);
        }

        var response = result switch
        {
            { Token: { } token } => new TokenResponse
            {
                ResultCode = ResultCodes.TokenIssued.Code,
                ResultMessage = ResultCodes.TokenIssued.Format(TokenIssuer.ClientCredentials),
                Action = "OK",
                ResponseContent = OAuthApi.Serialize(token.Body),
                AccessToken = token.AccessToken,
                JwtAccessToken = token.AccessToken,
                AccessTokenDuration = token.Duration,
                AccessTokenExpiresAt = token.Claims.ExpiresAt * 1000,
                GrantType = "CLIENT_CREDENTIALS",
                ClientId = token.Client.ClientId,
                ClientIdAlias = token.Client.Alias,
                ClientIdAliasUsed = token.AliasUsed,
                Subject = token.Claims.Subject,
                Scopes = token.Claims.Scopes,
                ClientAuthMethod = token.Presented.AuthleteMethodName,
                AccessTokenResources = token.Claims.Audience,
            },
            { Failure: { } failure } => new TokenResponse
            {
                ResultCode = failure.Code.Code,
                ResultMessage = failure.ResultMessage,
                Action = failure.IsClientAuthenticationFailure ? "INVALID_CLIENT" : "BAD_REQUEST",
                ResponseContent = OAuthApi.Serialize(failure.Body),
            },
            _ => throw new InvalidOperationException("A token result is either a token or a failure."),
        };
        return Results.Json(response, WireJson.Context.TokenResponse);
    }

    /// <summary>
    /// Who spends a client's failure budget here: the authorization server that relays its users' requests, named by
    /// its API token (the organisation token, which has no ID, by its source address). Its users share that budget —
    /// the price of stopping a leaked read-only token from guessing thousands of secrets a second.
    /// </summary>
    private static string CallerOf(HttpContext http) => http.GetCaller().TokenId is { } tokenId
        ? string.Create(CultureInfo.InvariantCulture, $"api-token {tokenId}")
        : "organisation@" + http.Connection.RemoteIpAddress;

    /// <summary>The standard endpoint's 429, inside Authlete's envelope: the authorization server relays an invalid_client.</summary>
    private static IResult TooManyFailures(int wait) => Results.Json(new TokenResponse
    {
        ResultCode = ResultCodes.TokenTooManyFailuresEnvelope.Code,
        ResultMessage = ResultCodes.TokenTooManyFailuresEnvelope.Format(wait),
        Action = "INVALID_CLIENT",
        ResponseContent = OAuthApi.Serialize(new OAuthError
        {
            Error = "invalid_client",
            ErrorDescription = string.Format(CultureInfo.InvariantCulture, ResultCodes.TokenTooManyFailures.Template, wait),
        }),
    }, WireJson.Context.TokenResponse);

    private static async Task<IResult> IntrospectAsync(string serviceId, HttpContext http, VerificationCache cache, Introspector introspector, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (await cache.ServiceAsync(sid, ct) is null)
        {
            return AuthleteResults.Error(ResultCodes.ServiceNotFound, serviceId);
        }

        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.IntrospectionRequest, required: true, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !RequestBody.Bind(json, WireJson.Context.IntrospectionRequest).IsOk(out var request, out error))
        {
            return AuthleteResults.Error(error);
        }

        if (string.IsNullOrEmpty(request.Token))
        {
            return Json(Answer(ResultCodes.IntrospectionTokenMissing, "BAD_REQUEST", "invalid_request", "The request has no token."));
        }

        var result = await introspector.InspectAsync(sid, OAuthApi.Issuer(http.Request, options.Value, sid), request.Token, ct);
        if (!result.Active || result.Claims is not { } claims || result.Client is not { } client)
        {
            return Json(Answer(ResultCodes.IntrospectionInactive, "UNAUTHORIZED", "invalid_token", "The access token is not active."));
        }

        var missing = (request.Scopes ?? []).Where(s => !claims.Scopes.Contains(s)).ToList();
        var wrongSubject = request.Subject is not null && request.Subject != claims.Subject;
        var active = new IntrospectionResponse
        {
            ResultCode = ResultCodes.IntrospectionActive.Code,
            ResultMessage = ResultCodes.IntrospectionActive.Format(),
            Action = "OK",
            ClientId = client.ClientId,
            ClientIdAlias = client.Alias,
            ClientIdAliasUsed = false,
            ExpiresAt = claims.ExpiresAt * 1000,
            Subject = claims.Subject,
            Scopes = claims.Scopes,
            Existent = true,
            Usable = true,
            Sufficient = true,
            Refreshable = false,
            GrantType = "CLIENT_CREDENTIALS",
            AccessTokenResources = claims.Audience,
        };
        if (missing.Count > 0 || wrongSubject)
        {
            var what = missing.Count > 0 ? "scopes" : "subject";
            var challenge = missing.Count > 0
                ? $"Bearer error=\"insufficient_scope\", error_description=\"The access token does not cover the required scopes.\", scope=\"{string.Join(' ', (request.Scopes ?? []).Select(ScopeToken))}\""
                : "Bearer error=\"insufficient_scope\", error_description=\"The access token does not belong to the required subject.\"";
            active = active with
            {
                ResultCode = ResultCodes.IntrospectionInsufficient.Code,
                ResultMessage = ResultCodes.IntrospectionInsufficient.Format(what),
                Action = "FORBIDDEN",
                ResponseContent = challenge,
                Sufficient = false,
            };
        }

        return Json(active);
    }

    /// <summary>
    /// The challenge is relayed verbatim into a WWW-Authenticate header, so a required scope is echoed only as
    /// RFC 6749 §3.3 NQCHARs (no quote, backslash, space or control character); anything else becomes '?'.
    /// </summary>
    private static string ScopeToken(string? scope) =>
        new((scope ?? "").Select(c => c is >= (char)0x21 and <= (char)0x7E and not '"' and not '\\' ? c : '?').ToArray());

    private static IntrospectionResponse Answer(ResultCode code, string action, string error, string description) => new()
    {
        ResultCode = code.Code,
        ResultMessage = code.Format(),
        Action = action,
        ResponseContent = $"Bearer error=\"{error}\", error_description=\"{description}\"",
    };

    private static IResult Json(IntrospectionResponse response) => Results.Json(response, WireJson.Context.IntrospectionResponse);
}
