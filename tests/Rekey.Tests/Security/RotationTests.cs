using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Rekey.Server.Secrets;

namespace Rekey.Tests.Security;

/// <summary>
/// Zero-downtime rotation on a fake clock: grace periods (service setting and per-call override), revocation,
/// the cap on valid previous secrets, lifetimes, the range checks, and what the secret list shows. Verification
/// goes through the real <see cref="SecretVerifier"/> of the running server. Every test makes its own service, so
/// the tests of a class share one store (<paramref name="classStore"/>), each with servers of its own.
/// </summary>
public abstract class RotationSuite(TestStore classStore) : SecuritySuite
{
    private const long Hour = 3600;

    private async Task<(RekeyHost Host, HttpClient Admin, FakeTimeProvider Time)> StartOnFakeClockAsync()
    {
        var time = new FakeTimeProvider(Start);
        var host = await StartAsync(classStore, time);
        return (host, host.CreateAdminClient(), time);
    }

    [Fact]
    public async Task without_grace_the_old_secret_is_refused_at_once_as_in_authlete()
    {
        var (host, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync();
        var (clientId, original) = await admin.CreateClientAsync(serviceId);
        Assert.True(await host.VerifiesAsync(serviceId, clientId, original));

        var replacement = await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());

        Assert.False(await host.VerifiesAsync(serviceId, clientId, original));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, replacement));
        var secrets = await admin.ListSecretsAsync(serviceId, clientId);
        Assert.Equal(["current", "revoked"], secrets.Select(s => Sec.Text(s, "status")));
        Assert.Equal(Start.ToUnixTimeMilliseconds(), secrets[1]!["revokedAt"]!.GetValue<long>());
    }

    [Fact]
    public async Task with_a_service_grace_period_old_and_new_secret_verify_until_it_ends()
    {
        var (host, admin, time) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);

        var replacement = await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());

        Assert.True(await host.VerifiesAsync(serviceId, clientId, original));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, replacement));
        var previous = (await admin.ListSecretsAsync(serviceId, clientId))[1]!;
        Assert.Equal("previous", Sec.Text(previous, "status"));
        Assert.Equal(Start.AddSeconds(Hour).ToUnixTimeMilliseconds(), previous["validUntil"]!.GetValue<long>());

        time.Advance(TimeSpan.FromSeconds(Hour - 1));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, original));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await host.VerifiesAsync(serviceId, clientId, original));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, replacement));
        Assert.Equal(["current", "expired"], (await admin.ListSecretsAsync(serviceId, clientId)).Select(s => Sec.Text(s, "status")));
    }

    [Fact]
    public async Task refresh_also_keeps_the_old_secret_for_the_service_grace_period()
    {
        var (host, admin, time) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);

        var generated = await admin.RefreshSecretAsync(serviceId, clientId);

        Assert.True(await host.VerifiesAsync(serviceId, clientId, original));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, generated));
        time.Advance(TimeSpan.FromSeconds(Hour + 1));
        Assert.False(await host.VerifiesAsync(serviceId, clientId, original));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, generated));
    }

    [Fact]
    public async Task grace_period_zero_in_the_update_body_ends_the_old_secret_at_once()
    {
        var (host, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);

        var replacement = await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(), grace: 0);

        Assert.False(await host.VerifiesAsync(serviceId, clientId, original));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, replacement));
    }

    [Fact]
    public async Task grace_period_zero_on_refresh_ends_the_old_secret_at_once()
    {
        var (host, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);

        var generated = await admin.RefreshSecretAsync(serviceId, clientId, grace: "0");

        Assert.False(await host.VerifiesAsync(serviceId, clientId, original));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, generated));
    }

    [Fact]
    public async Task a_per_call_grace_period_applies_where_the_service_has_none()
    {
        var (host, admin, time) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync();
        var (clientId, original) = await admin.CreateClientAsync(serviceId);

        // As a form field the override arrives as a string: same rule.
        var (status, body) = await admin.PostForJsonAsync($"/api/{serviceId}/client/secret/update/{clientId}",
            Wire.Form(("clientSecret", TestApi.NewSecret()), ("gracePeriod", "60")));
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());

        Assert.True(await host.VerifiesAsync(serviceId, clientId, original));
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.False(await host.VerifiesAsync(serviceId, clientId, original));
    }

    [Fact]
    public async Task revoking_a_previous_secret_ends_its_grace_period_early()
    {
        var (host, admin, time) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);
        var originalId = await admin.CurrentSecretIdAsync(serviceId, clientId);
        var replacement = await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
        time.Advance(TimeSpan.FromSeconds(5));

        var (status, body) = await admin.SendRevokeSecretAsync(serviceId, clientId, originalId);

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("A151001", Sec.Code(body));
        Assert.False(await host.VerifiesAsync(serviceId, clientId, original));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, replacement));
        var revoked = (await admin.ListSecretsAsync(serviceId, clientId)).Single(s => s!["secretId"]!.GetValue<long>() == originalId)!;
        Assert.Equal("revoked", Sec.Text(revoked, "status"));
        Assert.Equal(Start.AddSeconds(5).ToUnixTimeMilliseconds(), revoked["revokedAt"]!.GetValue<long>());
    }

    [Fact]
    public async Task revoking_the_current_secret_is_refused_with_A151201_and_changes_nothing()
    {
        var (host, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, secret) = await admin.CreateClientAsync(serviceId);
        var currentId = await admin.CurrentSecretIdAsync(serviceId, clientId);

        var (status, body) = await admin.SendRevokeSecretAsync(serviceId, clientId, currentId);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("A151201", Sec.Code(body));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, secret));
    }

    [Fact]
    public async Task revoking_an_unknown_secret_or_another_clients_secret_is_refused_with_A151202()
    {
        var (host, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, _) = await admin.CreateClientAsync(serviceId);
        var (otherId, otherOriginal) = await admin.CreateClientAsync(serviceId);
        var otherPreviousId = await admin.CurrentSecretIdAsync(serviceId, otherId);
        await admin.UpdateSecretAsync(serviceId, otherId, TestApi.NewSecret());

        foreach (var secretId in new object[] { 123456789012L, "not-a-number", otherPreviousId })
        {
            var (status, body) = await admin.SendRevokeSecretAsync(serviceId, clientId, secretId);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("A151202", Sec.Code(body));
        }

        Assert.True(await host.VerifiesAsync(serviceId, otherId, otherOriginal));
    }

    [Fact]
    public async Task at_most_five_previous_secrets_are_valid_at_once_the_oldest_go_first()
    {
        var (host, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);
        var chain = new List<string> { original };

        // Seven rotations within the same millisecond of the (fake) clock: order must come from the chain, not the clock.
        for (var i = 0; i < 7; i++)
        {
            chain.Add(await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret()));
        }

        var verifies = new List<bool>();
        foreach (var secret in chain)
        {
            verifies.Add(await host.VerifiesAsync(serviceId, clientId, secret));
        }

        // chain[7] is current; chain[2..6] are the five newest previous; chain[0] and chain[1] are revoked.
        Assert.Equal([false, false, true, true, true, true, true, true], verifies);
        Assert.Equal(SecretPolicy.MaxValidPrevious, (await admin.ListSecretsAsync(serviceId, clientId)).Count(s => Sec.Text(s, "status") == "previous"));
    }

    [Fact]
    public async Task the_cap_follows_the_order_of_rotations_when_the_clock_moves()
    {
        var (host, admin, time) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);
        var chain = new List<string> { original };
        for (var i = 0; i < 7; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            chain.Add(await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret()));
        }

        var statuses = (await admin.ListSecretsAsync(serviceId, clientId)).Select(s => Sec.Text(s, "status")).ToList();

        Assert.Equal(["current", "previous", "previous", "previous", "previous", "previous", "revoked", "revoked"], statuses);
        Assert.False(await host.VerifiesAsync(serviceId, clientId, chain[1]));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, chain[2]));
    }

    [Fact]
    public async Task the_secret_list_keeps_at_most_ten_secrets_besides_the_current_one()
    {
        var (_, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync();
        var (clientId, _) = await admin.CreateClientAsync(serviceId);
        for (var i = 0; i < SecretPolicy.KeptPerClient + 3; i++)
        {
            await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
        }

        var secrets = await admin.ListSecretsAsync(serviceId, clientId);

        Assert.Equal(SecretPolicy.KeptPerClient + 1, secrets.Count);
        Assert.Equal("current", Sec.Text(secrets[0], "status"));
    }

    [Fact]
    public async Task a_secret_lifetime_sets_clientSecretExpiresAt_and_ends_the_secret()
    {
        var (host, admin, time) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(lifetime: 86400);
        var (clientId, secret) = await admin.CreateClientAsync(serviceId);
        var expiresAt = Start.AddDays(1).ToUnixTimeMilliseconds();

        var document = await admin.GetFromJsonAsync($"/api/{serviceId}/client/get/{clientId}", global::Rekey.Contracts.RekeyJsonContext.Default.ClientDocument);
        Assert.Equal(expiresAt, document!.ClientSecretExpiresAt);
        Assert.Equal(expiresAt, (await admin.ListSecretsAsync(serviceId, clientId))[0]!["expiresAt"]!.GetValue<long>());

        time.Advance(TimeSpan.FromSeconds(86399));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, secret));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await host.VerifiesAsync(serviceId, clientId, secret));
        Assert.Equal("expired", Sec.Text((await admin.ListSecretsAsync(serviceId, clientId))[0], "status"));

        // A new secret gets a new lifetime from now.
        var replacement = await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
        Assert.True(await host.VerifiesAsync(serviceId, clientId, replacement));
        var renewed = await admin.GetFromJsonAsync($"/api/{serviceId}/client/get/{clientId}", global::Rekey.Contracts.RekeyJsonContext.Default.ClientDocument);
        Assert.Equal(Start.AddDays(2).ToUnixTimeMilliseconds(), renewed!.ClientSecretExpiresAt);
    }

    [Fact]
    public async Task a_grace_period_never_outlives_the_secret_lifetime()
    {
        var (host, admin, time) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: 2 * Hour, lifetime: Hour);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);

        await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
        Assert.True(await host.VerifiesAsync(serviceId, clientId, original));

        time.Advance(TimeSpan.FromSeconds(Hour));
        Assert.False(await host.VerifiesAsync(serviceId, clientId, original));
    }

    [Theory]
    [InlineData("""{"clientSecretGracePeriod":2592001}""", "A110203")]
    [InlineData("""{"clientSecretGracePeriod":-1}""", "A110203")]
    [InlineData("""{"clientSecretLifetime":315360001}""", "A110204")]
    [InlineData("""{"clientSecretLifetime":-1}""", "A110204")]
    public async Task out_of_range_service_settings_are_refused(string json, string code)
    {
        var (_, admin, _) = await StartOnFakeClockAsync();
        var (status, body) = await admin.PostForJsonAsync("/api/service/create", Wire.Json(json));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, Sec.Code(body));

        var serviceId = await admin.CreateServiceAsync(grace: 10);
        (status, body) = await admin.PostForJsonAsync($"/api/{serviceId}/service/update", Wire.Json(json));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, Sec.Code(body));
        var (_, service) = await admin.GetForJsonAsync($"/api/{serviceId}/service/get");
        Assert.Equal(10, service["clientSecretGracePeriod"]!.GetValue<long>());
    }

    [Fact]
    public async Task the_largest_settings_are_accepted()
    {
        var (_, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: SecretPolicy.MaxGracePeriodSeconds, lifetime: SecretPolicy.MaxLifetimeSeconds);
        var (clientId, _) = await admin.CreateClientAsync(serviceId);
        await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(), grace: SecretPolicy.MaxGracePeriodSeconds);
        await admin.RefreshSecretAsync(serviceId, clientId, grace: SecretPolicy.MaxGracePeriodSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public static TheoryData<string> BadGraceBodies => new()
    {
        """{"gracePeriod":2592001}""",
        """{"gracePeriod":-1}""",
        """{"gracePeriod":1.5}""",
        """{"gracePeriod":"abc"}""",
        """{"gracePeriod":true}""",
        """{"gracePeriod":[60]}""",
    };

    [Theory]
    [MemberData(nameof(BadGraceBodies))]
    public async Task out_of_range_grace_overrides_on_update_are_refused_and_change_nothing(string graceJson)
    {
        var (host, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync();
        var (clientId, secret) = await admin.CreateClientAsync(serviceId);
        var body = JsonNode.Parse(graceJson)!.AsObject();
        body["clientSecret"] = TestApi.NewSecret();

        var (status, answer) = await admin.PostForJsonAsync($"/api/{serviceId}/client/secret/update/{clientId}", Wire.Json(body.ToJsonString()));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("A149206", Sec.Code(answer));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, secret));
        Assert.Single(await admin.ListSecretsAsync(serviceId, clientId));
    }

    [Theory]
    [InlineData("?gracePeriod=2592001")]
    [InlineData("?gracePeriod=-1")]
    [InlineData("?gracePeriod=abc")]
    [InlineData("?gracePeriod=")]
    [InlineData("?gracePeriod=1&gracePeriod=2")]
    public async Task out_of_range_grace_overrides_on_refresh_are_refused_and_change_nothing(string query)
    {
        var (host, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync();
        var (clientId, secret) = await admin.CreateClientAsync(serviceId);

        var (status, answer) = await admin.GetForJsonAsync($"/api/{serviceId}/client/secret/refresh/{clientId}{query}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("A149206", Sec.Code(answer));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, secret));
        Assert.Single(await admin.ListSecretsAsync(serviceId, clientId));
    }

    [Fact]
    public async Task the_secret_list_never_shows_a_value_and_hints_only_secrets_of_32_characters_or_more()
    {
        var (_, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, generated) = await admin.CreateClientAsync(serviceId);
        var short31 = await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(31));
        var long32 = await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(32));

        var (status, body) = await admin.GetForJsonAsync($"/api/{serviceId}/client/secret/list/{clientId}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("A150001", Sec.Code(body));
        var json = body.ToJsonString();
        foreach (var secret in new[] { generated, short31, long32 })
        {
            Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
            Assert.DoesNotContain(secret[..8], json, StringComparison.Ordinal);
        }

        var secrets = body["secrets"]!.AsArray();
        Assert.Equal(long32[..4], Sec.Text(secrets[0], "hint"));
        Assert.Null(secrets[1]!["hint"]);
        Assert.Equal(generated[..4], Sec.Text(secrets[2], "hint"));
        Assert.All(secrets, s => Assert.Null(s!["clientSecret"]));
    }

    [Fact]
    public async Task a_revoked_secret_keeps_no_hint_whichever_way_it_was_revoked()
    {
        var (_, admin, _) = await StartOnFakeClockAsync();
        var serviceId = await admin.CreateServiceAsync(grace: Hour);
        var (clientId, generated) = await admin.CreateClientAsync(serviceId);

        // Revoked at once by a rotation without grace, revoked by hand, and pushed past the cap of valid previous secrets.
        await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(40), grace: 0);
        await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(40));
        await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(40));
        var listed = await admin.ListSecretsAsync(serviceId, clientId);
        Assert.Equal(["current", "previous", "previous", "revoked"], listed.Select(s => Sec.Text(s, "status")));
        await admin.RevokeSecretAsync(serviceId, clientId, listed[1]!["secretId"]!.GetValue<long>());
        for (var i = 0; i < SecretPolicy.MaxValidPrevious + 1; i++)
        {
            await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret(40));
        }

        var secrets = await admin.ListSecretsAsync(serviceId, clientId);
        var revoked = secrets.Where(s => Sec.Text(s, "status") == "revoked").ToList();
        Assert.True(revoked.Count >= 3, $"{revoked.Count} revoked secrets");
        Assert.All(revoked, s => Assert.Null(s!["hint"]));
        Assert.All(secrets.Where(s => Sec.Text(s, "status") != "revoked"), s => Assert.NotNull(s!["hint"]));
        Assert.DoesNotContain(secrets, s => s!["hint"]?.GetValue<string>() == generated[..4]);
    }
}

public sealed class SqliteRotationTests(ClassStore<SqliteAccess> store) : RotationSuite(store.Store), IClassFixture<ClassStore<SqliteAccess>>
{
    protected override StoreAccess Access { get; } = new SqliteAccess();
}

[RequiresPostgres]
public sealed class PostgresRotationTests(ClassStore<PostgresStoreAccess> store) : RotationSuite(store.Store), IClassFixture<ClassStore<PostgresStoreAccess>>
{
    protected override StoreAccess Access { get; } = new PostgresStoreAccess();
}
