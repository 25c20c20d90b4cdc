using System.Globalization;
using Rekey.Contracts;
using Rekey.Server.Storage;

namespace Rekey.Server.OAuth;

/// <summary>A signing key's schedule, epoch milliseconds (<see cref="SigningKeySchedule"/>).</summary>
internal readonly record struct KeyTimes(long PublishedAt, long ActivatesAt, long? RetiresAt);

/// <summary>What a rotation writes: when the new key signs, and which key it replaces, out of the JWKS when.</summary>
internal sealed record SigningKeyPlan(long ActivatesAt, (string KeyId, long RetiresAt)? Retiring);

/// <summary>
/// The life of a signing key, in one place. A key is published when it is created and signs from its activation:
/// at once for a service's first key, after <c>Rekey:SigningKeyActivationDelay</c> for a rotated-in key, so that
/// verifiers caching the JWKS have fetched it before they meet a token it signed. The key it replaces signs until
/// then and stays published until every token it signed has expired (the service's access token lifetime) plus
/// <c>Rekey:SigningKeyRetirementMargin</c>. Times are epoch milliseconds; keys are newest first.
/// </summary>
internal static class SigningKeySchedule
{
    /// <summary>In the JWKS and usable for verification at <paramref name="now"/>.</summary>
    public static bool IsPublished(KeyTimes key, long now) => key.RetiresAt is not { } retiresAt || retiresAt > now;

    /// <summary>The key that signs at <paramref name="now"/>: the most recently activated one still published.</summary>
    public static T? Signing<T>(IEnumerable<T> keys, Func<T, KeyTimes> times, long now) where T : class =>
        keys.Where(k => times(k).ActivatesAt <= now && IsPublished(times(k), now)).MaxBy(k => times(k).ActivatesAt);

    public static string Status(KeyTimes key, bool signing, long now) =>
        !IsPublished(key, now) ? SigningKeyInfo.Retired
        : key.ActivatesAt > now ? SigningKeyInfo.Published
        : signing ? SigningKeyInfo.Active
        : SigningKeyInfo.Retiring;

    /// <summary>The service's first key signs at once; when the service has a key already (another node made it), nothing is added.</summary>
    public static Outcome<SigningKeyPlan?> First(IReadOnlyList<StoredSigningKey> keys, long createdAt) =>
        keys.Count == 0 ? new SigningKeyPlan(createdAt, null) : null;

    /// <summary>
    /// A rotation at <paramref name="createdAt"/>: the new key signs after <paramref name="delay"/>; the key signing now
    /// retires <paramref name="tokenLifetimeSeconds"/> plus <paramref name="margin"/> after that. Refused while the key of
    /// an earlier rotation is still waiting, so that keys activate in the order they were published. A service without
    /// a key has had no JWKS fetched yet (fetching it makes the first key), so its first key signs at once.
    /// </summary>
    public static Outcome<SigningKeyPlan?> Rotation(long serviceId, IReadOnlyList<StoredSigningKey> keys, long createdAt, TimeSpan delay, long tokenLifetimeSeconds,
        TimeSpan margin)
    {
        if (keys.FirstOrDefault(k => k.ActivatesAt > createdAt) is { } pending)
        {
            return RuleViolation.Of(ResultCodes.SigningKeyStillPending, serviceId, pending.KeyId, DateTimeOffset.FromUnixTimeMilliseconds(pending.ActivatesAt).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }

        if (Signing(keys, k => k.Times, createdAt) is not { } signing)
        {
            return new SigningKeyPlan(createdAt, null);
        }

        var activatesAt = createdAt + (long)delay.TotalMilliseconds;
        return new SigningKeyPlan(activatesAt, (signing.KeyId, activatesAt + (tokenLifetimeSeconds * 1000) + (long)margin.TotalMilliseconds));
    }
}
