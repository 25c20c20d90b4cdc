using System.Security.Cryptography;

namespace Rekey.Contracts;

/// <summary>The values of a service's <c>clientSecretFormat</c>: how the secrets Rekey generates for it look.</summary>
public static class SecretFormats
{
    /// <summary>64 random bytes as unpadded base64url, 86 characters: what Authlete generates (the default).</summary>
    public const string Authlete = "AUTHLETE";

    /// <summary>A prefix, 43 base62 characters (256 bits) and a 6-character CRC32 checksum: see <see cref="IdentifiableSecret"/>.</summary>
    public const string Identifiable = "IDENTIFIABLE";

    /// <summary>The format of a service that names none.</summary>
    public const string Default = Authlete;

    /// <summary>Every format, the default first.</summary>
    public static IReadOnlyList<string> All { get; } = [Authlete, Identifiable];
}

/// <summary>The values of a service's <c>leakResponse</c>: what Rekey does when a live secret of the service is reported leaked.</summary>
public static class LeakResponses
{
    /// <summary>
    /// The default. A previous secret is revoked; a current one is replaced by a new generated secret with no grace period
    /// and the client is locked until an operator unlocks it.
    /// </summary>
    public const string Revoke = "REVOKE";

    /// <summary>The client is locked; its secrets stay as they are.</summary>
    public const string Lock = "LOCK";

    /// <summary>Nothing changes but the audit trail and the <c>client.secret.leaked</c> event.</summary>
    public const string Notify = "NOTIFY";

    /// <summary>The response of a service that names none.</summary>
    public const string Default = Revoke;

    /// <summary>Every response, the default first.</summary>
    public static IReadOnlyList<string> All { get; } = [Revoke, Lock, Notify];
}

/// <summary>Why <see cref="IdentifiableSecret.Check"/> refused a value.</summary>
public enum IdentifiableSecretProblem
{
    /// <summary>The value is a well-formed identifiable secret.</summary>
    None,

    /// <summary>It does not start with the prefix.</summary>
    WrongPrefix,

    /// <summary>It is not exactly prefix + 49 characters long.</summary>
    WrongLength,

    /// <summary>A character after the prefix is not one of <c>0-9 A-Z a-z</c>.</summary>
    IllegalCharacter,

    /// <summary>The last six characters are not the CRC32 of the rest: a typo, a truncation or a made-up value.</summary>
    WrongChecksum,
}

/// <summary>
/// The <c>IDENTIFIABLE</c> secret format, the same code in the server, the SDK and the CLI: a fixed prefix (by default
/// <c>rks_</c>), a body of 43 characters of base62 (<c>0-9 A-Z a-z</c>; 43 × log2 62 ≈ 256.03 bits from the OS CSPRNG),
/// and a checksum of 6 base62 characters: the CRC-32 (IEEE 802.3, as zlib and GitHub's tokens) of the ASCII prefix and
/// body, as a big-endian base62 number padded with <c>0</c>. With the default prefix a secret is 53 characters, within
/// Authlete's rules (at most 86 of <c>A-Z a-z 0-9 - _</c>), so every Authlete client accepts it. The prefix lets
/// scanners find it; the checksum lets them, and <see cref="Check"/>, tell a real one from a look-alike offline.
/// </summary>
public static class IdentifiableSecret
{
    /// <summary>The prefix unless the deployment configures another (<c>Rekey:Leaks:SecretPrefix</c>).</summary>
    public const string DefaultPrefix = "rks_";

    /// <summary>Characters of random body.</summary>
    public const int BodyLength = 43;

    /// <summary>Characters of checksum.</summary>
    public const int ChecksumLength = 6;

    /// <summary>The longest prefix a deployment may choose.</summary>
    public const int MaxPrefixLength = 24;

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>The length of a secret with <paramref name="prefix"/>.</summary>
    public static int Length(string prefix = DefaultPrefix) => prefix.Length + BodyLength + ChecksumLength;

    /// <summary>
    /// Is <paramref name="prefix"/> usable: 2 to <see cref="MaxPrefixLength"/> characters of <c>A-Z a-z 0-9 - _</c>,
    /// not starting with <c>-</c>, and ending with <c>_</c> or <c>-</c> (so that the body is never read as part of the
    /// prefix)?
    /// </summary>
    public static bool IsValidPrefix(string? prefix) =>
        prefix is { Length: >= 2 and <= MaxPrefixLength } && prefix[0] != '-' && prefix[^1] is '_' or '-' && prefix.All(ClientSecretRules.IsAllowedCharacter);

    /// <summary>
    /// The regular expression that finds such secrets in text (.NET, PCRE, ECMAScript and Java read it alike): the
    /// prefix, 43 base62 characters, a checksum of 6 (the first 0 to 4), and no secret character on either side. The prefix needs no escaping: it holds
    /// only letters, digits, <c>_</c> and <c>-</c>, none of them special outside a character class.
    /// </summary>
    public static string Pattern(string prefix = DefaultPrefix) =>
        $"(?<![A-Za-z0-9_-]){PlainPattern(prefix)}(?![A-Za-z0-9_-])";

    /// <summary>
    /// The same without look-around, for engines that have none (RE2, Hyperscan: GitHub's custom patterns, Go tools):
    /// the boundaries are then the scanner's own.
    /// </summary>
    /// <remarks>A CRC-32 is below 62^6, so the checksum's first character is <c>0</c> to <c>4</c>: the expression says so.</remarks>
    public static string PlainPattern(string prefix = DefaultPrefix) => $"{prefix}[0-9A-Za-z]{{{BodyLength}}}[0-4][0-9A-Za-z]{{{ChecksumLength - 1}}}";

    /// <summary>The expression anchored, to test one whole value.</summary>
    public static string ExactPattern(string prefix = DefaultPrefix) => $"^{PlainPattern(prefix)}$";

    /// <summary>A new secret: the prefix, 43 random base62 characters, their checksum.</summary>
    public static string Generate(string prefix = DefaultPrefix)
    {
        RequireValidPrefix(prefix);
        var chars = new char[Length(prefix)];
        prefix.CopyTo(chars);
        Span<byte> random = stackalloc byte[64];
        var filled = 0;
        while (filled < BodyLength)
        {
            RandomNumberGenerator.Fill(random);
            foreach (var b in random)
            {
                // 248 = 4 × 62: rejecting the bytes above it leaves each character exactly uniform.
                if (b < 248 && filled < BodyLength)
                {
                    chars[prefix.Length + filled++] = Base62[b % 62];
                }
            }
        }

        random.Clear();
        WriteChecksum(chars.AsSpan(0, prefix.Length + BodyLength), chars.AsSpan(prefix.Length + BodyLength));
        var secret = new string(chars);
        Array.Clear(chars);
        return secret;
    }

    /// <summary>Checks a value offline: prefix, length, alphabet and checksum, in that order. Never contacts a server.</summary>
    public static IdentifiableSecretProblem Check(string? value, string prefix = DefaultPrefix)
    {
        RequireValidPrefix(prefix);
        if (value is null || !value.StartsWith(prefix, StringComparison.Ordinal))
        {
            return IdentifiableSecretProblem.WrongPrefix;
        }

        if (value.Length != Length(prefix))
        {
            return IdentifiableSecretProblem.WrongLength;
        }

        for (var i = prefix.Length; i < value.Length; i++)
        {
            if (Base62.IndexOf(value[i], StringComparison.Ordinal) < 0)
            {
                return IdentifiableSecretProblem.IllegalCharacter;
            }
        }

        Span<char> expected = stackalloc char[ChecksumLength];
        WriteChecksum(value.AsSpan(0, prefix.Length + BodyLength), expected);
        return expected.SequenceEqual(value.AsSpan(prefix.Length + BodyLength)) ? IdentifiableSecretProblem.None : IdentifiableSecretProblem.WrongChecksum;
    }

    /// <summary>True when <paramref name="value"/> is a well-formed identifiable secret with <paramref name="prefix"/>.</summary>
    public static bool IsValid(string? value, string prefix = DefaultPrefix) => Check(value, prefix) == IdentifiableSecretProblem.None;

    /// <summary>What a problem means, in one sentence for a person.</summary>
    public static string Describe(IdentifiableSecretProblem problem, string prefix = DefaultPrefix) => problem switch
    {
        IdentifiableSecretProblem.None => "a well-formed identifiable secret",
        IdentifiableSecretProblem.WrongPrefix => $"it does not start with '{prefix}'",
        IdentifiableSecretProblem.WrongLength => $"it is not {Length(prefix)} characters long",
        IdentifiableSecretProblem.IllegalCharacter => "a character after the prefix is not one of 0-9 A-Z a-z",
        IdentifiableSecretProblem.WrongChecksum => "its checksum does not match (a typo, a truncation or a made-up value)",
        _ => problem.ToString(),
    };

    /// <summary>The CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of the ASCII characters.</summary>
    public static uint Crc32(ReadOnlySpan<char> ascii)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var c in ascii)
        {
            crc = CrcTable[(crc ^ (byte)c) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static void WriteChecksum(ReadOnlySpan<char> prefixAndBody, Span<char> output)
    {
        var value = Crc32(prefixAndBody);
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            output[i] = Base62[(int)(value % 62)];
            value /= 62;
        }
    }

    private static void RequireValidPrefix(string prefix)
    {
        if (!IsValidPrefix(prefix))
        {
            throw new ArgumentException($"A secret prefix is 2 to {MaxPrefixLength} characters of A-Z a-z 0-9 - _, not starting with '-' and ending with '_' or '-'.", nameof(prefix));
        }
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
