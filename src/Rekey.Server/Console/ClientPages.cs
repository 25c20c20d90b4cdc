using System.Globalization;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Clients;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Services;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Server.Console;

/// <summary>A client as the console lists and shows it (never a secret).</summary>
public sealed record ClientView(long ClientId, string? Name, string? Alias, string? Developer, bool Locked, long CreatedAt, long ModifiedAt, long? SecretExpiresAt)
{
    internal static ClientView Of(StoredClient c) =>
        new(c.ClientId, ClientRules.Present(c, false).ClientName, c.Alias, c.Developer, c.Locked, c.CreatedAt, c.ModifiedAt, c.CurrentSecretExpiresAt);
}

public sealed record ClientListModel(Page Layout, IReadOnlyList<ClientView> Clients, string? Query, long? NextAfter, bool First, string? CreatedSecret, ClientView? Created)
{
    public override string ToString() => $"ClientListModel {{ Count = {Clients.Count} }}";
}

/// <summary>One kept secret as the client page shows it: status at the time of the page, and what the operator may do with it.</summary>
public sealed record SecretRow(long SecretId, string Status, long CreatedAt, long? ExpiresAt, long? ValidUntil, long? RevokedAt, long? LastUsedAt, string? Hint);

public sealed record ClientModel(Page Layout, ClientView Client, string? Name, IReadOnlyList<SecretRow> Secrets, long ServiceGraceSeconds, string? NewSecret)
{
    public override string ToString() => $"ClientModel {{ ClientId = {Client.ClientId} }}";
}

/// <summary>
/// Clients: the list (keyset pages, search by ID, alias or name prefix), create, and a client with its secrets —
/// rotate, set, revoke, lock, unlock, delete — through the rules and store operations /api uses, audited as /api audits.
/// </summary>
internal static class ClientPages
{
    private const int PageSize = 50;

    public static RouteGroupBuilder MapClientPages(this RouteGroupBuilder console)
    {
        console.MapGet("/services/{serviceId}/clients", ListAsync).RequirePermission(Permissions.ClientRead);
        console.MapPost("/services/{serviceId}/clients", CreateAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientCreate);
        console.MapGet("/services/{serviceId}/clients/{clientIdentifier}", ShowAsync).RequirePermission(Permissions.ClientRead);
        console.MapPost("/services/{serviceId}/clients/{clientIdentifier}/rotate", RotateAsync).RequirePermission(Permissions.ClientSecretWrite).Audited(AuditActions.SecretRefresh);
        console.MapPost("/services/{serviceId}/clients/{clientIdentifier}/secret", SetSecretAsync).RequirePermission(Permissions.ClientSecretWrite).Audited(AuditActions.SecretUpdate);
        console.MapPost("/services/{serviceId}/clients/{clientIdentifier}/secrets/{secretId}/revoke", RevokeAsync).RequirePermission(Permissions.ClientSecretWrite)
            .Audited(AuditActions.SecretRevoke);
        console.MapPost("/services/{serviceId}/clients/{clientIdentifier}/lock", LockAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientLock);
        console.MapPost("/services/{serviceId}/clients/{clientIdentifier}/unlock", UnlockAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientUnlock);
        console.MapPost("/services/{serviceId}/clients/{clientIdentifier}/delete", DeleteAsync).RequirePermission(Permissions.ClientWrite).Audited(AuditActions.ClientDelete);
        return console;
    }

    private static Task<Page> LayoutAsync(HttpContext http, IRekeyStore store, string title, CancellationToken ct) =>
        ConsolePages.ServicePageAsync(http, store, title, "clients", ct);

    // ---- list and create ----------------------------------------------------------------------------

    private static async Task<IResult> ListAsync(HttpContext http, IRekeyStore store, string? q, long? after, string? notice, CancellationToken ct) =>
        await RenderListAsync(http, store, q, after, (await LayoutAsync(http, store, "Clients", ct)) with { Notice = Notices.Text(notice) }, null, null, StatusCodes.Status200OK, ct);

    private static async Task<IResult> RenderListAsync(HttpContext http, IRekeyStore store, string? q, long? after, Page layout, StoredClient? created, string? createdSecret,
        int status, CancellationToken ct)
    {
        var query = q is { Length: > 200 } ? q[..200] : q;
        var found = await store.FindClientsAsync(http.GetServiceId(), query, after ?? 0, PageSize, ct);
        if (!found.IsOk(out var clients, out var error))
        {
            return ConsolePages.Refused(http, error);
        }

        var next = string.IsNullOrWhiteSpace(query) && clients.Count == PageSize ? clients[^1].Number : (long?)null;
        return Results.RazorSlice<Slices.Clients, ClientListModel>(new ClientListModel(layout, [.. clients.Select(ClientView.Of)], query, next, after is null or 0, createdSecret, created is null ? null : ClientView.Of(created)), status);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var form = ConsoleAuth.FormOf(http);
        var document = new JsonObject
        {
            ["clientName"] = form["clientName"].ToString().Trim(),
            ["grantTypes"] = new JsonArray("CLIENT_CREDENTIALS"),
        };
        if (form["clientIdAlias"].ToString().Trim() is { Length: > 0 } alias)
        {
            document["clientIdAlias"] = alias;
        }

        var layout = await LayoutAsync(http, store, "Clients", ct);
        if (!ClientRules.Prepare(document).IsOk(out var prepared, out var error)
            || !(await store.CreateClientAsync(new NewClient(sid, prepared.Alias, prepared.Developer, prepared.Locked, prepared.Document, Secret: null),
                change, ct)).IsOk(out var client, out error))
        {
            await changes.RecordAsync(http, change, error, sid);
            return await RenderListAsync(http, store, null, null, layout with { Error = error }, null, null, error.Code.HttpStatus, ct);
        }

        // As client/create answers: the secret only to a token that may read secrets.
        var shown = http.GetCaller().SeesSecrets ? client.CurrentSecret : null;
        return await RenderListAsync(http, store, null, null, layout with { Notice = "Client created." }, client, shown, StatusCodes.Status200OK, ct);
    }

    // ---- one client ---------------------------------------------------------------------------------

    private static Task<IResult> ShowAsync(string clientIdentifier, HttpContext http, IRekeyStore store, TimeProvider time, string? notice, CancellationToken ct) =>
        RenderClientAsync(http, store, time, clientIdentifier, Notices.Text(notice), null, null, StatusCodes.Status200OK, ct);

    private static async Task<IResult> RenderClientAsync(HttpContext http, IRekeyStore store, TimeProvider time, string clientIdentifier, string? notice, RuleViolation? error,
        string? newSecret, int status, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var found = await store.GetClientAsync(sid, clientIdentifier, withSecret: false, ct);
        if (!found.IsOk(out var client, out var missing))
        {
            return ConsolePages.Refused(http, missing);
        }

        var secrets = await store.ListSecretsAsync(sid, client.ClientId.ToString(CultureInfo.InvariantCulture), ct);
        var service = await store.GetServiceAsync(sid, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var rows = secrets.Value?.Secrets.Select(s => new SecretRow(s.SecretId, SecretPolicy.Status(s.State, s.ExpiresAt, s.ValidUntil, now), s.CreatedAt, s.ExpiresAt,
            s.State == SecretPolicy.StatePrevious ? s.ValidUntil : null, s.RevokedAt, s.LastUsedAt, s.Hint)).ToList() ?? [];
        var grace = service is null ? 0 : ServiceRules.Present(service).ClientSecretGracePeriod ?? 0;
        var layout = (await LayoutAsync(http, store, ClientRules.Present(client, false).ClientName ?? client.ClientId.ToString(CultureInfo.InvariantCulture), ct))
            with { Notice = notice, Error = error };
        return Results.RazorSlice<Slices.Client, ClientModel>(
            new ClientModel(layout, ClientView.Of(client), ClientRules.Present(client, false).ClientName, rows, grace, newSecret), status);
    }

    /// <summary>A grace period from the form: empty is the service's, else 0 to 30 days — the rule of /api's gracePeriod.</summary>
    private static Outcome<long?> GraceOf(IFormCollection form) =>
        ServicePages.Seconds(form["gracePeriod"]).IsOk(out var grace, out _) && grace is null or (>= 0 and <= SecretPolicy.MaxGracePeriodSeconds)
            ? grace
            : RuleViolation.Of(ResultCodes.InvalidGracePeriod, SecretPolicy.MaxGracePeriodSeconds);

    private static async Task<IResult> RotateAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, TimeProvider time, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!GraceOf(ConsoleAuth.FormOf(http)).IsOk(out var grace, out var error)
            || !(await store.RotateSecretAsync(new SecretRotationRequest(sid, clientIdentifier, NewSecret: null, grace), change, ct)).IsOk(out var rotation, out error))
        {
            await changes.RecordAsync(http, change, error, sid);
            return await RenderClientAsync(http, store, time, clientIdentifier, null, error, null, error.Code.HttpStatus, ct);
        }

        Log.SecretChanged(loggers.CreateLogger("Rekey.Server.Secrets"), change.Action, rotation.ClientId, sid);
        // Shown on this answer only (no-store): the page is not a redirect, so nothing keeps the secret to show it again.
        return await RenderClientAsync(http, store, time, clientIdentifier, null, null, rotation.NewSecret, StatusCodes.Status200OK, ct);
    }

    private static async Task<IResult> SetSecretAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, TimeProvider time, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var form = ConsoleAuth.FormOf(http);
        var secret = form["clientSecret"].ToString();
        if ((ClientSecretRules.Check(secret) is { } violation ? (Outcome<long?>)violation : GraceOf(form)).IsOk(out var grace, out var error) is false
            || !(await store.RotateSecretAsync(new SecretRotationRequest(sid, clientIdentifier, secret, grace), change, ct)).IsOk(out var rotation, out error))
        {
            await changes.RecordAsync(http, change, error, sid);
            return await RenderClientAsync(http, store, time, clientIdentifier, null, error, null, error.Code.HttpStatus, ct);
        }

        Log.SecretChanged(loggers.CreateLogger("Rekey.Server.Secrets"), change.Action, rotation.ClientId, sid);
        return Results.Redirect($"/console/services/{sid}/clients/{rotation.ClientId}?notice=secret-set");
    }

    private static async Task<IResult> RevokeAsync(string clientIdentifier, string secretId, HttpContext http, IRekeyStore store, Changes changes, TimeProvider time,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var revoked = RouteIds.TryParse(secretId, out var id)
            ? await store.RevokeSecretAsync(sid, clientIdentifier, id, change, ct)
            : RuleViolation.Of(ResultCodes.SecretNotFound, UntrustedText.Printable(secretId, 64), clientIdentifier);
        if (!revoked.IsOk(out var clientId, out var error))
        {
            await changes.RecordAsync(http, change, error, sid);
            return await RenderClientAsync(http, store, time, clientIdentifier, null, error, null, error.Code.HttpStatus, ct);
        }

        return Results.Redirect($"/console/services/{sid}/clients/{clientId}?notice=secret-revoked");
    }

    private static Task<IResult> LockAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, TimeProvider time, CancellationToken ct) =>
        SetLockAsync(clientIdentifier, true, http, store, changes, time, ct);

    private static Task<IResult> UnlockAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, TimeProvider time, CancellationToken ct) =>
        SetLockAsync(clientIdentifier, false, http, store, changes, time, ct);

    private static async Task<IResult> SetLockAsync(string clientIdentifier, bool locked, HttpContext http, IRekeyStore store, Changes changes, TimeProvider time,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!(await store.SetClientLockAsync(sid, clientIdentifier, locked, change, ct)).IsOk(out var clientId, out var error))
        {
            await changes.RecordAsync(http, change, error, sid);
            return await RenderClientAsync(http, store, time, clientIdentifier, null, error, null, error.Code.HttpStatus, ct);
        }

        return Results.Redirect($"/console/services/{sid}/clients/{clientId}?notice={(locked ? "client-locked" : "client-unlocked")}");
    }

    /// <summary>Deletes after a typed confirmation: the client's ID, exactly (checked here too, not only by the page's script).</summary>
    private static async Task<IResult> DeleteAsync(string clientIdentifier, HttpContext http, IRekeyStore store, Changes changes, TimeProvider time, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var found = await store.GetClientAsync(sid, clientIdentifier, withSecret: false, ct);
        if (!found.IsOk(out var client, out var error))
        {
            await changes.RecordAsync(http, change, error, sid);
            return ConsolePages.Refused(http, error);
        }

        if (ConsoleAuth.FormOf(http)["confirm"].ToString().Trim() != client.ClientId.ToString(CultureInfo.InvariantCulture))
        {
            return await RenderClientAsync(http, store, time, clientIdentifier, null,
                RuleViolation.Of(ResultCodes.InvalidPropertyType, "confirm"), null, StatusCodes.Status400BadRequest, ct);
        }

        if (!(await store.DeleteClientAsync(sid, clientIdentifier, change, ct)).IsOk(out _, out error))
        {
            await changes.RecordAsync(http, change, error, sid);
            return ConsolePages.Refused(http, error);
        }

        return Results.Redirect($"/console/services/{sid}/clients?notice=client-deleted");
    }
}
