using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// The operator commands added for the Rekey extensions: secret list and revoke, grace periods, the audit trail,
/// data-key and signing-key rotation. Data-key rotation is global, so this class has its own server.
/// </summary>
public sealed class CliOperatorTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    private static readonly string[] SecretColumns = ["SECRET ID", "STATUS", "CREATED", "VALID UNTIL", "LAST USED", "HINT"];
    private static readonly string[] AuditColumns = ["EVENT ID", "TIME", "ACTION", "OUTCOME", "SERVICE ID", "CLIENT ID", "SECRET ID", "ACTOR", "ADDRESS", "TARGET"];
    private static readonly string[] KeyColumns = ["KEY ID", "CREATED", "CURRENT", "VALUES"];

    [Fact]
    public async Task a_rotation_with_a_grace_period_then_revoke_audit_and_key_rotation()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"ops"}""");
        var firstSecret = client.Secret;
        var env = Env(serviceId);

        // secret update --grace 600: the old secret stays valid for ten minutes.
        var updated = await RunAsync(env, "grace_Secret-2026\n", "secret", "update", "ops", "--grace", "600");
        Assert.True(updated.ExitCode == ExitCodes.Success, updated.ToString());
        Assert.Equal("A149001", updated.Field("resultCode"));
        Assert.Null(updated.Field("newClientSecret"));
        Assert.DoesNotContain(firstSecret, updated.Out + updated.Err, StringComparison.Ordinal);

        // secret list: current and previous, with times and hints, never a value.
        var listed = await RunAsync(env, null, "secret", "list", "ops");
        Assert.True(listed.ExitCode == ExitCodes.Success, listed.ToString());
        Assert.Equal("", listed.Err);
        var secrets = listed.Table(SecretColumns);
        Assert.Equal(["current", "previous"], secrets.Select(r => r["STATUS"]));
        Assert.Equal("never", secrets[0]["VALID UNTIL"]);
        Assert.Equal("", secrets[0]["HINT"]);
        Assert.Equal(firstSecret[..4], secrets[1]["HINT"]);
        var created = DateTimeOffset.Parse(secrets[0]["CREATED"], System.Globalization.CultureInfo.InvariantCulture);
        var graceEnds = DateTimeOffset.Parse(secrets[1]["VALID UNTIL"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange((graceEnds - created).TotalSeconds, 599, 601);
        Assert.EndsWith($"2 secrets of client {client.ClientId}\n", listed.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(firstSecret, listed.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("grace_Secret-2026", listed.Out, StringComparison.Ordinal);

        // secret revoke: the previous secret stops working now.
        var previousId = secrets[1]["SECRET ID"];
        var revoked = await RunAsync(env, null, "secret", "revoke", "ops", previousId, "--yes");
        Assert.True(revoked.ExitCode == ExitCodes.Success, revoked.ToString());
        Assert.Equal("A151001", revoked.Field("resultCode"));
        Assert.Equal(ResultCodes.SecretRevoked.Format(previousId, client.ClientId), revoked.Field("resultMessage"));
        var afterRevoke = (await RunAsync(env, null, "secret", "list", "ops")).Table(SecretColumns);
        Assert.Equal(["current", "revoked"], afterRevoke.Select(r => r["STATUS"]));

        // audit: the three changes of the client, newest first, by the organisation token.
        var audit = await RunAsync(env, null, "audit", "--client", $"{client.ClientId}");
        Assert.True(audit.ExitCode == ExitCodes.Success, audit.ToString());
        var events = audit.Table(AuditColumns);
        Assert.Equal([AuditActions.SecretRevoke, AuditActions.SecretUpdate, AuditActions.ClientCreate], events.Select(e => e["ACTION"]));
        Assert.All(events, e =>
        {
            Assert.Equal("success", e["OUTCOME"]);
            Assert.Equal("organisation", e["ACTOR"]);
            Assert.Equal($"{serviceId}", e["SERVICE ID"]);
            Assert.Equal($"{client.ClientId}", e["CLIENT ID"]);
        });
        Assert.Equal(previousId, events[0]["SECRET ID"]);
        Assert.EndsWith("3 of 3 audit events (start 0, end 5)\n", audit.Out, StringComparison.Ordinal);

        // keys rotate: a new current key seals every stored value.
        var rotated = await RekeyAsync("keys", "rotate", "--yes");
        Assert.True(rotated.ExitCode == ExitCodes.Success, rotated.ToString());
        Assert.Equal("A180001", rotated.Field("resultCode"));
        var reencrypted = long.Parse(rotated.Field("reencrypted") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(reencrypted >= 1, rotated.ToString()); // at least the client's current secret; every stored value of the server
        var keys = rotated.Table(KeyColumns);
        var current = Assert.Single(keys, k => k["CURRENT"] == "yes");
        Assert.Equal($"{reencrypted}", current["VALUES"]);
        Assert.All(keys.Where(k => k["CURRENT"] == "no"), k => Assert.Equal("0", k["VALUES"]));
        Assert.Contains($"re-encrypted {reencrypted} stored values, 0 remain under older keys", rotated.Field("resultMessage"), StringComparison.Ordinal);

        // And the secret still works after re-encryption: the current one is the updated one.
        var got = await RunAsync(env, null, "--json", "client", "get", "ops", "--show-secret");
        Assert.Equal("grace_Secret-2026", got.Json(RekeyJsonContext.Default.ClientDocument).ClientSecret);
    }

    [Fact]
    public async Task refresh_with_grace_0_revokes_the_old_secret_at_once_and_with_grace_keeps_it()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"refreshed"}""");
        var env = Env(serviceId);

        var kept = await RunAsync(env, null, "secret", "refresh", "refreshed", "--grace", "3600");
        Assert.True(kept.ExitCode == ExitCodes.Success, kept.ToString());
        Assert.Equal("A148001", kept.Field("resultCode"));
        Assert.Equal(["current", "previous"], (await RunAsync(env, null, "secret", "list", "refreshed")).Table(SecretColumns).Select(r => r["STATUS"]));

        var dropped = await RunAsync(env, null, "secret", "refresh", "refreshed", "--grace", "0");
        Assert.True(dropped.ExitCode == ExitCodes.Success, dropped.ToString());
        Assert.Equal(["current", "revoked", "previous"], (await RunAsync(env, null, "secret", "list", "refreshed")).Table(SecretColumns).Select(r => r["STATUS"]));
    }

    [Fact]
    public async Task json_of_the_new_commands_is_the_servers_shape_and_body()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"json-ops"}""");
        var env = Env(serviceId);
        await RunAsync(env, null, "secret", "refresh", "json-ops", "--grace", "60");

        var list = await RunAsync(env, null, "--json", "secret", "list", "json-ops");
        var secrets = list.Json(RekeyJsonContext.Default.ClientSecretListResponse);
        Assert.Equal("A150001", secrets.ResultCode);
        Assert.Equal(2, secrets.Secrets.Count);
        using (var admin = Host.CreateAdminClient())
        {
            Assert.Equal(await admin.GetStringAsync($"/api/{serviceId}/client/secret/list/json-ops") + "\n", list.Out);
        }

        var revoked = await RunAsync(env, null, "--json", "secret", "revoke", "json-ops", $"{secrets.Secrets[1].SecretId}", "--yes");
        Assert.Equal("A151001", revoked.Json(RekeyJsonContext.Default.ResultResponse).ResultCode);

        var audit = await RunAsync(env, null, "--json", "audit", "--client", $"{client.ClientId}", "--action", AuditActions.SecretRevoke);
        var events = audit.Json(RekeyJsonContext.Default.AuditListResponse);
        Assert.Equal(secrets.Secrets[1].SecretId, Assert.Single(events.Events).SecretId);

        var all = await RunAsync(Env(), null, "--json", "audit", "--all-services", "--action", AuditActions.ClientCreate, "--end", "1000");
        Assert.True(all.ExitCode == ExitCodes.Success, all.ToString());
        Assert.Contains(all.Json(RekeyJsonContext.Default.AuditListResponse).Events, e => e.ClientId == client.ClientId);

        var keys = await RekeyAsync("keys", "list", "--json");
        var listed = keys.Json(RekeyJsonContext.Default.DataKeysResponse);
        Assert.Equal("A181001", listed.ResultCode);
        Assert.Single(listed.Keys, k => k.Current);

        var reencrypted = await RekeyAsync("--json", "keys", "reencrypt");
        Assert.Equal("A180002", reencrypted.Json(RekeyJsonContext.Default.DataKeysResponse).ResultCode);

        var signing = await RunAsync(env, null, "--json", "signing-key", "rotate");
        Assert.Equal("A182001", signing.Json(RekeyJsonContext.Default.ResultResponse).ResultCode);

        foreach (var run in new[] { list, revoked, audit, all, keys, reencrypted, signing })
        {
            Assert.Equal("", run.Err);
            Assert.DoesNotContain(client.Secret, run.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task audit_of_all_services_ignores_the_service_and_shows_each_services_events()
    {
        var first = await Admin.CreateServiceAsync("""{"serviceName":"first"}""");
        var second = await Admin.CreateServiceAsync("""{"serviceName":"second"}""");
        var a = await Admin.CreateClientAsync(first);
        var b = await Admin.CreateClientAsync(second);

        var run = await RunAsync(Env(first), null, "audit", "--all-services", "--action", AuditActions.ClientCreate, "--end", "1000");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var events = run.Table(AuditColumns);
        Assert.Contains(events, e => e["SERVICE ID"] == $"{first}" && e["CLIENT ID"] == $"{a.ClientId}");
        Assert.Contains(events, e => e["SERVICE ID"] == $"{second}" && e["CLIENT ID"] == $"{b.ClientId}");
        Assert.All(events, e => Assert.Equal(AuditActions.ClientCreate, e["ACTION"]));
    }

    [Fact]
    public async Task audit_with_an_audit_read_token_shows_its_service_and_names_tokens_by_id()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"watched"}""");
        var created = await RekeyAsync("--json", "apitoken", "create", "--service", $"{serviceId}", "--permission", "audit.read", "--permission", "client.secret.write");
        var token = created.Json(RekeyJsonContext.Default.ApiTokenInfo);
        var auditor = new Dictionary<string, string?>(Env(serviceId)) { ["REKEY_TOKEN"] = token.Token };
        Assert.Equal(ExitCodes.Success, (await RunAsync(auditor, null, "secret", "refresh", "watched")).ExitCode);

        var run = await RunAsync(auditor, null, "audit", "--client", $"{client.ClientId}", "--action", AuditActions.SecretRefresh);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal($"token {token.TokenId}", Assert.Single(run.Table(AuditColumns))["ACTOR"]);
        Assert.DoesNotContain(token.Token ?? "", run.Out, StringComparison.Ordinal);

        var organisation = await RunAsync(auditor, null, "audit", "--all-services");
        Assert.Equal(ExitCodes.Refused, organisation.ExitCode);
        Assert.Equal($"error: A000203 {ResultCodes.PermissionDenied.Format(Permissions.Admin)}\n", organisation.Err);
    }

    [Fact]
    public async Task keys_list_and_signing_key_rotate_in_human_form()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var keys = await RekeyAsync("keys", "list");
        Assert.True(keys.ExitCode == ExitCodes.Success, keys.ToString());
        Assert.Equal("A181001", keys.Field("resultCode"));
        Assert.Null(keys.Field("reencrypted"));
        Assert.Single(keys.Table(KeyColumns), k => k["CURRENT"] == "yes");

        var signing = await RunAsync(Env(serviceId), null, "signing-key", "rotate");
        Assert.True(signing.ExitCode == ExitCodes.Success, signing.ToString());
        Assert.Equal("A182001", signing.Field("resultCode"));
        Assert.StartsWith($"[A182001] Rotated the signing key of the service {serviceId}; new key ID ", signing.Field("resultMessage"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task refusals_exit_1_with_the_servers_code()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"strict"}""");
        var env = Env(serviceId);
        var current = (await RunAsync(env, null, "--json", "secret", "list", "strict")).Json(RekeyJsonContext.Default.ClientSecretListResponse).Secrets[0];

        var revokeCurrent = await RunAsync(env, null, "secret", "revoke", "strict", $"{current.SecretId}", "--yes");
        Assert.Equal(ExitCodes.Refused, revokeCurrent.ExitCode);
        Assert.Equal("", revokeCurrent.Out);
        Assert.Equal($"error: A151201 {ResultCodes.CannotRevokeCurrentSecret.Format(current.SecretId)}\n", revokeCurrent.Err);

        var unknown = await RunAsync(env, null, "secret", "revoke", "strict", "999999999", "--yes");
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        Assert.StartsWith("error: A151202 ", unknown.Err, StringComparison.Ordinal);

        var badAction = await RunAsync(env, null, "audit", "--action", "client.secret.steal");
        Assert.Equal(ExitCodes.Refused, badAction.ExitCode);
        Assert.Equal($"error: A170201 {ResultCodes.InvalidAuditAction.Format(string.Join(", ", AuditActions.All))}\n", badAction.Err);

        var negativeGrace = await RunAsync(env, null, "secret", "refresh", "strict", "--grace", "-1");
        Assert.Equal(ExitCodes.Usage, negativeGrace.ExitCode);
        Assert.StartsWith("error: usage --grace must be a whole number of seconds", negativeGrace.Err, StringComparison.Ordinal);

        var badGrace = await RunAsync(env, null, "secret", "refresh", "strict", "--grace", "31d");
        Assert.Equal(ExitCodes.Refused, badGrace.ExitCode);
        Assert.StartsWith("error: A149206 ", badGrace.Err, StringComparison.Ordinal);

        var created = await RekeyAsync("--json", "apitoken", "create", "--service", $"{serviceId}", "--permission", "service.read");
        var reader = new Dictionary<string, string?>(env) { ["REKEY_TOKEN"] = created.Json(RekeyJsonContext.Default.ApiTokenInfo).Token };
        foreach (var args in new[] { new[] { "keys", "rotate", "--yes" }, ["keys", "reencrypt"], ["keys", "list"], ["signing-key", "rotate"], ["audit"] })
        {
            var denied = await RunAsync(reader, null, args);
            Assert.True(denied.ExitCode == ExitCodes.Refused, denied.ToString());
            Assert.StartsWith("error: A000203 ", denied.Err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task audit_for_a_client_given_by_its_alias_lists_that_clients_events_by_id()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"audited","clientIdAlias":"audited"}""");
        var other = await Admin.CreateClientAsync(serviceId, """{"clientName":"other","clientIdAlias":"other"}""");
        Assert.Equal(ExitCodes.Success, (await RunAsync(Env(serviceId), null, "secret", "refresh", "audited")).ExitCode);
        Assert.Equal(ExitCodes.Success, (await RunAsync(Env(serviceId), null, "secret", "refresh", "other")).ExitCode);

        var run = await RunAsync(Env(serviceId), null, "--json", "audit", "--client", "audited");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var events = run.Json(RekeyJsonContext.Default.AuditListResponse).Events;
        Assert.Equal([AuditActions.SecretRefresh, AuditActions.ClientCreate], events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal(client.ClientId, e.ClientId));
        Assert.DoesNotContain(events, e => e.ClientId == other.ClientId);
    }

    [Fact]
    public async Task audit_for_an_unknown_alias_is_refused_by_the_server_and_an_alias_across_services_is_a_usage_error()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var unknown = await RunAsync(Env(serviceId), null, "audit", "--client", "nobody");
        Assert.True(unknown.ExitCode == ExitCodes.Refused, unknown.ToString());
        Assert.Equal("", unknown.Out);

        var across = await RunAsync(Env(serviceId), null, "audit", "--all-services", "--client", "billing");
        Assert.Equal(ExitCodes.Usage, across.ExitCode);
        Assert.StartsWith("error: usage --client 'billing' is an alias", across.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task signing_key_rotate_and_list_show_each_keys_status_and_schedule()
    {
        var serviceId = await Admin.CreateServiceAsync();
        using (var anonymous = Host.CreateClient())
        {
            // The first key appears with the first JWKS request.
            (await anonymous.GetAsync($"/oauth2/{serviceId}/jwks")).EnsureSuccessStatusCode();
        }

        var rotated = await RunAsync(Env(serviceId), null, "signing-key", "rotate");
        Assert.True(rotated.ExitCode == ExitCodes.Success, rotated.ToString());
        Assert.Contains("A182001", rotated.Out, StringComparison.Ordinal);

        var list = await RunAsync(Env(serviceId), null, "signing-key", "list");
        Assert.True(list.ExitCode == ExitCodes.Success, list.ToString());
        var rows = list.Table("KEY ID", "STATUS", "PUBLISHED", "ACTIVATES", "RETIRES");
        Assert.Equal(["published", "active"], rows.Select(r => r["STATUS"]));
        Assert.All(rows, r => Assert.Matches(@"^\d{4}-\d\d-\d\dT", r["ACTIVATES"]));

        var again = await RunAsync(Env(serviceId), null, "signing-key", "rotate");
        Assert.True(again.ExitCode == ExitCodes.Refused, again.ToString());
        Assert.StartsWith("error: A182201 ", again.Err, StringComparison.Ordinal);
    }
}
