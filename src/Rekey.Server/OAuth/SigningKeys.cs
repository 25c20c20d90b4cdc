using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.OAuth;

/// <summary>
/// Per-service ES256 signing keys: generated on first use, stored sealed under the data key, rotatable on the schedule
/// of <see cref="SigningKeySchedule"/> (announced in the JWKS before they sign, published until their tokens have
/// expired). Loaded keys are cached for <see cref="CacheLifetime"/>; which of them signs is decided on each call by
/// the clock, so every node switches at the activation time it read. A token naming an unknown key ID forces a reload,
/// so a rotation on another node is picked up at once for verification.
/// </summary>
internal sealed class SigningKeys(IRekeyStore store, TimeProvider time, IOptions<RekeyOptions> options) : IDisposable
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<long, Entry> _cache = new();
    private readonly SemaphoreSlim _creating = new(1, 1);

    private sealed record Entry(DateTimeOffset LoadedAt, IReadOnlyList<SigningKey> Keys);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The key that signs now; the service's first key is created (active at once) when it has none.</summary>
    public async Task<SigningKey> CurrentAsync(long serviceId, CancellationToken ct)
    {
        if (SigningKeySchedule.Signing(await GetAsync(serviceId, reload: false, ct), k => k.Times, Now) is { } signing)
        {
            return signing;
        }

        await _creating.WaitAsync(ct);
        try
        {
            var keys = await GetAsync(serviceId, reload: true, ct);
            if (SigningKeySchedule.Signing(keys, k => k.Times, Now) is { } loaded)
            {
                return loaded;
            }

            var change = new ChangeContext(AuditActions.SigningKeyRotate, Now, "system", null, null, null);
            await AddAsync(serviceId, SigningKeySchedule.First, change, ct);
            keys = await GetAsync(serviceId, reload: true, ct);
            return SigningKeySchedule.Signing(keys, k => k.Times, Now) ?? keys[0];
        }
        finally
        {
            _creating.Release();
        }
    }

    /// <summary>A published key of the service by ID, for verification; null for an unknown or retired key.</summary>
    public async Task<SigningKey?> FindAsync(long serviceId, string keyId, CancellationToken ct)
    {
        var key = (await GetAsync(serviceId, reload: false, ct)).FirstOrDefault(k => k.KeyId == keyId)
            ?? (await GetAsync(serviceId, reload: true, ct)).FirstOrDefault(k => k.KeyId == keyId);
        return key is not null && SigningKeySchedule.IsPublished(key.Times, Now) ? key : null;
    }

    /// <summary>The keys in the JWKS now, newest first: the one waiting to sign, the one signing, those retiring.</summary>
    public async Task<IReadOnlyList<SigningKey>> PublishedAsync(long serviceId, CancellationToken ct)
    {
        var now = Now;
        return [.. (await GetAsync(serviceId, reload: false, ct)).Where(k => SigningKeySchedule.IsPublished(k.Times, now))];
    }

    /// <summary>Every stored key of the service with its schedule and status now, newest first, read from the store.</summary>
    public async Task<IReadOnlyList<SigningKeyInfo>> DescribeAsync(long serviceId, CancellationToken ct)
    {
        var keys = await GetAsync(serviceId, reload: true, ct);
        var now = Now;
        var signing = SigningKeySchedule.Signing(keys, k => k.Times, now);
        return [.. keys.Select(k => new SigningKeyInfo
        {
            KeyId = k.KeyId,
            Status = SigningKeySchedule.Status(k.Times, ReferenceEquals(k, signing), now),
            PublishedAt = k.Times.PublishedAt,
            ActivatesAt = k.Times.ActivatesAt,
            RetiresAt = k.Times.RetiresAt,
        })];
    }

    /// <summary>
    /// Adds the service's next key: published now, signing after <c>Rekey:SigningKeyActivationDelay</c>; the key
    /// signing now is retired once its last token has expired (<see cref="SigningKeySchedule.Rotation"/>).
    /// </summary>
    public async Task<Outcome<string>> RotateAsync(long serviceId, ChangeContext change, CancellationToken ct)
    {
        if (await store.GetServiceAsync(serviceId, ct) is not { } stored)
        {
            return StoreRules.ServiceNotFound(serviceId);
        }

        var service = Services.ServiceRules.Present(stored);
        var lifetime = service.AccessTokenDuration is > 0 and { } d ? d : TokenIssuer.DefaultAccessTokenDuration;
        var (delay, margin) = (options.Value.SigningKeyActivationDelay, options.Value.SigningKeyRetirementMargin);
        var added = await AddAsync(serviceId, (keys, at) => SigningKeySchedule.Rotation(serviceId, keys, at, delay, lifetime, margin), change, ct);
        if (!added.IsOk(out var key, out var error))
        {
            return error;
        }

        _cache.TryRemove(serviceId, out _);
        return key.KeyId;
    }

    private async Task<Outcome<StoredSigningKey>> AddAsync(long serviceId, Func<IReadOnlyList<StoredSigningKey>, long, Outcome<SigningKeyPlan?>> plan, ChangeContext change,
        CancellationToken ct)
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
            return await store.AddSigningKeyAsync(serviceId, new NewSigningKey(keyId, JsonSerializer.Serialize(jwk, WireJson.Context.JsonWebKey), privateKey), plan, change, ct);
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
