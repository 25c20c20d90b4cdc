using Rekey.Server.Storage;

namespace Rekey.Server.OAuth;

/// <summary>An active token and its client, or nothing.</summary>
internal sealed record Introspection(AccessTokenClaims? Claims, ClientCredentials? Client)
{
    public bool Active => Claims is not null && Client is not null;

    public static Introspection Inactive { get; } = new(null, null);
}

/// <summary>
/// Decides whether an access token is active, for both <c>/oauth2/{serviceId}/introspect</c> (RFC 7662) and
/// Authlete's <c>/auth/introspection</c>: signed by a key of this service, issued by this service's issuer, not
/// expired, and its client still exists and is not locked. Everything else — forged, foreign, expired, tampered,
/// client deleted or locked — is simply inactive.
/// </summary>
internal sealed class Introspector(VerificationCache cache, SigningKeys keys, TimeProvider time)
{
    public async Task<Introspection> InspectAsync(long serviceId, string issuer, string token, CancellationToken ct)
    {
        if (AccessTokens.ReadKeyId(token) is not { } keyId || await keys.FindAsync(serviceId, keyId, ct) is not { } key)
        {
            return Introspection.Inactive;
        }

        var claims = AccessTokens.Validate(token, key);
        if (claims is null || claims.Issuer != issuer || claims.ExpiresAt <= time.GetUtcNow().ToUnixTimeSeconds())
        {
            return Introspection.Inactive;
        }

        var client = await cache.CredentialsAsync(serviceId, claims.ClientId, ct);
        return client.IsOk(out var credentials, out _) && !credentials.Locked
            ? new Introspection(claims, credentials)
            : Introspection.Inactive;
    }
}
