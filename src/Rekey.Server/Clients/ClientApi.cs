using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Server.Clients;

/// <summary>Authlete's client management: create, get, list, update, delete, lock flag.</summary>
internal static class ClientApi
{
    private static readonly ResultCode[] DocumentCodes =
    [
        ResultCodes.InvalidClientName, ResultCodes.InvalidClientIdAlias, ResultCodes.ClientIdAliasInUse, ResultCodes.ClientIdAliasIsClientId,
        ResultCodes.InvalidRedirectUri, ResultCodes.InvalidDeveloper, ResultCodes.ClientTextControlCharacter, ResultCodes.InvalidEnumValue, ResultCodes.InvalidPropertyType,
        ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.BodyNotObject, ResultCodes.RepeatedFormField,
    ];

    public static RouteGroupBuilder MapClients(this RouteGroupBuilder api)
    {
        api.MapPost("/{serviceId}/client/create", CreateAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientCreate)
            .Documented<ClientDocument>("client_create_api", "Create a client; Rekey generates clientId and clientSecret.", 200, [ResultCodes.ServiceNotFound, .. DocumentCodes]);
        api.MapGet("/{serviceId}/client/get/{clientIdentifier}", GetAsync).RequirePermission(Permissions.ClientRead)
            .Documented<ClientDocument>("client_get_api", "Get a client by client ID or alias.", 200, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound);
        api.MapGet("/{serviceId}/client/get/list", ListAsync).RequirePermission(Permissions.ClientRead)
            .Documented<ClientListResponse>("client_get_list_api", "List clients (developer filter; start inclusive, end exclusive).", 200,
                ResultCodes.ServiceNotFound, ResultCodes.InvalidQueryParameter);
        api.MapPost("/{serviceId}/client/update/{clientIdentifier}", UpdateAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientUpdate)
            .Documented<ClientDocument>("client_update_api", "Replace a client's document (JSON or form).", 200, [ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound, .. DocumentCodes]);
        api.MapDelete("/{serviceId}/client/delete/{clientIdentifier}", DeleteAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientDelete)
            .Documented("client_delete_api", "Delete a client with its secrets. 204, no body.", ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound);
        api.MapPost("/{serviceId}/client/lock_flag/update/{clientIdentifier}", LockAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientLock)
            .Documented<ResultResponse>("client_flag_update_api", "Lock or unlock a client ({clientLocked}, JSON or form).", 200,
                ResultCodes.LockFlagUpdated, ResultCodes.InvalidLockFlag, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound,
                ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.BodyNotObject, ResultCodes.MissingBody);
        return api;
    }

    private static IResult Document(StoredClient client, HttpContext http) =>
        Results.Json(ClientRules.Present(client, http.GetCaller().SeesSecrets), WireJson.Context.ClientDocument);

    private static async Task<Outcome<PreparedClient>> ReadDocumentAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        var body = await RequestBody.ReadObjectAsync(request, WireJson.Context.ClientDocument, required: false, limit, ct);
        return body.IsOk(out var json, out var error) ? ClientRules.Prepare(json) : error;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!(await ReadDocumentAsync(http.Request, options.Value.MaxRequestBodyBytes, ct)).IsOk(out var prepared, out var error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        var created = await store.CreateClientAsync(
            new NewClient(sid, prepared.Alias, prepared.Developer, prepared.Locked, prepared.Document, Secret: null), change, ct);
        return created.IsOk(out var client, out error) ? Document(client, http) : await changes.RefuseAsync(http, change, error, sid);
    }

    private static async Task<IResult> GetAsync(string clientIdentifier, HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var found = await store.GetClientAsync(sid, clientIdentifier, http.GetCaller().SeesSecrets, ct);
        return found.IsOk(out var client, out var error) ? Document(client, http) : AuthleteResults.Error(error);
    }

    private static async Task<IResult> ListAsync(string? developer, HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (!Paging.From(http.Request).IsOk(out var paging, out var error))
        {
            return AuthleteResults.Error(error);
        }

        var seesSecrets = http.GetCaller().SeesSecrets;
        var page = await store.ListClientsAsync(sid, string.IsNullOrEmpty(developer) ? null : developer, paging.Start, paging.End, seesSecrets, ct);
        if (!page.IsOk(out var clients, out error))
        {
            return AuthleteResults.Error(error);
        }

        return Results.Json(new ClientListResponse
        {
            Start = paging.Start,
            End = paging.End,
            TotalCount = clients.TotalCount,
            Clients = clients.Items.Select(c => ClientRules.Present(c, seesSecrets)).ToList(),
        }, WireJson.Context.ClientListResponse);
    }

    private static async Task<IResult> UpdateAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!(await ReadDocumentAsync(http.Request, options.Value.MaxRequestBodyBytes, ct)).IsOk(out var prepared, out var error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        var existing = await store.GetClientAsync(sid, clientIdentifier, withSecret: false, ct);
        if (!existing.IsOk(out var current, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        var updated = await store.UpdateClientAsync(new ClientUpdate(sid, current.ClientId, prepared.Alias, prepared.Developer, prepared.Document), change, ct);
        return updated.IsOk(out var client, out error) ? Document(client, http) : await changes.RefuseAsync(http, change, error, sid);
    }

    private static async Task<Results<NoContent, JsonHttpResult<ResultResponse>>> DeleteAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var deleted = await store.DeleteClientAsync(sid, clientIdentifier, change, ct);
        return deleted.IsOk(out _, out var error) ? TypedResults.NoContent() : await changes.RefuseAsync(http, change, error, sid);
    }

    private static async Task<IResult> LockAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.ClientFlagUpdateRequest, required: true, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        if (json["clientLocked"] is not { } flag || flag.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
        {
            return await changes.RefuseAsync(http, change, RuleViolation.Of(ResultCodes.InvalidLockFlag), sid);
        }

        var locked = flag.GetValue<bool>();
        change = change with { Action = locked ? AuditActions.ClientLock : AuditActions.ClientUnlock };
        var result = await store.SetClientLockAsync(sid, clientIdentifier, locked, change, ct);
        return result.IsOk(out var clientId, out error)
            ? AuthleteResults.Ok(ResultCodes.LockFlagUpdated, clientId, locked ? "true" : "false")
            : await changes.RefuseAsync(http, change, error, sid);
    }
}
