using Rekey.Contracts;

namespace Rekey.Tests.Events;

/// <summary>Notices and deliveries survive a restart of the server: given once, before and after it.</summary>
public abstract class EventRestartSuite
{
    private protected abstract Task<TestStore> CreateStoreAsync();

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Rekey:Webhooks:AllowPrivateNetworks"] = "true",
        ["Rekey:Webhooks:PollIntervalMilliseconds"] = "100",
        ["Rekey:Events:SweepIntervalSeconds"] = "1",
    };

    [Fact]
    public async Task a_5_second_secret_with_a_3_second_warning_gives_expiring_then_expired_once_each_across_a_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var store = await CreateStoreAsync();
        long serviceId, clientId;
        var first = await RekeyHost.StartAsync(store, Settings);
        await using (first)
        {
            using var admin = first.CreateAdminClient();
            serviceId = await admin.CreateServiceAsync("""{"serviceName":"restart","clientSecretLifetime":5,"clientSecretExpiryWarnings":[3]}""");
            var created = await admin.PostJsonForReplyAsync($"/api/{serviceId}/webhook/create", $$"""{"url":"{{receiver.Url}}"}""");
            Assert.True(created.Status == System.Net.HttpStatusCode.OK, created.ToString());
            clientId = (await admin.CreateClientAsync(serviceId)).ClientId;
            await receiver.WaitForEventAsync(EventTypes.SecretExpiring, clientId, TimeSpan.FromSeconds(15));
        }

        // The first server is gone before the secret expires; the second one announces the expiry, and nothing twice.
        var second = await RekeyHost.StartAsync(store, Settings);
        await using (second)
        {
            var expired = await receiver.WaitForEventAsync(EventTypes.SecretExpired, clientId, TimeSpan.FromSeconds(15));
            await Task.Delay(2500); // two more sweeps
            var received = receiver.Received.Where(r => r.Data["clientId"]?.GetValue<long>() == clientId).ToList();
            Assert.Single(received, r => r.Type == EventTypes.SecretExpiring);
            Assert.Single(received, r => r.Type == EventTypes.SecretExpired);
            Assert.Single(received, r => r.Type == EventTypes.ClientCreated);
            Assert.Equal(3, expired.Data["sequence"]!.GetValue<long>());
        }
    }
}

public sealed class SqliteEventRestartTests : EventRestartSuite
{
    private protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

[RequiresPostgres]
public sealed class PostgresEventRestartTests : EventRestartSuite
{
    private protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}
