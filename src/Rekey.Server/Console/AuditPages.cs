using System.Globalization;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Clients;
using Rekey.Server.Storage;

namespace Rekey.Server.Console;

public sealed record AuditModel(Page Layout, IReadOnlyList<AuditEvent> Events, string? Client, string? Action, Pager Pager)
{
    public bool Filtered => Client is { Length: > 0 } || Action is { Length: > 0 };
}

/// <summary>A service's audit trail, newest first, filtered by client and action: the store query /api's audit list makes.</summary>
internal static class AuditPages
{
    private const int PageSize = 50;

    /// <summary>The longest client filter kept (an alias is at most 128 characters).</summary>
    private const int MaxFilterLength = 200;

    public static RouteGroupBuilder MapAuditPages(this RouteGroupBuilder console)
    {
        console.MapGet("/services/{serviceId}/audit", ListAsync).RequirePermission(Permissions.AuditRead);
        return console;
    }

    private static async Task<IResult> ListAsync(HttpContext http, IRekeyStore store, string? client, string? action, string? page, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        // As /api's audit list: a service token's own service must still exist; the organisation may read the trail of one deleted.
        if (!http.GetCaller().IsOrganisation && await store.GetServiceAsync(sid, ct) is null)
        {
            return ConsolePages.Refused(http, RuleViolation.Of(ResultCodes.ServiceNotFound, sid));
        }

        var layout = await ConsolePages.ServicePageAsync(http, store, "Audit", "audit", ct);
        var clientText = client?.Trim() is { Length: > 0 } c ? c[..Math.Min(c.Length, MaxFilterLength)] : null;
        var actionText = action is { Length: > 0 } ? action : null;
        var url = $"/console/services/{sid}/audit" + Query(("client", clientText), ("action", actionText));

        var error = actionText is not null && !AuditActions.All.Contains(actionText)
            ? RuleViolation.Of(ResultCodes.InvalidAuditAction, string.Join(", ", AuditActions.All))
            : null;
        long? clientId = null;
        if (error is null && clientText is not null)
        {
            var named = await ClientIdOfAsync(store, sid, clientText, ct);
            clientId = named.Value;
            error = named.Error;
        }

        if (error is not null)
        {
            // No events under a filter that could not be applied: an empty list would read as "nothing happened".
            return Results.RazorSlice<Slices.Audit, AuditModel>(new AuditModel(layout with { Error = error }, [], clientText, actionText, new Pager(1, PageSize, 0, url)),
                error.Code.HttpStatus);
        }

        var pager = new Pager(Pager.NumberOf(page), PageSize, 0, url);
        var found = await store.ListAuditAsync(new AuditQuery(sid, clientId, actionText, pager.Start, pager.Start + PageSize), ct);
        return Results.RazorSlice<Slices.Audit, AuditModel>(new AuditModel(layout, found.Items, clientText, actionText, pager with { Total = found.TotalCount }));
    }

    /// <summary>
    /// The client a filter names: the one the store finds by ID or alias (the lookup of every client path), else a
    /// number taken as a client ID as /api's <c>clientId</c> filter takes it — the trail of a deleted client stays readable.
    /// </summary>
    private static async Task<Outcome<long?>> ClientIdOfAsync(IRekeyStore store, long serviceId, string identifier, CancellationToken ct)
    {
        if (ClientRules.CouldNameAClient(identifier) && (await store.GetClientAsync(serviceId, identifier, withSecret: false, ct)).Value is { } found)
        {
            return found.ClientId;
        }

        return long.TryParse(identifier, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : RuleViolation.Of(ResultCodes.ClientNotFound, identifier, serviceId);
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var given = new List<string>();
        foreach (var (name, value) in parameters)
        {
            if (value is not null)
            {
                given.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }

        return given.Count == 0 ? "" : "?" + string.Join('&', given);
    }
}
