using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Services;

/// <summary>Authlete's service management: create, get, list, update, delete.</summary>
internal static class ServiceApi
{
    public static RouteGroupBuilder MapServices(this RouteGroupBuilder api)
    {
        api.MapPost("/service/create", CreateAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.ServiceCreate)
            .Documented<ServiceDocument>("service_create_api", "Create a service (organisation token).", 200,
                ResultCodes.InvalidServiceName, ResultCodes.ServiceTextControlCharacter, ResultCodes.InvalidIssuer, ResultCodes.InvalidGracePeriodSetting, ResultCodes.InvalidSecretLifetimeSetting, ResultCodes.InvalidExpiryWarningsSetting, ResultCodes.InvalidSecretFormatSetting, ResultCodes.InvalidLeakResponseSetting, ResultCodes.InvalidEnumValue, ResultCodes.InvalidPropertyType,
                ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.BodyNotObject);
        api.MapGet("/{serviceId}/service/get", GetAsync).RequirePermission(Permissions.ServiceRead)
            .Documented<ServiceDocument>("service_get_api", "Get a service.", 200, ResultCodes.ServiceNotFound);
        api.MapGet("/service/get/list", ListAsync)
            .Documented<ServiceListResponse>("service_get_list_api", "List the services the token can see (start inclusive, end exclusive).", 200,
                ResultCodes.InvalidQueryParameter);
        api.MapPost("/{serviceId}/service/update", UpdateAsync).RequirePermission(Permissions.ServiceWrite).Audited(AuditActions.ServiceUpdate)
            .Documented<ServiceDocument>("service_update_api", "Replace a service's document.", 200,
                ResultCodes.ServiceNotFound, ResultCodes.InvalidServiceName, ResultCodes.ServiceTextControlCharacter, ResultCodes.InvalidIssuer, ResultCodes.InvalidGracePeriodSetting, ResultCodes.InvalidSecretLifetimeSetting, ResultCodes.InvalidExpiryWarningsSetting, ResultCodes.InvalidSecretFormatSetting, ResultCodes.InvalidLeakResponseSetting, ResultCodes.InvalidEnumValue,
                ResultCodes.InvalidPropertyType, ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.BodyNotObject);
        api.MapDelete("/{serviceId}/service/delete", DeleteAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.ServiceDelete)
            .Documented("service_delete_api", "Delete a service with its clients, secrets and API tokens (organisation token). 204.", ResultCodes.ServiceNotFound);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var change = changes.For(http);
        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.ServiceDocument, required: false, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !ServiceRules.Prepare(json).IsOk(out var prepared, out error))
        {
            return await changes.RefuseAsync(http, change, error, null);
        }

        var created = await store.CreateServiceAsync(prepared, change, ct);
        return Results.Json(ServiceRules.Present(created), WireJson.Context.ServiceDocument);
    }

    private static async Task<IResult> GetAsync(string serviceId, HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var service = await store.GetServiceAsync(http.GetServiceId(), ct);
        return service is null
            ? AuthleteResults.Error(ResultCodes.ServiceNotFound, serviceId)
            : Results.Json(ServiceRules.Present(service), WireJson.Context.ServiceDocument);
    }

    private static async Task<IResult> ListAsync(HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var caller = http.GetCaller();
        if (!caller.Has(Permissions.ServiceRead))
        {
            return AuthleteResults.Error(ResultCodes.PermissionDenied, Permissions.ServiceRead);
        }

        if (!Paging.From(http.Request).IsOk(out var paging, out var error))
        {
            return AuthleteResults.Error(error);
        }

        var page = await store.ListServicesAsync(caller.IsOrganisation ? null : caller.ServiceId, paging.Start, paging.End, ct);
        return Results.Json(new ServiceListResponse
        {
            Start = paging.Start,
            End = paging.End,
            TotalCount = page.TotalCount,
            Services = page.Items.Select(ServiceRules.Present).ToList(),
        }, WireJson.Context.ServiceListResponse);
    }

    private static async Task<IResult> UpdateAsync(string serviceId, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var id = http.GetServiceId();
        var change = changes.For(http);
        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.ServiceDocument, required: false, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out var error) || !ServiceRules.CheckUpdate(json).IsOk(out _, out error))
        {
            return await changes.RefuseAsync(http, change, error, id);
        }

        var updated = await store.UpdateServiceAsync(id, stored => ServiceRules.Prepare(json, stored), change, ct);
        return updated.IsOk(out var service, out error)
            ? Results.Json(ServiceRules.Present(service), WireJson.Context.ServiceDocument)
            : await changes.RefuseAsync(http, change, error.Code == ResultCodes.ServiceNotFound ? RuleViolation.Of(ResultCodes.ServiceNotFound, serviceId) : error, id);
    }

    private static async Task<Results<NoContent, JsonHttpResult<ResultResponse>>> DeleteAsync(string serviceId, HttpContext http, IRekeyStore store, Changes changes,
        CancellationToken ct)
    {
        var id = http.GetServiceId();
        var change = changes.For(http);
        return await store.DeleteServiceAsync(id, change, ct)
            ? TypedResults.NoContent()
            : await changes.RefuseAsync(http, change, RuleViolation.Of(ResultCodes.ServiceNotFound, serviceId), id);
    }
}
