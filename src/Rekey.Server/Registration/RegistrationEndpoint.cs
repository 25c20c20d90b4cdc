using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.OAuth;
using Rekey.Server.Services;
using Rekey.Server.Storage;

namespace Rekey.Server.Registration;

/// <summary>
/// The standard registration endpoints of each service: RFC 7591 <c>POST /oauth2/{serviceId}/register</c> and the RFC 7592
/// client configuration endpoint <c>/oauth2/{serviceId}/register/{clientId}</c> (GET, PUT, DELETE). No API token: who may
/// register is the service's <c>clientRegistrationPolicy</c> (an initial access token, anyone, or nobody), and a
/// registered client manages itself with its registration access token. Errors are RFC 7591 §3.2.2 bodies (RFC 6750 for
/// tokens); every answer is <c>no-store</c>.
/// </summary>
/// <remarks>
/// Registrations are counted in the failure limiter's table and refused with 429 past
/// <see cref="FailedAuthLimiter.MaxFailures"/> a window: per initial access token for the registrations it allows, per
/// (service, source address) for open registrations and for refused initial access tokens. A wrong registration access
/// token counts against the client and address like a wrong secret at the token endpoint. A refusal before the caller is known to be allowed (closed
/// service, missing or bad token, rate limit) writes nothing, not even an audit event: unauthenticated traffic never
/// costs a write. Refusals of allowed callers (bad metadata) are audited, like every change.
/// </remarks>
internal static class RegistrationEndpoint
{
    /// <summary>The limiter's key for registrations: the negated service ID (real ones are positive), one budget per source address.</summary>
    private const string RegisterKey = "register";

    public static WebApplication MapRegistrationEndpoints(this WebApplication app)
    {
        var group = app.MapGroup("/oauth2/{serviceId}/register").WithTags("OAuth 2.0");
        group.MapPost("", RegisterAsync).WithName("oauth2_register").WithSummary("RFC 7591 dynamic client registration.")
            .Produces<ClientInformation>(201).Produces<OAuthError>(400).Produces<OAuthError>(401).Produces<OAuthError>(403).Produces<OAuthError>(429);
        group.MapGet("/{clientId}", ReadAsync).WithName("oauth2_register_read").WithSummary("RFC 7592 §2.1: read a registration with its registration access token.")
            .Produces<ClientInformation>(200).Produces<OAuthError>(401);
        group.MapPut("/{clientId}", UpdateAsync).WithName("oauth2_register_update")
            .WithSummary("RFC 7592 §2.2: replace a registration's metadata; the registration access token is replaced, the secret when the client asks.")
            .Produces<ClientInformation>(200).Produces<OAuthError>(400).Produces<OAuthError>(401);
        group.MapDelete("/{clientId}", DeleteAsync).WithName("oauth2_register_delete").WithSummary("RFC 7592 §2.3: delete a registration. 204.")
            .Produces(204).Produces<OAuthError>(401);
        return app;
    }

    /// <summary>The client configuration endpoints' base: <c>{issuer}/register</c>.</summary>
    public static string Endpoint(string issuer) => issuer + "/register";

    private static async Task<IResult> RegisterAsync(string serviceId, HttpContext http, IRekeyStore store, Registrar registrar, FailedAuthLimiter limiter,
        IOptions<RekeyOptions> options, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await OAuthApi.FindServiceAsync(serviceId, store, ct) is not { ApiKey: { } sid } service)
        {
            return OAuthApi.Error(http, 404, "invalid_request", "Unknown service.");
        }

        var policy = ServiceRules.RegistrationPolicyOf(service);
        if (policy == ClientRegistrationPolicies.Closed)
        {
            Telemetry.RekeyMetrics.Registration("closed");
            return OAuthApi.Error(http, 403, "access_denied", "Dynamic client registration is not enabled for this service.");
        }

        // The budgets: per initial access token for the registrations it allows, so that others behind the same address
        // guessing tokens cannot starve the pipeline that holds one; per (service, address) for every registration at an
        // open service and every refused initial access token. The token is looked up first (one indexed read, like the
        // service's): a refused one is then limited by its address.
        var address = limiter.Begin(-sid, RegisterKey, Source(http));
        var logger = loggers.CreateLogger("Rekey.Server.Registration");
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (kind, initialToken, budget) = (Caller.AnonymousKind, (long?)null, address);
        if (policy == ClientRegistrationPolicies.InitialAccessToken)
        {
            var presented = Bearer(http);
            var found = presented is null ? null : await store.FindInitialAccessTokenAsync(sid, TokenHash.Of(presented), ct);
            if (found is null || !found.IsUsableAt(now))
            {
                if (Limited(http, address) is { } guessing)
                {
                    return guessing;
                }

                address.RecordFailure(null);
                Log.RegistrationRefused(logger, sid, presented is null ? "no initial access token" : "an initial access token that is unknown, expired or used up");
                Telemetry.RekeyMetrics.Registration("invalid_token");
                return InvalidToken(http, RuleViolation.Of(ResultCodes.InitialAccessTokenInvalid, sid), presented is not null);
            }

            (kind, initialToken, budget) = (Caller.InitialAccessTokenKind, found.TokenId, limiter.Begin(-sid, TokenKey(found.TokenId), ""));
        }

        if (Limited(http, budget) is { } limited)
        {
            return limited;
        }

        budget.RecordFailure(null);
        var change = new ChangeContext(AuditActions.ClientCreate, now, kind, initialToken, http.Connection.RemoteIpAddress?.ToString(), http.TraceIdentifier);
        if (!(await ReadMetadataAsync(http, options.Value.MaxRequestBodyBytes, ct)).IsOk(out var metadata, out var error))
        {
            Telemetry.RekeyMetrics.Registration("invalid_metadata");
            return await RefuseAsync(http, store, change, sid, error);
        }

        var registered = await registrar.RegisterAsync(sid, service, metadata, initialToken, Endpoint(OAuthApi.Issuer(http.Request, options.Value, sid)), change, ct);
        if (!registered.IsOk(out var result, out error))
        {
            if (error.Code == ResultCodes.InitialAccessTokenInvalid)
            {
                // Used up between the look-up and the registration's transaction (a single-use token presented twice at once).
                Telemetry.RekeyMetrics.Registration("invalid_token");
                return InvalidToken(http, error, tokenPresented: true);
            }

            Telemetry.RekeyMetrics.Registration("invalid_metadata");
            return await RefuseAsync(http, store, change, sid, error);
        }

        Log.ClientRegistered(logger, sid, result.Client.ClientId, kind, initialToken);
        Telemetry.RekeyMetrics.Registration("created");
        OAuthApi.NoStore(http);
        return Results.Json(result.Information, WireJson.Context.ClientInformation, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ReadAsync(string serviceId, string clientId, HttpContext http, IRekeyStore store, Registrar registrar, FailedAuthLimiter limiter,
        IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var begun = await BeginAsync(serviceId, clientId, http, store, limiter, ct);
        if (begun is null || begun.Refused is not null)
        {
            return begun?.Refused ?? OAuthApi.Error(http, 404, "invalid_request", "Unknown service.");
        }

        var read = await registrar.ReadAsync(begun.ServiceId, clientId, Bearer(http), Endpoint(OAuthApi.Issuer(http.Request, options.Value, begun.ServiceId)), ct);
        return read.IsOk(out var result, out var error) ? Ok(http, result.Information) : Unauthorized(http, begun.Budget, error);
    }

    private static async Task<IResult> UpdateAsync(string serviceId, string clientId, HttpContext http, IRekeyStore store, Registrar registrar, FailedAuthLimiter limiter,
        IOptions<RekeyOptions> options, TimeProvider time, CancellationToken ct)
    {
        var begun = await BeginAsync(serviceId, clientId, http, store, limiter, ct);
        if (begun is null || begun.Refused is not null)
        {
            return begun?.Refused ?? OAuthApi.Error(http, 404, "invalid_request", "Unknown service.");
        }

        var sid = begun.ServiceId;
        var token = Bearer(http);
        if (!(await registrar.AuthenticateAsync(sid, clientId, token, ResultCodes.RegistrationUpdateUnauthorized, ct)).IsOk(out var current, out var refused))
        {
            return Unauthorized(http, begun.Budget, refused);
        }

        var change = Change(http, time, AuditActions.ClientUpdate);
        if (!(await ReadMetadataAsync(http, options.Value.MaxRequestBodyBytes, ct)).IsOk(out var metadata, out var error))
        {
            return await RefuseAsync(http, store, change, sid, error, current.ClientId);
        }

        var updated = await registrar.UpdateAsync(sid, begun.Service, current, token!, metadata, Endpoint(OAuthApi.Issuer(http.Request, options.Value, sid)), change, ct);
        if (updated.IsOk(out var result, out error))
        {
            return Ok(http, result.Information);
        }

        return error.Code == ResultCodes.RegistrationUpdateUnauthorized
            ? Unauthorized(http, begun.Budget, error)
            : await RefuseAsync(http, store, change, sid, error, current.ClientId);
    }

    private static async Task<IResult> DeleteAsync(string serviceId, string clientId, HttpContext http, IRekeyStore store, Registrar registrar, FailedAuthLimiter limiter,
        TimeProvider time, CancellationToken ct)
    {
        var begun = await BeginAsync(serviceId, clientId, http, store, limiter, ct);
        if (begun is null || begun.Refused is not null)
        {
            return begun?.Refused ?? OAuthApi.Error(http, 404, "invalid_request", "Unknown service.");
        }

        var deleted = await registrar.DeleteAsync(begun.ServiceId, clientId, Bearer(http), Change(http, time, AuditActions.ClientDelete), ct);
        if (!deleted.IsOk(out _, out var error))
        {
            return Unauthorized(http, begun.Budget, error);
        }

        OAuthApi.NoStore(http);
        return Results.NoContent();
    }

    /// <summary>The limiter's key for the registrations of one initial access token.</summary>
    private static string TokenKey(long tokenId) => "iat-" + tokenId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The 429 of a spent registration budget, or null.</summary>
    private static IResult? Limited(HttpContext http, FailedAuthLimiter.Attempt budget)
    {
        if (budget.RetryAfter() is not { } wait)
        {
            return null;
        }

        http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
        Telemetry.RekeyMetrics.Registration("rate_limited");
        return OAuthApi.Error(http, 429, "temporarily_unavailable", $"Too many registrations; retry in {wait} seconds.");
    }

    /// <summary>A request at a client configuration endpoint, past the service look-up and the limiter.</summary>
    private sealed record Begun(long ServiceId, ServiceDocument Service, FailedAuthLimiter.Attempt Budget, IResult? Refused);

    /// <summary>
    /// The service (null when unknown) and the budget of (client, address), the token endpoint's: a registration access
    /// token is a credential of the client, and guessing it is refused like guessing its secret.
    /// </summary>
    private static async Task<Begun?> BeginAsync(string serviceId, string clientId, HttpContext http, IRekeyStore store, FailedAuthLimiter limiter, CancellationToken ct)
    {
        if (await OAuthApi.FindServiceAsync(serviceId, store, ct) is not { ApiKey: { } sid } service)
        {
            return null;
        }

        var budget = limiter.Begin(sid, clientId, Address(http));
        if (budget.RetryAfter() is { } wait)
        {
            http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
            return new Begun(sid, service, budget, OAuthApi.Error(http, 429, "temporarily_unavailable", $"Too many failed attempts; retry in {wait} seconds."));
        }

        return new Begun(sid, service, budget, null);
    }

    private static ChangeContext Change(HttpContext http, TimeProvider time, string action) =>
        new(action, time.GetUtcNow().ToUnixTimeMilliseconds(), Caller.RegisteredClientKind, null, http.Connection.RemoteIpAddress?.ToString(), http.TraceIdentifier);

    private static string Address(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "";

    /// <summary>
    /// The source a registration budget belongs to: the IPv4 address, or the /64 of an IPv6 address (one host holds a
    /// whole /64 and could otherwise take a fresh budget per address).
    /// </summary>
    private static string Source(HttpContext http)
    {
        if (http.Connection.RemoteIpAddress is not { } ip)
        {
            return "";
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return ip.ToString();
        }

        var bytes = ip.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes) + "/64";
    }

    /// <summary>The bearer token of the Authorization header (RFC 6750 §2.1), or null.</summary>
    private static string? Bearer(HttpContext http)
    {
        var header = http.Request.Headers[HeaderNames.Authorization];
        if (header.Count != 1 || header[0] is not { } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = value[7..].Trim();
        return token.Length is > 0 and <= 512 ? token : null;
    }

    /// <summary>
    /// The metadata: a JSON object (RFC 7591 §3.1), within the size limit. A refusal is a rule broken by the metadata
    /// (<c>invalid_client_metadata</c>), with the body's own code kept for the audit trail.
    /// </summary>
    private static async Task<Outcome<JsonObject>> ReadMetadataAsync(HttpContext http, int limit, CancellationToken ct)
    {
        if (!RequestBody.IsJsonContentType(http.Request.ContentType))
        {
            return RuleViolation.Of(ResultCodes.RegistrationMetadataInvalid, "the request body must be a JSON object sent as application/json (RFC 7591 §3.1)");
        }

        var body = await RequestBody.ReadBytesAsync(http.Request, limit, ct);
        if (body is null)
        {
            return RuleViolation.Of(ResultCodes.RegistrationMetadataInvalid, $"the request body is larger than {limit} bytes");
        }

        return ClientMetadata.Parse(body);
    }

    /// <summary>Records the refusal of an allowed caller's change, then answers it with the RFC 7591 error.</summary>
    private static async Task<IResult> RefuseAsync(HttpContext http, IRekeyStore store, ChangeContext change, long serviceId, RuleViolation error, long? clientId = null)
    {
        await store.AppendAuditAsync(new AuditRecord(change, serviceId, clientId, null, error.Code.Code, null), http.RequestAborted);
        return OAuthApi.Error(http, 400, ClientMetadata.ErrorOf(error.Code), ClientMetadata.Describe(error));
    }

    /// <summary>A registration access token that is not the client's: 401, counted against (client, address).</summary>
    private static IResult Unauthorized(HttpContext http, FailedAuthLimiter.Attempt budget, RuleViolation error)
    {
        budget.RecordFailure(null);
        return InvalidToken(http, error, tokenPresented: http.Request.Headers.Authorization.Count > 0);
    }

    /// <summary>RFC 6750 §3: 401 with the Bearer challenge; <c>error="invalid_token"</c> in it only when a token was presented (§3.1).</summary>
    private static IResult InvalidToken(HttpContext http, RuleViolation error, bool tokenPresented) =>
        OAuthApi.Error(http, 401, "invalid_token", ClientMetadata.Describe(error),
            tokenPresented ? "Bearer realm=\"rekey\", error=\"invalid_token\"" : "Bearer realm=\"rekey\"");

    private static IResult Ok(HttpContext http, ClientInformation information)
    {
        OAuthApi.NoStore(http);
        return Results.Json(information, WireJson.Context.ClientInformation);
    }
}
