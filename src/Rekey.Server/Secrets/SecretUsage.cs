using System.Collections.Concurrent;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>Last-use times waiting to be written: one entry per secret of a client, the latest time wins.</summary>
internal sealed class SecretUsage
{
    private ConcurrentDictionary<(long ClientId, long SecretId), long> _pending = new();

    public void Record(long clientId, long secretId, long at) => _pending.AddOrUpdate((clientId, secretId), at, (_, old) => Math.Max(old, at));

    public IReadOnlyCollection<SecretUse> Drain() =>
        [.. Interlocked.Exchange(ref _pending, new ConcurrentDictionary<(long ClientId, long SecretId), long>()).Select(p => new SecretUse(p.Key.ClientId, p.Key.SecretId, p.Value))];

    /// <summary>Puts back times that could not be written.</summary>
    public void Restore(IEnumerable<SecretUse> uses)
    {
        foreach (var use in uses)
        {
            Record(use.ClientId, use.SecretId, use.At);
        }
    }
}
