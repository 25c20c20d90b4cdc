using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rekey.Sdk.Webhooks;

/// <summary>
/// Checks that a webhook came from Rekey: the Standard Webhooks symmetric scheme (https://www.standardwebhooks.com/),
/// so any Standard Webhooks library verifies Rekey's webhooks as well, and this one verifies any producer's. Give it the
/// endpoint's <c>whsec_…</c> secret once; call <see cref="Verify"/> with the three <c>webhook-*</c> headers and the body
/// exactly as received, before parsing it. Thread-safe; <see cref="ToString"/> never shows the secret.
/// </summary>
/// <example>
/// <code>
/// var verifier = new WebhookVerifier(secretFromConfiguration);
/// using var buffer = new MemoryStream();
/// await request.Body.CopyToAsync(buffer);
/// if (!verifier.Verify(request.Headers["webhook-id"], request.Headers["webhook-timestamp"],
///         request.Headers["webhook-signature"], buffer.ToArray(), DateTimeOffset.UtcNow))
/// {
///     return Results.Unauthorized();
/// }
/// </code>
/// </example>
public sealed class WebhookVerifier
{
    private const string SecretPrefix = "whsec_";
    private const int MinKeyBytes = 24;
    private const int MaxKeyBytes = 64;
    private const int SignatureBytes = 32;

    /// <summary>
    /// How far <c>webhook-timestamp</c> may lie from <c>now</c>, either way: five minutes, as the reference libraries
    /// take it. An older webhook is refused as a possible replay; a newer one as a forgery that waits for its time.
    /// </summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private readonly byte[] _key;

    /// <summary>A verifier for one endpoint's secret.</summary>
    /// <param name="secret">
    /// The endpoint's signing secret as Rekey shows it: <c>whsec_</c> and standard base64 of 24 to 64 bytes. The prefix
    /// may be left out, as the reference libraries allow.
    /// </param>
    /// <exception cref="ArgumentException">The secret is not in that form. The message does not repeat it.</exception>
    public WebhookVerifier(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        _key = DecodeSecret(secret)
            ?? throw new ArgumentException("The webhook secret is not a Standard Webhooks secret (whsec_ and the base64 of 24 to 64 bytes).", nameof(secret));
    }

    /// <summary>
    /// True when one of the <c>v1</c> signatures in <paramref name="signatureHeader"/> is the HMAC-SHA256 of
    /// <c>{id}.{timestamp}.{body}</c> under this secret, and <paramref name="timestamp"/> lies within
    /// <see cref="Tolerance"/> of <paramref name="now"/>. Signatures of other versions are skipped (the header may carry
    /// several, one per key during a rotation and per scheme); the comparison takes the same time wherever the signatures
    /// differ. False, never an exception, for a missing or malformed header.
    /// </summary>
    /// <param name="id">The <c>webhook-id</c> header: the message ID, the same on every retry, for de-duplication.</param>
    /// <param name="timestamp">The <c>webhook-timestamp</c> header: Unix seconds of this attempt.</param>
    /// <param name="signatureHeader">The <c>webhook-signature</c> header: space-separated <c>v1,&lt;base64&gt;</c> signatures.</param>
    /// <param name="body">The request body, byte for byte as received: JSON parsed and written again no longer matches.</param>
    /// <param name="now">The current time (<c>DateTimeOffset.UtcNow</c>, or a <see cref="TimeProvider"/>'s).</param>
    public bool Verify(string? id, string? timestamp, string? signatureHeader, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        // The spec forbids a full stop in the ID: it would let one split of "{id}.{timestamp}" pass for another.
        if (string.IsNullOrEmpty(id) || id.Contains('.', StringComparison.Ordinal) || string.IsNullOrEmpty(signatureHeader)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        var nowSeconds = now.ToUnixTimeSeconds();
        var tolerance = (long)Tolerance.TotalSeconds;
        if (seconds < nowSeconds - tolerance || seconds > nowSeconds + tolerance)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[SignatureBytes];
        using (var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key))
        {
            hmac.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{id}.{seconds}.")));
            hmac.AppendData(body);
            hmac.GetHashAndReset(expected);
        }

        Span<byte> candidate = stackalloc byte[SignatureBytes];
        var header = signatureHeader.AsSpan();
        foreach (var range in header.Split(' '))
        {
            var versioned = header[range];
            var comma = versioned.IndexOf(',');
            if (comma < 0 || !versioned[..comma].SequenceEqual("v1"))
            {
                continue;
            }

            if (Convert.TryFromBase64Chars(versioned[(comma + 1)..], candidate, out var written) && written == SignatureBytes
                && CryptographicOperations.FixedTimeEquals(expected, candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Names the type only: the secret is not shown, in whole or in part.</summary>
    public override string ToString() => "WebhookVerifier { Secret = *** }";

    private static byte[]? DecodeSecret(string secret)
    {
        var encoded = secret.AsSpan();
        if (encoded.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            encoded = encoded[SecretPrefix.Length..];
        }

        // Base64 decoding skips whitespace inside the text; a secret with a space or line break in it was pasted wrong.
        if (encoded.Length == 0 || encoded.Length > (MaxKeyBytes + 2) / 3 * 4 || encoded.ContainsAny(" \t\r\n"))
        {
            return null;
        }

        Span<byte> buffer = stackalloc byte[MaxKeyBytes];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written) || written < MinKeyBytes)
        {
            return null;
        }

        var key = buffer[..written].ToArray();
        CryptographicOperations.ZeroMemory(buffer);
        return key;
    }
}
