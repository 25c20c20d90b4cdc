using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>Why a presented secret was refused; callers map every one to the same public answer (invalid_client).</summary>
internal enum VerificationFailure
{
    None,
    UnknownClient,

    /// <summary>The client exists but no secret valid now matches (wrong, revoked, past its grace period or lifetime).</summary>
    WrongSecret,
}

/// <summary>The outcome of one verification: the client (when found) and, on success, the secret that matched.</summary>
internal sealed record Verification(VerificationFailure Failure, ClientCredentials? Client, long? SecretId)
{
    public bool Succeeded => Failure == VerificationFailure.None;
}

/// <summary>
/// The verification core every consumer uses (token endpoint, Authlete /auth/token). It accepts the current secret
/// and unexpired previous ones and refuses the rest. Every call computes exactly <see cref="Slots"/> HMACs — the
/// secrets valid now (the store's cap keeps them within the slots), then decoys — whether or not the client exists
/// and however many secrets it has kept, and compares in constant time. Last use is recorded in memory and written
/// in batches by <see cref="SecretMaintenance"/>, never with a durable write per verification.
/// </summary>
internal sealed class SecretVerifier(VerificationCache cache, SecretCipher cipher, SecretUsage usage, TimeProvider time)
{
    /// <summary>Candidates checked per verification: the current secret and the valid previous ones, at most.</summary>
    private const int Slots = SecretPolicy.MaxValidPrevious + 1;

    /// <summary>The longest secret (86 characters): the HMAC key of a decoy assertion check, so that it hashes as much as a real one can.</summary>
    private static readonly byte[] DecoyKey = new byte[86];

    public async Task<Verification> VerifyAsync(long serviceId, string clientIdentifier, string presentedSecret, CancellationToken ct)
    {
        var (client, candidates, now) = await CandidatesAsync(serviceId, clientIdentifier, ct);
        long? matched = null;
        for (var slot = 0; slot < Slots; slot++)
        {
            if (slot < candidates.Count && client is not null)
            {
                var candidate = candidates[slot];
                var aad = SecretCipher.AssociatedData(serviceId, client.ClientId, candidate.SecretId);
                if (cipher.Matches(candidate.KeyId, candidate.Digest, presentedSecret, aad))
                {
                    matched ??= candidate.SecretId;
                }
            }
            else
            {
                cipher.MatchNothing(serviceId, presentedSecret);
            }
        }

        return Conclude(client, matched, now);
    }

    /// <summary>
    /// client_secret_jwt: is <paramref name="assertion"/> signed with one of the client's secrets valid now? The same
    /// candidates as <see cref="VerifyAsync"/>, with the same constant work: every slot opens one sealed value (AES-GCM)
    /// and computes one HMAC of the assertion — a real secret's, or a decoy's for an empty slot, an unknown client or a
    /// previous secret that kept only its digest (which cannot verify an assertion). Only the signature is checked
    /// here; the claims are the caller's.
    /// </summary>
    public async Task<Verification> VerifyAssertionAsync(long serviceId, string clientIdentifier, OAuth.ClientAssertion assertion, CancellationToken ct)
    {
        var (client, candidates, now) = await CandidatesAsync(serviceId, clientIdentifier, ct);
        long? matched = null;
        for (var slot = 0; slot < Slots; slot++)
        {
            var key = slot < candidates.Count && client is not null && candidates[slot] is { Ciphertext: { } sealedBytes } candidate
                ? cipher.TryOpenBytes(candidate.KeyId, sealedBytes, SecretCipher.AssociatedData(serviceId, client.ClientId, candidate.SecretId))
                : cipher.OpenNothing(serviceId);
            try
            {
                if (assertion.SignatureMatches(key ?? DecoyKey) && key is not null)
                {
                    matched ??= candidates[slot].SecretId;
                }
            }
            finally
            {
                if (key is not null)
                {
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
                }
            }
        }

        return Conclude(client, matched, now);
    }

    /// <summary>The client named by the identifier, if any, and its secrets valid now (current first), at most <see cref="Slots"/>.</summary>
    private async Task<(ClientCredentials? Client, List<SecretCandidate> Candidates, long Now)> CandidatesAsync(long serviceId, string clientIdentifier, CancellationToken ct)
    {
        var found = await cache.CredentialsAsync(serviceId, clientIdentifier, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var client = found.Value;
        var candidates = client is null
            ? []
            : client.Secrets.Where(s => s.IsValidAt(now)).OrderBy(s => s.State).Take(Slots).ToList();
        return (client, candidates, now);
    }

    private Verification Conclude(ClientCredentials? client, long? matched, long now)
    {
        if (client is null)
        {
            return new Verification(VerificationFailure.UnknownClient, null, null);
        }

        if (matched is { } secretId)
        {
            usage.Record(client.ClientId, secretId, now);
            return new Verification(VerificationFailure.None, client, secretId);
        }

        return new Verification(VerificationFailure.WrongSecret, client, null);
    }
}
