using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rekey.Server.Events;

/// <summary>
/// The Standard Webhooks symmetric scheme (https://www.standardwebhooks.com/): an HMAC-SHA256 of
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>, sent as <c>v1,</c> and its base64. Following the spec exactly is the
/// point: a receiver verifies with whichever Standard Webhooks library it already has, or with the SDK's
/// <c>WebhookVerifier</c>.
/// </summary>
internal static class StandardWebhooks
{
    /// <summary>The prefix the spec gives a symmetric secret, so that a receiver can tell it from an asymmetric key.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>The length of the keys <see cref="NewSecret"/> draws: 256 bits, as long as an HMAC-SHA256 output.</summary>
    public const int SecretBytes = 32;

    // The spec's bounds for a symmetric secret: at least 192 bits, at most 512. An imported key outside them is refused
    // rather than weakened or silently hashed down.
    private const int MinKeyBytes = 24;
    private const int MaxKeyBytes = 64;

    private const string SignatureVersion = "v1,";

    /// <summary>A new endpoint secret: <c>whsec_</c> and the base64 of 32 bytes from the OS CSPRNG.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>
    /// The key of a secret in the spec's serialisation: standard base64 (padded), with or without the <c>whsec_</c>
    /// prefix, as the reference libraries accept it, decoding to 24 to 64 bytes. Anything else (empty, URL-safe or
    /// unpadded base64, whitespace, a key too short to be a key) is refused, with <paramref name="key"/> empty.
    /// </summary>
    public static bool TryDecodeSecret(string? value, out byte[] key)
    {
        key = [];
        if (value is null)
        {
            return false;
        }

        var encoded = value.AsSpan();
        if (encoded.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            encoded = encoded[SecretPrefix.Length..];
        }

        // Convert.TryFromBase64Chars skips whitespace inside the text; a secret with a space or line break in it was
        // pasted wrong, and the same text must not stand for the same key in two spellings.
        if (encoded.Length == 0 || encoded.Length > Base64.GetMaxEncodedToUtf8Length(MaxKeyBytes) || encoded.ContainsAny(" \t\r\n"))
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[MaxKeyBytes];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written) || written < MinKeyBytes)
        {
            return false;
        }

        key = buffer[..written].ToArray();
        CryptographicOperations.ZeroMemory(buffer);
        return true;
    }

    /// <summary>
    /// One signature, <c>v1,</c> and the base64 HMAC-SHA256 of <c>{messageId}.{timestampSeconds}.{body}</c> under
    /// <paramref name="key"/>. The body is signed as the exact bytes sent: a receiver that re-serialises JSON before
    /// verifying fails, as the spec warns.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The key is empty, or the message ID is empty or holds a character outside visible ASCII or a full stop: the spec forbids the full stop
    /// (it would let one ID–timestamp split pass for another) and the ID travels in a header.
    /// </exception>
    public static string Sign(ReadOnlySpan<byte> key, string messageId, long timestampSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = SignedPrefix(messageId, timestampSeconds);
        return SignPrefixed(key, prefix, body);
    }

    /// <summary>
    /// The <c>webhook-signature</c> header: one signature per key, separated by single spaces, in the order given. During
    /// a secret rotation the caller passes the newest key first: a receiver tries the signatures in turn, and one that has
    /// already switched matches on the first.
    /// </summary>
    /// <exception cref="ArgumentException">No key, or a key or message ID <see cref="Sign"/> refuses.</exception>
    public static string SignatureHeader(IReadOnlyList<byte[]> keys, string messageId, long timestampSeconds, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("At least one key signs a webhook.", nameof(keys));
        }

        var prefix = SignedPrefix(messageId, timestampSeconds);
        var header = new StringBuilder(keys.Count * 48);
        for (var i = 0; i < keys.Count; i++)
        {
            if (i > 0)
            {
                header.Append(' ');
            }

            header.Append(SignPrefixed(keys[i], prefix, body));
        }

        return header.ToString();
    }

    // "{id}.{timestamp}." as UTF-8 (ASCII, given the ID rule): the part of the signed content before the body.
    private static byte[] SignedPrefix(string messageId, long timestampSeconds)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        if (messageId.Length == 0 || messageId.AsSpan().ContainsAnyExceptInRange('!', '~') || messageId.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException("A webhook ID is visible ASCII without a full stop.", nameof(messageId));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(timestampSeconds);
        return Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{messageId}.{timestampSeconds}."));
    }

    private static string SignPrefixed(ReadOnlySpan<byte> key, byte[] prefix, ReadOnlySpan<byte> body)
    {
        // HMAC takes an empty key, and a null array is an empty span: either would sign with a key anyone knows.
        if (key.IsEmpty)
        {
            throw new ArgumentException("A webhook key is not empty.", nameof(key));
        }

        // Incremental, so that the body is hashed where it lies rather than copied behind the prefix.
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        hmac.GetHashAndReset(mac);
        return SignatureVersion + Convert.ToBase64String(mac);
    }
}
