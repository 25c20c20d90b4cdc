using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;
using Xunit.Abstractions;

namespace Rekey.Tests.Storage;

/// <summary>Heap measurements need the process to themselves: this collection runs after the others, alone.</summary>
[CollectionDefinition(nameof(AloneCollection), DisableParallelization = true)]
public sealed class AloneCollection;

/// <summary>
/// The verification cache's own rules, driven through its lookup with values as the store returns them: the memory
/// bound (a million distinct clients), CLOCK keeping a busy client, what a change makes it forget, and a read that
/// raced a change never kept. Its use by the endpoints, on both stores and across nodes, is tested over HTTP
/// (<see cref="PostgresCacheTests"/>, and every token test).
/// </summary>
[Collection(nameof(AloneCollection))]
public sealed class VerificationCacheTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rekey-test-").FullName;
    private IRekeyStore _store = null!;

    public async Task InitializeAsync()
    {
        var store = RekeyStore.Sqlite($"Data Source={Path.Combine(_directory, "rekey.db")}", "FULL", new SecretCipher(new KeyRing([new MasterKey("m1", new byte[32])])), TimeProvider.System);
        await store.MigrateAsync(CancellationToken.None);
        _store = store;
    }

    public async Task DisposeAsync()
    {
        await ((RekeyStore)_store).DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private VerificationCache NewCache(int megabytes = 64) =>
        new(_store, Options.Create(new RekeyOptions { Cache = new CacheOptions { MaxMegabytes = megabytes } }));

    /// <summary>A client as the store returns it: a realistic document, a current and a previous secret (digest, sealed value).</summary>
    private static ClientCredentials Client(long clientId, string? alias = null) =>
        new(7, clientId, alias, false,
            $$"""{"clientName":"client {{clientId}}","grantTypes":["CLIENT_CREDENTIALS"],"tokenAuthMethod":"CLIENT_SECRET_BASIC","requestableScopes":["read","write"],"description":"registered {{clientId}}"}""",
            [
                new SecretCandidate(clientId * 2, "dk-20261204", new byte[32], 0, null, null, new byte[86 + 28]),
                new SecretCandidate(clientId * 2 + 1, "dk-20261204", new byte[32], 1, null, 1_900_000_000_000, null),
            ]);

    /// <summary>One lookup; true when the cache answered it.</summary>
    private static async Task<bool> LookUpAsync(VerificationCache cache, long clientId, string? identifier = null, Action? whileReading = null)
    {
        var id = identifier ?? clientId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var hit = false;
        await cache.GetAsync((7, id), () =>
        {
            whileReading?.Invoke();
            var client = Client(clientId, identifier);
            return Task.FromResult<(object, long, int)?>((client, clientId, VerificationCache.SizeOf(id, client)));
        }, _ => hit = true);
        return hit;
    }

    [Fact]
    public async Task a_million_distinct_clients_authenticating_once_each_stay_under_the_memory_bound()
    {
        const int Megabytes = 16;
        var cache = NewCache(Megabytes);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(forceFullCollection: true);

        for (var clientId = 1L; clientId <= 1_000_000; clientId++)
        {
            Assert.False(await LookUpAsync(cache, clientId));
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        var held = after - before;
        output.WriteLine($"{cache.Count} entries, {cache.Bytes / 1024.0 / 1024.0:0.0} MiB charged, {held / 1024.0 / 1024.0:0.0} MiB more on the heap " +
            $"({(double)cache.Bytes / Math.Max(1, cache.Count):0} bytes charged per entry, {(double)held / Math.Max(1, cache.Count):0} held)");
        Assert.InRange(cache.Bytes, 1, cache.MaxBytes);
        Assert.InRange(cache.Count, 1000, 999_999);

        // The charge is an honest estimate: what the heap holds for the cache is within the bound too.
        Assert.True(held <= cache.MaxBytes, $"the heap grew by {held} bytes for a cache bounded at {cache.MaxBytes}");
        GC.KeepAlive(cache);
    }

    [Fact]
    public async Task a_client_that_keeps_authenticating_keeps_its_entry_while_a_hundred_thousand_others_pass_once()
    {
        var cache = NewCache(1);
        Assert.False(await LookUpAsync(cache, 1));
        var hits = 0;
        for (var clientId = 2L; clientId <= 100_000; clientId++)
        {
            Assert.False(await LookUpAsync(cache, clientId));
            if (clientId % 10 == 0)
            {
                hits += await LookUpAsync(cache, 1) ? 1 : 0;
            }
        }

        // Every lookup of the busy client but (at most) the first after an eviction pass found it.
        Assert.InRange(hits, 9_995, 10_000);
        Assert.InRange(cache.Bytes, 1, cache.MaxBytes);
    }

    [Fact]
    public async Task a_change_of_a_client_forgets_it_under_its_id_and_its_alias_and_nothing_else()
    {
        var cache = NewCache();
        Assert.False(await LookUpAsync(cache, 1));
        Assert.False(await LookUpAsync(cache, 1, "billing"));
        Assert.False(await LookUpAsync(cache, 2));
        Assert.True(await LookUpAsync(cache, 1));
        Assert.True(await LookUpAsync(cache, 1, "billing"));

        cache.Forget(ChangeScope.Client(1));

        Assert.False(await LookUpAsync(cache, 1));
        Assert.False(await LookUpAsync(cache, 1, "billing"));
        Assert.True(await LookUpAsync(cache, 2));
    }

    [Fact]
    public async Task a_change_of_a_service_forgets_its_clients_and_a_key_change_forgets_everything()
    {
        var cache = NewCache();
        Assert.False(await LookUpAsync(cache, 1));
        Assert.True(await LookUpAsync(cache, 1));

        cache.Forget(ChangeScope.Service(7));
        Assert.False(await LookUpAsync(cache, 1));
        Assert.True(await LookUpAsync(cache, 1));
        cache.Forget(ChangeScope.Service(8));
        Assert.True(await LookUpAsync(cache, 1));

        cache.Forget(ChangeScope.Everything);
        Assert.False(await LookUpAsync(cache, 1));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task a_read_that_a_change_overtook_is_not_kept()
    {
        var cache = NewCache();

        // The change commits (and is forgotten) while the store is being read: what was read may be from before it.
        Assert.False(await LookUpAsync(cache, 1, whileReading: () => cache.Forget(ChangeScope.Client(1))));
        Assert.False(await LookUpAsync(cache, 1));
        Assert.True(await LookUpAsync(cache, 1));
        Assert.Equal(1, cache.Count);
    }

    [Theory]
    [InlineData("c:42", "Client", 42L)]
    [InlineData("s:7", "Service", 7L)]
    [InlineData("*", "Everything", 0L)]
    [InlineData("x:1", "Everything", 0L)]
    [InlineData("c:", "Everything", 0L)]
    [InlineData("c:-1", "Everything", 0L)]
    [InlineData("c:99999999999999999999", "Everything", 0L)]
    public void a_notification_the_node_cannot_read_makes_it_forget_everything(string payload, string reach, long id)
    {
        var scope = ChangeScope.Parse(payload);
        Assert.Equal(reach, scope.Reach.ToString());
        Assert.Equal(id, scope.Id);
        if (scope.Reach != ChangeReach.Everything)
        {
            Assert.Equal(payload, scope.Payload);
        }
    }
}
