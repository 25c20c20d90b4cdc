using System.Net;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Tests.Console;

/// <summary>
/// The console's audit, API token, key and webhook pages over real HTTP: each renders for a token that may see it and
/// is refused — and a forced change audited with the refusal's code — for one that may not; a value shown once is on
/// its answer and nowhere after; a form without the session's antiforgery value changes nothing. (The browser suite
/// drives the same pages with scripts on.) Each test makes its own service.
/// </summary>
public sealed class ConsolePagesTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>, IDisposable
{
    private readonly HttpClient _admin = fixture.Host.CreateAdminClient();
    private readonly List<IDisposable> _disposables = [];

    private RekeyHost Host => fixture.Host;

    public void Dispose()
    {
        _admin.Dispose();
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }
    }

    private async Task<ConsoleBrowser> SignInAsync(string token)
    {
        var browser = await ConsoleBrowser.SignInAsync(Host, token);
        _disposables.Add(browser);
        return browser;
    }

    private Task<ConsoleBrowser> OrganisationAsync() => SignInAsync(RekeyHost.AdminToken);

    private async Task<ConsoleBrowser> TokenAsync(long serviceId, params string[] permissions) =>
        await SignInAsync((await _admin.CreateApiTokenAsync(serviceId, permissions)).Token);

    /// <summary>The audit events /api lists for <paramref name="action"/>: of the service, or of the organisation when <paramref name="serviceId"/> is null.</summary>
    private async Task<IReadOnlyList<JsonObject>> AuditAsync(long? serviceId, string action)
    {
        var reply = await _admin.GetForReplyAsync((serviceId is { } sid ? $"/api/{sid}" : "/api") + $"/audit/get/list?action={action}&end=100");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return reply.Objects("events");
    }

    private static string? Str(JsonObject e, string name) => e[name]?.GetValue<string>();

    private static long? Long(JsonObject e, string name) => e[name]?.GetValue<long>();

    // ---- audit ----------------------------------------------------------------------------------------

    [Fact]
    public async Task audit_page_lists_changes_newest_first_with_actor_outcome_and_a_link_to_the_client()
    {
        var sid = await _admin.CreateServiceAsync();
        var client = await _admin.CreateClientAsync(sid, """{"clientName":"audited","clientIdAlias":"audited-alias"}""");
        await _admin.LockClientAsync(sid, client.ClientId);
        var reader = await TokenAsync(sid, Permissions.AuditRead, Permissions.ClientRead);

        var page = await reader.GetAsync($"/console/services/{sid}/audit");

        page.AssertStatus(HttpStatusCode.OK);
        var locked = page.Html.IndexOf($"<code>{AuditActions.ClientLock}</code>", StringComparison.Ordinal);
        Assert.True(locked > 0 && locked < page.Html.IndexOf($"<code>{AuditActions.ClientCreate}</code>", StringComparison.Ordinal), "newest first: " + page);
        Assert.Contains("Organisation", page.Text, StringComparison.Ordinal);
        Assert.Contains($"href=\"/console/services/{sid}/clients/{client.ClientId}\"", page.Html, StringComparison.Ordinal);
        Assert.Contains("status succeeded", page.Html, StringComparison.Ordinal);

        var filtered = await reader.GetAsync($"/console/services/{sid}/audit?client=audited-alias&action={AuditActions.ClientLock}");
        filtered.AssertStatus(HttpStatusCode.OK);
        Assert.Contains($"<code>{AuditActions.ClientLock}</code>", filtered.Html, StringComparison.Ordinal);
        Assert.DoesNotContain($"<code>{AuditActions.ClientCreate}</code>", filtered.Html, StringComparison.Ordinal);

        var unknown = await reader.GetAsync($"/console/services/{sid}/audit?client=nobody-here");
        unknown.AssertStatus(HttpStatusCode.NotFound);
        Assert.Contains($"<code>{ResultCodes.ClientNotFound.Code}</code>", unknown.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task audit_page_is_neither_offered_nor_shown_to_a_token_without_audit_read()
    {
        var sid = await _admin.CreateServiceAsync();
        var clientsOnly = await TokenAsync(sid, Permissions.ClientRead);

        var clients = await clientsOnly.GetAsync($"/console/services/{sid}/clients");
        clients.AssertStatus(HttpStatusCode.OK);
        Assert.DoesNotContain($"/console/services/{sid}/audit", clients.Html, StringComparison.Ordinal);
        Assert.DoesNotContain($"/console/services/{sid}/webhooks", clients.Html, StringComparison.Ordinal);

        (await clientsOnly.GetAsync($"/console/services/{sid}/audit")).AssertRefused(HttpStatusCode.Forbidden, ResultCodes.PermissionDenied);
    }

    // ---- API tokens -----------------------------------------------------------------------------------

    [Fact]
    public async Task creating_an_api_token_shows_its_value_once_and_audits_it_as_the_organisation()
    {
        var sid = await _admin.CreateServiceAsync();
        var organisation = await OrganisationAsync();
        (await organisation.GetAsync("/console/tokens")).AssertStatus(HttpStatusCode.OK);

        var created = await organisation.PostAsync("/console/tokens", ("serviceId", sid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("permissions", Permissions.ClientRead), ("permissions", Permissions.AuditRead), ("description", "deploy pipeline"));

        created.AssertStatus(HttpStatusCode.OK);
        Assert.Contains("New API token", created.Html, StringComparison.Ordinal);
        var token = created.Output("new-token");
        Assert.NotNull(token);
        Assert.NotEmpty(token);
        using (var bearer = Host.CreateClient(token))
        {
            Assert.Equal(HttpStatusCode.OK, (await bearer.GetForReplyAsync($"/api/{sid}/audit/get/list")).Status);
        }

        var later = await organisation.GetAsync("/console/tokens");
        Assert.Contains("deploy pipeline", later.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(token, later.Html, StringComparison.Ordinal);

        var audited = Assert.Single(await AuditAsync(sid, AuditActions.ApiTokenCreate));
        Assert.Equal("organisation", Str(audited, "actorKind"));
        Assert.Equal("success", Str(audited, "outcome"));
        Assert.Null(Long(audited, "actorTokenId"));
    }

    [Fact]
    public async Task api_token_pages_are_refused_to_an_api_token_and_a_forced_create_is_audited_with_the_refusal()
    {
        var sid = await _admin.CreateServiceAsync();
        var everything = await _admin.CreateApiTokenAsync(sid, [.. Permissions.Grantable]);
        var browser = await SignInAsync(everything.Token);

        var services = await browser.GetAsync("/console/services");
        Assert.DoesNotContain("href=\"/console/tokens\"", services.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/console/keys\"", services.Html, StringComparison.Ordinal);
        (await browser.GetAsync("/console/tokens")).AssertRefused(HttpStatusCode.Forbidden, ResultCodes.PermissionDenied);
        (await browser.GetAsync("/console/keys")).AssertRefused(HttpStatusCode.Forbidden, ResultCodes.PermissionDenied);

        var forced = await browser.PostAsync("/console/tokens", ("serviceId", sid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("permissions", Permissions.ClientRead));

        forced.AssertRefused(HttpStatusCode.Forbidden, ResultCodes.PermissionDenied);
        Assert.Null(forced.Output("new-token"));
        var refusal = Assert.Single(await AuditAsync(null, AuditActions.ApiTokenCreate), e => Long(e, "actorTokenId") == everything.TokenId);
        Assert.Equal(ResultCodes.PermissionDenied.Code, Str(refusal, "outcome"));
    }

    [Fact]
    public async Task deleting_an_api_token_in_the_console_ends_it_at_once()
    {
        var sid = await _admin.CreateServiceAsync();
        var doomed = await _admin.CreateApiTokenAsync(sid, Permissions.ClientRead);
        var organisation = await OrganisationAsync();

        (await organisation.PostAsync($"/console/tokens/{doomed.TokenId}/delete")).AssertRedirect("/console/tokens?notice=token-deleted");

        using var bearer = Host.CreateClient(doomed.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetForReplyAsync($"/api/{sid}/client/get/list")).Status);
        var audited = Assert.Single(await AuditAsync(sid, AuditActions.ApiTokenDelete));
        Assert.Equal("success", Str(audited, "outcome"));
        Assert.Equal("organisation", Str(audited, "actorKind"));
    }

    // ---- keys -----------------------------------------------------------------------------------------

    [Fact]
    public async Task rotating_the_data_key_in_the_console_re_encrypts_every_value_and_is_audited()
    {
        var sid = await _admin.CreateServiceAsync();
        await _admin.CreateClientAsync(sid);
        var organisation = await OrganisationAsync();
        var before = await organisation.GetAsync("/console/keys");
        before.AssertStatus(HttpStatusCode.OK);
        var rotationsBefore = (await AuditAsync(null, AuditActions.KeyRotate)).Count;

        (await organisation.PostAsync("/console/keys/rotate")).AssertRedirect("/console/keys?notice=key-rotated");

        var keys = await _admin.GetForReplyAsync("/api/keys/get/list");
        var current = keys.Objects("keys")[0];
        Assert.True(current["current"]?.GetValue<bool>(), keys.ToString());
        Assert.All(keys.Objects("keys").Skip(1), k => Assert.Equal(0, k["values"]?.GetValue<long>() ?? 0));
        var after = await organisation.GetAsync("/console/keys");
        Assert.Contains(current["keyId"]?.GetValue<string>() ?? "?", after.Html, StringComparison.Ordinal);
        Assert.Contains("status current\">complete", after.Html, StringComparison.Ordinal);
        var rotations = await AuditAsync(null, AuditActions.KeyRotate);
        Assert.Equal(rotationsBefore + 1, rotations.Count);
        Assert.Equal("success", Str(rotations[0], "outcome"));
    }

    // ---- webhooks -------------------------------------------------------------------------------------

    [Fact]
    public async Task creating_a_webhook_shows_its_signing_secret_once_then_test_disable_rotate_and_delete_work()
    {
        var sid = await _admin.CreateServiceAsync();
        var organisation = await OrganisationAsync();
        (await organisation.GetAsync($"/console/services/{sid}/webhooks")).AssertStatus(HttpStatusCode.OK);

        var created = await organisation.PostAsync($"/console/services/{sid}/webhooks", ("url", "https://hooks.example.com/rekey"), ("events", EventTypes.ClientLocked),
            ("description", "ops"));

        created.AssertStatus(HttpStatusCode.OK);
        Assert.Contains("Signing secret", created.Html, StringComparison.Ordinal);
        var secret = created.Output("new-secret");
        Assert.NotNull(secret);
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var webhook = Assert.Single((await _admin.GetForReplyAsync($"/api/{sid}/webhook/get/list")).Objects("webhooks"));
        var path = $"/console/services/{sid}/webhooks/{Long(webhook, "webhookId")}";
        var shown = await organisation.GetAsync(path);
        shown.AssertStatus(HttpStatusCode.OK);
        Assert.DoesNotContain(secret, shown.Html, StringComparison.Ordinal);
        Assert.Equal("organisation", Str(Assert.Single(await AuditAsync(sid, AuditActions.WebhookCreate)), "actorKind"));

        (await organisation.PostAsync(path + "/test")).AssertRedirect(path + "?notice=webhook-test");
        Assert.Contains($"<code>{EventTypes.WebhookTest}</code>", (await organisation.GetAsync(path)).Html, StringComparison.Ordinal);

        (await organisation.PostAsync(path + "/disable")).AssertRedirect(path + "?notice=webhook-disabled");
        Assert.False((await _admin.GetForReplyAsync($"/api/{sid}/webhook/get/{Long(webhook, "webhookId")}")).Bool("enabled"));

        var rotated = await organisation.PostAsync(path + "/rotate-secret", ("gracePeriod", "60"));
        rotated.AssertStatus(HttpStatusCode.OK);
        Assert.StartsWith("whsec_", rotated.Output("new-secret"), StringComparison.Ordinal);
        Assert.NotEqual(secret, rotated.Output("new-secret"));

        (await organisation.PostAsync(path + "/delete")).AssertRedirect($"/console/services/{sid}/webhooks?notice=webhook-deleted");
        (await organisation.GetAsync(path)).AssertRefused(HttpStatusCode.NotFound, ResultCodes.WebhookNotFound);
    }

    [Fact]
    public async Task a_webhook_reader_sees_the_pages_without_their_forms_and_a_forced_change_is_refused_and_audited()
    {
        var sid = await _admin.CreateServiceAsync();
        var created = await _admin.PostJsonForReplyAsync($"/api/{sid}/webhook/create", """{"url":"https://hooks.example.com/rekey"}""");
        var path = $"/console/services/{sid}/webhooks/{created.Int("webhookId")}";
        var reader = await TokenAsync(sid, Permissions.WebhookRead);

        var list = await reader.GetAsync($"/console/services/{sid}/webhooks");
        list.AssertStatus(HttpStatusCode.OK);
        Assert.DoesNotContain("Create webhook", list.Html, StringComparison.Ordinal);
        var shown = await reader.GetAsync(path);
        shown.AssertStatus(HttpStatusCode.OK);
        Assert.DoesNotContain("Send test event", shown.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Delete webhook", shown.Html, StringComparison.Ordinal);

        (await reader.PostAsync(path + "/test")).AssertRefused(HttpStatusCode.Forbidden, ResultCodes.PermissionDenied);

        var refusal = Assert.Single(await AuditAsync(sid, AuditActions.WebhookTest));
        Assert.Equal(ResultCodes.PermissionDenied.Code, Str(refusal, "outcome"));
        Assert.Equal("service", Str(refusal, "actorKind"));
    }

    [Fact]
    public async Task a_webhook_the_rules_refuse_is_not_created_and_the_refusal_is_audited_with_its_code()
    {
        var sid = await _admin.CreateServiceAsync();
        var organisation = await OrganisationAsync();

        var refused = await organisation.PostAsync($"/console/services/{sid}/webhooks", ("url", "https://10.1.2.3/rekey"), ("description", "kept"));

        refused.AssertRefused(HttpStatusCode.BadRequest, ResultCodes.WebhookInvalidUrl);
        Assert.Equal("kept", refused.Field("description"));
        Assert.Empty((await _admin.GetForReplyAsync($"/api/{sid}/webhook/get/list")).Objects("webhooks"));
        Assert.Equal(ResultCodes.WebhookInvalidUrl.Code, Str(Assert.Single(await AuditAsync(sid, AuditActions.WebhookCreate)), "outcome"));
    }

    // ---- antiforgery and sessions ---------------------------------------------------------------------

    [Fact]
    public async Task a_form_without_the_sessions_csrf_value_changes_nothing()
    {
        var sid = await _admin.CreateServiceAsync();
        var organisation = await OrganisationAsync();
        var other = await OrganisationAsync();

        foreach (var csrf in new[] { null, "", other.Csrf })
        {
            (string, string)[] fields = [("url", "https://hooks.example.com/rekey")];
            var answer = await organisation.PostRawAsync($"/console/services/{sid}/webhooks", csrf is null ? fields : [("csrf", csrf), .. fields]);
            answer.AssertStatus(HttpStatusCode.BadRequest);
            Assert.Contains("Form expired", answer.Html, StringComparison.Ordinal);
        }

        Assert.Empty((await _admin.GetForReplyAsync($"/api/{sid}/webhook/get/list")).Objects("webhooks"));
        Assert.Empty(await AuditAsync(sid, AuditActions.WebhookCreate));
    }

    [Fact]
    public async Task the_upkeep_deletes_console_sessions_past_their_idle_or_absolute_timeout()
    {
        var store = Host.GetService<IRekeyStore>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var token = new byte[32];
        await store.CreateConsoleSessionAsync("upkeep-idle", token, "csrf", now - (long)TimeSpan.FromHours(1).TotalMilliseconds, CancellationToken.None);
        await store.CreateConsoleSessionAsync("upkeep-old", token, "csrf", now - (long)TimeSpan.FromHours(13).TotalMilliseconds, CancellationToken.None);
        await store.TouchConsoleSessionAsync("upkeep-old", now, CancellationToken.None);
        await store.CreateConsoleSessionAsync("upkeep-fresh", token, "csrf", now, CancellationToken.None);

        await Host.GetService<SecretMaintenance>().RunOnceAsync(CancellationToken.None);

        Assert.Null(await store.FindConsoleSessionAsync("upkeep-idle", CancellationToken.None));
        Assert.Null(await store.FindConsoleSessionAsync("upkeep-old", CancellationToken.None));
        Assert.NotNull(await store.FindConsoleSessionAsync("upkeep-fresh", CancellationToken.None));
    }
}
