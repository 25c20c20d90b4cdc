using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;

namespace Rekey.Server.Leaks;

/// <summary>
/// GitHub's secret-scanning signing keys, from <c>Rekey:Leaks:GitHub:PublicKeys</c> and <c>PublicKeysFile</c>, read once
/// at start (the options validator has refused any that does not load). GitHub signs the raw body of each report with
/// ECDSA P-256 / SHA-256 (an ASN.1 DER signature, base64 in <c>Github-Public-Key-Signature</c>) under the key named by
/// <c>Github-Public-Key-Identifier</c>.
/// </summary>
internal sealed class GitHubKeys
{
    private readonly FrozenDictionary<string, ECDsa> _keys;

    public GitHubKeys(IOptions<RekeyOptions> options)
    {
        var loaded = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
        foreach (var (id, pem) in Entries(options.Value.Leaks.GitHub))
        {
            loaded[id] = Load(pem);
        }

        _keys = loaded.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The endpoint answers only when at least one key is configured.</summary>
    public bool Enabled => _keys.Count > 0;

    /// <summary>Does <paramref name="signature"/> (base64 DER) verify <paramref name="body"/> under the key <paramref name="keyId"/>?</summary>
    public bool Verify(string keyId, string signature, ReadOnlySpan<byte> body)
    {
        if (!_keys.TryGetValue(keyId, out var key))
        {
            return false;
        }

        Span<byte> der = stackalloc byte[256];
        if (!Convert.TryFromBase64String(signature, der, out var length))
        {
            return false;
        }

        try
        {
            return key.VerifyData(body, der[..length], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>What is wrong with the configured keys, one line each (the options validator's).</summary>
    public static IEnumerable<string> Problems(GitHubLeaksOptions options)
    {
        List<(string Id, string Pem)> entries;
        try
        {
            entries = [.. Entries(options)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return [$"Rekey:Leaks:GitHub:PublicKeysFile '{options.PublicKeysFile}' cannot be read as GitHub's key document: {ex.Message}"];
        }

        var problems = new List<string>();
        foreach (var (id, pem) in entries)
        {
            if (id.Length is 0 or > 200)
            {
                problems.Add("Rekey:Leaks:GitHub:PublicKeys: every key needs a KeyIdentifier of 1 to 200 characters.");
                continue;
            }

            try
            {
                using var key = Load(pem);
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException or FormatException)
            {
                problems.Add($"Rekey:Leaks:GitHub:PublicKeys: the key '{id}' is not a PEM ECDSA P-256 public key ({ex.Message}).");
            }
        }

        return problems;
    }

    private static IEnumerable<(string Id, string Pem)> Entries(GitHubLeaksOptions options)
    {
        foreach (var key in options.PublicKeys)
        {
            yield return (key.KeyIdentifier.Trim(), key.Key);
        }

        if (options.PublicKeysFile is { Length: > 0 } path)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!document.RootElement.TryGetProperty("public_keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("it has no 'public_keys' array");
            }

            foreach (var key in keys.EnumerateArray())
            {
                yield return (key.GetProperty("key_identifier").GetString() ?? "", key.GetProperty("key").GetString() ?? "");
            }
        }
    }

    private static ECDsa Load(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256)
            {
                throw new CryptographicException($"a {key.KeySize}-bit curve, not P-256");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
