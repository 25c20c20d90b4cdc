using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Rekey.Tests.OAuth;

/// <summary>
/// A server whose clock the tests hold: token expiry, grace periods and the failed-authentication window are
/// proved by moving <see cref="Time"/>, never by sleeping. It starts at the real time so that libraries that read
/// the system clock (the token validator before it is given <see cref="Time"/>) agree at first.
/// </summary>
public abstract class OAuthServerFixture : ServerFixture
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Time);
}

public sealed class SqliteOAuthServerFixture : OAuthServerFixture
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class SqliteOAuthTests(SqliteOAuthServerFixture fixture) : OAuthSuite(fixture), IClassFixture<SqliteOAuthServerFixture>;

/// <summary>A fresh database on the shared PostgreSQL cluster, for the whole class.</summary>
public sealed class PostgresOAuthServerFixture : OAuthServerFixture
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}

[RequiresPostgres]
public sealed class PostgresOAuthTests(PostgresOAuthServerFixture fixture) : OAuthSuite(fixture), IClassFixture<PostgresOAuthServerFixture>;
