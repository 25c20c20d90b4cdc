using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rekey.Server.Http;

namespace Rekey.Server.OAuth;

/// <summary>
/// A client assertion for client_secret_jwt (RFC 7523 §2.2 and §3, RFC 7521 §4.2, OpenID Connect Core §9): a compact
/// JWS signed HS256, HS384 or HS512 with the UTF-8 bytes of the client secret. <see cref="Parse"/> only reads it; the
/// signature is checked by <see cref="Secrets.SecretVerifier"/> against every secret valid now, in constant work, and
/// the claims by <see cref="Refusal"/>. Anything else (<c>alg: none</c>, RS/ES/PS algorithms, <c>crit</c>, malformed
/// parts, repeated members) does not parse and is refused like an unknown client.
/// </summary>
internal sealed class ClientAssertion
{
    /// <summary>Allowed difference between the clocks of the client and of Rekey, for <c>exp</c>, <c>nbf</c> and <c>iat</c>.</summary>
    public const long ClockSkewSeconds = 30;

    /// <summary>
    /// The latest <c>exp</c> accepted: now + 5 minutes (+ <see cref="ClockSkewSeconds"/>). An assertion is a
    /// one-request credential; a bound on its lifetime also bounds how long its <c>jti</c> must be remembered.
    /// </summary>
    public const long MaxLifetimeSeconds = 300;

    /// <summary>The longest <c>jti</c> accepted (it is stored, per client, until the assertion expires).</summary>
    public const int MaxJtiLength = 256;

    public static readonly IReadOnlyList<string> Algorithms = ["HS256", "HS384", "HS512"];

    private ClientAssertion(HashAlgorithmName hash, byte[] signingInput, byte[] signature, JsonElement claims)
    {
        Hash = hash;
        SigningInput = signingInput;
        Signature = signature;
        Issuer = Text(claims, "iss");
        Subject = Text(claims, "sub");
        Jti = Text(claims, "jti");
        Expires = Number(claims, "exp");
        NotBefore = Number(claims, "nbf");
        IssuedAt = Number(claims, "iat");
        Audiences = claims.TryGetProperty("aud", out var aud)
            ? aud.ValueKind switch
            {
                JsonValueKind.String => [aud.GetString() ?? ""],
                JsonValueKind.Array => [.. aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString() ?? "")],
                _ => [],
            }
            : [];
        HasMalformedClaim = HasWrongKind(claims, "iss", JsonValueKind.String) || HasWrongKind(claims, "sub", JsonValueKind.String)
            || HasWrongKind(claims, "jti", JsonValueKind.String) || HasWrongKind(claims, "exp", JsonValueKind.Number)
            || HasWrongKind(claims, "nbf", JsonValueKind.Number) || HasWrongKind(claims, "iat", JsonValueKind.Number);
    }

    private HashAlgorithmName Hash { get; }

    private byte[] SigningInput { get; }

    private byte[] Signature { get; }

    public string? Issuer { get; }

    public string? Subject { get; }

    public string? Jti { get; }

    public long? Expires { get; }

    public long? NotBefore { get; }

    public long? IssuedAt { get; }

    public IReadOnlyList<string> Audiences { get; }

    private bool HasMalformedClaim { get; }

    public override string ToString() => $"ClientAssertion {{ Subject = {Subject} }}";

    /// <summary>The assertion, or null when it is not a compact JWS with an HMAC algorithm and a JSON object as payload.</summary>
    public static ClientAssertion? Parse(string compact)
    {
        var parts = compact.Split('.');
        if (parts.Length != 3 || !parts.All(IsBase64Url))
        {
            return null;
        }

        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            if (!IsObjectWithUniqueMembers(header.RootElement) || !IsObjectWithUniqueMembers(payload.RootElement)
                || header.RootElement.TryGetProperty("crit", out _)
                || !header.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            HashAlgorithmName? hash = alg.GetString() switch
            {
                "HS256" => HashAlgorithmName.SHA256,
                "HS384" => HashAlgorithmName.SHA384,
                "HS512" => HashAlgorithmName.SHA512,
                _ => null,
            };
            var signature = Base64Url.DecodeFromChars(parts[2]);
            if (hash is not { } h || signature.Length != HashLength(h))
            {
                return null;
            }

            return new ClientAssertion(h, Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature, payload.RootElement.Clone());
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the signature is the HMAC of the signing input under <paramref name="key"/>, compared in constant
    /// time. Every call costs one HMAC of the same input whatever the key, so callers can spend it on decoys too.
    /// </summary>
    public bool SignatureMatches(ReadOnlySpan<byte> key)
    {
        Span<byte> mac = stackalloc byte[64];
        var written = Hash == HashAlgorithmName.SHA512 ? HMACSHA512.HashData(key, SigningInput, mac)
            : Hash == HashAlgorithmName.SHA384 ? HMACSHA384.HashData(key, SigningInput, mac)
            : HMACSHA256.HashData(key, SigningInput, mac);
        return CryptographicOperations.FixedTimeEquals(mac[..written], Signature);
    }

    /// <summary>
    /// Why the claims of a correctly signed assertion are refused, or null: <c>iss</c> = <c>sub</c> = the identifier
    /// the client was looked up by; <c>aud</c> (string or array) names one of <paramref name="audiences"/>; <c>exp</c>
    /// present, not past and at most <see cref="MaxLifetimeSeconds"/> ahead; <c>nbf</c> and <c>iat</c>, when present,
    /// not in the future; <c>jti</c> present. All within <see cref="ClockSkewSeconds"/>. The reason is for the log only.
    /// </summary>
    public string? Refusal(string identifier, IReadOnlyCollection<string> audiences, long now) =>
        HasMalformedClaim ? "a registered claim has the wrong JSON type"
        : Subject != identifier || Issuer != identifier ? "iss and sub must both be the client identifier"
        : !Audiences.Any(a => audiences.Contains(a, StringComparer.Ordinal)) ? "aud names neither the issuer nor the token endpoint"
        : Expires is not { } exp ? "no exp"
        : exp <= now - ClockSkewSeconds ? "expired"
        : exp > now + MaxLifetimeSeconds + ClockSkewSeconds ? "exp too far in the future"
        : NotBefore > now + ClockSkewSeconds ? "not valid yet (nbf)"
        : IssuedAt > now + ClockSkewSeconds ? "issued in the future (iat)"
        : string.IsNullOrEmpty(Jti) || Jti.Length > MaxJtiLength ? "no usable jti"
        : null;

    /// <summary>Until when (Unix seconds) the assertion's <c>jti</c> must be remembered: as long as <see cref="Refusal"/> would accept it.</summary>
    public long RememberUntil => (Expires ?? 0) + ClockSkewSeconds;

    /// <summary>
    /// Whether a client (its stored document) authenticates with client_secret_jwt, and so needs its previous secrets'
    /// values, not only their digests, for the grace period. Rotation is a hot path: most documents are ruled out by a
    /// substring search, without parsing.
    /// </summary>
    public static bool NeedsSecretValue(string document) =>
        document.Contains("CLIENT_SECRET_JWT", StringComparison.Ordinal)
        && JsonSerializer.Deserialize(document, WireJson.Context.ClientDocument)?.TokenAuthMethod == "CLIENT_SECRET_JWT";

    private static int HashLength(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA512 ? 64 : hash == HashAlgorithmName.SHA384 ? 48 : 32;

    private static bool IsBase64Url(string part) =>
        part.Length > 0 && part.All(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');

    /// <summary>RFC 7515 §5.2 and RFC 7519 §4: a member named twice is refused rather than read one way here and another way elsewhere.</summary>
    private static bool IsObjectWithUniqueMembers(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        return element.EnumerateObject().All(p => names.Add(p.Name));
    }

    private static bool HasWrongKind(JsonElement claims, string name, JsonValueKind kind) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind != kind;

    private static string? Text(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A NumericDate (RFC 7519 §2): seconds, possibly with a fraction, which is dropped.</summary>
    private static long? Number(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.TryGetInt64(out var whole) ? whole : value.TryGetDouble(out var real) && double.IsFinite(real) && Math.Abs(real) < 1e15 ? (long)Math.Floor(real) : null
            : null;
}
