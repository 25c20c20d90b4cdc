using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rekey.Contracts;

namespace Rekey.Tests.Security;

/// <summary>
/// Leaked secrets end to end (docs/leaks.md): the identifiable format of generated secrets, reports through /api and
/// through GitHub's signed partner endpoint, and each leak response as the token endpoint's verification sees it.
/// Every test makes its own services on the class's store, with servers of its own that trust a GitHub key pair the
/// test holds.
/// </summary>
public abstract class LeakReportSuite(TestStore classStore) : SecuritySuite
{
    private const string KeyId = "test-github-key-1";

    /// <summary>A client the token endpoint serves (client credentials, HTTP Basic).</summary>
    private const string OAuthClient = """{"clientName":"leaky","grantTypes":["CLIENT_CREDENTIALS"],"tokenAuthMethod":"CLIENT_SECRET_BASIC"}""";

    /// <summary>The key pair standing in for GitHub's: the server is configured with its public half.</summary>
    private static readonly ECDsa GitHubKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static readonly ECDsa OtherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private async Task<(RekeyHost Host, HttpClient Admin)> StartWithGitHubAsync(IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Rekey:Leaks:GitHub:PublicKeys:0:KeyIdentifier"] = KeyId,
            ["Rekey:Leaks:GitHub:PublicKeys:0:Key"] = GitHubKey.ExportSubjectPublicKeyInfoPem(),
        };
        foreach (var (k, v) in more ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        var host = await StartAsync(classStore, settings: settings);
        return (host, host.CreateAdminClient());
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> ReportAsync(HttpClient caller, long? serviceId, string value, string? url = "https://github.com/acme/app/blob/main/.env")
    {
        var body = new JsonObject { ["clientSecret"] = value };
        if (url is not null)
        {
            body["url"] = url;
        }

        var path = serviceId is { } sid ? $"/api/{sid}/client/secret/leak" : "/api/client/secret/leak";
        var reply = await caller.SendForReplyAsync(HttpMethod.Post, path, Wire.Json(body.ToJsonString()));
        return (reply.Status, reply.Json);
    }

    private static async Task<bool> LockedAsync(HttpClient admin, long serviceId, long clientId)
    {
        var reply = await admin.SendForReplyAsync(HttpMethod.Get, $"/api/{serviceId}/client/get/{clientId}");
        return reply.Json["locked"]?.GetValue<bool>() ?? false;
    }

    private static async Task<IReadOnlyList<AuditEvent>> AuditAsync(HttpClient admin, long serviceId, string action)
    {
        var reply = await admin.SendForReplyAsync(HttpMethod.Get, $"/api/{serviceId}/audit/get/list?action={action}");
        return reply.Json.Deserialize(RekeyJsonContext.Default.AuditListResponse)!.Events;
    }

    private static string Sign(ECDsa key, byte[] body) =>
        Convert.ToBase64String(key.SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    private static async Task<(HttpStatusCode Status, string Body)> PostGitHubAsync(RekeyHost host, byte[] body, string? keyId = KeyId, string? signature = null)
    {
        using var http = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/leaks/github") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (keyId is not null)
        {
            request.Headers.Add("Github-Public-Key-Identifier", keyId);
            request.Headers.Add("Github-Public-Key-Signature", signature ?? Sign(GitHubKey, body));
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static byte[] GitHubBatch(params string[] tokens) =>
        Encoding.UTF8.GetBytes(new JsonArray([.. tokens.Select(t => (JsonNode)new JsonObject
        {
            ["token"] = t,
            ["type"] = "rekey_client_secret",
            ["url"] = "https://github.com/acme/app/blob/0123abc/config.yml",
            ["source"] = "content",
        })]).ToJsonString());

    // ---- the format ----------------------------------------------------------------------------------

    [Fact]
    public async Task a_service_in_the_identifiable_format_generates_recognisable_secrets_everywhere_and_still_accepts_chosen_ones()
    {
        var (_, admin) = await StartWithGitHubAsync();
        var sid = await admin.CreateServiceAsync("""{"serviceName":"identifiable","clientSecretFormat":"IDENTIFIABLE"}""");
        var plain = await admin.CreateServiceAsync();
        var regex = new Regex(IdentifiableSecret.ExactPattern());

        var (clientId, created) = await admin.CreateClientAsync(sid);

        // The hint of an identifiable secret is its prefix and the four characters after it: "rks_" alone tells nothing.
        Assert.Equal(created[..8], Sec.Text((await admin.ListSecretsAsync(sid, clientId))[0], "hint"));
        var refreshed = await admin.RefreshSecretAsync(sid, clientId);
        var chosen = await admin.UpdateSecretAsync(sid, clientId, "my-own_choice");
        var (_, other) = await admin.CreateClientAsync(plain);

        Assert.All(new[] { created, refreshed }, s =>
        {
            Assert.Matches(regex, s);
            Assert.True(IdentifiableSecret.IsValid(s));
            Assert.Null(ClientSecretRules.Check(s));
        });
        Assert.Equal("my-own_choice", chosen);

        Assert.Equal(86, other.Length);
        Assert.False(IdentifiableSecret.IsValid(other));

        // The setting is an extension property: an Authlete SDK's update without it keeps it.
        var update = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/service/update", Wire.Json("""{"serviceName":"renamed"}"""));
        Assert.Equal(HttpStatusCode.OK, update.Status);
        Assert.Equal("IDENTIFIABLE", update.Json["clientSecretFormat"]?.GetValue<string>());
        Assert.True(IdentifiableSecret.IsValid(await admin.RefreshSecretAsync(sid, clientId)));
    }

    [Theory]
    [InlineData("""{"serviceName":"x","clientSecretFormat":"identifiable"}""", "A110209")]
    [InlineData("""{"serviceName":"x","clientSecretFormat":"GITHUB"}""", "A110209")]
    [InlineData("""{"serviceName":"x","leakResponse":"DELETE"}""", "A110210")]
    [InlineData("""{"serviceName":"x","leakResponse":7}""", "A000213")]
    public async Task a_bad_format_or_leak_response_setting_is_refused_and_creates_nothing(string json, string code)
    {
        var (_, admin) = await StartWithGitHubAsync();
        var before = (await admin.SendForReplyAsync(HttpMethod.Get, "/api/service/get/list")).Json["totalCount"]!.GetValue<long>();

        var reply = await admin.SendForReplyAsync(HttpMethod.Post, "/api/service/create", Wire.Json(json));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal(code, reply.Str("resultCode"));
        Assert.Equal(before, (await admin.SendForReplyAsync(HttpMethod.Get, "/api/service/get/list")).Json["totalCount"]!.GetValue<long>());
    }

    [Fact]
    public async Task the_format_is_served_with_the_regular_expressions_of_the_deployment_prefix()
    {
        var (_, admin) = await StartWithGitHubAsync(new Dictionary<string, string?> { ["Rekey:Leaks:SecretPrefix"] = "acme_rks_" });
        var sid = await admin.CreateServiceAsync("""{"serviceName":"acme","clientSecretFormat":"IDENTIFIABLE"}""");
        var (clientId, secret) = await admin.CreateClientAsync(sid);

        var reply = await admin.SendForReplyAsync(HttpMethod.Get, "/api/secret-format");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("A153001", reply.Str("resultCode"));
        Assert.Equal("acme_rks_", reply.Str("prefix"));
        Assert.Equal(58, reply.Json["length"]!.GetValue<int>());
        Assert.StartsWith("acme_rks_", secret, StringComparison.Ordinal);
        Assert.True(IdentifiableSecret.IsValid(secret, "acme_rks_"));
        Assert.Matches(new Regex(reply.Str("regex")), $"CLIENT_SECRET={secret}\n");
        Assert.Matches(new Regex("^" + reply.Str("plainRegex") + "$"), secret);
        Assert.DoesNotMatch(new Regex(reply.Str("regex")), "x" + secret);
        Assert.True(IdentifiableSecret.IsValid(await admin.RefreshSecretAsync(sid, clientId), "acme_rks_"));
    }

    // ---- reports through /api ------------------------------------------------------------------------

    [Fact]
    public async Task a_reported_current_secret_stops_working_at_once_the_client_is_locked_and_a_new_secret_nobody_has_replaces_it()
    {
        var (host, admin) = await StartWithGitHubAsync();
        var sid = await admin.CreateServiceAsync("""{"serviceName":"revoke","clientSecretGracePeriod":3600}""");
        var (clientId, leaked) = await admin.CreateClientAsync(sid, OAuthClient);
        var (leakedStatus, _) = await host.CreateClient().SendTokenRequestAsync(sid, clientId, leaked);
        Assert.Equal(HttpStatusCode.OK, leakedStatus);
        var (neighbourId, neighbour) = await admin.CreateClientAsync(sid);
        Assert.True(await host.VerifiesAsync(sid, clientId, leaked));

        var (status, body) = await ReportAsync(admin, sid, leaked);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("A152001", Sec.Code(body));
        var match = Assert.Single(body["matches"]!.AsArray())!;
        Assert.Equal(clientId, match["clientId"]!.GetValue<long>());
        Assert.Equal("current", Sec.Text(match, "status"));
        Assert.Equal("REVOKE", Sec.Text(match, "response"));
        Assert.True(match["clientLocked"]!.GetValue<bool>());
        var replacement = match["replacementSecretId"]!.GetValue<long>();

        // No grace period for a leaked secret, whatever the service's; the client is locked until an operator unlocks it.
        Assert.False(await host.VerifiesAsync(sid, clientId, leaked));
        Assert.True(await LockedAsync(admin, sid, clientId));
        var secrets = await admin.ListSecretsAsync(sid, clientId);
        Assert.Equal(replacement, secrets[0]!["secretId"]!.GetValue<long>());
        Assert.Equal(["current", "revoked"], secrets.Select(s => Sec.Text(s, "status")));
        var (tokenStatus, _) = await host.CreateClient().SendTokenRequestAsync(sid, clientId, leaked);
        Assert.Equal(HttpStatusCode.Unauthorized, tokenStatus);

        // The neighbour is untouched; the owner gets a secret again by unlocking and refreshing.
        Assert.True(await host.VerifiesAsync(sid, neighbourId, neighbour));
        Assert.False(await LockedAsync(admin, sid, neighbourId));
        await admin.LockClientAsync(sid, clientId, locked: false);
        var fresh = await admin.RefreshSecretAsync(sid, clientId);
        var (freshStatus, _) = await host.CreateClient().SendTokenRequestAsync(sid, clientId, fresh);
        Assert.Equal(HttpStatusCode.OK, freshStatus);

        var audit = Assert.Single(await AuditAsync(admin, sid, AuditActions.SecretLeak));
        Assert.Equal("success", audit.Outcome);
        Assert.Equal(clientId, audit.ClientId);
        Assert.Equal("https://github.com/acme/app/blob/main/.env", audit.Target);
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(leaked, StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.Contains($"Leaked secret", StringComparison.Ordinal) && l.Contains($"client {clientId}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_reported_previous_secret_is_revoked_and_the_current_one_keeps_working_unlocked()
    {
        var (host, admin) = await StartWithGitHubAsync();
        var sid = await admin.CreateServiceAsync("""{"serviceName":"previous","clientSecretGracePeriod":3600}""");
        var (clientId, old) = await admin.CreateClientAsync(sid);
        var current = await admin.UpdateSecretAsync(sid, clientId, TestApi.NewSecret(48));
        Assert.True(await host.VerifiesAsync(sid, clientId, old));

        var (_, body) = await ReportAsync(admin, sid, old, url: null);

        Assert.Equal("A152001", Sec.Code(body));
        var match = Assert.Single(body["matches"]!.AsArray())!;
        Assert.Equal("previous", Sec.Text(match, "status"));
        Assert.Null(match["replacementSecretId"]);
        Assert.False(match["clientLocked"]!.GetValue<bool>());
        Assert.False(await host.VerifiesAsync(sid, clientId, old));
        Assert.True(await host.VerifiesAsync(sid, clientId, current));
        Assert.False(await LockedAsync(admin, sid, clientId));
        Assert.Equal(["current", "revoked"], (await admin.ListSecretsAsync(sid, clientId)).Select(s => Sec.Text(s, "status")));

        // Reported again: it is no live secret any more, and nothing changes.
        var (_, again) = await ReportAsync(admin, sid, old);
        Assert.Equal("A152003", Sec.Code(again));
        Assert.Empty(again["matches"]!.AsArray());
        Assert.True(await host.VerifiesAsync(sid, clientId, current));
    }

    [Fact]
    public async Task lock_locks_the_client_and_keeps_its_secrets_and_notify_changes_nothing_but_the_record_and_the_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (host, admin) = await StartWithGitHubAsync(new Dictionary<string, string?> { ["Rekey:Webhooks:AllowPrivateNetworks"] = "true" });
        var locking = await admin.CreateServiceAsync("""{"serviceName":"lock","leakResponse":"LOCK"}""");
        var notifying = await admin.CreateServiceAsync("""{"serviceName":"notify","leakResponse":"NOTIFY"}""");
        await admin.CreateWebhookAsync(notifying, receiver.Url);
        var (lockedId, lockedSecret) = await admin.CreateClientAsync(locking, OAuthClient);
        var (notifiedId, notifiedSecret) = await admin.CreateClientAsync(notifying);

        var (_, lockAnswer) = await ReportAsync(admin, locking, lockedSecret);
        var (_, notifyAnswer) = await ReportAsync(admin, notifying, notifiedSecret, url: "https://pastebin.example/raw/abc");

        Assert.Equal("LOCK", Sec.Text(lockAnswer["matches"]![0], "response"));
        Assert.True(await LockedAsync(admin, locking, lockedId));
        Assert.Equal(lockedSecret, await admin.CurrentSecretAsync(locking, lockedId));
        var (lockedToken, _) = await host.CreateClient().SendTokenRequestAsync(locking, lockedId, lockedSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, lockedToken);

        Assert.Equal("NOTIFY", Sec.Text(notifyAnswer["matches"]![0], "response"));
        Assert.False(notifyAnswer["matches"]![0]!["clientLocked"]!.GetValue<bool>());
        Assert.False(await LockedAsync(admin, notifying, notifiedId));
        Assert.Equal(notifiedSecret, await admin.CurrentSecretAsync(notifying, notifiedId));
        Assert.True(await host.VerifiesAsync(notifying, notifiedId, notifiedSecret));
        Assert.Single(await AuditAsync(admin, notifying, AuditActions.SecretLeak));

        var leakedEvent = await receiver.WaitForEventAsync(EventTypes.SecretLeaked, notifiedId);
        Assert.Equal("current", leakedEvent.Data["secretStatus"]!.GetValue<string>());
        Assert.Equal("NOTIFY", leakedEvent.Data["response"]!.GetValue<string>());
        Assert.Equal("https://pastebin.example/raw/abc", leakedEvent.Data["sourceUrl"]!.GetValue<string>());
        Assert.False(Sec.ContainsText(leakedEvent.Body, notifiedSecret), "the event carries the secret");
    }

    [Fact]
    public async Task a_report_only_token_gets_the_same_answer_for_a_secret_and_for_anything_else()
    {
        var (host, admin) = await StartWithGitHubAsync();
        var sid = await admin.CreateServiceAsync("""{"serviceName":"uniform","leakResponse":"NOTIFY"}""");
        var (_, secret) = await admin.CreateClientAsync(sid);
        var reporter = host.CreateClient((await admin.CreateApiTokenAsync(sid, Permissions.ClientSecretLeak)).Token);
        var writer = host.CreateClient((await admin.CreateApiTokenAsync(sid, Permissions.ClientSecretWrite)).Token);
        var reader = host.CreateClient((await admin.CreateApiTokenAsync(sid, Permissions.ClientRead)).Token);

        var known = await ReportAsync(reporter, sid, secret);
        var unknown = await ReportAsync(reporter, sid, TestApi.NewSecret(86));

        Assert.Equal(HttpStatusCode.OK, known.Status);
        Assert.Equal(known.Body.ToJsonString(), unknown.Body.ToJsonString());
        Assert.Equal("A152002", Sec.Code(known.Body));
        Assert.Equal(["resultCode", "resultMessage"], known.Body.Select(p => p.Key).Order(StringComparer.Ordinal));

        // client.secret.write includes the right to report, and to be told.
        Assert.Equal("A152001", Sec.Code((await ReportAsync(writer, sid, secret)).Body));
        Assert.Equal("A152003", Sec.Code((await ReportAsync(writer, sid, TestApi.NewSecret(86))).Body));
        var (refused, refusal) = await ReportAsync(reader, sid, secret);
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Equal("A000203", Sec.Code(refusal));
    }

    [Fact]
    public async Task a_service_sees_only_its_own_secrets_and_the_organisation_route_finds_the_value_in_any_service()
    {
        var (host, admin) = await StartWithGitHubAsync();
        var a = await admin.CreateServiceAsync();
        var b = await admin.CreateServiceAsync();
        var (clientId, secret) = await admin.CreateClientAsync(b);
        var tokenOfA = host.CreateClient((await admin.CreateApiTokenAsync(a, Permissions.ClientSecretWrite)).Token);

        Assert.Equal("A152003", Sec.Code((await ReportAsync(tokenOfA, a, secret)).Body));
        Assert.Equal(HttpStatusCode.Forbidden, (await ReportAsync(tokenOfA, b, secret)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await ReportAsync(tokenOfA, null, secret)).Status);
        Assert.True(await host.VerifiesAsync(b, clientId, secret));

        var (status, body) = await ReportAsync(admin, null, secret);

        Assert.Equal(HttpStatusCode.OK, status);
        var match = Assert.Single(body["matches"]!.AsArray())!;
        Assert.Equal(b, match["serviceId"]!.GetValue<long>());
        Assert.False(await host.VerifiesAsync(b, clientId, secret));
    }

    [Theory]
    [InlineData("""{}""", HttpStatusCode.BadRequest, "A149201")]
    [InlineData("""{"clientSecret":42}""", HttpStatusCode.BadRequest, "A149202")]
    [InlineData("""{"clientSecret":"has space"}""", HttpStatusCode.BadRequest, "A149205")]
    [InlineData("""{"clientSecret":"SECRET","url":5}""", HttpStatusCode.BadRequest, "A152201")]
    [InlineData("""{"clientSecret":"SECRET","url":"https://x/\u0007"}""", HttpStatusCode.BadRequest, "A152201")]
    [InlineData("""[1]""", HttpStatusCode.BadRequest, "A000208")]
    [InlineData("""{"clientSecret":""", HttpStatusCode.BadRequest, "A000205")]
    public async Task a_malformed_report_is_refused_with_its_code_and_changes_nothing(string json, HttpStatusCode status, string code)
    {
        var (host, admin) = await StartWithGitHubAsync();
        var sid = await admin.CreateServiceAsync();
        var (clientId, secret) = await admin.CreateClientAsync(sid);
        var body = json.Replace("SECRET", secret, StringComparison.Ordinal);

        var reply = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/client/secret/leak", Wire.Json(body));

        Assert.Equal(status, reply.Status);
        Assert.Equal(code, reply.Str("resultCode"));
        Assert.True(await host.VerifiesAsync(sid, clientId, secret));
        Assert.False(await LockedAsync(admin, sid, clientId));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task secrets_stored_before_lookups_existed_are_found_once_a_server_has_started_on_the_upgraded_database()
    {
        var (first, admin) = await StartWithGitHubAsync();
        var sid = await admin.CreateServiceAsync("""{"serviceName":"upgraded","leakResponse":"NOTIFY"}""");
        var (clientId, secret) = await admin.CreateClientAsync(sid);
        await StopAsync(first);

        // As a database of the release before: no lookup row for this client.
        Assert.Equal(1, await Access.ExecuteAsync(classStore, $"DELETE FROM secret_lookups WHERE client_id = {clientId}"));
        var (host, again) = await StartWithGitHubAsync();

        // The backfill runs as the server starts, in the background: the report finds the secret once it has run.
        await Waits.UntilAsync(async () => Sec.Code((await ReportAsync(again, sid, secret)).Body) == "A152001", "the backfilled lookup");
        // The backfill logs what it wrote after it committed it: the report may have found the secret in between.
        await Waits.UntilAsync(() => host.Logs.Lines.Any(l => l.Contains("Lookup digests written for the current secrets of", StringComparison.Ordinal)), "the backfill's log line");
    }

    // ---- GitHub's partner endpoint ---------------------------------------------------------------------

    [Fact]
    public async Task a_signed_github_batch_gets_true_and_false_positive_labels_and_a_replay_changes_nothing()
    {
        var (host, admin) = await StartWithGitHubAsync();
        var sid = await admin.CreateServiceAsync("""{"serviceName":"github","clientSecretFormat":"IDENTIFIABLE"}""");
        var (clientId, leaked) = await admin.CreateClientAsync(sid);
        var lookalike = IdentifiableSecret.Generate();
        var batch = GitHubBatch(leaked, lookalike, "not a secret at all");

        var (status, text) = await PostGitHubAsync(host, batch);

        Assert.Equal(HttpStatusCode.OK, status);
        var feedback = JsonNode.Parse(text)!.AsArray();
        Assert.Equal(["true_positive", "false_positive", "false_positive"], feedback.Select(f => Sec.Text(f, "label")));
        Assert.Equal(leaked, Sec.Text(feedback[0], "token_raw"));
        Assert.Equal("rekey_client_secret", Sec.Text(feedback[0], "token_type"));
        Assert.False(await host.VerifiesAsync(sid, clientId, leaked));
        Assert.True(await LockedAsync(admin, sid, clientId));
        var audit = Assert.Single(await AuditAsync(admin, sid, AuditActions.SecretLeak));
        Assert.Equal("github", audit.ActorKind);
        var replacement = await admin.CurrentSecretIdAsync(sid, clientId);

        // The same signed bytes again: answered as before, nothing done again (no second replacement, no second event).
        var (replayStatus, replayText) = await PostGitHubAsync(host, batch);

        Assert.Equal(HttpStatusCode.OK, replayStatus);
        Assert.Equal(text, replayText);
        Assert.Equal(replacement, await admin.CurrentSecretIdAsync(sid, clientId));
        Assert.Single(await AuditAsync(admin, sid, AuditActions.SecretLeak));
    }

    [Fact]
    public async Task unsigned_mis_signed_tampered_and_unknown_key_reports_are_refused_before_anything_is_looked_up()
    {
        var (host, admin) = await StartWithGitHubAsync();
        var sid = await admin.CreateServiceAsync();
        var (clientId, secret) = await admin.CreateClientAsync(sid);
        var batch = GitHubBatch(secret);
        var tampered = GitHubBatch(secret);
        tampered[^3] ^= 0x01;

        var attempts = new (byte[] Body, string? KeyId, string? Signature)[]
        {
            (batch, null, null),
            (batch, KeyId, Sign(OtherKey, batch)),
            (tampered, KeyId, Sign(GitHubKey, batch)),
            (batch, "unknown-key", Sign(GitHubKey, batch)),
            (batch, KeyId, "bm90IGEgc2lnbmF0dXJl"),
            (batch, KeyId, "%%% not base64"),
        };
        foreach (var (body, keyId, signature) in attempts)
        {
            var (status, text) = await PostGitHubAsync(host, body, keyId, signature);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal("A154201", Sec.Code(JsonNode.Parse(text)!.AsObject()));
        }

        Assert.True(await host.VerifiesAsync(sid, clientId, secret));
        Assert.False(await LockedAsync(admin, sid, clientId));
        Assert.Empty(await AuditAsync(admin, sid, AuditActions.SecretLeak));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("""[{"type":"x"}]""")]
    [InlineData("""[{"token":5}]""")]
    [InlineData("""not json""")]
    public async Task a_signed_body_that_is_not_a_report_is_refused(string json)
    {
        var (host, _) = await StartWithGitHubAsync();
        var body = Encoding.UTF8.GetBytes(json);

        var (status, text) = await PostGitHubAsync(host, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("A154202", Sec.Code(JsonNode.Parse(text)!.AsObject()));
    }

    [Fact]
    public async Task an_oversized_or_non_json_github_report_is_refused_and_changes_nothing()
    {
        var (host, admin) = await StartWithGitHubAsync(new Dictionary<string, string?> { ["Rekey:Leaks:GitHub:MaxMatches"] = "1" });
        var sid = await admin.CreateServiceAsync();
        var (clientId, secret) = await admin.CreateClientAsync(sid);

        // Over 4096 bytes per allowed match: refused before the signature is even looked at.
        var (tooLarge, tooLargeText) = await PostGitHubAsync(host, Encoding.UTF8.GetBytes(new string(' ', 5000)), keyId: null);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge);
        Assert.Equal("A000207", Sec.Code(JsonNode.Parse(tooLargeText)!.AsObject()));

        // Correctly signed, but not JSON by its content type.
        var batch = GitHubBatch(secret);
        using var http = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/leaks/github") { Content = new ByteArrayContent(batch) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        request.Headers.Add("Github-Public-Key-Identifier", KeyId);
        request.Headers.Add("Github-Public-Key-Signature", Sign(GitHubKey, batch));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);

        Assert.True(await host.VerifiesAsync(sid, clientId, secret));
        Assert.False(await LockedAsync(admin, sid, clientId));
    }

    [Fact]
    public async Task without_configured_keys_the_github_endpoint_is_off()
    {
        var host = await StartAsync(classStore);
        var body = GitHubBatch("x");

        var (status, text) = await PostGitHubAsync(host, body);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("A154203", Sec.Code(JsonNode.Parse(text)!.AsObject()));
    }
}

public sealed class SqliteLeakReportTests(ClassStore<SqliteAccess> store) : LeakReportSuite(store.Store), IClassFixture<ClassStore<SqliteAccess>>
{
    protected override StoreAccess Access { get; } = new SqliteAccess();
}

[RequiresPostgres]
public sealed class PostgresLeakReportTests(ClassStore<PostgresStoreAccess> store) : LeakReportSuite(store.Store), IClassFixture<ClassStore<PostgresStoreAccess>>
{
    protected override StoreAccess Access { get; } = new PostgresStoreAccess();
}
