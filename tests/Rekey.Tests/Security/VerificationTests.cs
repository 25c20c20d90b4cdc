using System.Net;
using Microsoft.Extensions.Time.Testing;
using Rekey.Server.Secrets;

namespace Rekey.Tests.Security;

/// <summary>
/// The verification core: what it accepts and refuses, that an unknown client and a wrong secret look alike, and
/// that last use is recorded in memory and written in one batch, never with a write per verification. Every test
/// makes its own service and compares counts only within itself, so the tests of a class share one store
/// (<paramref name="classStore"/>), each with servers of its own.
/// </summary>
public abstract class VerificationSuite(TestStore classStore) : SecuritySuite
{
    [Fact]
    public async Task an_unknown_client_and_a_wrong_secret_both_fail_without_a_secret_or_a_secret_id()
    {
        var host = await StartAsync(classStore);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var otherServiceId = await admin.CreateServiceAsync();
        var (clientId, secret) = await admin.CreateClientAsync(serviceId);
        var (otherId, otherSecret) = await admin.CreateClientAsync(serviceId);
        var verifier = host.GetService<SecretVerifier>();
        var id = clientId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var unknown = await verifier.VerifyAsync(serviceId, "no-such-client", secret, CancellationToken.None);
        var wrongService = await verifier.VerifyAsync(otherServiceId, id, secret, CancellationToken.None);
        var wrong = await verifier.VerifyAsync(serviceId, id, TestApi.NewSecret(86), CancellationToken.None);
        var othersSecret = await verifier.VerifyAsync(serviceId, id, otherSecret, CancellationToken.None);
        var empty = await verifier.VerifyAsync(serviceId, id, "", CancellationToken.None);
        var prefix = await verifier.VerifyAsync(serviceId, id, secret[..^1], CancellationToken.None);
        var right = await verifier.VerifyAsync(serviceId, id, secret, CancellationToken.None);

        foreach (var failed in new[] { unknown, wrongService })
        {
            Assert.False(failed.Succeeded);
            Assert.Equal(VerificationFailure.UnknownClient, failed.Failure);
            Assert.Null(failed.SecretId);
            Assert.Null(failed.Client);
        }

        foreach (var failed in new[] { wrong, othersSecret, empty, prefix })
        {
            Assert.False(failed.Succeeded);
            Assert.Equal(VerificationFailure.WrongSecret, failed.Failure);
            Assert.Null(failed.SecretId);
        }

        Assert.True(right.Succeeded);
        Assert.Equal(await admin.CurrentSecretIdAsync(serviceId, clientId), right.SecretId);
        Assert.True(await host.VerifiesAsync(serviceId, otherId, otherSecret));
    }

    [Fact]
    public async Task a_client_is_found_by_alias_as_well_as_by_id()
    {
        var host = await StartAsync(classStore);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var client = await admin.CreateClientAsync(serviceId, """{"clientName":"aliased","clientIdAlias":"my-alias"}""");

        Assert.True(await host.VerifiesAsync(serviceId, "my-alias", client.Secret));
        Assert.False(await host.VerifiesAsync(serviceId, "my-alias", TestApi.NewSecret()));
    }

    [Fact]
    public async Task last_use_is_recorded_in_memory_and_written_in_one_batch_by_maintenance()
    {
        var time = new FakeTimeProvider(Start);
        var store = classStore;
        var host = await StartAsync(store, time);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync(grace: 3600);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);
        var originalId = await admin.CurrentSecretIdAsync(serviceId, clientId);
        var current = await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
        var currentId = await admin.CurrentSecretIdAsync(serviceId, clientId);
        var (unusedClient, unusedSecret) = await admin.CreateClientAsync(serviceId);
        var (_, auditTotal) = await AuditTotalAsync(admin);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, original));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, current));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await host.VerifiesAsync(serviceId, clientId, current));
        Assert.False(await host.VerifiesAsync(serviceId, unusedClient, unusedSecret + "x"));

        // Nothing written yet: not the rows, not the list, not the audit trail.
        Assert.All((await Access.LastUsedAsync(store, clientId)).Values, Assert.Null);
        Assert.All(await admin.ListSecretsAsync(serviceId, clientId), s => Assert.Null(s!["lastUsedAt"]));
        Assert.Equal(auditTotal, (await AuditTotalAsync(admin)).Total);

        await host.GetService<SecretMaintenance>().RunOnceAsync(CancellationToken.None);

        var stored = await Access.LastUsedAsync(store, clientId);
        Assert.Equal(Start.AddSeconds(1).ToUnixTimeMilliseconds(), stored[originalId]);
        Assert.Equal(Start.AddSeconds(3).ToUnixTimeMilliseconds(), stored[currentId]);
        var listed = await admin.ListSecretsAsync(serviceId, clientId);
        Assert.Equal(Start.AddSeconds(3).ToUnixTimeMilliseconds(), listed.Single(s => Sec.Text(s, "status") == "current")!["lastUsedAt"]!.GetValue<long>());
        Assert.Equal(Start.AddSeconds(1).ToUnixTimeMilliseconds(), listed.Single(s => Sec.Text(s, "status") == "previous")!["lastUsedAt"]!.GetValue<long>());

        // A failed verification recorded nothing; a flush does not write audit events.
        Assert.All((await Access.LastUsedAsync(store, unusedClient)).Values, Assert.Null);
        Assert.Equal(auditTotal, (await AuditTotalAsync(admin)).Total);
    }

    [Fact]
    public async Task a_secret_past_its_grace_period_is_refused_and_its_attempt_is_not_recorded_as_use()
    {
        var time = new FakeTimeProvider(Start);
        var store = classStore;
        var host = await StartAsync(store, time);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync(grace: 60);
        var (clientId, original) = await admin.CreateClientAsync(serviceId);
        await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
        time.Advance(TimeSpan.FromSeconds(61));

        var verification = await host.GetService<SecretVerifier>().VerifyAsync(serviceId, clientId.ToString(System.Globalization.CultureInfo.InvariantCulture), original, CancellationToken.None);
        await host.GetService<SecretMaintenance>().RunOnceAsync(CancellationToken.None);

        Assert.Equal(VerificationFailure.WrongSecret, verification.Failure);
        Assert.All((await Access.LastUsedAsync(store, clientId)).Values, Assert.Null);
    }

    private static async Task<(HttpStatusCode Status, int Total)> AuditTotalAsync(HttpClient admin)
    {
        var (status, body) = await admin.GetForJsonAsync("/api/audit/get/list?end=1");
        Assert.Equal(HttpStatusCode.OK, status);
        return (status, body["totalCount"]!.GetValue<int>());
    }
}

public sealed class SqliteVerificationTests(ClassStore<SqliteAccess> store) : VerificationSuite(store.Store), IClassFixture<ClassStore<SqliteAccess>>
{
    protected override StoreAccess Access { get; } = new SqliteAccess();
}

[RequiresPostgres]
public sealed class PostgresVerificationTests(ClassStore<PostgresStoreAccess> store) : VerificationSuite(store.Store), IClassFixture<ClassStore<PostgresStoreAccess>>
{
    protected override StoreAccess Access { get; } = new PostgresStoreAccess();
}
