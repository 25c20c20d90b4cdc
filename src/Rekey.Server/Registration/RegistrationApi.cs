using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Clients;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.OAuth;
using Rekey.Server.Secrets;
using Rekey.Server.Services;
using Rekey.Server.Storage;

namespace Rekey.Server.Registration;

/// <summary>
/// Dynamic client registration through /api: Authlete's <c>/client/registration</c> APIs, for authorization servers
/// built on Authlete's libraries that run their own registration endpoint and relay what their clients send (the same
/// <see cref="Registrar"/> as Rekey's own endpoints, answered in Authlete's envelope: an <c>action</c> and the
/// <c>responseContent</c> to relay, HTTP 200); and the service's initial access tokens (Rekey extension).
/// </summary>
internal static class RegistrationApi
{
    public const int MaxDescriptionLength = 200;

    /// <summary>The longest an initial access token may live: a year.</summary>
    public const long MaxExpiresIn = 365L * 24 * 3600;

    private const string Tag = "Dynamic Client Registration";

    private static readonly ResultCode[] EnvelopeCodes =
    [
        ResultCodes.ServiceNotFound, ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.BodyNotObject,
        ResultCodes.MissingBody, ResultCodes.InvalidPropertyType,
    ];

    private static readonly ResultCode[] MetadataCodes =
    [
        ResultCodes.RegistrationMetadataInvalid, ResultCodes.RegistrationRedirectUriInvalid, ResultCodes.RegistrationSoftwareStatementRefused,
    ];

    public static RouteGroupBuilder MapRegistration(this RouteGroupBuilder api)
    {
        api.MapPost("/{serviceId}/client/registration", (HttpContext http, string serviceId, IRekeyStore store, Registrar registrar, Changes changes, IOptions<RekeyOptions> options,
                ILoggerFactory loggers, CancellationToken ct) => GuardedAsync(http, loggers, ResultCodes.RegistrationServerError,
                () => RegisterAsync(http, store, registrar, changes, options.Value, ct)))
            .RequirePermission(Permissions.ClientRegistration).Audited(AuditActions.ClientCreate)
            .Documented<ClientRegistrationResponse>("client_registration_api", "Register a client (RFC 7591) for an authorization server's registration endpoint.", 200,
                [ResultCodes.RegistrationCreated, ResultCodes.RegistrationClosed, ResultCodes.RegistrationServerError, .. MetadataCodes, .. EnvelopeCodes])
            .WithTags(Tag);
        api.MapPost("/{serviceId}/client/registration/get", (HttpContext http, string serviceId, IRekeyStore store, Registrar registrar, IOptions<RekeyOptions> options,
                ILoggerFactory loggers, CancellationToken ct) => GuardedAsync(http, loggers, ResultCodes.RegistrationReadServerError,
                () => ReadAsync(http, store, registrar, options.Value, ct)))
            .RequirePermission(Permissions.ClientRegistration)
            .Documented<ClientRegistrationResponse>("client_registration_get_api", "Read a registered client with its registration access token (RFC 7592 §2.1).", 200,
                [ResultCodes.RegistrationRead, ResultCodes.RegistrationReadUnauthorized, ResultCodes.RegistrationReadServerError, .. EnvelopeCodes])
            .WithTags(Tag);
        api.MapPost("/{serviceId}/client/registration/update", (HttpContext http, string serviceId, IRekeyStore store, Registrar registrar, Changes changes,
                IOptions<RekeyOptions> options, ILoggerFactory loggers, CancellationToken ct) => GuardedAsync(http, loggers, ResultCodes.RegistrationUpdateServerError,
                () => UpdateAsync(http, store, registrar, changes, options.Value, ct)))
            .RequirePermission(Permissions.ClientRegistration).Audited(AuditActions.ClientUpdate)
            .Documented<ClientRegistrationResponse>("client_registration_update_api",
                "Update a registered client (RFC 7592 §2.2): new registration access token; a new secret when the metadata leaves client_secret out.", 200,
                [ResultCodes.RegistrationUpdated, ResultCodes.RegistrationUpdateUnauthorized, ResultCodes.RegistrationUpdateMismatch, ResultCodes.RegistrationUpdateServerError,
                    .. MetadataCodes, .. EnvelopeCodes])
            .WithTags(Tag);
        api.MapPost("/{serviceId}/client/registration/delete", (HttpContext http, string serviceId, IRekeyStore store, Registrar registrar, Changes changes,
                IOptions<RekeyOptions> options, ILoggerFactory loggers, CancellationToken ct) => GuardedAsync(http, loggers, ResultCodes.RegistrationDeleteServerError,
                () => DeleteAsync(http, store, registrar, changes, options.Value, ct)))
            .RequirePermission(Permissions.ClientRegistration).Audited(AuditActions.ClientDelete)
            .Documented<ClientRegistrationResponse>("client_registration_delete_api", "Delete a registered client (RFC 7592 §2.3).", 200,
                [ResultCodes.RegistrationDeleted, ResultCodes.RegistrationDeleteUnauthorized, ResultCodes.RegistrationDeleteServerError, .. EnvelopeCodes])
            .WithTags(Tag);

        api.MapPost("/{serviceId}/registration/token/create", CreateTokenAsync).RequirePermission(Permissions.ClientRegistration).Audited(AuditActions.InitialAccessTokenCreate)
            .Documented<InitialAccessTokenInfo>("registration_token_create_api",
                "Create an initial access token of the service (RFC 7591 §3); the value is returned once, in 'token'.", 200,
                ResultCodes.InitialAccessTokenInvalidExpiry, ResultCodes.InitialAccessTokenInvalidDescription, ResultCodes.ServiceNotFound, ResultCodes.InvalidPropertyType,
                ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.BodyNotObject, ResultCodes.RepeatedFormField)
            .WithTags(Tag);
        api.MapGet("/{serviceId}/registration/token/get/list", ListTokensAsync).RequirePermission(Permissions.ClientRegistration)
            .Documented<InitialAccessTokenListResponse>("registration_token_get_list_api", "List the service's initial access tokens (never their values).", 200,
                ResultCodes.ServiceNotFound, ResultCodes.InvalidQueryParameter)
            .WithTags(Tag);
        api.MapDelete("/{serviceId}/registration/token/delete/{tokenId}", DeleteTokenAsync).RequirePermission(Permissions.ClientRegistration)
            .Audited(AuditActions.InitialAccessTokenDelete)
            .Documented("registration_token_delete_api", "Revoke an initial access token; the clients it registered stay. 204.", ResultCodes.InitialAccessTokenNotFound)
            .WithTags(Tag);
        api.MapPost("/{serviceId}/client/registration_token/refresh/{clientIdentifier}", RefreshRegistrationTokenAsync)
            .RequirePermission(Permissions.ClientRegistration).Audited(AuditActions.RegistrationTokenRefresh)
            .Documented<RegistrationTokenRefreshResponse>("client_registration_token_refresh_api",
                "Issue a new registration access token for a dynamically registered client (returned once); the previous one stops working.", 200,
                ResultCodes.RegistrationTokenRefreshed, ResultCodes.ClientNotRegistered, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound)
            .WithTags(Tag);
        return api;
    }

    /// <summary>
    /// An operator's new registration access token for a registered client: after a leak of its registration answer (the
    /// leak response replaced the token with one nobody has), or to hand the registration to new software. The value is
    /// in this answer only.
    /// </summary>
    private static async Task<IResult> RefreshRegistrationTokenAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes,
        IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (await store.GetServiceAsync(sid, ct) is not { } stored)
        {
            return await changes.RefuseAsync(http, change, RuleViolation.Of(ResultCodes.ServiceNotFound, sid), sid);
        }

        var token = SecretGenerator.NewRegistrationAccessToken();
        var refreshed = await store.RefreshRegistrationTokenAsync(sid, clientIdentifier, TokenHash.Of(token), change, ct);
        if (!refreshed.IsOk(out var clientId, out var error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        return Results.Json(new RegistrationTokenRefreshResponse
        {
            ResultCode = ResultCodes.RegistrationTokenRefreshed.Code,
            ResultMessage = ResultCodes.RegistrationTokenRefreshed.Format(clientId),
            ClientId = clientId,
            RegistrationAccessToken = token,
            RegistrationClientUri = Registrar.ClientUri(ClientUriBase(http, options.Value, sid, ServiceRules.Present(stored)), clientId),
        }, WireJson.Context.RegistrationTokenRefreshResponse);
    }

    // ---- Authlete's registration API ---------------------------------------------------------------

    /// <summary>Authlete answers its own failures inside the envelope, so that the authorization server relays a 500 instead of failing itself.</summary>
    private static async Task<IResult> GuardedAsync(HttpContext http, ILoggerFactory loggers, ResultCode serverError, Func<Task<IResult>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.UnhandledError(loggers.CreateLogger("Rekey.Server.Registration"), ex, http.TraceIdentifier);
            return Envelope(serverError, serverError.Format(http.TraceIdentifier), ClientRegistrationActions.InternalServerError,
                OAuthApi.Serialize(new OAuthError { Error = "server_error", ErrorDescription = "The request could not be processed." }), null);
        }
    }

    private static async Task<(long ServiceId, ServiceDocument? Service, ClientRegistrationRequest? Request, IResult? Refused)> BeginAsync(HttpContext http,
        IRekeyStore store, RekeyOptions options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (await store.GetServiceAsync(sid, ct) is not { } stored)
        {
            return (sid, null, null, AuthleteResults.Error(ResultCodes.ServiceNotFound, sid));
        }

        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.ClientRegistrationRequest, required: true, options.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !RequestBody.Bind(json, WireJson.Context.ClientRegistrationRequest).IsOk(out var request, out error))
        {
            return (sid, null, null, AuthleteResults.Error(error));
        }

        return (sid, ServiceRules.Present(stored), request, null);
    }

    /// <summary>
    /// Where the client manages its registration: the authorization server's endpoint as the service names it
    /// (<c>registrationManagementEndpoint</c>, else <c>registrationEndpoint</c>, as Authlete does), else Rekey's own.
    /// </summary>
    private static string ClientUriBase(HttpContext http, RekeyOptions options, long serviceId, ServiceDocument service) =>
        service.RegistrationManagementEndpoint ?? service.RegistrationEndpoint ?? RegistrationEndpoint.Endpoint(OAuthApi.Issuer(http.Request, options, serviceId));

    private static async Task<IResult> RegisterAsync(HttpContext http, IRekeyStore store, Registrar registrar, Changes changes, RekeyOptions options, CancellationToken ct)
    {
        var (sid, service, request, refused) = await BeginAsync(http, store, options, ct);
        if (refused is not null || service is null || request is null)
        {
            return refused!;
        }

        var change = changes.For(http);
        if (ServiceRules.RegistrationPolicyOf(service) == ClientRegistrationPolicies.Closed)
        {
            return await RefuseAsync(http, changes, change, sid, RuleViolation.Of(ResultCodes.RegistrationClosed, sid), ClientRegistrationActions.BadRequest);
        }

        if (!Metadata(request.Json).IsOk(out var metadata, out var error))
        {
            return await RefuseAsync(http, changes, change, sid, error, ClientRegistrationActions.BadRequest);
        }

        var registered = await registrar.RegisterAsync(sid, service, metadata, initialAccessTokenId: null, ClientUriBase(http, options, sid, service), change, ct);
        return registered.IsOk(out var result, out error)
            ? Envelope(ResultCodes.RegistrationCreated, ResultCodes.RegistrationCreated.Format(result.Client.ClientId), ClientRegistrationActions.Created,
                Serialize(result.Information), ClientRules.Present(result.Client, withSecret: true))
            : await RefuseAsync(http, changes, change, sid, error, ClientRegistrationActions.BadRequest);
    }

    private static async Task<IResult> ReadAsync(HttpContext http, IRekeyStore store, Registrar registrar, RekeyOptions options, CancellationToken ct)
    {
        var (sid, service, request, refused) = await BeginAsync(http, store, options, ct);
        if (refused is not null || service is null || request is null)
        {
            return refused!;
        }

        var read = await registrar.ReadAsync(sid, request.ClientId ?? "", request.Token, ClientUriBase(http, options, sid, service), ct);
        return read.IsOk(out var result, out var error)
            ? Envelope(ResultCodes.RegistrationRead, ResultCodes.RegistrationRead.Format(), ClientRegistrationActions.Ok, Serialize(result.Information),
                ClientRules.Present(result.Client, withSecret: true))
            : Unauthorized(service, error);
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, IRekeyStore store, Registrar registrar, Changes changes, RekeyOptions options, CancellationToken ct)
    {
        var (sid, service, request, refused) = await BeginAsync(http, store, options, ct);
        if (refused is not null || service is null || request is null)
        {
            return refused!;
        }

        var clientId = request.ClientId ?? "";
        if (!(await registrar.AuthenticateAsync(sid, clientId, request.Token, ResultCodes.RegistrationUpdateUnauthorized, ct)).IsOk(out var current, out var unauthorized))
        {
            return Unauthorized(service, unauthorized);
        }

        var change = changes.For(http);
        if (!Metadata(request.Json).IsOk(out var metadata, out var error))
        {
            return await RefuseAsync(http, changes, change, sid, error, ClientRegistrationActions.BadRequest, clientId);
        }

        var updated = await registrar.UpdateAsync(sid, service, current, request.Token!, metadata, ClientUriBase(http, options, sid, service), change, ct);
        if (updated.IsOk(out var result, out error))
        {
            return Envelope(ResultCodes.RegistrationUpdated, ResultCodes.RegistrationUpdated.Format(), ClientRegistrationActions.Updated, Serialize(result.Information),
                ClientRules.Present(result.Client, withSecret: true));
        }

        return error.Code == ResultCodes.RegistrationUpdateUnauthorized
            ? Unauthorized(service, error)
            : await RefuseAsync(http, changes, change, sid, error, ClientRegistrationActions.BadRequest, clientId);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, IRekeyStore store, Registrar registrar, Changes changes, RekeyOptions options, CancellationToken ct)
    {
        var (sid, service, request, refused) = await BeginAsync(http, store, options, ct);
        if (refused is not null || service is null || request is null)
        {
            return refused!;
        }

        var deleted = await registrar.DeleteAsync(sid, request.ClientId ?? "", request.Token, changes.For(http), ct);
        return deleted.IsOk(out _, out var error) ? Envelope(ResultCodes.RegistrationDeleted, ResultCodes.RegistrationDeleted.Format(), ClientRegistrationActions.Deleted, null, null) : Unauthorized(service, error);
    }

    /// <summary>The client's metadata, from the request's <c>json</c> string: a JSON object, or <c>invalid_client_metadata</c>.</summary>
    private static Outcome<JsonObject> Metadata(string? json) => json is null
        ? RuleViolation.Of(ResultCodes.RegistrationMetadataInvalid, "'json' must hold the client metadata as a JSON object (RFC 7591 §2)")
        : ClientMetadata.Parse(System.Text.Encoding.UTF8.GetBytes(json));

    /// <summary>
    /// A registration access token that is not the client's: <c>UNAUTHORIZED</c> (RFC 7592's 401) when the service has
    /// <c>unauthorizedOnClientConfigSupported</c>, else <c>BAD_REQUEST</c>, as Authlete answers older libraries. Not
    /// audited: nothing was attempted on a client the caller proved to own.
    /// </summary>
    private static IResult Unauthorized(ServiceDocument service, RuleViolation error) =>
        Refusal(error, service.UnauthorizedOnClientConfigSupported == true ? ClientRegistrationActions.Unauthorized : ClientRegistrationActions.BadRequest);

    private static async Task<IResult> RefuseAsync(HttpContext http, Changes changes, ChangeContext change, long serviceId, RuleViolation error, string action,
        string? clientId = null)
    {
        await changes.RecordAsync(http, change, error, serviceId, clientId);
        return Refusal(error, action);
    }

    /// <summary>A refusal in the envelope: its code and message, and the RFC 7591 error body for the authorization server to relay.</summary>
    private static IResult Refusal(RuleViolation error, string action) =>
        Envelope(error.Code, error.Message, action, Serialize(new OAuthError { Error = ClientMetadata.ErrorOf(error.Code), ErrorDescription = ClientMetadata.Describe(error) }),
            null);

    private static string Serialize(ClientInformation information) => JsonSerializer.Serialize(information, WireJson.Context.ClientInformation);

    private static string Serialize(OAuthError error) => JsonSerializer.Serialize(error, WireJson.Context.OAuthError);

    private static IResult Envelope(ResultCode code, string message, string action, string? content, ClientDocument? client) =>
        Results.Json(new ClientRegistrationResponse
        {
            ResultCode = code.Code,
            ResultMessage = message,
            Action = action,
            ResponseContent = content,
            Client = client,
        }, WireJson.Context.ClientRegistrationResponse);

    // ---- initial access tokens ------------------------------------------------------------------------

    public static InitialAccessTokenInfo Present(StoredInitialAccessToken token, long now, string? value = null) => new()
    {
        TokenId = token.TokenId,
        ServiceId = token.ServiceId,
        Description = token.Description,
        CreatedAt = token.CreatedAt,
        ExpiresAt = token.ExpiresAt,
        SingleUse = token.SingleUse,
        Registrations = token.Registrations,
        LastUsedAt = token.LastUsedAt,
        Usable = token.IsUsableAt(now),
        Token = value,
    };

    private static async Task<IResult> CreateTokenAsync(HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.InitialAccessTokenCreateRequest, required: false, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !RequestBody.Bind(json, WireJson.Context.InitialAccessTokenCreateRequest).IsOk(out var create, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        if (create.ExpiresIn is < 1 or > MaxExpiresIn)
        {
            return await changes.RefuseAsync(http, change, RuleViolation.Of(ResultCodes.InitialAccessTokenInvalidExpiry, MaxExpiresIn), sid);
        }

        if (create.Description is { } description && (description.Length > MaxDescriptionLength || UntrustedText.HasControlCharacter(description)))
        {
            return await changes.RefuseAsync(http, change, RuleViolation.Of(ResultCodes.InitialAccessTokenInvalidDescription, MaxDescriptionLength), sid);
        }

        // An empty description is no description.
        var given = string.IsNullOrWhiteSpace(create.Description) ? null : create.Description;
        var value = SecretGenerator.NewInitialAccessToken();
        var expiresAt = create.ExpiresIn is { } seconds ? change.At + (seconds * 1000) : (long?)null;
        var created = await store.CreateInitialAccessTokenAsync(sid, given, expiresAt, create.SingleUse ?? false, TokenHash.Of(value), change, ct);
        return created.IsOk(out var token, out error)
            ? Results.Json(Present(token, change.At, value), WireJson.Context.InitialAccessTokenInfo)
            : await changes.RefuseAsync(http, change, error, sid);
    }

    private static async Task<IResult> ListTokensAsync(HttpContext http, IRekeyStore store, TimeProvider time, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (!Paging.From(http.Request).IsOk(out var paging, out var error))
        {
            return AuthleteResults.Error(error);
        }

        var page = await store.ListInitialAccessTokensAsync(sid, paging.Start, paging.End, ct);
        if (!page.IsOk(out var tokens, out error))
        {
            return AuthleteResults.Error(error);
        }

        return Results.Json(new InitialAccessTokenListResponse
        {
            Start = paging.Start,
            End = paging.End,
            TotalCount = tokens.TotalCount,
            InitialAccessTokens = tokens.Items.Select(t => Present(t, time.GetUtcNow().ToUnixTimeMilliseconds())).ToList(),
        }, WireJson.Context.InitialAccessTokenListResponse);
    }

    private static async Task<Results<NoContent, JsonHttpResult<ResultResponse>>> DeleteTokenAsync(string tokenId, HttpContext http, IRekeyStore store, Changes changes,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var deleted = RouteIds.TryParse(tokenId, out var id)
            ? await store.DeleteInitialAccessTokenAsync(sid, id, change, ct)
            : RuleViolation.Of(ResultCodes.InitialAccessTokenNotFound, UntrustedText.Printable(tokenId, 40), sid);
        return deleted.IsOk(out _, out var error) ? TypedResults.NoContent() : await changes.RefuseAsync(http, change, error, sid);
    }
}
