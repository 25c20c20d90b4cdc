using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Clients;

/// <summary>
/// Authlete's per-client extensions: requestable scopes (<c>client/extension/requestable_scopes/*</c>), and the
/// end-user grant families (<c>client/authorization/*</c>, <c>client/granted_scopes/*</c>), which Rekey answers with
/// <see cref="ResultCodes.NoEndUserGrants"/> because it has no end users.
/// </summary>
internal static class ClientExtensionApi
{
    private const string Scopes = "/{serviceId}/client/extension/requestable_scopes";

    public static RouteGroupBuilder MapClientExtensions(this RouteGroupBuilder api)
    {
        api.MapGet(Scopes + "/get/{clientIdentifier}", GetScopesAsync).RequirePermission(Permissions.ClientRead)
            .Documented<RequestableScopesDocument>("client_extension_requestable_scopes_get_api",
                "The scopes a client may request; no requestableScopes when it may request every supported scope.", 200, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound);
        foreach (var (method, name) in new[] { ("POST", "client_extension_requestable_scopes_update_api_post"), ("PUT", "client_extension_requestable_scopes_update_api") })
        {
            api.MapMethods(Scopes + "/update/{clientIdentifier}", [method], UpdateScopesAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientUpdate)
                .Documented<RequestableScopesDocument>(name, "Set the scopes a client may request (enforced by the token endpoints).", 200,
                    ResultCodes.InvalidRequestableScopes, ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound, ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType,
                    ResultCodes.BodyTooLarge, ResultCodes.BodyNotObject, ResultCodes.MissingBody);
        }

        api.MapDelete(Scopes + "/delete/{clientIdentifier}", DeleteScopesAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientUpdate)
            .Documented("client_extension_requestable_scopes_delete_api", "Let a client request every supported scope again. 204, no body.",
                ResultCodes.ServiceNotFound, ResultCodes.ClientNotFound);

        // End-user grants: every route Authlete has, each with the one answer that says why there is nothing here.
        (string Method, string Route, string Permission, string Name)[] grants =
        [
            ("GET", "/authorization/get/list", Permissions.ClientRead, "client_authorization_get_list_api"),
            ("POST", "/authorization/get/list", Permissions.ClientRead, "client_authorization_get_list_api_post"),
            ("GET", "/authorization/get/list/{subject}", Permissions.ClientRead, "client_authorization_get_list_subject_api"),
            ("POST", "/authorization/update/{clientIdentifier}", Permissions.ClientWrite, "client_authorization_update_api"),
            ("DELETE", "/authorization/delete/{clientIdentifier}", Permissions.ClientWrite, "client_authorization_delete_api"),
            ("POST", "/authorization/delete/{clientIdentifier}", Permissions.ClientWrite, "client_authorization_delete_api_post"),
            ("DELETE", "/authorization/delete/{clientIdentifier}/{subject}", Permissions.ClientWrite, "client_authorization_delete_subject_api"),
            ("GET", "/granted_scopes/get/{clientIdentifier}", Permissions.ClientRead, "client_granted_scopes_get_api"),
            ("POST", "/granted_scopes/get/{clientIdentifier}", Permissions.ClientRead, "client_granted_scopes_get_api_post"),
            ("GET", "/granted_scopes/get/{clientIdentifier}/{subject}", Permissions.ClientRead, "client_granted_scopes_get_subject_api"),
            ("DELETE", "/granted_scopes/delete/{clientIdentifier}", Permissions.ClientWrite, "client_granted_scopes_delete_api"),
            ("DELETE", "/granted_scopes/delete/{clientIdentifier}/{subject}", Permissions.ClientWrite, "client_granted_scopes_delete_subject_api"),
        ];
        foreach (var (method, route, permission, name) in grants)
        {
            var family = "client" + route[..route.IndexOf('/', 1)];
            api.MapMethods("/{serviceId}/client" + route, [method], () => AuthleteResults.Error(ResultCodes.NoEndUserGrants, family + "/*"))
                .RequirePermission(permission)
                .Documented(name, $"Authlete's {family}/* (end-user grants): Rekey has none, so it answers 501.", ResultCodes.NoEndUserGrants);
        }

        return api;
    }

    private static async Task<IResult> GetScopesAsync(string clientIdentifier, HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var found = await store.GetClientAsync(http.GetServiceId(), clientIdentifier, withSecret: false, ct);
        return found.IsOk(out var client, out var error) ? Answer(client) : AuthleteResults.Error(error);
    }

    private static async Task<IResult> UpdateScopesAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.RequestableScopesDocument, required: true, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        if (RequestableScopes.Parse(json) is not { } scopes)
        {
            return await changes.RefuseAsync(http, change, RuleViolation.Of(ResultCodes.InvalidRequestableScopes), sid);
        }

        return await SetAsync(clientIdentifier, scopes, http, store, changes, change, ct) is { } refused ? refused : Results.Json(
            new RequestableScopesDocument { RequestableScopes = scopes }, WireJson.Context.RequestableScopesDocument);
    }

    private static async Task<Results<NoContent, JsonHttpResult<ResultResponse>>> DeleteScopesAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes,
        CancellationToken ct) =>
        await SetAsync(clientIdentifier, null, http, store, changes, changes.For(http), ct) is { } refused ? refused : TypedResults.NoContent();

    /// <summary>
    /// Reads the client and writes its document back with the requestable scopes changed. Like client/update, the
    /// document is replaced as a whole: a client/update racing with this call can undo it (last writer wins).
    /// </summary>
    private static async Task<JsonHttpResult<ResultResponse>?> SetAsync(string clientIdentifier, IReadOnlyList<string>? scopes, HttpContext http, IRekeyStore store,
        Changes changes, ChangeContext change, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (!(await store.GetClientAsync(sid, clientIdentifier, withSecret: false, ct)).IsOk(out var client, out var error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        var update = new ClientUpdate(sid, client.ClientId, client.Alias, client.Developer, RequestableScopes.With(client.Document, scopes));
        return (await store.UpdateClientAsync(update, change, ct)).IsOk(out _, out error) ? null : await changes.RefuseAsync(http, change, error, sid);
    }

    private static IResult Answer(StoredClient client)
    {
        var document = System.Text.Json.JsonSerializer.Deserialize(client.Document, WireJson.Context.ClientDocument) ?? new ClientDocument();
        return Results.Json(new RequestableScopesDocument { RequestableScopes = RequestableScopes.Of(document) },
            WireJson.Context.RequestableScopesDocument);
    }
}
