namespace Rekey.Testing;

/// <summary>
/// Where a test server keeps its state. Each instance is one fresh, empty database; servers started with the same
/// instance share it (restart tests, multi-node tests).
/// </summary>
public abstract class TestStore : IAsyncDisposable
{
    /// <summary>Configuration keys (<c>Rekey:…</c>) that point a server at this store.</summary>
    public abstract IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>A short name for test output.</summary>
    public abstract string Name { get; }

    public abstract ValueTask DisposeAsync();
}

/// <summary>A temporary SQLite file in a temporary data directory, deleted afterwards.</summary>
public sealed class SqliteTestStore : TestStore
{
    public SqliteTestStore()
    {
        DataDirectory = Directory.CreateTempSubdirectory("rekey-test-").FullName;
    }

    public string DataDirectory { get; }

    public string DatabasePath => Path.Combine(DataDirectory, "rekey.db");

    public override string Name => "sqlite";

    public override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Rekey:Storage:Provider"] = "sqlite",
        ["Rekey:DataDirectory"] = DataDirectory,
    };

    public override ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a pool on its way out: the OS temp cleaner takes it later.
        }

        return ValueTask.CompletedTask;
    }
}
