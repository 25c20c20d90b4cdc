using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Rekey.Contracts;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.OAuth;

/// <summary>
/// Per-service ES256 signing keys: generated on first use, stored sealed under the data key, rotatable. The newest
/// signs; the current and the previous one are published in the JWKS. Loaded keys are cached for
/// <see cref="CacheLifetime"/>; a token naming an unknown key ID forces a reload, so a rotation on another node is
/// picked up at once for verification and within the cache lifetime for signing.
/// </summary>
internal sealed class SigningKeys(IRekeyStore store, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<long, Entry> _cache = new();
    private readonly SemaphoreSlim _creating = new(1, 1);

    private sealed record Entry(DateTimeOffset LoadedAt, IReadOnlyList<SigningKey> Keys);

    public async Task<SigningKey> CurrentAsync(long serviceId, CancellationToken ct)
    {
        var keys = await GetAsync(serviceId, reload: false, ct);
        if (keys.Count > 0)
        {
            return keys[0];
        }

        await _creating.WaitAsync(ct);
        try
        {
            keys = await GetAsync(serviceId, reload: true, ct);
            if (keys.Count > 0)
            {
                return keys[0];
            }

            var change = new ChangeContext(AuditActions.SigningKeyRotate, time.GetUtcNow().ToUnixTimeMilliseconds(), "system", null, null, null);
            await AddAsync(serviceId, change, ct);
            return (await GetAsync(serviceId, reload: true, ct))[0];
        }
        finally
        {
            _creating.Release();
        }
    }

    public async Task<SigningKey?> FindAsync(long serviceId, string keyId, CancellationToken ct)
    {
        var key = (await GetAsync(serviceId, reload: false, ct)).FirstOrDefault(k => k.KeyId == keyId);
        return key ?? (await GetAsync(serviceId, reload: true, ct)).FirstOrDefault(k => k.KeyId == keyId);
    }

    public Task<IReadOnlyList<SigningKey>> PublishedAsync(long serviceId, CancellationToken ct) => GetAsync(serviceId, reload: false, ct);

    /// <summary>Adds a new key for the service; it signs from now on, and the previous one stays published.</summary>
    public async Task<Outcome<string>> RotateAsync(long serviceId, ChangeContext change, CancellationToken ct)
    {
        var added = await AddAsync(serviceId, change, ct);
        if (!added.IsOk(out var key, out var error))
        {
            return error;
        }

        _cache.TryRemove(serviceId, out _);
        return key.KeyId;
    }

    private async Task<Outcome<StoredSigningKey>> AddAsync(long serviceId, ChangeContext change, CancellationToken ct)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        var keyId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));
        var jwk = new JsonWebKey
        {
            X = Base64Url.EncodeToString(parameters.Q.X),
            Y = Base64Url.EncodeToString(parameters.Q.Y),
            Kid = keyId,
        };
        var privateKey = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            return await store.AddSigningKeyAsync(serviceId, new NewSigningKey(keyId, JsonSerializer.Serialize(jwk, WireJson.Context.JsonWebKey), privateKey), change, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    public void Dispose() => _creating.Dispose();

    private async Task<IReadOnlyList<SigningKey>> GetAsync(long serviceId, bool reload, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (!reload && _cache.TryGetValue(serviceId, out var entry) && now - entry.LoadedAt < CacheLifetime)
        {
            return entry.Keys;
        }

        var keys = (await store.GetSigningKeysAsync(serviceId, ct)).Select(k => new SigningKey(k)).ToList();
        _cache[serviceId] = new Entry(now, keys);
        return keys;
    }
}
