using Rekey.Contracts;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>
/// One kept secret of a client. What it holds depends on its state: the current secret its ciphertext (the only value
/// ever decrypted) and digest; a previous one only its digest (verification needs nothing more) until
/// <see cref="ValidUntil"/>; a revoked one nothing derived from its value — no ciphertext, no digest, no hint.
/// </summary>
internal sealed record SecretEntry(
    long SecretId,
    int State,
    long CreatedAt,
    long? ExpiresAt,
    long? ValidUntil,
    long? RevokedAt,
    string? Hint,
    string? KeyId,
    byte[]? Ciphertext,
    byte[]? Digest)
{
    public bool IsValidAt(long now) => SecretPolicy.IsValid(State, ExpiresAt, ValidUntil, now);

    /// <summary>The same secret, revoked at <paramref name="now"/>: everything derived from its value is dropped.</summary>
    public SecretEntry Revoked(long now) =>
        this with { State = SecretPolicy.StateRevoked, RevokedAt = RevokedAt ?? now, Hint = null, KeyId = null, Ciphertext = null, Digest = null };

    public override string ToString() => $"SecretEntry {{ SecretId = {SecretId}, State = {State} }}";
}

/// <summary>A new current secret, sealed for its client (the ID is part of the associated data).</summary>
internal sealed record NewSecret(long SecretId, SealedSecret Sealed, string? Hint, long? ExpiresAt)
{
    public override string ToString() => $"NewSecret {{ SecretId = {SecretId} }}";
}

/// <summary>
/// Every kept secret of one client, newest first, stored together with the client (one row, one page): the rules of
/// zero-downtime rotation (<see cref="SecretPolicy"/>) applied as one pure function of what is stored, so that the
/// stores only read and write the set. A rotation demotes the current secret (previous for the grace period, or revoked
/// at once), revokes valid previous secrets beyond <see cref="SecretPolicy.MaxValidPrevious"/>, adds the new current
/// secret strictly after the newest one, and keeps, besides the current secret and the valid previous ones, the
/// newest <see cref="SecretPolicy.KeptPerClient"/> others for the secret list.
/// </summary>
internal sealed class SecretSet
{
    public static SecretSet Empty { get; } = new([]);

    public SecretSet(IReadOnlyList<SecretEntry> entries)
    {
        Entries = [.. entries.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.SecretId)];
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<SecretEntry> Entries { get; }

    public SecretEntry? Current => Entries.FirstOrDefault(e => e.State == SecretPolicy.StateCurrent);

    /// <summary>The data key that seals the current secret, if any (the stores index it, for re-encryption).</summary>
    public string? CurrentKeyId => Current?.KeyId;

    public SecretEntry? Find(long secretId) => Entries.FirstOrDefault(e => e.SecretId == secretId);

    /// <summary>A secret ID that no secret of this client has (IDs are random; they need to be unique per client only).</summary>
    public long NewSecretId()
    {
        while (true)
        {
            var id = SecretGenerator.NewId();
            if (Find(id) is null)
            {
                return id;
            }
        }
    }

    /// <summary>The first secret of a new client.</summary>
    public static SecretSet First(NewSecret secret, long now) =>
        new([Entry(secret, now)]);

    /// <summary>
    /// Replaces the current secret by <paramref name="secret"/>; the old one stays valid for <paramref name="graceSeconds"/>.
    /// A demoted secret keeps only its digest, except with <paramref name="keepPreviousValue"/> (a client that
    /// authenticates with client_secret_jwt): an assertion's HMAC needs the secret itself, not a digest of it, so the
    /// ciphertext stays for the grace period, and is dropped by the first rotation after it.
    /// </summary>
    public SecretSet Rotate(NewSecret secret, long now, long graceSeconds, bool keepPreviousValue = false)
    {
        var kept = new List<SecretEntry>(Entries.Count + 1);
        foreach (var entry in Entries)
        {
            kept.Add(entry.State != SecretPolicy.StateCurrent
                    ? entry is { State: SecretPolicy.StatePrevious, Ciphertext: not null } && !(entry.ValidUntil > now) ? entry with { Ciphertext = null } : entry
                : graceSeconds > 0 ? entry with { State = SecretPolicy.StatePrevious, ValidUntil = now + (graceSeconds * 1000), Ciphertext = keepPreviousValue ? entry.Ciphertext : null }
                : entry.Revoked(now));
        }

        // At most MaxValidPrevious previous secrets valid at once: the oldest beyond that are revoked now.
        var validPrevious = 0;
        for (var i = 0; i < kept.Count; i++)
        {
            if (kept[i].State == SecretPolicy.StatePrevious && kept[i].ValidUntil > now && ++validPrevious > SecretPolicy.MaxValidPrevious)
            {
                kept[i] = kept[i].Revoked(now);
            }
        }

        var newest = Entries.Count == 0 ? 0 : Entries[0].CreatedAt;
        var current = Entry(secret, SecretPolicy.CreatedAt(now, newest));

        // Kept: the current secret, every valid previous one, and the rest of the newest KeptPerClient earlier secrets.
        var retained = kept.Where((e, i) => (e.State == SecretPolicy.StatePrevious && e.ValidUntil > now) || i < SecretPolicy.KeptPerClient);
        return new SecretSet([current, .. retained]);
    }

    /// <summary>Revokes a previous secret now; the current one cannot be revoked (A151201).</summary>
    public Outcome<SecretSet> Revoke(long secretId, long clientId, long now)
    {
        var entry = Find(secretId);
        if (entry is null)
        {
            return RuleViolation.Of(ResultCodes.SecretNotFound, secretId, clientId);
        }

        if (entry.State == SecretPolicy.StateCurrent)
        {
            return RuleViolation.Of(ResultCodes.CannotRevokeCurrentSecret, secretId);
        }

        return new SecretSet([.. Entries.Select(e => e.SecretId == secretId ? e.Revoked(now) : e)]);
    }

    /// <summary>The same set with the current secret sealed anew (data key rotation).</summary>
    public SecretSet Resealed(SealedSecret resealed) =>
        new([.. Entries.Select(e => e.State == SecretPolicy.StateCurrent ? e with { KeyId = resealed.KeyId, Ciphertext = resealed.Ciphertext, Digest = resealed.Digest } : e)]);

    /// <summary>What verification needs: every secret that might verify (current and previous, with a digest).</summary>
    public IReadOnlyList<SecretCandidate> Candidates()
    {
        var candidates = new List<SecretCandidate>(2);
        foreach (var e in Entries)
        {
            if (e is { State: not SecretPolicy.StateRevoked, KeyId: { } keyId, Digest: { } digest })
            {
                candidates.Add(new SecretCandidate(e.SecretId, keyId, digest, e.State, e.ExpiresAt, e.ValidUntil, e.Ciphertext));
            }
        }

        return candidates;
    }

    private static SecretEntry Entry(NewSecret secret, long createdAt) =>
        new(secret.SecretId, SecretPolicy.StateCurrent, createdAt, secret.ExpiresAt, null, null, secret.Hint, secret.Sealed.KeyId, secret.Sealed.Ciphertext, secret.Sealed.Digest);

    public override string ToString() => $"SecretSet {{ Count = {Entries.Count} }}";
}
