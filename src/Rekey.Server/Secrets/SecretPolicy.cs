namespace Rekey.Server.Secrets;

/// <summary>
/// The rules of zero-downtime rotation, shared by both stores: how long a replaced secret stays valid, how many may
/// be valid at once, how many are kept for the record, and what a secret's status is at a given time.
/// </summary>
internal static class SecretPolicy
{
    /// <summary>Longest grace period, per service or per call: 30 days.</summary>
    public const long MaxGracePeriodSeconds = 30L * 24 * 3600;

    /// <summary>Longest secret lifetime: 10 years.</summary>
    public const long MaxLifetimeSeconds = 10L * 365 * 24 * 3600;

    /// <summary>At most this many previous secrets are valid at once; an older one is revoked when a rotation exceeds it.</summary>
    public const int MaxValidPrevious = 5;

    /// <summary>Non-current secrets kept per client for the secret list (the oldest invalid ones are deleted).</summary>
    public const int KeptPerClient = 10;

    /// <summary>Secrets shorter than this get no hint: four characters of a short secret reveal too much.</summary>
    public const int HintMinLength = 32;

    // Only the current secret is ever decrypted (client/get, the oldClientSecret of a rotation); verification uses the
    // digest. So a demoted secret keeps no ciphertext, and a revoked one keeps neither ciphertext nor digest: less
    // secret material at rest, and nothing for a key rotation to carry along.
    public const int StateCurrent = 0;
    public const int StatePrevious = 1;
    public const int StateRevoked = 2;

    /// <summary>
    /// The first four characters of a secret of at least <see cref="HintMinLength"/>; of an identifiable secret with the
    /// deployment's <paramref name="identifiablePrefix"/>, the prefix and the first four characters after it (the prefix
    /// alone would tell every secret of the deployment apart from none).
    /// </summary>
    public static string? Hint(string secret, string identifiablePrefix) =>
        secret.Length < HintMinLength ? null
        : Contracts.IdentifiableSecret.IsValid(secret, identifiablePrefix) ? secret[..(identifiablePrefix.Length + 4)]
        : secret[..4];

    /// <summary>
    /// The creation time of a client's new secret: the time of the change, but strictly after the client's newest
    /// secret. The cap, the retention and the secret list all order a client's secrets by creation time; rotations of
    /// one client are serialised, so this keeps that order equal to the order of the rotations even when two land in
    /// the same millisecond or their request clocks were read out of order.
    /// </summary>
    public static long CreatedAt(long now, long newestExisting) => Math.Max(now, newestExisting + 1);

    public static long? ExpiresAt(long now, long lifetimeSeconds) => lifetimeSeconds > 0 ? now + (lifetimeSeconds * 1000) : null;

    /// <summary>Does a secret in this state verify at <paramref name="now"/>?</summary>
    public static bool IsValid(int state, long? expiresAt, long? validUntil, long now) =>
        (expiresAt is null || expiresAt > now) && state switch
        {
            StateCurrent => true,
            StatePrevious => validUntil > now,
            _ => false,
        };

    public static string Status(int state, long? expiresAt, long? validUntil, long now) => state switch
    {
        StateRevoked => "revoked",
        _ when !IsValid(state, expiresAt, validUntil, now) => "expired",
        StateCurrent => "current",
        _ => "previous",
    };
}
