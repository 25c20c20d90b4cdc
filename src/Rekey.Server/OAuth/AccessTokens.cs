using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Rekey.Server.OAuth;

/// <summary>The claims of a Rekey access token (RFC 9068).</summary>
internal sealed record AccessTokenClaims(
    string Issuer,
    string Subject,
    IReadOnlyList<string> Audience,
    string ClientId,
    IReadOnlyList<string> Scopes,
    long IssuedAt,
    long ExpiresAt,
    string TokenId);

/// <summary>
/// JWT access tokens per RFC 9068, signed ES256: header <c>{"alg":"ES256","typ":"at+jwt","kid":…}</c>, claims
/// iss, sub, aud, client_id, scope, iat, exp, jti. Written and read with <see cref="Utf8JsonWriter"/>/<see cref="JsonDocument"/>:
/// the format is small and fixed, and this keeps the token endpoint's hot path free of reflection.
/// </summary>
internal static class AccessTokens
{
    // JWT segments are never embedded in HTML; the relaxed encoder keeps "at+jwt" and URLs unescaped.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly SearchValues<char> AlphabetValues = SearchValues.Create(Alphabet);

    public static string Create(AccessTokenClaims claims, SigningKey key)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", "ES256");
            writer.WriteString("typ", "at+jwt");
            writer.WriteString("kid", key.KeyId);
            writer.WriteEndObject();
        }

        var header = Base64Url.EncodeToString(buffer.WrittenSpan);
        buffer.Clear();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("iss", claims.Issuer);
            writer.WriteString("sub", claims.Subject);
            if (claims.Audience.Count == 1)
            {
                writer.WriteString("aud", claims.Audience[0]);
            }
            else
            {
                writer.WriteStartArray("aud");
                foreach (var audience in claims.Audience)
                {
                    writer.WriteStringValue(audience);
                }

                writer.WriteEndArray();
            }

            writer.WriteString("client_id", claims.ClientId);
            if (claims.Scopes.Count > 0)
            {
                writer.WriteString("scope", string.Join(' ', claims.Scopes));
            }

            writer.WriteNumber("iat", claims.IssuedAt);
            writer.WriteNumber("exp", claims.ExpiresAt);
            writer.WriteString("jti", claims.TokenId);
            writer.WriteEndObject();
        }

        var signingInput = header + "." + Base64Url.EncodeToString(buffer.WrittenSpan);
        return signingInput + "." + Base64Url.EncodeToString(key.Sign(Encoding.ASCII.GetBytes(signingInput)));
    }

    public static string NewTokenId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    /// <summary>The key ID of a well-formed ES256 at+jwt, or null.</summary>
    public static string? ReadKeyId(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || !TryDecode(parts[0], out var headerBytes))
        {
            return null;
        }

        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            var root = header.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("alg", out var alg) && alg.ValueEquals("ES256")
                && root.TryGetProperty("typ", out var typ) && typ.ValueEquals("at+jwt")
                && root.TryGetProperty("kid", out var kid) && kid.ValueKind == JsonValueKind.String
                ? kid.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Checks the signature with <paramref name="key"/> and reads the claims; null when anything is off.</summary>
    public static AccessTokenClaims? Validate(string token, SigningKey key)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || !IsCanonicalBase64Url(parts[0]) || !TryDecode(parts[1], out var payloadBytes) || !TryDecode(parts[2], out var signature))
        {
            return null;
        }

        var signingInput = Encoding.ASCII.GetBytes(token.AsSpan(0, parts[0].Length + 1 + parts[1].Length).ToString());
        if (!key.Verify(signingInput, signature))
        {
            return null;
        }

        try
        {
            using var payload = JsonDocument.Parse(payloadBytes);
            var root = payload.RootElement;
            var audience = root.TryGetProperty("aud", out var aud)
                ? aud.ValueKind == JsonValueKind.Array ? aud.EnumerateArray().Select(a => a.GetString() ?? "").ToList() : [aud.GetString() ?? ""]
                : new List<string>();
            var scopes = root.TryGetProperty("scope", out var scope) ? (scope.GetString() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            return new AccessTokenClaims(
                root.GetProperty("iss").GetString() ?? "",
                root.GetProperty("sub").GetString() ?? "",
                audience,
                root.GetProperty("client_id").GetString() ?? "",
                scopes,
                root.GetProperty("iat").GetInt64(),
                root.GetProperty("exp").GetInt64(),
                root.GetProperty("jti").GetString() ?? "");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static bool TryDecode(string part, out byte[] bytes)
    {
        if (!IsCanonicalBase64Url(part))
        {
            bytes = [];
            return false;
        }

        bytes = Base64Url.DecodeFromChars(part);
        return true;
    }

    /// <summary>
    /// True when <paramref name="part"/> is the one base64url spelling of its bytes (RFC 7515 §2): only the alphabet,
    /// no padding, no whitespace, and zero unused bits in the last character. Base64Url.IsValid ignores whitespace
    /// and accepts padding, so one signature would have many spellings, each a different token string that verifies.
    /// </summary>
    private static bool IsCanonicalBase64Url(ReadOnlySpan<char> part)
    {
        if (part.Length % 4 == 1 || part.ContainsAnyExcept(AlphabetValues))
        {
            return false;
        }

        // The last character of 2 (or 3) in a group carries 2 (or 4) data bits; its remaining low bits are unused.
        var unusedBits = (part.Length % 4) switch { 2 => 0b1111, 3 => 0b0011, _ => 0 };
        return unusedBits == 0 || (Alphabet.AsSpan().IndexOf(part[^1]) & unusedBits) == 0;
    }
}
