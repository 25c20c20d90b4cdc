namespace Rekey.Server.Hosting;

/// <summary>
/// What the start has done that a request depends on: the store migrated and the data keys loaded
/// (<see cref="RekeyInitializer"/> marks it); <c>/health/ready</c> reads it.
/// </summary>
internal sealed class Readiness
{
    private volatile int _schemaVersion;

    /// <summary>The schema version the store was migrated to, or null before the start finished.</summary>
    public int? SchemaVersion => _schemaVersion == 0 ? null : _schemaVersion;

    public void Started(int schemaVersion) => _schemaVersion = schemaVersion;
}
