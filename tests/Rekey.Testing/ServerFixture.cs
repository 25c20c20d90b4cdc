using Microsoft.Extensions.DependencyInjection;
using Xunit;
namespace Rekey.Testing;

/// <summary>One store and one server for a whole test class; each test makes its own service, so tests stay independent.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private RekeyHost? _host;

    public RekeyHost Host => _host ?? throw new InvalidOperationException("The fixture has not started.");

    public TestStore Store => Host.Store;

    /// <summary>A fresh, empty store. (Classes that need PostgreSQL carry <see cref="RequiresPostgresAttribute"/>: where none can be had, their tests are reported as skipped.)</summary>
    protected abstract Task<TestStore> CreateStoreAsync();

    /// <summary>Replaces server services before start (e.g. a <c>FakeTimeProvider</c>); nothing by default.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>Configuration the server starts with besides its store's; none by default.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public async Task InitializeAsync()
    {
        var store = await CreateStoreAsync();
        _host = await RekeyHost.StartAsync(store, Settings, ConfigureServices);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            await _host.Store.DisposeAsync();
        }
    }
}

public sealed class SqliteServerFixture : ServerFixture
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

/// <summary>A fresh database on the shared PostgreSQL cluster (see <see cref="PostgresCluster"/>).</summary>
public sealed class PostgresServerFixture : ServerFixture
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}
