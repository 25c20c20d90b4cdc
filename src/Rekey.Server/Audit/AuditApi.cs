using System.Globalization;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Audit;

/// <summary>Rekey extension: read the audit trail of one service (audit.read) or of the whole organisation (admin).</summary>
internal static class AuditApi
{
    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        api.MapGet("/{serviceId}/audit/get/list", ServiceListAsync).RequirePermission(Permissions.AuditRead)
            .Documented<AuditListResponse>("audit_get_list_api", "Rekey extension: audit events of a service, newest first (?clientId=&action=&start=&end=).", 200,
                ResultCodes.ServiceNotFound, ResultCodes.InvalidAuditAction, ResultCodes.InvalidQueryParameter)
            .WithTags("Rekey extensions");
        api.MapGet("/audit/get/list", OrganisationListAsync).RequirePermission(Permissions.Admin)
            .Documented<AuditListResponse>("audit_get_org_list_api", "Rekey extension: audit events of the organisation, newest first (?serviceId=&clientId=&action=&start=&end=).", 200,
                ResultCodes.InvalidAuditAction, ResultCodes.InvalidQueryParameter)
            .WithTags("Rekey extensions");
        return api;
    }

    private static Task<IResult> ServiceListAsync(HttpRequest request, IRekeyStore store, CancellationToken ct) =>
        ListAsync(request.HttpContext.GetServiceId(), request, store, ct);

    private static Task<IResult> OrganisationListAsync(HttpRequest request, IRekeyStore store, CancellationToken ct)
    {
        var service = request.Query["serviceId"].ToString();
        if (service.Length == 0)
        {
            return ListAsync(null, request, store, ct);
        }

        return RouteIds.TryParse(service, out var sid)
            ? ListAsync(sid, request, store, ct)
            : Task.FromResult<IResult>(AuthleteResults.Error(ResultCodes.InvalidQueryParameter, "serviceId", long.MaxValue));
    }

    private static async Task<IResult> ListAsync(long? serviceId, HttpRequest request, IRekeyStore store, CancellationToken ct)
    {
        if (!Paging.From(request).IsOk(out var paging, out var error))
        {
            return AuthleteResults.Error(error);
        }

        long? clientId = null;
        var clientText = request.Query["clientId"].ToString();
        if (clientText.Length > 0)
        {
            if (!long.TryParse(clientText, NumberStyles.None, CultureInfo.InvariantCulture, out var cid))
            {
                return AuthleteResults.Error(ResultCodes.InvalidQueryParameter, "clientId", long.MaxValue);
            }

            clientId = cid;
        }

        var action = request.Query["action"].ToString();
        if (action.Length > 0 && !AuditActions.All.Contains(action))
        {
            return AuthleteResults.Error(ResultCodes.InvalidAuditAction, string.Join(", ", AuditActions.All));
        }

        if (serviceId is { } sid && request.HttpContext.GetCaller().IsOrganisation is false && await store.GetServiceAsync(sid, ct) is null)
        {
            return AuthleteResults.Error(ResultCodes.ServiceNotFound, sid);
        }

        var page = await store.ListAuditAsync(new AuditQuery(serviceId, clientId, action.Length == 0 ? null : action, paging.Start, paging.End), ct);
        return Results.Json(new AuditListResponse { Start = paging.Start, End = paging.End, TotalCount = page.TotalCount, Events = page.Items },
            WireJson.Context.AuditListResponse);
    }
}
