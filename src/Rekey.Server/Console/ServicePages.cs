using System.Globalization;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.OAuth;
using Rekey.Server.Services;
using Rekey.Server.Storage;

namespace Rekey.Server.Console;

public sealed record ServiceListModel(Page Layout, IReadOnlyList<ServiceDocument> Services, int Total);

/// <summary>The settings page: <see cref="SecretFormat"/> and <see cref="LeakResponse"/> are the effective values (the defaults when the document has none).</summary>
public sealed record ServiceSettingsModel(Page Layout, ServiceDocument Service, IReadOnlyList<SigningKeyInfo> SigningKeys, string WarningsText, string ScopesText,
    string SecretFormat, string LeakResponse, string RegistrationPolicy);

/// <summary>The services list and a service's settings: the same rules (<see cref="ServiceRules"/>) and store calls as /api.</summary>
internal static class ServicePages
{
    public static RouteGroupBuilder MapServicePages(this RouteGroupBuilder console)
    {
        console.MapGet("/services", ListAsync).RequirePermission(Permissions.ServiceRead);
        console.MapPost("/services", CreateAsync).RequirePermission(Permissions.Admin).Audited(AuditActions.ServiceCreate);
        console.MapGet("/services/{serviceId}", SettingsAsync).RequirePermission(Permissions.ServiceRead);
        console.MapPost("/services/{serviceId}", UpdateAsync).RequirePermission(Permissions.ServiceWrite).Audited(AuditActions.ServiceUpdate);
        console.MapPost("/services/{serviceId}/signing-key/rotate", RotateSigningKeyAsync).RequirePermission(Permissions.ServiceWrite).Audited(AuditActions.SigningKeyRotate);
        return console;
    }

    private static async Task<IResult> ListAsync(HttpContext http, IRekeyStore store, string? notice, CancellationToken ct)
    {
        var caller = http.GetCaller();
        var page = await store.ListServicesAsync(caller.IsOrganisation ? null : caller.ServiceId, 0, 1000, ct);
        return Results.RazorSlice<Slices.Services, ServiceListModel>(new ServiceListModel(Page.For(http, "Services", "services") with { Notice = Notices.Text(notice) },
            page.Items.Select(ServiceRules.Present).ToList(), page.TotalCount));
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var change = changes.For(http);
        var form = ConsoleAuth.FormOf(http);
        if (!ServiceRules.Prepare(new JsonObject { ["serviceName"] = form["serviceName"].ToString().Trim() }).IsOk(out var prepared, out var error))
        {
            await changes.RecordAsync(http, change, error, null);
            var caller = http.GetCaller();
            var page = await store.ListServicesAsync(caller.IsOrganisation ? null : caller.ServiceId, 0, 1000, ct);
            return Results.RazorSlice<Slices.Services, ServiceListModel>(new ServiceListModel(Page.For(http, "Services", "services") with { Error = error },
                page.Items.Select(ServiceRules.Present).ToList(), page.TotalCount), error.Code.HttpStatus);
        }

        var created = await store.CreateServiceAsync(prepared, change, ct);
        return Results.Redirect($"/console/services/{created.ServiceId}/clients?notice=service-created");
    }

    private static async Task<IResult> SettingsAsync(HttpContext http, IRekeyStore store, SigningKeys keys, string? notice, CancellationToken ct) =>
        await RenderSettingsAsync(http, store, keys, Notices.Text(notice), null, StatusCodes.Status200OK, ct);

    private static async Task<IResult> RenderSettingsAsync(HttpContext http, IRekeyStore store, SigningKeys keys, string? notice, RuleViolation? error, int status, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (await store.GetServiceAsync(sid, ct) is not { } stored)
        {
            return ConsolePages.Refused(http, RuleViolation.Of(ResultCodes.ServiceNotFound, sid));
        }

        var service = ServiceRules.Present(stored);
        var layout = Page.For(http, "Settings", "settings", sid) with { ServiceName = service.ServiceName, Notice = notice, Error = error };
        var warnings = service.ClientSecretExpiryWarnings ?? [.. Events.SecretNotices.DefaultWarnings];
        return Results.RazorSlice<Slices.ServiceSettings, ServiceSettingsModel>(new ServiceSettingsModel(layout, service, await keys.DescribeAsync(sid, ct),
            string.Join(", ", warnings.Select(w => w.ToString(CultureInfo.InvariantCulture))),
            string.Join(' ', (service.SupportedScopes ?? []).Select(s => s.Name)),
            service.ClientSecretFormat ?? SecretFormats.Default, service.LeakResponse ?? LeakResponses.Default, ServiceRules.RegistrationPolicyOf(service)), status);
    }

    /// <summary>
    /// The settings form changes the named properties of the stored document and nothing else; the result goes through
    /// <see cref="ServiceRules.Prepare(JsonObject, StoredService)"/> like an /api update.
    /// </summary>
    private static async Task<IResult> UpdateAsync(HttpContext http, IRekeyStore store, SigningKeys keys, Changes changes, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var form = ConsoleAuth.FormOf(http);
        var updated = await store.UpdateServiceAsync(sid, stored => Edited(stored, form).IsOk(out var document, out var error) ? ServiceRules.Prepare(document, stored) : error,
            change, ct);
        if (!updated.IsOk(out _, out var refusal))
        {
            await changes.RecordAsync(http, change, refusal, sid);
            return await RenderSettingsAsync(http, store, keys, null, refusal, refusal.Code.HttpStatus, ct);
        }

        return Results.Redirect($"/console/services/{sid}?notice=settings-saved");
    }

    private static Outcome<JsonObject> Edited(StoredService stored, IFormCollection form)
    {
        var document = JsonNode.Parse(stored.Document) as JsonObject ?? [];
        document["serviceName"] = form["serviceName"].ToString().Trim();
        if (!Seconds(form["clientSecretGracePeriod"]).IsOk(out var grace, out _))
        {
            return RuleViolation.Of(ResultCodes.InvalidGracePeriodSetting, Secrets.SecretPolicy.MaxGracePeriodSeconds);
        }

        if (!Seconds(form["clientSecretLifetime"]).IsOk(out var lifetime, out _))
        {
            return RuleViolation.Of(ResultCodes.InvalidSecretLifetimeSetting, Secrets.SecretPolicy.MaxLifetimeSeconds);
        }

        if (!Seconds(form["accessTokenDuration"]).IsOk(out var duration, out _))
        {
            return RuleViolation.Of(ResultCodes.InvalidAccessTokenDuration, ServiceRules.MaxAccessTokenDuration);
        }

        var warnings = new JsonArray();
        foreach (var part in form["clientSecretExpiryWarnings"].ToString().Split([',', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var w))
            {
                return RuleViolation.Of(ResultCodes.InvalidExpiryWarningsSetting, Events.SecretNotices.MaxWarnings, Events.SecretNotices.MaxWarningSeconds);
            }

            warnings.Add((JsonNode)JsonValue.Create(w));
        }

        document["clientSecretGracePeriod"] = grace ?? 0;
        document["clientSecretLifetime"] = lifetime ?? 0;
        document["clientSecretExpiryWarnings"] = warnings;
        if (duration is { } d)
        {
            document["accessTokenDuration"] = d;
        }

        // A choice is written when it differs from what is in effect, so that saving leaves an absent default absent;
        // any other value, forged or not, goes to ServiceRules and is refused there (A110209, A110210, A110211). The
        // registration policy wins over Authlete's flag, which the form leaves as stored.
        Choose(document, "clientSecretFormat", form["clientSecretFormat"].ToString().Trim(), SecretFormats.Default);
        Choose(document, "leakResponse", form["leakResponse"].ToString().Trim(), LeakResponses.Default);
        Choose(document, "clientRegistrationPolicy", form["clientRegistrationPolicy"].ToString().Trim(), ServiceRules.RegistrationPolicyOf(ServiceRules.Present(stored)));

        var scopes = form["supportedScopes"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        document["supportedScopes"] = new JsonArray([.. scopes.Distinct(StringComparer.Ordinal).Select(s => (JsonNode)new JsonObject { ["name"] = s })]);
        return document;
    }

    /// <summary>Sets <paramref name="name"/> to <paramref name="chosen"/> unless it is empty or already in effect (stored, or the default when absent).</summary>
    private static void Choose(JsonObject document, string name, string chosen, string defaultValue)
    {
        var current = document[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : defaultValue;
        if (chosen.Length > 0 && chosen != current)
        {
            document[name] = chosen;
        }
    }

    /// <summary>A whole number of seconds from a form field; empty is null.</summary>
    public static Outcome<long?> Seconds(string? text) =>
        string.IsNullOrWhiteSpace(text) ? (long?)null
        : long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : RuleViolation.Of(ResultCodes.InvalidPropertyType, "seconds");

    private static async Task<IResult> RotateSigningKeyAsync(HttpContext http, IRekeyStore store, SigningKeys keys, Changes changes, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var rotated = await keys.RotateAsync(sid, change, ct);
        if (!rotated.IsOk(out _, out var error))
        {
            await changes.RecordAsync(http, change, error, sid);
            return await RenderSettingsAsync(http, store, keys, null, error, error.Code.HttpStatus, ct);
        }

        return Results.Redirect($"/console/services/{sid}?notice=signing-key-rotated#signing-keys");
    }
}

/// <summary>What a redirect after a change says: fixed texts by key, so that no query string puts words on a page.</summary>
internal static class Notices
{
    private static readonly Dictionary<string, string> Texts = new(StringComparer.Ordinal)
    {
        ["service-created"] = "Service created. Add its first client below.",
        ["settings-saved"] = "Settings saved.",
        ["signing-key-rotated"] = "New signing key published; it signs once its activation time has come.",
        ["client-locked"] = "Client locked: its secrets are refused until it is unlocked.",
        ["client-unlocked"] = "Client unlocked.",
        ["client-deleted"] = "Client deleted.",
        ["secret-set"] = "Secret set. The client must use it from now on; the replaced one works for its grace period.",
        ["secret-revoked"] = "Secret revoked: it stopped working now.",
        ["token-deleted"] = "API token deleted; it stopped working now.",
        ["token-created"] = "API token created.",
        ["webhook-created"] = "Webhook created. Send a test event to check the receiver.",
        ["webhook-secret-rotated"] = "New signing secret made. Give it to the receiver; the replaced one signs too until the time shown.",
        ["webhook-deleted"] = "Webhook deleted.",
        ["webhook-test"] = "Test event queued; it arrives within seconds.",
        ["webhook-updated"] = "Webhook saved.",
        ["webhook-enabled"] = "Webhook enabled: waiting events are delivered now.",
        ["webhook-disabled"] = "Webhook disabled: events wait until it is enabled again.",
        ["webhook-redelivered"] = "Delivery queued again, with a fresh retry schedule.",
        ["key-rotated"] = "Data key rotated: every stored value was re-encrypted under the new key.",
        ["keys-reencrypted"] = "Re-encryption finished: every stored value is under the current data key.",
    };

    public static string? Text(string? key) => key is not null && Texts.TryGetValue(key, out var text) ? text : null;
}
