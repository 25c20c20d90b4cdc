using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Rekey.Contracts;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Bench.Micro;

/// <summary>
/// The secret update as the store runs it, without HTTP: what one rotation costs the SQLite writer. 32 rotations of
/// different clients are sent at once, as 32 callers would (they share the writer's batches and COMMITs). NORMAL
/// durability, so that the figure is the writer's work, not the disk's fsync.
/// </summary>
[MemoryDiagnoser]
public class StoreWrites
{
    private const int Clients = 1000;
    private const int Concurrent = 32;

    private string _directory = "";
    private RekeyStore? _store;
    private long _serviceId;
    private long[] _clientIds = [];
    private int _next;
    private long _sequence;

    private static ChangeContext Change(string action) => new(action, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "organisation", null, "127.0.0.1", "bench");

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("rekey-bench-store-").FullName;
        var cipher = new SecretCipher(new KeyRing([new MasterKey("bench", RandomNumberGenerator.GetBytes(32))]));
        _store = RekeyStore.Sqlite($"Data Source={Path.Combine(_directory, "rekey.db")}", "NORMAL", cipher, TimeProvider.System);
        _store.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        new KeyLifecycle(_store, cipher, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<KeyLifecycle>.Instance).InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        _serviceId = _store.CreateServiceAsync(new ServiceContent("""{"serviceName":"bench"}""", new ServiceSettings(3600, 0)), Change(AuditActions.ServiceCreate), CancellationToken.None)
            .GetAwaiter().GetResult().ServiceId;
        _clientIds = [.. Enumerable.Range(0, Clients).Select(i =>
        {
            var created = _store.CreateClientAsync(new NewClient(_serviceId, null, null, false, """{"clientName":"bench","grantTypes":["CLIENT_CREDENTIALS"]}""", SecretGenerator.NewClientSecret()),
                Change(AuditActions.ClientCreate), CancellationToken.None).GetAwaiter().GetResult();
            return created.Value?.ClientId ?? throw new InvalidOperationException("client not created");
        })];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>32 secret updates of 32 clients at once; the figure is per update.</summary>
    [Benchmark(OperationsPerInvoke = Concurrent)]
    public Task RotateSecret()
    {
        var store = _store ?? throw new InvalidOperationException("not set up");
        var updates = new Task[Concurrent];
        for (var i = 0; i < Concurrent; i++)
        {
            var clientId = _clientIds[_next++ % Clients];
            var secret = "bench-" + (++_sequence).ToString("D20", System.Globalization.CultureInfo.InvariantCulture);
            updates[i] = store.RotateSecretAsync(new SecretRotationRequest(_serviceId, clientId.ToString(System.Globalization.CultureInfo.InvariantCulture), secret, null),
                Change(AuditActions.SecretUpdate), CancellationToken.None);
        }

        return Task.WhenAll(updates);
    }

    /// <summary>32 audit events at once: the writer's cost of a write that is one INSERT.</summary>
    [Benchmark(OperationsPerInvoke = Concurrent)]
    public Task AppendAudit()
    {
        var store = _store ?? throw new InvalidOperationException("not set up");
        var writes = new Task[Concurrent];
        for (var i = 0; i < Concurrent; i++)
        {
            writes[i] = store.AppendAuditAsync(new AuditRecord(Change(AuditActions.SecretUpdate), _serviceId, _clientIds[_next++ % Clients], null, "A000211", null), CancellationToken.None);
        }

        return Task.WhenAll(writes);
    }

    /// <summary>32 writes that write nothing: the queue, the savepoints and the COMMIT alone.</summary>
    [Benchmark(OperationsPerInvoke = Concurrent)]
    public Task EmptyWrite()
    {
        var engine = (_store ?? throw new InvalidOperationException("not set up")).Engine;
        var writes = new Task[Concurrent];
        for (var i = 0; i < Concurrent; i++)
        {
            writes[i] = engine.WriteAsync((_, _) => ValueTask.FromResult(true), CancellationToken.None);
        }

        return Task.WhenAll(writes);
    }

    /// <summary>32 reads of a client with its secret (decrypted), on the read connections.</summary>
    [Benchmark(OperationsPerInvoke = Concurrent)]
    public Task GetClient()
    {
        var store = _store ?? throw new InvalidOperationException("not set up");
        var reads = new Task[Concurrent];
        for (var i = 0; i < Concurrent; i++)
        {
            reads[i] = store.GetClientAsync(_serviceId, _clientIds[_next++ % Clients].ToString(System.Globalization.CultureInfo.InvariantCulture), withSecret: true, CancellationToken.None);
        }

        return Task.WhenAll(reads);
    }
}
