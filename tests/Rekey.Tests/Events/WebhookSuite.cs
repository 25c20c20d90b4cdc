using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Sdk.Webhooks;

namespace Rekey.Tests.Events;

/// <summary>
/// Lifecycle events end to end, on a real server and a real receiver (Kestrel on loopback): each change's event arrives
/// once, signed per Standard Webhooks (every signature verified), in the per-client order its sequence numbers give;
/// a receiver that is down gets the event later; expiry warnings come before the expiry.
/// </summary>
public abstract class WebhookSuite(WebhookServerFixture fixture) : IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    protected RekeyHost Host => fixture.Host;

    protected HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        Admin = Host.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await _receiver.DisposeAsync();
    }

    private async Task<(long ServiceId, long WebhookId, string Secret)> ServiceWithWebhookAsync(string serviceJson = """{"serviceName":"events"}""", string? events = null)
    {
        var serviceId = await Admin.CreateServiceAsync(serviceJson);
        var created = await Admin.PostJsonForReplyAsync($"/api/{serviceId}/webhook/create",
            $$"""{"url":"{{_receiver.Url}}/{{serviceId}}","description":"test receiver"{{(events is null ? "" : ",\"events\":" + events)}}}""");
        Assert.True(created.Status == HttpStatusCode.OK, created.ToString());
        var secret = created.Str("secret");
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        return (serviceId, created.Int("webhookId"), secret);
    }

    private IEnumerable<ReceivedWebhook> ReceivedFor(long serviceId) => _receiver.Received.Where(r => r.Path == $"/hooks/{serviceId}");

    private static void AssertSigned(ReceivedWebhook received, params string[] secrets)
    {
        var verified = secrets.Any(secret => new WebhookVerifier(secret).Verify(received.Id, received.Timestamp, received.Signature, received.Body, DateTimeOffset.UtcNow));
        Assert.True(verified, $"The signature of {received.Id} does not verify: {received.Signature}");
        Assert.Equal(received.Id, received.Data["eventId"]!.GetValue<string>());
    }

    [Fact]
    public async Task rotate_revoke_lock_and_unlock_arrive_once_each_signed_and_numbered_in_order()
    {
        var (serviceId, _, secret) = await ServiceWithWebhookAsync("""{"serviceName":"events","clientSecretGracePeriod":3600}""");
        var client = await Admin.CreateClientAsync(serviceId);
        var oldSecretId = await Admin.CurrentSecretIdAsync(serviceId, client.ClientId);
        var newSecret = TestApi.NewSecret();
        await Admin.UpdateSecretAsync(serviceId, client.ClientId, newSecret);
        await Admin.RevokeSecretAsync(serviceId, client.ClientId, oldSecretId);
        await Admin.LockClientAsync(serviceId, client.ClientId);
        await Admin.LockClientAsync(serviceId, client.ClientId, locked: false);

        string[] expected = [EventTypes.ClientCreated, EventTypes.SecretUpdated, EventTypes.SecretRevoked, EventTypes.ClientLocked, EventTypes.ClientUnlocked];
        await _receiver.WaitForEventAsync(EventTypes.ClientUnlocked, client.ClientId);
        await Task.Delay(500); // anything sent twice would have arrived by now
        var events = ReceivedFor(serviceId).Where(r => r.Data["clientId"]?.GetValue<long>() == client.ClientId).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), events.Select(e => e.Type).Order(StringComparer.Ordinal));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(expected, events.OrderBy(e => e.Data["sequence"]!.GetValue<long>()).Select(e => e.Type));
        Assert.Equal([1L, 2, 3, 4, 5], events.Select(e => e.Data["sequence"]!.GetValue<long>()).Order());
        foreach (var e in events)
        {
            AssertSigned(e, secret);
            Assert.Equal(serviceId, e.Data["serviceId"]!.GetValue<long>());
            Assert.NotNull(e.Data["auditEventId"]);
            Assert.True(DateTimeOffset.TryParse(e.Json["timestamp"]!.GetValue<string>(), out _));
            // No secret value in any event; the hint of the new secret only.
            Assert.DoesNotContain(newSecret, Encoding.UTF8.GetString(e.Body), StringComparison.Ordinal);
            Assert.DoesNotContain(client.Secret, Encoding.UTF8.GetString(e.Body), StringComparison.Ordinal);
        }

        var updated = events.Single(e => e.Type == EventTypes.SecretUpdated);
        Assert.Equal(newSecret[..4], updated.Data["secretHint"]!.GetValue<string>());
        Assert.Equal(oldSecretId, updated.Data["previousSecretId"]!.GetValue<long>());
        Assert.Equal(oldSecretId, events.Single(e => e.Type == EventTypes.SecretRevoked).Data["secretId"]!.GetValue<long>());

        // The event names its audit event: the same change, seen in the audit trail.
        var audit = await Admin.GetForReplyAsync($"/api/{serviceId}/audit/get/list?clientId={client.ClientId}");
        var auditIds = audit.Json["events"]!.AsArray().Select(a => a!["eventId"]!.GetValue<long>()).ToHashSet();
        Assert.All(events, e => Assert.Contains(e.Data["auditEventId"]!.GetValue<long>(), auditIds));
    }

    [Fact]
    public async Task a_refused_change_writes_no_event_and_a_deleted_client_gets_its_last_one()
    {
        var (serviceId, _, _) = await ServiceWithWebhookAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        var current = await Admin.CurrentSecretIdAsync(serviceId, client.ClientId);
        Assert.Equal(HttpStatusCode.BadRequest, (await Admin.SendRevokeSecretAsync(serviceId, client.ClientId, current)).Status);     // the current secret
        Assert.Equal(HttpStatusCode.BadRequest, (await Admin.SendUpdateSecretAsync(serviceId, client.ClientId, "bad secret!")).Status); // illegal characters
        await Admin.DeleteClientAsync(serviceId, client.ClientId);

        var deleted = await _receiver.WaitForEventAsync(EventTypes.ClientDeleted, client.ClientId);
        await Task.Delay(500);
        Assert.Equal([EventTypes.ClientCreated, EventTypes.ClientDeleted],
            ReceivedFor(serviceId).OrderBy(r => r.Data["sequence"]!.GetValue<long>()).Select(r => r.Type));
        Assert.Equal(2, deleted.Data["sequence"]!.GetValue<long>());
        Assert.Equal(client.Alias, deleted.Data["clientIdAlias"]?.GetValue<string>());
    }

    [Fact]
    public async Task a_webhook_gets_only_the_types_it_asked_for()
    {
        var (serviceId, _, _) = await ServiceWithWebhookAsync(events: """["client.locked"]""");
        var client = await Admin.CreateClientAsync(serviceId);
        await Admin.RefreshSecretAsync(serviceId, client.ClientId);
        await Admin.LockClientAsync(serviceId, client.ClientId);
        await _receiver.WaitForEventAsync(EventTypes.ClientLocked, client.ClientId);
        await Task.Delay(500);
        Assert.Equal([EventTypes.ClientLocked], ReceivedFor(serviceId).Select(r => r.Type));
    }

    [Fact]
    public async Task a_receiver_that_is_down_gets_the_event_once_it_is_back_and_the_log_shows_the_attempts()
    {
        var receiver = await WebhookReceiver.StartAsync();
        await using var _ = receiver;
        var serviceId = await Admin.CreateServiceAsync();
        var created = await Admin.PostJsonForReplyAsync($"/api/{serviceId}/webhook/create", $$"""{"url":"{{receiver.Url}}"}""");
        var webhookId = created.Int("webhookId");
        receiver.Status = HttpStatusCode.InternalServerError;
        var client = await Admin.CreateClientAsync(serviceId);

        await receiver.WaitForAsync(r => r.Type == EventTypes.ClientCreated, what: "first attempt");
        var log = await Admin.GetForReplyAsync($"/api/{serviceId}/webhook/deliveries/{webhookId}");
        var failing = log.Json["deliveries"]!.AsArray().Single()!;
        Assert.Equal("pending", failing["status"]!.GetValue<string>());
        await Waits.UntilAsync(async () =>
            (await Admin.GetForReplyAsync($"/api/{serviceId}/webhook/deliveries/{webhookId}")).Json["deliveries"]![0]!["lastStatusCode"]?.GetValue<int>() == 500,
            "the failed attempt recorded");

        receiver.Status = HttpStatusCode.NoContent;
        await Waits.UntilAsync(async () =>
            (await Admin.GetForReplyAsync($"/api/{serviceId}/webhook/deliveries/{webhookId}")).Json["deliveries"]![0]!["status"]!.GetValue<string>() == "succeeded",
            "the delivery to succeed");
        var delivered = (await Admin.GetForReplyAsync($"/api/{serviceId}/webhook/deliveries/{webhookId}")).Json["deliveries"]![0]!;
        Assert.True(delivered["attempts"]!.GetValue<int>() >= 2, delivered.ToJsonString());
        Assert.Equal(204, delivered["lastStatusCode"]!.GetValue<int>());
        var attempts = receiver.Received.Where(r => r.Type == EventTypes.ClientCreated && r.Data["clientId"]!.GetValue<long>() == client.ClientId).ToList();
        Assert.True(attempts.Count >= 2);
        Assert.Single(attempts.Select(a => a.Id).Distinct()); // the same webhook-id on every attempt
        var webhook = await Admin.GetForReplyAsync($"/api/{serviceId}/webhook/get/{webhookId}");
        Assert.Null(webhook.Body!["failingSince"]);
    }

    [Fact]
    public async Task a_secret_with_a_5_second_lifetime_and_a_3_second_warning_gives_expiring_then_expired_once_each()
    {
        var (serviceId, _, secret) = await ServiceWithWebhookAsync("""{"serviceName":"expiry","clientSecretLifetime":5,"clientSecretExpiryWarnings":[3]}""");
        var client = await Admin.CreateClientAsync(serviceId);
        var secretId = await Admin.CurrentSecretIdAsync(serviceId, client.ClientId);

        var expiring = await _receiver.WaitForEventAsync(EventTypes.SecretExpiring, client.ClientId, TimeSpan.FromSeconds(15));
        var expired = await _receiver.WaitForEventAsync(EventTypes.SecretExpired, client.ClientId, TimeSpan.FromSeconds(15));
        await Task.Delay(2500); // two more sweeps: nothing again
        Assert.Single(ReceivedFor(serviceId), r => r.Type == EventTypes.SecretExpiring);
        Assert.Single(ReceivedFor(serviceId), r => r.Type == EventTypes.SecretExpired);
        AssertSigned(expiring, secret);
        AssertSigned(expired, secret);
        Assert.Equal(secretId, expiring.Data["secretId"]!.GetValue<long>());
        Assert.Equal(3, expiring.Data["threshold"]!.GetValue<long>());
        Assert.Equal("current", expiring.Data["secretStatus"]!.GetValue<string>());
        var expiresAt = expiring.Data["expiresAt"]!.GetValue<long>();
        Assert.Equal(expiresAt, expired.Data["expiresAt"]!.GetValue<long>());
        Assert.True(expiring.At.ToUnixTimeMilliseconds() < expiresAt, "the warning came before the expiry");
        Assert.True(expired.At.ToUnixTimeMilliseconds() >= expiresAt, "the expiry came after it happened");
        Assert.True(expiring.Data["sequence"]!.GetValue<long>() < expired.Data["sequence"]!.GetValue<long>());
        Assert.Null(expiring.Data["auditEventId"]);
    }

    [Fact]
    public async Task the_end_of_a_grace_period_is_announced_once()
    {
        var (serviceId, _, _) = await ServiceWithWebhookAsync("""{"serviceName":"grace","clientSecretGracePeriod":2,"clientSecretExpiryWarnings":[]}""");
        var client = await Admin.CreateClientAsync(serviceId);
        var oldSecretId = await Admin.CurrentSecretIdAsync(serviceId, client.ClientId);
        await Admin.RefreshSecretAsync(serviceId, client.ClientId);
        var ended = await _receiver.WaitForEventAsync(EventTypes.SecretGraceEnded, client.ClientId, TimeSpan.FromSeconds(15));
        Assert.Equal(oldSecretId, ended.Data["secretId"]!.GetValue<long>());
        Assert.Equal("previous", ended.Data["secretStatus"]!.GetValue<string>());
        await Task.Delay(2000);
        Assert.Single(ReceivedFor(serviceId), r => r.Type == EventTypes.SecretGraceEnded);
        Assert.DoesNotContain(ReceivedFor(serviceId), r => r.Type == EventTypes.SecretExpiring);
    }

    [Fact]
    public async Task test_event_redelivery_and_a_rotated_signing_secret_that_signs_beside_the_old_one()
    {
        var (serviceId, webhookId, oldSecret) = await ServiceWithWebhookAsync();
        var test = await Admin.PostJsonForReplyAsync($"/api/{serviceId}/webhook/test/{webhookId}", "");
        Assert.Equal("A194001", test.Str("resultCode"));
        var eventId = test.Body!["delivery"]!["eventId"]!.GetValue<string>();
        var first = await _receiver.WaitForAsync(r => r.Id == eventId && r.Type == EventTypes.WebhookTest);
        AssertSigned(first, oldSecret);
        Assert.Equal(webhookId, first.Data["webhookId"]!.GetValue<long>());

        var rotated = await Admin.PostJsonForReplyAsync($"/api/{serviceId}/webhook/secret/rotate/{webhookId}", """{"gracePeriod":600}""");
        var newSecret = rotated.Str("secret");
        Assert.NotEqual(oldSecret, newSecret);
        Assert.NotNull(rotated.Body!["previousSecretValidUntil"]);

        var again = await Admin.PostJsonForReplyAsync($"/api/{serviceId}/webhook/redeliver/{webhookId}/{eventId}", "");
        Assert.Equal("A196001", again.Str("resultCode"));
        await _receiver.WaitForAsync(r => r.Id == eventId && r != first && r.Signature!.Contains(' ', StringComparison.Ordinal), what: "the redelivery");
        var second = _receiver.Received.Last(r => r.Id == eventId);
        Assert.Equal(2, second.Signature!.Split(' ').Length);
        AssertSigned(second, newSecret);
        AssertSigned(second, oldSecret);
    }
}

/// <summary>A server that may call loopback receivers, sweeps every second and retries after a second.</summary>
public abstract class WebhookServerFixture : ServerFixture
{
    protected override IReadOnlyDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["Rekey:Webhooks:AllowPrivateNetworks"] = "true",
        ["Rekey:Webhooks:PollIntervalMilliseconds"] = "100",
        ["Rekey:Webhooks:RetrySchedule:0"] = "00:00:01",
        ["Rekey:Webhooks:RetrySchedule:1"] = "00:00:01",
        ["Rekey:Webhooks:RetrySchedule:2"] = "00:00:01",
        ["Rekey:Events:SweepIntervalSeconds"] = "1",
    };
}

public sealed class SqliteWebhookServerFixture : WebhookServerFixture
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class PostgresWebhookServerFixture : WebhookServerFixture
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}

public sealed class SqliteWebhookTests(SqliteWebhookServerFixture fixture) : WebhookSuite(fixture), IClassFixture<SqliteWebhookServerFixture>;

[RequiresPostgres]
public sealed class PostgresWebhookTests(PostgresWebhookServerFixture fixture) : WebhookSuite(fixture), IClassFixture<PostgresWebhookServerFixture>;
